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

// busyboxDeployment runs busybox with command (none: the image's shell,
// which exits at once without a terminal, crash-loops; the sim shows that
// through its crash-loop stage).
func busyboxDeployment(name string, command string) string {
	cmd := ""
	if command != "" {
		cmd = ", command: " + command
	}
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s}
spec:
  replicas: 2
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      containers:
      - {name: main, image: "busybox:1.36"%[2]s}
`, name, cmd)
}

func TestReadySteady(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	create(t, c, ns, busyboxDeployment("sleeper", "[sleep, infinity]"))
	create(t, c, ns, busyboxDeployment("crasher", ""))

	steady := build(t, "ready", fmt.Sprintf(`
namespace: %s
workload: {kind: Deployment, name: sleeper}
count: 2
steadyFor: 2s
`, ns))
	start := time.Now()
	obs := mustPass(t, steady, env, 30*time.Second)
	if !strings.HasSuffix(obs.Actual, "; 2/2 Ready, restarts 0→0 over 2s") {
		t.Errorf("actual %q, want the steadiness summary", obs.Actual)
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Errorf("passed after %s, before the 2s window could end", took)
	}

	// Wait until the crashing pods show their restarts, so that the
	// failure below is the crash loop and not pods still being created.
	waitFor(t, 30*time.Second, "crasher pods crash-looping", func() (bool, string) {
		list, err := c.Kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=crasher"})
		if err != nil {
			return false, err.Error()
		}
		looping := 0
		for _, p := range list.Items {
			for _, s := range p.Status.ContainerStatuses {
				if s.State.Waiting != nil && s.State.Waiting.Reason == "CrashLoopBackOff" {
					looping++
				}
			}
		}
		return looping == 2, fmt.Sprintf("%d of 2 pods in CrashLoopBackOff", looping)
	})
	crashing := build(t, "ready", fmt.Sprintf(`
namespace: %s
workload: {kind: Deployment, name: crasher}
steadyFor: 2s
`, ns))
	obs = observeUntil(t, crashing, env, true, 5*time.Second)
	if obs.Passed {
		t.Fatalf("a crash-looping Deployment passed: actual %q", obs.Actual)
	}
	wantProblem(t, obs, "is not Ready")
}

func TestReadySteadyForValidation(t *testing.T) {
	// No lab needed: only the check's YAML is judged.
	for _, tc := range []struct{ value, want string }{
		{"0s", "3: ready.steadyFor: got 0s, want more than 0s and at most 1m0s"},
		{"61s", "3: ready.steadyFor: got 1m1s, want more than 0s and at most 1m0s"},
		{"-1s", "3: ready.steadyFor"},
		{"soon", "3: ready.steadyFor"},
	} {
		_, ps := buildProblems(t, "ready", "namespace: x\nlabels: {app: a}\nsteadyFor: "+tc.value+"\n")
		if len(ps) != 1 || !strings.HasPrefix(ps[0], tc.want) {
			t.Errorf("steadyFor %s: problems %q, want one starting %q", tc.value, ps, tc.want)
		}
	}
	for _, ok := range []string{"1ms", "5s", "60s", "1m"} {
		build(t, "ready", "namespace: x\nlabels: {app: a}\nsteadyFor: "+ok+"\n")
	}
}
