package lab

import (
	"context"
	"errors"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// Ref names one object, or (with labels, where a caller allows them) a set
// of them.
type Ref struct {
	APIVersion string `yaml:"apiVersion" json:"apiVersion"`
	Kind       string `yaml:"kind" json:"kind"`
	Name       string `yaml:"name,omitempty" json:"name,omitempty"`
	Namespace  string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
}

// String renders the object as messages name it: "Pod shop/web",
// "ClusterRole view".
func (r Ref) String() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// RefTo names an object.
func RefTo(o *unstructured.Unstructured) Ref {
	return Ref{APIVersion: o.GetAPIVersion(), Kind: o.GetKind(), Name: o.GetName(), Namespace: o.GetNamespace()}
}

// restMapping maps a kind to its REST resource; the mapper's discovery
// cache is refreshed once when the kind is unknown (a CRD installed a
// moment ago).
func restMapping(c *Cluster, apiVersion, kind string) (*meta.RESTMapping, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, fmt.Errorf("apiVersion %q: %w", apiVersion, err)
	}
	gk := schema.GroupKind{Group: gv.Group, Kind: kind}
	m, err := c.Mapper.RESTMapping(gk, gv.Version)
	if meta.IsNoMatchError(err) {
		c.Mapper.Reset()
		m, err = c.Mapper.RESTMapping(gk, gv.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", apiVersion, kind, err)
	}
	return m, nil
}

// Client returns the dynamic client for a kind in a namespace ("" for all
// namespaces or a cluster-scoped kind), and whether the kind is namespaced.
func Client(c *Cluster, apiVersion, kind, namespace string) (dynamic.ResourceInterface, bool, error) {
	m, err := restMapping(c, apiVersion, kind)
	if err != nil {
		return nil, false, err
	}
	namespaced := m.Scope.Name() == meta.RESTScopeNameNamespace
	ri := c.Dynamic.Resource(m.Resource)
	if namespaced && namespace != "" {
		return ri.Namespace(namespace), true, nil
	}
	return ri, namespaced, nil
}

// Find returns the objects a ref names: the one named, or those with the
// labels (all of the kind when sel is empty), sorted by namespace and name.
// A missing named object is no error: the result is empty.
func Find(ctx context.Context, c *Cluster, r Ref, sel map[string]string) ([]unstructured.Unstructured, error) {
	objs, err := find(ctx, c, r, sel)
	if notServed(err) {
		// A CRD made again under another plural or scope since the
		// mapper learnt it (a wrong answer, then the right one, in one
		// `scenario test`): learn the API again, once.
		c.Mapper.Reset()
		objs, err = find(ctx, c, r, sel)
	}
	return objs, err
}

// notServed says whether err is the API's 404 for a resource it does not
// serve, rather than for an object it does not have (which names it).
func notServed(err error) bool {
	var st apierrors.APIStatus
	if !apierrors.IsNotFound(err) || !errors.As(err, &st) {
		return false
	}
	d := st.Status().Details
	return d == nil || d.Name == ""
}

func find(ctx context.Context, c *Cluster, r Ref, sel map[string]string) ([]unstructured.Unstructured, error) {
	ri, _, err := Client(c, r.APIVersion, r.Kind, r.Namespace)
	if err != nil {
		return nil, err
	}
	if r.Name != "" {
		obj, err := ri.Get(ctx, r.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) && !notServed(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []unstructured.Unstructured{*obj}, nil
	}
	list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(sel).String()})
	if err != nil {
		return nil, err
	}
	items := list.Items
	sort.Slice(items, func(i, j int) bool {
		if items[i].GetNamespace() != items[j].GetNamespace() {
			return items[i].GetNamespace() < items[j].GetNamespace()
		}
		return items[i].GetName() < items[j].GetName()
	})
	return items, nil
}
