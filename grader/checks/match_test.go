package checks_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/simtest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestMatchByName(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	create(t, c, ns, `
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {app: web}
data:
  mode: dev
  level: "3"
`)

	pass := build(t, "match", fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
name: settings
namespace: %s
expect:
  metadata: {labels: {app: web}}
  data: {mode: dev}
`, ns))
	obs := mustPass(t, pass, env, 5*time.Second)
	if want := "ConfigMap " + ns + "/settings matches"; obs.Actual != want {
		t.Errorf("actual %q, want %q", obs.Actual, want)
	}
	if !strings.Contains(obs.Expected, `ConfigMap "settings" in namespace `+ns) || !strings.Contains(obs.Expected, `"mode":"dev"`) {
		t.Errorf("expected %q does not describe the target and the expectation", obs.Expected)
	}

	fail := build(t, "match", fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
name: settings
namespace: %s
expect:
  data: {mode: prod, level: "3", missing: x}
  metadata: {labels: {app: null}}
`, ns))
	obs = mustFailNow(t, fail, env)
	wantProblem(t, obs, "data.mode", `want "prod", got "dev"`)
	wantProblem(t, obs, "data.missing", "missing")
	wantProblem(t, obs, "metadata.labels.app", "want it unset")
	if len(obs.Problems) != 3 {
		t.Errorf("problems %q, want exactly 3 (level matches)", obs.Problems)
	}
	if want := "ConfigMap " + ns + "/settings differs"; obs.Actual != want {
		t.Errorf("actual %q, want %q", obs.Actual, want)
	}

	missing := build(t, "match", fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
name: nope
namespace: %s
`, ns))
	obs = mustFailNow(t, missing, env)
	want := fmt.Sprintf(`not found: ConfigMap "nope" in namespace %s`, ns)
	if len(obs.Problems) != 1 || obs.Problems[0] != want {
		t.Errorf("problems %q, want [%q]", obs.Problems, want)
	}
	if obs.Actual != fmt.Sprintf(`no ConfigMap "nope" in namespace %s`, ns) {
		t.Errorf("actual %q", obs.Actual)
	}

	// Cluster-scoped kinds have no namespace.
	nsCheck := build(t, "match", fmt.Sprintf(`
apiVersion: v1
kind: Namespace
name: %s
expect: {status: {phase: Active}}
`, ns))
	mustPass(t, nsCheck, env, 5*time.Second)
}

func TestMatchByLabelsAnyOf(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	create(t, c, ns, `
apiVersion: v1
kind: ConfigMap
metadata: {name: a, labels: {tier: db}}
data: {engine: mysql}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b, labels: {tier: db}}
data: {engine: postgres}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, labels: {tier: web}}
data: {engine: postgres}
`)
	chk := build(t, "match", fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
namespace: %s
labels: {tier: db}
expect: {data: {engine: postgres}}
`, ns))
	obs := mustPass(t, chk, env, 5*time.Second)
	if want := "ConfigMap " + ns + "/b matches"; obs.Actual != want {
		t.Errorf("actual %q, want %q", obs.Actual, want)
	}

	none := build(t, "match", fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
namespace: %s
labels: {tier: db}
expect: {data: {engine: oracle}}
`, ns))
	obs = mustFailNow(t, none, env)
	if !strings.Contains(obs.Actual, "(closest of 2 candidates)") {
		t.Errorf("actual %q, want it to say it looked at the 2 labelled candidates (c has another label)", obs.Actual)
	}
	wantProblem(t, obs, "data.engine", `want "oracle"`)

	// CEL over all candidates.
	count := build(t, "match", fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
namespace: %s
labels: {tier: db}
expr:
- objects.size() == 2
- objects.exists(o, o.data.engine == 'mysql')
`, ns))
	mustPass(t, count, env, 5*time.Second)
}

func TestMatchQuantitiesAndLists(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	create(t, c, ns, `
apiVersion: v1
kind: Pod
metadata: {name: app}
spec:
  nodeSelector: {no-such-label: "true"}
  tolerations:
  - {key: a, operator: Exists, effect: NoSchedule}
  - {key: b, operator: Equal, value: x, effect: NoExecute}
  containers:
  - name: first
    image: busybox:1
    resources:
      requests: {cpu: "0.1", memory: 128Mi}
      limits: {cpu: "1", memory: 1Gi}
  - name: second
    image: nginx:1
`)
	ctx := context.Background()
	pod, err := c.Kube.CoreV1().Pods(ns).Get(ctx, "app", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := pod.Spec.Containers[0].Resources.Requests.Cpu().String(); got != "100m" {
		t.Fatalf("the apiserver stored cpu %q, the test assumes it canonicalizes 0.1 to 100m", got)
	}

	// Quantities by value, whatever their spelling; lists in any order.
	chk := build(t, "match", fmt.Sprintf(`
apiVersion: v1
kind: Pod
name: app
namespace: %s
expect:
  spec:
    tolerations:
    - {key: b, value: x}
    - {key: a, operator: Exists}
    containers:
    - name: second
    - name: first
      resources:
        requests: {cpu: "0.1", memory: 134217728}
        limits: {cpu: 1000m, memory: "1073741824"}
`, ns))
	mustPass(t, chk, env, 5*time.Second)

	wrongQty := build(t, "match", fmt.Sprintf(`
apiVersion: v1
kind: Pod
name: app
namespace: %s
expect:
  spec:
    containers:
    - name: first
      resources: {requests: {cpu: 200m}}
`, ns))
	obs := mustFailNow(t, wrongQty, env)
	wantProblem(t, obs, "spec.containers", "no element matches", "spec.containers[0].resources.requests.cpu", `want "200m", got "100m"`)

	// ordered: the same list in another order fails, element by element.
	ordered := build(t, "match", fmt.Sprintf(`
apiVersion: v1
kind: Pod
name: app
namespace: %s
ordered: [spec.containers]
expect:
  spec:
    containers:
    - name: second
    - name: first
`, ns))
	obs = mustFailNow(t, ordered, env)
	wantProblem(t, obs, "spec.containers[0].name", `want "second", got "first"`)
	wantProblem(t, obs, "spec.containers[1].name", `want "first", got "second"`)

	inOrder := build(t, "match", fmt.Sprintf(`
apiVersion: v1
kind: Pod
name: app
namespace: %s
ordered: [spec.containers]
expect:
  spec:
    containers:
    - name: first
    - name: second
    tolerations:
    - {key: b}
    - {key: a}
`, ns))
	mustPass(t, inOrder, env, 5*time.Second)

	// An ordered list must also have the same length.
	short := build(t, "match", fmt.Sprintf(`
apiVersion: v1
kind: Pod
name: app
namespace: %s
ordered: [spec.containers]
expect: {spec: {containers: [{name: first}]}}
`, ns))
	obs = mustFailNow(t, short, env)
	wantProblem(t, obs, "spec.containers", "want 1 elements in this order, got 2")
}

func TestMatchExpr(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	create(t, c, ns, `
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {a: "1", b: "2"}
`)
	yes := build(t, "match", fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
name: cfg
namespace: %s
expr:
- object.data.size() == 2
- "'a' in object.data && object.data.b == '2'"
`, ns))
	mustPass(t, yes, env, 5*time.Second)

	no := build(t, "match", fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
name: cfg
namespace: %s
expr:
- object.data.size() == 2
- object.data.size() > 5
- object.spec.replicas == 1
`, ns))
	obs := mustFailNow(t, no, env)
	if len(obs.Problems) != 2 {
		t.Errorf("problems %q, want 2 (the first expression is true)", obs.Problems)
	}
	wantProblem(t, obs, "`object.data.size() > 5` is false")
	wantProblem(t, obs, "`object.spec.replicas == 1`", "no such key")

	// A bad expression is a load-time problem.
	_, ps := buildProblems(t, "match", `
apiVersion: v1
kind: ConfigMap
name: cfg
expr: ["object.data.size( =="]
`)
	if !hasProblem(ps, "match.expr[0]") {
		t.Errorf("problems %q, want one at match.expr[0]", ps)
	}
	_, ps = buildProblems(t, "match", `
kind: ConfigMap
name: cfg
labels: {a: b}
expct: {}
`)
	for _, want := range []string{"match.apiVersion: required", "set name or labels, not both", `match.expct: unknown field (did you mean "expect"?)`} {
		if !hasProblem(ps, want) {
			t.Errorf("problems %q, want %q", ps, want)
		}
	}
}

func TestAbsent(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)

	gone := build(t, "absent", fmt.Sprintf(`
apiVersion: v1
kind: Secret
name: leaked
namespace: %s
`, ns))
	obs := mustPass(t, gone, env, 5*time.Second)
	if obs.Actual != "none (0 candidate(s) checked)" {
		t.Errorf("actual %q", obs.Actual)
	}

	create(t, c, ns, `
apiVersion: v1
kind: Secret
metadata: {name: leaked, labels: {team: x}}
stringData: {password: hunter2}
---
apiVersion: v1
kind: Secret
metadata: {name: fine, labels: {team: x}}
stringData: {password: long-and-random}
`)
	obs = observeUntil(t, gone, env, false, 5*time.Second)
	if obs.Passed {
		t.Fatal("absent passed although the secret exists")
	}
	if want := []string{"Secret " + ns + "/leaked should not be there"}; len(obs.Problems) != 1 || obs.Problems[0] != want[0] {
		t.Errorf("problems %q, want %q", obs.Problems, want)
	}
	if obs.Actual != "Secret "+ns+"/leaked" {
		t.Errorf("actual %q", obs.Actual)
	}

	// With expr, only candidates for which it holds count.
	// data holds base64: hunter2 is 12 characters, long-and-random 20.
	weak := build(t, "absent", fmt.Sprintf(`
apiVersion: v1
kind: Secret
namespace: %s
labels: {team: x}
expr: ["object.data.password.size() < 16"]
`, ns))
	obs = mustFailNow(t, weak, env)
	if len(obs.Problems) != 1 || obs.Problems[0] != "Secret "+ns+"/leaked should not be there" {
		t.Errorf("problems %q, want only the weak secret named", obs.Problems)
	}

	if err := c.Kube.CoreV1().Secrets(ns).Delete(context.Background(), "leaked", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	obs = mustPass(t, weak, env, 5*time.Second)
	if obs.Actual != "none (1 candidate(s) checked)" {
		t.Errorf("actual %q, want the remaining secret checked", obs.Actual)
	}
}
