// Package fakelab is a lab made of client-go's fakes, for unit tests that
// need no sim lab: a *lab.Cluster whose Kube is k8s.io/client-go's
// kubernetes/fake clientset, whose Dynamic is its dynamic/fake client, and
// whose Mapper is a fixed table of kinds.
//
// Every object given to New is stored in both clients, so both views agree
// at the start; a change made through one of them is not seen by the
// other. What the fakes cannot express (real RBAC decisions, admission and
// defaulting, controllers, discovery, server-side apply's field ownership)
// stays covered by the sim tests (internal/simtest).
package fakelab

import (
	"testing"

	"github.com/ckalab/ckalab/lab"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

// New builds a lab holding the objects, typed (&corev1.Pod{...}) or
// unstructured (see Manifest). Namespaced objects without a namespace go to
// "default". A kind the mapper does not know fails the test: add it to
// kinds.
func New(t testing.TB, objs ...runtime.Object) *lab.Cluster {
	t.Helper()
	mapper := newMapper()
	var typed, untyped []runtime.Object
	for _, o := range objs {
		tObj, uObj, err := bothForms(o)
		if err != nil {
			t.Fatalf("fakelab: %v", err)
		}
		gvk := uObj.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("fakelab: %s %s: add the kind to kinds: %v", uObj.GetKind(), uObj.GetName(), err)
		}
		if m.Scope.Name() == meta.RESTScopeNameNamespace && uObj.GetNamespace() == "" {
			uObj.SetNamespace("default")
			if err := setNamespace(tObj, "default"); err != nil {
				t.Fatalf("fakelab: %v", err)
			}
		}
		typed = append(typed, tObj)
		untyped = append(untyped, uObj)
	}
	kube := kubefake.NewClientset(typed...)
	kube.PrependReactor("list", "pods", podFieldSelector(kube.Tracker()))
	kube.PrependReactor("create", "pods", evict(kube.Tracker()))
	kube.PrependReactor("create", "subjectaccessreviews", allowAll)
	dyn := dynamicfake.NewSimpleDynamicClient(clientgoscheme.Scheme, untyped...)
	dyn.PrependReactor("patch", "*", serverSidePatch(dyn.Tracker()))
	// Pods fails every exec until a test answers it (SetPodExec).
	return &lab.Cluster{Kube: kube, Dynamic: dyn, Mapper: mapper, Pods: &PodExec{}}
}

// Fakes returns the fake clients of a lab New made, to add reactors or to
// change objects behind the lab's back.
func Fakes(c *lab.Cluster) (*kubefake.Clientset, *dynamicfake.FakeDynamicClient) {
	return c.Kube.(*kubefake.Clientset), c.Dynamic.(*dynamicfake.FakeDynamicClient)
}

// ToUnstructured is a typed object as the dynamic client returns it, for
// code that reads objects of any kind: its apiVersion and kind are set
// (from client-go's scheme when it has no TypeMeta). An object the scheme
// does not know fails the test.
func ToUnstructured(t testing.TB, obj runtime.Object) unstructured.Unstructured {
	t.Helper()
	_, u, err := bothForms(obj)
	if err != nil {
		t.Fatalf("fakelab: %v", err)
	}
	return *u
}

// bothForms returns an object as the typed clientset and as the dynamic
// client store it (separate copies).
func bothForms(o runtime.Object) (runtime.Object, *unstructured.Unstructured, error) {
	gvk, err := kindOf(o)
	if err != nil {
		return nil, nil, err
	}
	if u, ok := o.(*unstructured.Unstructured); ok {
		typed, err := clientgoscheme.Scheme.New(gvk)
		if err != nil {
			return nil, nil, err
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, typed); err != nil {
			return nil, nil, err
		}
		return typed, u.DeepCopy(), nil
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return nil, nil, err
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(gvk)
	return o.DeepCopyObject(), u, nil
}

// kindOf is an object's kind: its own, or the scheme's for a typed object
// written without TypeMeta.
func kindOf(o runtime.Object) (schema.GroupVersionKind, error) {
	if gvk := o.GetObjectKind().GroupVersionKind(); !gvk.Empty() {
		return gvk, nil
	}
	gvks, _, err := clientgoscheme.Scheme.ObjectKinds(o)
	if err != nil {
		return schema.GroupVersionKind{}, err
	}
	return gvks[0], nil
}

func setNamespace(o runtime.Object, ns string) error {
	acc, err := meta.Accessor(o)
	if err != nil {
		return err
	}
	acc.SetNamespace(ns)
	return nil
}
