package lab_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestRef(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r    lab.Ref
		want string
	}{
		{lab.Ref{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: "web"}, "Pod shop/web"},
		{lab.Ref{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "view"}, "ClusterRole view"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%q, want %q", got, tc.want)
		}
	}
	o := &unstructured.Unstructured{}
	o.SetAPIVersion("apps/v1")
	o.SetKind("Deployment")
	o.SetNamespace("shop")
	o.SetName("web")
	if got := lab.RefTo(o); got != (lab.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}) {
		t.Errorf("RefTo = %+v", got)
	}
	if !lab.IsSystemNamespace("kube-node-lease") || lab.IsSystemNamespace("shop") {
		t.Error("IsSystemNamespace")
	}
}

const findObjects = `
apiVersion: v1
kind: ConfigMap
metadata: {name: b, namespace: shop, labels: {app: web}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: shop, labels: {app: web}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: other, labels: {app: db}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: z, namespace: default, labels: {app: web}}
`

func TestFind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := fakelab.New(t, fakelab.Manifest(t, findObjects)...)
	names := func(r lab.Ref, sel map[string]string) string {
		t.Helper()
		objs, err := lab.Find(ctx, c, r, sel)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range objs {
			out = append(out, o.GetNamespace()+"/"+o.GetName())
		}
		return strings.Join(out, " ")
	}
	cm := lab.Ref{APIVersion: "v1", Kind: "ConfigMap"}
	named, missing, inShop := cm, cm, cm
	named.Namespace, named.Name = "shop", "a"
	missing.Namespace, missing.Name = "shop", "nope"
	inShop.Namespace = "shop"
	for _, tc := range []struct {
		what string
		r    lab.Ref
		sel  map[string]string
		want string
	}{
		{"named", named, nil, "shop/a"},
		{"named, missing: no error", missing, nil, ""},
		{"labels in every namespace, sorted by namespace and name", cm, map[string]string{"app": "web"}, "default/z shop/a shop/b"},
		{"all of a namespace", inShop, nil, "shop/a shop/b"},
	} {
		if got := names(tc.r, tc.sel); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.what, got, tc.want)
		}
	}
	if _, err := lab.Find(ctx, c, lab.Ref{APIVersion: "v1", Kind: "Gadget", Name: "g"}, nil); err == nil || !strings.Contains(err.Error(), "v1 Gadget") {
		t.Errorf("unknown kind: %v", err)
	}
	if _, _, err := lab.Client(c, "a/b/c", "Pod", ""); err == nil || !strings.Contains(err.Error(), `apiVersion "a/b/c"`) {
		t.Errorf("bad apiVersion: %v", err)
	}
}

// learningMapper knows example.com/v1 Widget only after a Reset, as a
// discovery cache learns a CRD installed after it was filled.
type learningMapper struct {
	*meta.DefaultRESTMapper
	resets int
}

func (m *learningMapper) Reset() {
	m.resets++
	m.Add(schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}, meta.RESTScopeNamespace)
}

// Client resets the mapper once when a kind is unknown, then maps it.
func TestClientResetsMapperOnce(t *testing.T) {
	t.Parallel()
	c := fakelab.New(t)
	m := &learningMapper{DefaultRESTMapper: meta.NewDefaultRESTMapper(nil)}
	c.Mapper = m
	if _, namespaced, err := lab.Client(c, "example.com/v1", "Widget", "shop"); err != nil || !namespaced || m.resets != 1 {
		t.Errorf("namespaced %v, err %v after %d resets; want a namespaced kind after 1", namespaced, err, m.resets)
	}
	if _, _, err := lab.Client(c, "example.com/v1", "Widget", ""); err != nil || m.resets != 1 {
		t.Errorf("a known kind: err %v, %d resets, want 1", err, m.resets)
	}
	if _, _, err := lab.Client(c, "example.com/v1", "Gadget", ""); !meta.IsNoMatchError(err) || m.resets != 2 {
		t.Errorf("an unknown kind: err %v after %d resets, want no match after 2", err, m.resets)
	}
}
