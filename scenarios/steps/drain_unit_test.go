package steps_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/scenarios/steps"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"
)

// unitPod is a pod on a node, owned by a controller of kind owner ("" for
// a bare pod).
func unitPod(name, node, owner string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: map[string]string{"app": name}},
		Spec:       corev1.PodSpec{NodeName: node},
	}
	if owner != "" {
		yes := true
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: owner, Name: name + "-owner", UID: "uid-owner", Controller: &yes}}
	}
	return p
}

func unitNode(name string, taints ...corev1.Taint) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{Taints: taints}}
}

func TestDrainUnit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mirror := unitPod("static", "w1", "")
	mirror.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "hash"}
	objs := []runtime.Object{unitNode("w1"), unitNode("w2"),
		unitPod("web-1", "w1", "ReplicaSet"), unitPod("bare", "w1", ""), unitPod("agent", "w1", "DaemonSet"), mirror,
		unitPod("elsewhere", "w2", "ReplicaSet")}
	// left lists the pods the lab still has.
	left := func(t *testing.T, env steps.Env) []string {
		t.Helper()
		list, err := env.Cluster.Kube.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range list.Items {
			out = append(out, p.Name)
		}
		return out
	}

	t.Run("cordons the node and evicts its pods but DaemonSets' and mirror pods", func(t *testing.T) {
		env := steps.Env{Cluster: fakelab.New(t, objs...)}
		changed := run(t, env, step(t, "drain: {node: w1, timeout: 5s}"))
		want := []string{"cordoned node w1", "evicted pod shop/bare", "evicted pod shop/web-1"}
		if len(changed) == 0 || changed[0] != want[0] || !sameSet(changed[1:], want[1:]) {
			t.Errorf("changed %q, want %q", changed, want)
		}
		if got := left(t, env); !sameSet(got, []string{"agent", "static", "elsewhere"}) {
			t.Errorf("pods left %q", got)
		}
		node, err := env.Cluster.Kube.CoreV1().Nodes().Get(ctx, "w1", metav1.GetOptions{})
		if err != nil || !node.Spec.Unschedulable {
			t.Errorf("node not cordoned: %v", err)
		}
		// Draining again is harmless: the node is cordoned, nothing is evicted.
		if again := run(t, env, step(t, "drain: {node: w1}")); !equal(again, []string{"cordoned node w1"}) {
			t.Errorf("second drain changed %q", again)
		}
	})

	t.Run("an eviction a PodDisruptionBudget refuses: a timeout saying so", func(t *testing.T) {
		c := fakelab.New(t, unitNode("w1"), unitPod("db", "w1", "ReplicaSet"))
		kube, _ := fakelab.Fakes(c)
		kube.PrependReactor("create", "pods", func(action clienttesting.Action) (bool, runtime.Object, error) {
			if action.GetSubresource() != "eviction" {
				return false, nil, nil
			}
			return true, nil, apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
		})
		env := steps.Env{Cluster: c}
		start := time.Now()
		changed, err := step(t, "drain: {node: w1, timeout: 300ms}").Run(ctx, env)
		if want := "still waiting after 300ms: eviction of shop/db refused by a PodDisruptionBudget"; err == nil || err.Error() != want {
			t.Errorf("err %v, want %q", err, want)
		}
		if !equal(changed, []string{"cordoned node w1"}) || !equal(left(t, env), []string{"db"}) {
			t.Errorf("changed %q, pods left %q; want only the cordon", changed, left(t, env))
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %s", d)
		}
	})

	t.Run("a missing node", func(t *testing.T) {
		_, err := step(t, "drain: {node: no-such-node}").Run(ctx, steps.Env{Cluster: fakelab.New(t)})
		if !apierrors.IsNotFound(err) || !strings.HasPrefix(err.Error(), "cordon no-such-node: ") {
			t.Errorf("err %v", err)
		}
	})
}
