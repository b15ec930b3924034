package fakelab_test

import (
	"context"
	"testing"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// What fakelab adds to client-go's fakes, each shown doing it.
func TestFakeLab(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	objs := append(fakelab.Manifest(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: a, image: "a:1"}, {name: b, image: "b:1"}]}
`), &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p1", Namespace: "shop"}, Spec: corev1.PodSpec{NodeName: "w1"}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p2", Namespace: "shop"}, Spec: corev1.PodSpec{NodeName: "w2"}})
	c := fakelab.New(t, objs...)
	deploys, _, err := lab.Client(c, "apps/v1", "Deployment", "default")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("both clients hold every object; namespaced ones default to default", func(t *testing.T) {
		if _, err := c.Kube.AppsV1().Deployments("default").Get(ctx, "web", metav1.GetOptions{}); err != nil {
			t.Errorf("typed: %v", err)
		}
		if _, err := deploys.Get(ctx, "web", metav1.GetOptions{}); err != nil {
			t.Errorf("dynamic: %v", err)
		}
		pods, _, _ := lab.Client(c, "v1", "Pod", "shop")
		if _, err := pods.Get(ctx, "p1", metav1.GetOptions{}); err != nil {
			t.Errorf("a typed object in the dynamic client: %v", err)
		}
	})

	t.Run("server-side apply creates, then merges", func(t *testing.T) {
		cms, _, _ := lab.Client(c, "v1", "ConfigMap", "default")
		cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "cfg", "namespace": "default"}, "data": map[string]any{"a": "1"}}}
		if _, err := cms.Apply(ctx, "cfg", cm, metav1.ApplyOptions{FieldManager: "test", Force: true}); err != nil {
			t.Fatalf("apply a new object: %v", err)
		}
		_ = unstructured.SetNestedStringMap(cm.Object, map[string]string{"b": "2"}, "data")
		got, err := cms.Apply(ctx, "cfg", cm, metav1.ApplyOptions{FieldManager: "test", Force: true})
		if err != nil {
			t.Fatal(err)
		}
		if data, _, _ := unstructured.NestedStringMap(got.Object, "data"); len(data) != 2 || data["a"] != "1" || data["b"] != "2" {
			t.Errorf("data after the second apply: %v", data)
		}
	})

	t.Run("a strategic merge patch merges lists by their keys", func(t *testing.T) {
		patch := []byte(`{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"b:2"}]}}}}`)
		got, err := deploys.Patch(ctx, "web", types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cs, _, _ := unstructured.NestedSlice(got.Object, "spec", "template", "spec", "containers")
		if len(cs) != 2 || cs[1].(map[string]any)["image"] != "b:2" {
			t.Errorf("containers %v", cs)
		}
	})

	t.Run("pods by node, and eviction deletes the pod", func(t *testing.T) {
		list, err := c.Kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=w1"})
		if err != nil || len(list.Items) != 1 || list.Items[0].Name != "p1" {
			t.Fatalf("pods on w1: %v, %v", list, err)
		}
		ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "p1", Namespace: "shop"}}
		if err := c.Kube.PolicyV1().Evictions("shop").Evict(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Kube.CoreV1().Pods("shop").Get(ctx, "p1", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("evicted pod: %v", err)
		}
		if err := c.Kube.PolicyV1().Evictions("shop").Evict(ctx, ev); !apierrors.IsNotFound(err) {
			t.Errorf("evicting it again: %v, want not found", err)
		}
	})

	t.Run("an unknown kind is no match", func(t *testing.T) {
		if _, _, err := lab.Client(c, "example.com/v1", "Widget", ""); err == nil {
			t.Error("no error")
		}
	})
}
