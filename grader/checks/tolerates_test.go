package checks_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/simtest"
)

func TestTolerates(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	create(t, c, ns, `
apiVersion: v1
kind: Pod
metadata: {name: exists, labels: {group: t}}
spec:
  tolerations:
  - {key: node-role.kubernetes.io/control-plane, operator: Exists}
  containers: [{name: main, image: nginx:1}]
---
apiVersion: v1
kind: Pod
metadata: {name: gpu, labels: {group: t}}
spec:
  tolerations:
  - {key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}
  containers: [{name: main, image: nginx:1}]
`)

	// An Exists toleration with no effect tolerates every effect of the key.
	exists := build(t, "tolerates", fmt.Sprintf(`
name: exists
namespace: %s
taint: {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
`, ns))
	obs := mustPass(t, exists, env, 5*time.Second)
	if obs.Actual != "tolerated" {
		t.Errorf("actual %q", obs.Actual)
	}
	existsExec := build(t, "tolerates", fmt.Sprintf(`
apiVersion: v1
kind: Pod
name: exists
namespace: %s
taint: {key: node-role.kubernetes.io/control-plane, value: anything, effect: NoExecute}
`, ns))
	mustPass(t, existsExec, env, 5*time.Second)

	gpu := build(t, "tolerates", fmt.Sprintf(`
name: gpu
namespace: %s
taint: {key: dedicated, value: gpu, effect: NoSchedule}
`, ns))
	mustPass(t, gpu, env, 5*time.Second)

	wrongValue := build(t, "tolerates", fmt.Sprintf(`
name: gpu
namespace: %s
taint: {key: dedicated, value: db, effect: NoSchedule}
`, ns))
	obs = mustFailNow(t, wrongValue, env)
	// The DefaultTolerationSeconds admission plugin adds the not-ready and
	// unreachable NoExecute tolerations to every pod.
	want := "Pod " + ns + "/gpu has no toleration for dedicated=db:NoSchedule (its tolerations: dedicated Equal gpu:NoSchedule, node.kubernetes.io/not-ready Exists :NoExecute, node.kubernetes.io/unreachable Exists :NoExecute)"
	if len(obs.Problems) != 1 || obs.Problems[0] != want {
		t.Errorf("problems %q, want [%q]", obs.Problems, want)
	}
	if obs.Actual != "not tolerated" {
		t.Errorf("actual %q", obs.Actual)
	}

	wrongEffect := build(t, "tolerates", fmt.Sprintf(`
name: gpu
namespace: %s
taint: {key: dedicated, value: gpu, effect: NoExecute}
`, ns))
	mustFailNow(t, wrongEffect, env)

	// By labels, every selected pod must tolerate.
	all := build(t, "tolerates", fmt.Sprintf(`
namespace: %s
labels: {group: t}
taint: {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
`, ns))
	obs = mustFailNow(t, all, env)
	if len(obs.Problems) != 1 || !hasProblem(obs.Problems, "Pod "+ns+"/gpu has no toleration") {
		t.Errorf("problems %q, want only gpu named", obs.Problems)
	}

	missing := build(t, "tolerates", fmt.Sprintf(`
name: nope
namespace: %s
taint: {key: k, effect: NoSchedule}
`, ns))
	obs = mustFailNow(t, missing, env)
	wantProblem(t, obs, `not found: Pod "nope" in namespace `+ns)

	_, ps := buildProblems(t, "tolerates", `{name: x, taint: {effect: Sometimes}}`)
	for _, w := range []string{"tolerates.taint.key: required", `tolerates.taint.effect: got "Sometimes"`} {
		if !hasProblem(ps, w) {
			t.Errorf("problems %q, want %q", ps, w)
		}
	}
}

func TestToleratesNodeTaint(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	create(t, c, ns, `
apiVersion: v1
kind: Pod
metadata: {name: admin}
spec:
  tolerations:
  - {key: node-role.kubernetes.io/control-plane, operator: Exists}
  containers: [{name: main, image: nginx:1}]
`)
	onCP := build(t, "tolerates", fmt.Sprintf(`
name: admin
namespace: %s
node: %s
taint: {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
`, ns, controlPlane))
	obs := mustPass(t, onCP, env, 5*time.Second)
	if obs.Expected != "Pod \"admin\" in namespace "+ns+" tolerates taint node-role.kubernetes.io/control-plane:NoSchedule of node "+controlPlane {
		t.Errorf("expected %q", obs.Expected)
	}

	// The workers do not have the taint: tolerating a taint that is not
	// there (because it was removed) does not count.
	onWorker := build(t, "tolerates", fmt.Sprintf(`
name: admin
namespace: %s
node: %s
taint: {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
`, ns, worker))
	obs = mustFailNow(t, onWorker, env)
	want := "node " + worker + " no longer has taint node-role.kubernetes.io/control-plane:NoSchedule: it must stay"
	if len(obs.Problems) != 1 || obs.Problems[0] != want {
		t.Errorf("problems %q, want [%q]", obs.Problems, want)
	}

	noNode := build(t, "tolerates", fmt.Sprintf(`
name: admin
namespace: %s
node: no-such-node
taint: {key: k, effect: NoSchedule}
`, ns))
	obs = mustFailNow(t, noNode, env)
	wantProblem(t, obs, "no-such-node", "not found")
}

func TestToleratesTemplate(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	create(t, c, ns, daemonSet("agent", true))
	create(t, c, ns, `
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          tolerations: [{operator: Exists}]
          containers: [{name: main, image: busybox:1, command: [sleep, infinity]}]
`)
	ds := build(t, "tolerates", fmt.Sprintf(`
apiVersion: apps/v1
kind: DaemonSet
name: agent
namespace: %s
node: %s
taint: {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
`, ns, controlPlane))
	mustPass(t, ds, env, 5*time.Second)

	other := build(t, "tolerates", fmt.Sprintf(`
apiVersion: apps/v1
kind: DaemonSet
name: agent
namespace: %s
taint: {key: dedicated, value: x, effect: NoSchedule}
`, ns))
	obs := mustFailNow(t, other, env)
	wantProblem(t, obs, "DaemonSet "+ns+"/agent has no toleration for dedicated=x:NoSchedule", "node-role.kubernetes.io/control-plane Exists :NoSchedule")

	// An empty key with Exists tolerates everything.
	cron := build(t, "tolerates", fmt.Sprintf(`
apiVersion: batch/v1
kind: CronJob
name: nightly
namespace: %s
taint: {key: dedicated, value: x, effect: NoExecute}
`, ns))
	mustPass(t, cron, env, 5*time.Second)
}
