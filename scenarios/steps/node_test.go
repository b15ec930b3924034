package steps_test

// The tests in this file change nodes. They do not call t.Parallel: Go runs
// them one by one before any parallel test starts, and each restores the
// nodes it changed before it ends.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/simtest"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios/steps"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
)

func getNode(t *testing.T, c *lab.Cluster, name string) *corev1.Node {
	t.Helper()
	n, err := c.Kube.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// restoreNode puts a node's taints and schedulability back as they are now.
func restoreNode(t *testing.T, c *lab.Cluster, name string) {
	t.Helper()
	orig := getNode(t, c, name)
	t.Cleanup(func() {
		nodes := c.Kube.CoreV1().Nodes()
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			n, err := nodes.Get(context.Background(), name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			n.Spec.Taints = orig.Spec.Taints
			n.Spec.Unschedulable = orig.Spec.Unschedulable
			_, err = nodes.Update(context.Background(), n, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			t.Errorf("restore node %s: %v", name, err)
		}
	})
}

func TestDrain(t *testing.T) {
	l := simtest.Need(t, sl)
	c := l.Cluster
	ctx := context.Background()
	ns := newNS(t, c)
	restoreNode(t, c, worker2)
	env := steps.Env{Cluster: c}
	apply(t, env, deployment(ns, "web", 2, worker2))
	apply(t, env, fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata: {name: bare, namespace: %[1]s, labels: {app: bare}}
spec:
  nodeSelector: {kubernetes.io/hostname: %[2]s}
  containers: [{name: main, image: nginx:1}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: %[1]s}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {kubernetes.io/hostname: %[2]s}
      containers: [{name: agent, image: busybox:1, command: [sleep, infinity]}]
`, ns, worker2))
	web := waitReady(t, c, ns, "app=web", 2)
	bare := waitReady(t, c, ns, "app=bare", 1)
	agent := waitReady(t, c, ns, "app=agent", 1)
	for _, p := range append(append(append([]corev1.Pod{}, web...), bare...), agent...) {
		if p.Spec.NodeName != worker2 {
			t.Fatalf("pod %s on %q, want %s", p.Name, p.Spec.NodeName, worker2)
		}
	}

	changed := run(t, env, step(t, fmt.Sprintf("drain: {node: %s, timeout: 60s}", worker2)))
	want := []string{"cordoned node " + worker2}
	for _, p := range append(append([]corev1.Pod{}, web...), bare...) {
		want = append(want, "evicted pod "+ns+"/"+p.Name)
	}
	if len(changed) == 0 || changed[0] != want[0] || !sameSet(changed[1:], want[1:]) {
		t.Errorf("changed %q, want %q", changed, want)
	}

	if n := getNode(t, c, worker2); !n.Spec.Unschedulable {
		t.Error("node not cordoned")
	}
	gone := map[types.UID]bool{}
	for _, p := range append(append([]corev1.Pod{}, web...), bare...) {
		gone[p.UID] = true
	}
	list, err := c.Kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list.Items {
		if gone[p.UID] {
			t.Errorf("pod %s still there after drain", p.Name)
		}
		if p.Labels["app"] == "web" && p.Spec.NodeName != "" {
			t.Errorf("replacement %s scheduled on %s, the only allowed node is cordoned", p.Name, p.Spec.NodeName)
		}
	}
	if left := podsOf(t, c, ns, "app=agent"); len(left) != 1 || left[0].UID != agent[0].UID || left[0].DeletionTimestamp != nil {
		t.Errorf("DaemonSet pods after drain: %d, want the original one untouched", len(left))
	}
	if left := podsOf(t, c, ns, "app=bare"); len(left) != 0 {
		t.Errorf("bare pod still there")
	}

	// Draining again is harmless: the node is cordoned, nothing is evicted.
	if again := run(t, env, step(t, "drain: {node: "+worker2+"}")); !equal(again, []string{"cordoned node " + worker2}) {
		t.Errorf("second drain changed %q", again)
	}
}

func TestDrainBlockedByPDB(t *testing.T) {
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	restoreNode(t, c, worker)
	env := steps.Env{Cluster: c}
	apply(t, env, deployment(ns, "db", 1, worker))
	apply(t, env, fmt.Sprintf(`
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: db, namespace: %s}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: db}}
`, ns))
	pods := waitReady(t, c, ns, "app=db", 1)

	start := time.Now()
	changed, err := step(t, fmt.Sprintf("drain: {node: %s, timeout: 1s}", worker)).Run(context.Background(), env)
	want := fmt.Sprintf("still waiting after 1s: eviction of %s/%s refused by a PodDisruptionBudget", ns, pods[0].Name)
	if err == nil || err.Error() != want {
		t.Errorf("err %v, want %q", err, want)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("drain took %s with a 1s timeout", d)
	}
	if !equal(changed, []string{"cordoned node " + worker}) {
		t.Errorf("changed %q, want only the cordon", changed)
	}
	if !getNode(t, c, worker).Spec.Unschedulable {
		t.Error("node not cordoned")
	}
	if left := podsOf(t, c, ns, "app=db"); len(left) != 1 || left[0].UID != pods[0].UID {
		t.Error("the protected pod was evicted")
	}

	_, err = step(t, "drain: {node: no-such-node}").Run(context.Background(), env)
	if err == nil || !strings.Contains(err.Error(), "cordon no-such-node") {
		t.Errorf("missing node: err %v", err)
	}
}

// TestDrainTerminatingNamespace: the API server refuses evictions in a
// namespace that is being deleted (as it refuses any new object there);
// such pods go with their namespace, and drain must wait for them instead
// of failing (kubectl drain does the same). ckalab resets delete
// namespaces, so a setup's drain can meet one.
func TestDrainTerminatingNamespace(t *testing.T) {
	l := simtest.Need(t, sl)
	c := l.Cluster
	ctx := context.Background()
	restoreNode(t, c, worker)
	env := steps.Env{Cluster: c}
	ns := newNS(t, c)
	var manifest strings.Builder
	for i := range 10 {
		fmt.Fprintf(&manifest, `---
apiVersion: v1
kind: Pod
metadata: {name: p%d, namespace: %s, labels: {app: doomed}}
spec:
  nodeSelector: {kubernetes.io/hostname: %s}
  containers: [{name: main, image: nginx:1}]
`, i, ns, worker)
	}
	apply(t, env, manifest.String())
	waitReady(t, c, ns, "app=doomed", 10)

	if err := c.Kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	changed := run(t, env, step(t, fmt.Sprintf("drain: {node: %s, timeout: 60s}", worker)))
	if len(changed) == 0 || changed[0] != "cordoned node "+worker {
		t.Errorf("changed %q", changed)
	}
	if left := podsOf(t, c, ns, "app=doomed"); len(left) != 0 {
		t.Errorf("%d pods left on the drained node", len(left))
	}
}

func taintsWith(n *corev1.Node, prefix string) []string {
	var out []string
	for _, t := range n.Spec.Taints {
		if strings.HasPrefix(t.Key, prefix) {
			out = append(out, t.ToString())
		}
	}
	slices.Sort(out)
	return out
}

func TestTaint(t *testing.T) {
	l := simtest.Need(t, sl)
	c := l.Cluster
	ctx := context.Background()
	restoreNode(t, c, worker)
	restoreNode(t, c, controlPlane)
	env := steps.Env{Cluster: c}
	const p = "ckalab.test/"

	got := run(t, env, step(t, "taint: {node: "+worker+", key: ckalab.test/a, value: one, effect: NoSchedule}"))
	if want := "tainted node " + worker + " ckalab.test/a=one:NoSchedule"; !equal(got, []string{want}) {
		t.Errorf("changed %q, want [%q]", got, want)
	}
	run(t, env, step(t, "taint: {node: "+worker+", key: ckalab.test/a, effect: PreferNoSchedule}"))
	run(t, env, step(t, "taint: {node: "+worker+", key: ckalab.test/b, value: two, effect: PreferNoSchedule}"))
	want := []string{"ckalab.test/a:PreferNoSchedule", "ckalab.test/a=one:NoSchedule", "ckalab.test/b=two:PreferNoSchedule"}
	if got := taintsWith(getNode(t, c, worker), p); !equal(got, want) {
		t.Errorf("taints %q, want %q", got, want)
	}

	// Adding the same taint again does not duplicate it.
	run(t, env, step(t, "taint: {node: "+worker+", key: ckalab.test/a, value: one, effect: NoSchedule}"))
	if got := taintsWith(getNode(t, c, worker), p); !equal(got, want) {
		t.Errorf("taints after re-adding %q, want %q", got, want)
	}

	// Remove with an effect takes only that one; without, every effect.
	got = run(t, env, step(t, "taint: {node: "+worker+", key: ckalab.test/a, effect: PreferNoSchedule, remove: true}"))
	if want := "removed taint ckalab.test/a from node " + worker; !equal(got, []string{want}) {
		t.Errorf("changed %q, want [%q]", got, want)
	}
	want = []string{"ckalab.test/a=one:NoSchedule", "ckalab.test/b=two:PreferNoSchedule"}
	if got := taintsWith(getNode(t, c, worker), p); !equal(got, want) {
		t.Errorf("taints %q, want %q", got, want)
	}
	run(t, env, step(t, "taint: {node: "+worker+", key: ckalab.test/a, remove: true}"))
	want = []string{"ckalab.test/b=two:PreferNoSchedule"}
	if got := taintsWith(getNode(t, c, worker), p); !equal(got, want) {
		t.Errorf("taints %q, want %q", got, want)
	}

	// Removing a taint that is not there changes nothing, not even the
	// node's resourceVersion.
	before := getNode(t, c, worker).ResourceVersion
	got = run(t, env, step(t, "taint: {node: "+worker+", key: ckalab.test/never, remove: true}"))
	if len(got) != 0 {
		t.Errorf("changed %q, want nothing", got)
	}
	got = run(t, env, step(t, "taint: {node: "+worker+", key: ckalab.test/b, effect: NoExecute, remove: true}"))
	if len(got) != 0 {
		t.Errorf("removing another effect changed %q, want nothing", got)
	}
	if after := getNode(t, c, worker).ResourceVersion; after != before {
		t.Errorf("node written (resourceVersion %s → %s) by a no-op removal", before, after)
	}

	// The control plane keeps its own taint.
	run(t, env, step(t, "taint: {node: "+controlPlane+", key: ckalab.test/c, effect: PreferNoSchedule}"))
	cp := getNode(t, c, controlPlane)
	if got := taintsWith(cp, ""); !equal(got, []string{"ckalab.test/c:PreferNoSchedule", "node-role.kubernetes.io/control-plane:NoSchedule"}) {
		t.Errorf("control plane taints %q", got)
	}
	run(t, env, step(t, "taint: {node: "+controlPlane+", key: ckalab.test/c, remove: true}"))
	if got := taintsWith(getNode(t, c, controlPlane), ""); !equal(got, []string{"node-role.kubernetes.io/control-plane:NoSchedule"}) {
		t.Errorf("control plane taints %q after removal", got)
	}

	_, err := step(t, "taint: {node: no-such-node, key: k, effect: NoSchedule}").Run(ctx, env)
	if err == nil || !strings.Contains(err.Error(), "taint node no-such-node") || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing node: err %v", err)
	}
}

// TestTaintNewValue: adding a taint whose key and effect are already on
// the node with another value replaces it (as kubectl taint --overwrite);
// taints are unique by key and effect, so keeping both is invalid.
func TestTaintNewValue(t *testing.T) {
	l := simtest.Need(t, sl)
	c := l.Cluster
	restoreNode(t, c, worker2)
	env := steps.Env{Cluster: c}
	run(t, env, step(t, "taint: {node: "+worker2+", key: ckalab.test/v, value: old, effect: NoSchedule}"))
	run(t, env, step(t, "taint: {node: "+worker2+", key: ckalab.test/v, value: old, effect: PreferNoSchedule}"))
	got := run(t, env, step(t, "taint: {node: "+worker2+", key: ckalab.test/v, value: new, effect: NoSchedule}"))
	if want := "tainted node " + worker2 + " ckalab.test/v=new:NoSchedule"; !equal(got, []string{want}) {
		t.Errorf("changed %q, want [%q]", got, want)
	}
	want := []string{"ckalab.test/v=new:NoSchedule", "ckalab.test/v=old:PreferNoSchedule"}
	if got := taintsWith(getNode(t, c, worker2), "ckalab.test/"); !equal(got, want) {
		t.Errorf("taints %q, want %q", got, want)
	}
}
