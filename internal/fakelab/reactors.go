package fakelab

import (
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"
)

// podFieldSelector gives the fake pod list the field selectors ckalab
// uses: metadata.name (the ready check), metadata.namespace and
// spec.nodeName (a drain). The fake tracker ignores field selectors, and
// would return every pod of the namespace.
func podFieldSelector(tracker clienttesting.ObjectTracker) clienttesting.ReactionFunc {
	return func(action clienttesting.Action) (bool, runtime.Object, error) {
		la, ok := action.(clienttesting.ListAction)
		if !ok {
			return false, nil, nil
		}
		sel := la.GetListRestrictions().Fields
		if sel == nil || sel.Empty() {
			return false, nil, nil
		}
		obj, err := tracker.List(corev1.SchemeGroupVersion.WithResource("pods"), corev1.SchemeGroupVersion.WithKind("Pod"), la.GetNamespace())
		if err != nil {
			return true, nil, err
		}
		list := obj.(*corev1.PodList)
		var keep []corev1.Pod
		for _, p := range list.Items {
			if sel.Matches(fields.Set{"metadata.name": p.Name, "metadata.namespace": p.Namespace, "spec.nodeName": p.Spec.NodeName}) &&
				la.GetListRestrictions().Labels.Matches(labels.Set(p.Labels)) {
				keep = append(keep, p)
			}
		}
		list.Items = keep
		return true, list, nil
	}
}

// evict deletes the pod an Eviction names, as the API server does when no
// PodDisruptionBudget objects (a test adds a reactor of its own for that).
// The fake clientset would only return the Eviction and keep the pod.
func evict(tracker clienttesting.ObjectTracker) clienttesting.ReactionFunc {
	return func(action clienttesting.Action) (bool, runtime.Object, error) {
		ca, ok := action.(clienttesting.CreateAction)
		if !ok || ca.GetSubresource() != "eviction" {
			return false, nil, nil
		}
		ev, ok := ca.GetObject().(*policyv1.Eviction)
		if !ok {
			return false, nil, nil
		}
		err := tracker.Delete(corev1.SchemeGroupVersion.WithResource("pods"), ca.GetNamespace(), ev.Name)
		return true, nil, err
	}
}
