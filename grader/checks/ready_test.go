package checks_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/simtest"
)

func deployment(name string, replicas int, nodeSelector string) string {
	sel := ""
	if nodeSelector != "" {
		sel = "\n      nodeSelector: {kubernetes.io/hostname: " + nodeSelector + "}"
	}
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s}
spec:
  replicas: %[2]d
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:%[3]s
      containers:
      - {name: main, image: nginx:1}
`, name, replicas, sel)
}

func TestReadyWorkload(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	create(t, c, ns, deployment("web", 2, ""))

	chk := build(t, "ready", fmt.Sprintf(`
namespace: %s
workload: {kind: Deployment, name: web}
count: 2
`, ns))
	obs := mustPass(t, chk, env, 30*time.Second)
	if n := strings.Count(obs.Actual, ": Ready"); n != 2 {
		t.Errorf("actual %q, want 2 Ready pods listed", obs.Actual)
	}
	if !strings.HasPrefix(obs.Expected, "2 Ready pod(s) of Deployment web in namespace "+ns) {
		t.Errorf("expected %q", obs.Expected)
	}

	three := build(t, "ready", fmt.Sprintf(`
namespace: %s
workload: {apiVersion: apps/v1, kind: Deployment, name: web}
count: 3
`, ns))
	obs = mustFailNow(t, three, env)
	if len(obs.Problems) != 1 || obs.Problems[0] != "2 Ready pod(s), want 3" {
		t.Errorf("problems %q", obs.Problems)
	}

	byLabels := build(t, "ready", fmt.Sprintf(`
namespace: %s
labels: {app: web}
`, ns))
	mustPass(t, byLabels, env, 5*time.Second)

	missing := build(t, "ready", fmt.Sprintf(`
namespace: %s
workload: {kind: Deployment, name: nope}
`, ns))
	obs = mustFailNow(t, missing, env)
	wantProblem(t, obs, "Deployment nope", "not found")

	noPods := build(t, "ready", fmt.Sprintf(`
namespace: %s
labels: {app: nothing}
`, ns))
	obs = mustFailNow(t, noPods, env)
	if obs.Actual != "no pods" || len(obs.Problems) != 1 || obs.Problems[0] != "no pods match" {
		t.Errorf("actual %q, problems %q", obs.Actual, obs.Problems)
	}
	zero := build(t, "ready", fmt.Sprintf(`
namespace: %s
labels: {app: nothing}
count: 0
`, ns))
	mustPass(t, zero, env, time.Second)

	_, ps := buildProblems(t, "ready", `{labels: {a: b}, name: x, count: -1}`)
	for _, want := range []string{"ready.namespace: required", "exactly one of workload, labels and name", "ready.count: must not be negative"} {
		if !hasProblem(ps, want) {
			t.Errorf("problems %q, want %q", ps, want)
		}
	}
}

func TestReadyNodes(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	create(t, c, ns, deployment("pinned", 2, worker))

	only := build(t, "ready", fmt.Sprintf(`
namespace: %s
workload: {kind: Deployment, name: pinned}
count: 2
nodes: [%s]
avoidNodes: [%s, %s]
`, ns, worker, controlPlane, worker2))
	obs := mustPass(t, only, env, 30*time.Second)
	if strings.Count(obs.Actual, "on "+worker+": Ready") != 2 {
		t.Errorf("actual %q, want both pods Ready on %s", obs.Actual, worker)
	}
	if !strings.Contains(obs.Expected, "only on "+worker) || !strings.Contains(obs.Expected, "none on "+controlPlane+", "+worker2) {
		t.Errorf("expected %q", obs.Expected)
	}

	avoid := build(t, "ready", fmt.Sprintf(`
namespace: %s
workload: {kind: Deployment, name: pinned}
avoidNodes: [%s]
`, ns, worker))
	obs = mustFailNow(t, avoid, env)
	if len(obs.Problems) != 2 || !hasProblem(obs.Problems, "runs on "+worker+", which it must avoid") {
		t.Errorf("problems %q, want both pods reported on the avoided node", obs.Problems)
	}

	elsewhere := build(t, "ready", fmt.Sprintf(`
namespace: %s
workload: {kind: Deployment, name: pinned}
nodes: [%s]
`, ns, worker2))
	obs = mustFailNow(t, elsewhere, env)
	wantProblem(t, obs, "runs on "+worker+", want only "+worker2)
}

func daemonSet(name string, tolerateControlPlane bool) string {
	tol := ""
	if tolerateControlPlane {
		tol = "\n      tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]"
	}
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: %[1]s}
spec:
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:%[2]s
      containers:
      - {name: agent, image: busybox:1, command: [sleep, infinity]}
`, name, tol)
}

func TestReadyEveryNode(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	create(t, c, ns, daemonSet("everywhere", true))
	create(t, c, ns, daemonSet("workers", false))

	every := build(t, "ready", fmt.Sprintf(`
namespace: %s
workload: {kind: DaemonSet, name: everywhere}
everyNode: true
`, ns))
	obs := mustPass(t, every, env, 30*time.Second)
	for _, n := range []string{controlPlane, worker, worker2} {
		if !strings.Contains(obs.Actual, "on "+n+": Ready") {
			t.Errorf("actual %q, want a Ready pod on %s", obs.Actual, n)
		}
	}

	// Without the toleration the control plane gets no pod: once both
	// workers have theirs, exactly that is reported.
	workers := build(t, "ready", fmt.Sprintf(`
namespace: %s
workload: {kind: DaemonSet, name: workers}
count: 2
`, ns))
	mustPass(t, workers, env, 30*time.Second)
	notEvery := build(t, "ready", fmt.Sprintf(`
namespace: %s
workload: {kind: DaemonSet, name: workers}
everyNode: true
`, ns))
	obs = mustFailNow(t, notEvery, env)
	want := "node " + controlPlane + " has 0 Ready pod(s), want 1"
	if len(obs.Problems) != 1 || obs.Problems[0] != want {
		t.Errorf("problems %q, want [%q]", obs.Problems, want)
	}
}

func TestReadyPodByName(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	create(t, c, ns, `
apiVersion: v1
kind: Pod
metadata: {name: solo}
spec:
  containers: [{name: main, image: nginx:1}]
---
apiVersion: v1
kind: Pod
metadata: {name: stuck}
spec:
  nodeSelector: {disktype: unobtainium}
  containers: [{name: main, image: nginx:1}]
`)
	solo := build(t, "ready", fmt.Sprintf(`
namespace: %s
name: solo
count: 1
avoidNodes: [%s]
`, ns, controlPlane))
	obs := mustPass(t, solo, env, 30*time.Second)
	if !strings.HasPrefix(obs.Actual, "solo on ckalab-worker") || strings.Contains(obs.Actual, "stuck") {
		t.Errorf("actual %q, want only solo, on a worker", obs.Actual)
	}

	stuck := build(t, "ready", fmt.Sprintf(`
namespace: %s
name: stuck
`, ns))
	obs = mustFailNow(t, stuck, env)
	if want := "pod stuck is Pending (not scheduled)"; len(obs.Problems) != 1 || obs.Problems[0] != want {
		t.Errorf("problems %q, want [%q]", obs.Problems, want)
	}
	if obs.Actual != "stuck on -: Pending (not scheduled)" {
		t.Errorf("actual %q", obs.Actual)
	}
	// A pending pod is on no node, so it breaks no node rule: only its
	// state is reported.
	stuckNodes := build(t, "ready", fmt.Sprintf(`
namespace: %s
name: stuck
nodes: [%s]
avoidNodes: [%s]
`, ns, worker, worker2))
	obs = mustFailNow(t, stuckNodes, env)
	if len(obs.Problems) != 1 {
		t.Errorf("problems %q, want only the Pending state", obs.Problems)
	}
}
