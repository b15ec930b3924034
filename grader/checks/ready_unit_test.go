package checks_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/grader/checks"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// readyPod is a pod of app=web on a node, Ready or not, with restarts of
// its container "main".
func readyPod(name, node string, ready bool, restarts int) string {
	status := "True"
	if !ready {
		status = "False"
	}
	return fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata: {name: %s, namespace: shop, uid: uid-%s, labels: {app: web}}
spec: {nodeName: %q, containers: [{name: main, image: nginx:1.27}]}
status:
  phase: Running
  conditions: [{type: Ready, status: %q}]
  containerStatuses: [{name: main, ready: %v, restartCount: %d, image: nginx:1.27, imageID: ""}]
`, name, name, node, status, ready, restarts)
}

func readyUnitObjects(pods ...string) string {
	return strings.Join(append([]string{`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: main, image: nginx:1.27}]}
---
apiVersion: v1
kind: Node
metadata: {name: worker}
---
apiVersion: v1
kind: Node
metadata: {name: worker2}
---
apiVersion: v1
kind: Node
metadata: {name: control-plane}
`}, pods...), "\n---\n")
}

func TestReadyUnit(t *testing.T) {
	t.Parallel()

	t.Run("pass: the workload's pods are Ready", func(t *testing.T) {
		l := newUnitLab(t, readyUnitObjects(readyPod("web-1", "worker", true, 0), readyPod("web-2", "worker2", true, 2)))
		chk := build(t, "ready", `{namespace: shop, workload: {kind: Deployment, name: web}, count: 2, nodes: [worker, worker2], avoidNodes: [control-plane]}`)
		obs := unitPass(t, chk, l.Env)
		if obs.Actual != "web-1 on worker: Ready; web-2 on worker2: Ready" {
			t.Errorf("actual %q", obs.Actual)
		}
		unitWantContains(t, "expected", obs.Expected, "2 Ready pod(s) of Deployment web in namespace shop", "only on worker, worker2", "none on control-plane")
	})

	t.Run("fail: a pod is not Ready and the count is short", func(t *testing.T) {
		l := newUnitLab(t, readyUnitObjects(readyPod("web-1", "worker", true, 0), readyPod("web-2", "worker2", false, 5)))
		chk := build(t, "ready", `{namespace: shop, workload: {kind: Deployment, name: web}, count: 2}`)
		obs := unitFail(t, chk, l.Env, "pod web-2 is not Ready (Running)")
		unitWantProblem(t, obs, "1 Ready pod(s), want 2")
	})

	t.Run("fail: unscheduled pod, forbidden node, other node", func(t *testing.T) {
		l := newUnitLab(t, readyUnitObjects(readyPod("web-1", "control-plane", true, 0), readyPod("web-2", "", false, 0)))
		chk := build(t, "ready", `{namespace: shop, labels: {app: web}, nodes: [worker], avoidNodes: [control-plane]}`)
		obs := unitFail(t, chk, l.Env, "pod web-1 runs on control-plane, which it must avoid")
		unitWantProblem(t, obs, "pod web-1 runs on control-plane, want only worker")
		unitWantProblem(t, obs, "pod web-2 is Pending (not scheduled)")
		if len(obs.Problems) != 3 {
			t.Errorf("problems %q, want 3", obs.Problems)
		}
	})

	t.Run("fail: no pods at all", func(t *testing.T) {
		l := newUnitLab(t, readyUnitObjects())
		chk := build(t, "ready", `{namespace: shop, workload: {kind: Deployment, name: web}}`)
		obs := unitFail(t, chk, l.Env, "no pods match")
		if obs.Actual != "no pods" {
			t.Errorf("actual %q", obs.Actual)
		}
	})

	t.Run("fail: the workload does not exist", func(t *testing.T) {
		l := newUnitLab(t, readyUnitObjects())
		chk := build(t, "ready", `{namespace: shop, workload: {kind: DaemonSet, name: agent}}`)
		obs := unitFail(t, chk, l.Env, "DaemonSet agent", "not found")
		unitWantContains(t, "actual", obs.Actual, "error: ")
	})

	t.Run("name selects one pod, terminating pods do not count", func(t *testing.T) {
		l := newUnitLab(t, readyUnitObjects(readyPod("web-1", "worker", true, 0), readyPod("web-2", "worker", false, 0)))
		one := build(t, "ready", `{namespace: shop, name: web-1, count: 1}`)
		obs := unitPass(t, one, l.Env)
		if obs.Actual != "web-1 on worker: Ready" {
			t.Errorf("actual %q, want only the named pod", obs.Actual)
		}
		other := build(t, "ready", `{namespace: shop, name: web-2}`)
		unitFail(t, other, l.Env, "pod web-2 is not Ready")

		// web-2 being deleted: ignored, so the label selection passes.
		ctx := context.Background()
		p, err := l.Kube.CoreV1().Pods("shop").Get(ctx, "web-2", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		now := metav1.Now()
		p.DeletionTimestamp = &now
		if _, err := l.Kube.CoreV1().Pods("shop").Update(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		all := build(t, "ready", `{namespace: shop, labels: {app: web}, count: 1}`)
		obs = unitPass(t, all, l.Env)
		if strings.Contains(obs.Actual, "web-2") {
			t.Errorf("actual %q mentions the terminating pod", obs.Actual)
		}
	})

	t.Run("everyNode", func(t *testing.T) {
		l := newUnitLab(t, readyUnitObjects(readyPod("agent-1", "worker", true, 0), readyPod("agent-2", "worker2", true, 0),
			readyPod("agent-3", "control-plane", true, 0)))
		chk := build(t, "ready", `{namespace: shop, labels: {app: web}, everyNode: true}`)
		obs := unitPass(t, chk, l.Env)
		unitWantContains(t, "expected", obs.Expected, "one Ready pod with labels app=web on every node")

		l = newUnitLab(t, readyUnitObjects(readyPod("agent-1", "worker", true, 0), readyPod("agent-2", "worker", true, 0),
			readyPod("agent-3", "control-plane", true, 0)))
		obs = unitFail(t, chk, l.Env, "node worker2 has 0 Ready pod(s), want 1")
		unitWantProblem(t, obs, "node worker has 2 Ready pod(s), want 1")
	})

	t.Run("steadyFor: pass when nothing changes in the window", func(t *testing.T) {
		l := newUnitLab(t, readyUnitObjects(readyPod("web-1", "worker", true, 3), readyPod("web-2", "worker2", true, 0)))
		chk := build(t, "ready", `{namespace: shop, workload: {kind: Deployment, name: web}, count: 2, steadyFor: 30s}`)
		var windows []time.Duration
		checks.SetReadyWait(chk, func(ctx context.Context, d time.Duration) error {
			windows = append(windows, d)
			return nil
		})
		start := time.Now()
		obs := unitPass(t, chk, l.Env)
		if len(windows) != 1 || windows[0] != 30*time.Second {
			t.Errorf("waited %v, want one 30s window", windows)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %s: the injected wait should not sleep", d)
		}
		// A restart count above 0 that stays put is steady.
		unitWantContains(t, "actual", obs.Actual, "2/2 Ready, restarts 3→3 over 30s")
		unitWantContains(t, "expected", obs.Expected, "still Ready with no container restart 30s later")
	})

	t.Run("steadyFor: fail when a container restarts in the window", func(t *testing.T) {
		l := newUnitLab(t, readyUnitObjects(readyPod("web-1", "worker", true, 0), readyPod("web-2", "worker2", true, 0)))
		chk := build(t, "ready", `{namespace: shop, workload: {kind: Deployment, name: web}, count: 2, steadyFor: 30s}`)
		checks.SetReadyWait(chk, func(ctx context.Context, d time.Duration) error {
			// A crash-looping pod, Ready again by the second look.
			pods := l.Kube.CoreV1().Pods("shop")
			p, err := pods.Get(ctx, "web-2", metav1.GetOptions{})
			if err != nil {
				return err
			}
			p.Status.ContainerStatuses[0].RestartCount = 1
			_, err = pods.UpdateStatus(ctx, p, metav1.UpdateOptions{})
			return err
		})
		obs := unitFail(t, chk, l.Env, "pod web-2 container main restarted during the 30s window (restartCount 0→1)")
		unitWantContains(t, "actual", obs.Actual, "restarts 0→1 over 30s", "(restarted: web-2/main)")
	})

	t.Run("steadyFor: a window cut short fails", func(t *testing.T) {
		l := newUnitLab(t, readyUnitObjects(readyPod("web-1", "worker", true, 0)))
		chk := build(t, "ready", `{namespace: shop, name: web-1, steadyFor: 30s}`)
		checks.SetReadyWait(chk, func(ctx context.Context, d time.Duration) error { return errors.New("stop") })
		unitFail(t, chk, l.Env, "stopped before the 30s steadiness window ended: stop")
	})

	t.Run("steadyFor: the window is not waited for pods that already fail", func(t *testing.T) {
		l := newUnitLab(t, readyUnitObjects(readyPod("web-1", "worker", false, 0)))
		chk := build(t, "ready", `{namespace: shop, name: web-1, steadyFor: 30s}`)
		checks.SetReadyWait(chk, func(ctx context.Context, d time.Duration) error {
			t.Error("waited although the first look failed")
			return nil
		})
		unitFail(t, chk, l.Env, "pod web-1 is not Ready")
	})
}
