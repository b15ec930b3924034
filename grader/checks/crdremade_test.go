package checks_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/simtest"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestMatchFindsObjectsOfARemadeCRD: a CRD made again under another plural
// after a check learnt its kind (a wrong answer, then the right one, in
// one `scenario test`) does not hide its objects behind the old plural's
// 404.
func TestMatchFindsObjectsOfARemadeCRD(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	ctx := context.Background()
	group := simtest.UniqueName(t) + ".example.com"
	crdRes := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	makeCRD := func(plural string) {
		t.Helper()
		create(t, c, ns, fmt.Sprintf(`
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: %[1]s.%[2]s
spec:
  group: %[2]s
  scope: Namespaced
  names: {kind: Widget, plural: %[1]s, singular: widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`, plural, group))
		waitFor(t, 30*time.Second, "CRD "+plural+" established", func() (bool, string) {
			_, err := c.Dynamic.Resource(schema.GroupVersionResource{Group: group, Version: "v1", Resource: plural}).Namespace(ns).List(ctx, metav1.ListOptions{})
			return err == nil, fmt.Sprint(err)
		})
	}
	// Made through the plural itself: the shared lab's mapper is what the
	// test is about.
	widget := func(plural, name string) {
		t.Helper()
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": group + "/v1", "kind": "Widget", "metadata": map[string]any{"name": name}}}
		_, err := c.Dynamic.Resource(schema.GroupVersionResource{Group: group, Version: "v1", Resource: plural}).Namespace(ns).Create(ctx, u, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, p := range []string{"widgets", "gadgets"} {
			_ = c.Dynamic.Resource(crdRes).Delete(context.Background(), p+"."+group, metav1.DeleteOptions{})
		}
	})

	makeCRD("widgets")
	widget("widgets", "first")
	check := build(t, "match", fmt.Sprintf("apiVersion: %s/v1\nkind: Widget\nnamespace: %s\nname: second\n", group, ns))
	env := envFor(t, c)
	mustFailNow(t, check, env) // the check's cluster now maps Widget to widgets

	if err := c.Dynamic.Resource(crdRes).Delete(ctx, "widgets."+group, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "CRD widgets gone", func() (bool, string) {
		_, err := c.Dynamic.Resource(crdRes).Get(ctx, "widgets."+group, metav1.GetOptions{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
	makeCRD("gadgets")
	widget("gadgets", "second")
	mustPass(t, check, env, 10*time.Second)
}
