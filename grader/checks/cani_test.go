package checks_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/simtest"
)

func TestCanIServiceAccount(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	create(t, c, ns, fmt.Sprintf(`
apiVersion: v1
kind: ServiceAccount
metadata: {name: deployer}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer}
rules:
- apiGroups: [apps]
  resources: [deployments]
  verbs: [create, get, list]
- apiGroups: [""]
  resources: [pods, pods/log]
  verbs: [get]
- apiGroups: [""]
  resources: [secrets]
  resourceNames: [db-password]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects:
- {kind: ServiceAccount, name: deployer, namespace: %s}
`, ns))
	sa := "system:serviceaccount:" + ns + ":deployer"

	// "deployments" without a group means deployments.apps, as in kubectl;
	// the role grants only apps, so these pass only if the group is resolved.
	ok := build(t, "canI", fmt.Sprintf(`
as: %s
namespace: %s
allowed:
- create deployments
- list deployments.apps
- get pods/log
- get secrets db-password
denied:
- delete deployments
- get secrets
- get secrets other
- create pods
- list pods
`, sa, ns))
	obs := mustPass(t, ok, env, 10*time.Second)
	if !strings.Contains(obs.Actual, "may create deployments, list deployments.apps") || !strings.Contains(obs.Actual, "may not delete deployments") {
		t.Errorf("actual %q", obs.Actual)
	}

	// The same account in another namespace has nothing.
	elsewhere := build(t, "canI", fmt.Sprintf(`
as: %s
namespace: default
allowed: [create deployments]
`, sa))
	obs = mustFailNow(t, elsewhere, env)
	wantProblem(t, obs, sa+" cannot create deployments in namespace default, but should")

	tooMuch := build(t, "canI", fmt.Sprintf(`
as: %s
namespace: %s
allowed: [delete pods]
denied: [get pods, get deployments]
`, sa, ns))
	obs = mustFailNow(t, tooMuch, env)
	wantProblem(t, obs, "cannot delete pods in namespace "+ns+", but should")
	wantProblem(t, obs, "can get pods in namespace "+ns+", but should not (too much access)")
	wantProblem(t, obs, "can get deployments in namespace "+ns+", but should not")
	if len(obs.Problems) != 3 {
		t.Errorf("problems %q, want 3", obs.Problems)
	}
	if want := "may get pods, get deployments; may not delete pods"; obs.Actual != want {
		t.Errorf("actual %q, want %q", obs.Actual, want)
	}

	// Cluster-wide the namespaced Role grants nothing.
	clusterWide := build(t, "canI", fmt.Sprintf(`
as: %s
denied: [list deployments]
`, sa))
	mustPass(t, clusterWide, env, 5*time.Second)
}

func TestCanIMissingServiceAccount(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	// Nobody can do this, but a missing account proves nothing.
	chk := build(t, "canI", fmt.Sprintf(`
as: system:serviceaccount:%s:ghost
namespace: %s
denied: [delete secrets]
`, ns, ns))
	obs := mustFailNow(t, chk, env)
	want := "service account " + ns + "/ghost does not exist"
	if obs.Actual != want || len(obs.Problems) != 1 || obs.Problems[0] != want {
		t.Errorf("actual %q, problems %q; want %q", obs.Actual, obs.Problems, want)
	}

	create(t, c, ns, `
apiVersion: v1
kind: ServiceAccount
metadata: {name: ghost}
`)
	mustPass(t, chk, env, 5*time.Second)
}

func TestCanIUserAndGroup(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	user := "jane-" + ns
	group := "auditors-" + ns
	create(t, c, ns, fmt.Sprintf(`
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: cm-reader}
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: jane}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: %s}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: auditors}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: %s}
`, user, group))

	jane := build(t, "canI", fmt.Sprintf(`
as: %s
namespace: %s
allowed: [list pods, watch pods]
denied: [get configmaps, delete pods]
`, user, ns))
	mustPass(t, jane, env, 10*time.Second)

	auditors := build(t, "canI", fmt.Sprintf(`
groups: [%s]
namespace: %s
allowed: [get configmaps]
denied: [list pods]
`, group, ns))
	obs := mustPass(t, auditors, env, 10*time.Second)
	if !strings.HasPrefix(obs.Expected, "groups "+group+" in namespace "+ns) {
		t.Errorf("expected %q", obs.Expected)
	}

	// A user in the group gets both.
	both := build(t, "canI", fmt.Sprintf(`
as: %s
groups: [%s]
namespace: %s
allowed: [get configmaps, list pods]
`, user, group, ns))
	mustPass(t, both, env, 5*time.Second)

	other := build(t, "canI", fmt.Sprintf(`
as: bob-%s
namespace: %s
allowed: [list pods]
`, ns, ns))
	obs = mustFailNow(t, other, env)
	wantProblem(t, obs, "bob-"+ns+" cannot list pods in namespace "+ns+", but should")

	_, ps := buildProblems(t, "canI", `{namespace: x, allowed: ["get"]}`)
	for _, want := range []string{"canI.as: required", `canI.allowed[0]: "get": want`} {
		if !hasProblem(ps, want) {
			t.Errorf("problems %q, want %q", ps, want)
		}
	}
	_, ps = buildProblems(t, "canI", `{as: x}`)
	if !hasProblem(ps, "list at least one request") {
		t.Errorf("problems %q", ps)
	}
}
