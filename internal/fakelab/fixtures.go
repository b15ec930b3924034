package fakelab

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Pods and events in the states the explanations of a stuck wait read
// (lab/explain, scenarios/steps), as the API server would return them:
// the fakes run no scheduler or kubelet to bring a pod there.

// UnschedulableMessage is the scheduler's message on PendingPod's
// PodScheduled condition: no node takes the pod, for a taint and a node
// selector.
const UnschedulableMessage = "0/3 nodes are available: 1 node(s) had untolerated taint {type: db}, 2 node(s) didn't match Pod's node affinity/selector."

// PendingPod is a pod labelled app=web that the scheduler could place on no
// node (UnschedulableMessage). Its UID is "uid-"+name, for PodEvent.
func PendingPod(ns, name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID("uid-" + name), Labels: map[string]string{"app": "web"}},
		Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: UnschedulableMessage},
		}},
	}
}

// ReadyPod is a pod labelled app=web, Running and Ready on node w1: one with
// nothing to explain, or to break (its conditions are PodScheduled then
// PodReady).
func ReadyPod(ns, name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{NodeName: "w1"},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue},
		}},
	}
}

// PodEvent is an event about the pod ns/pod whose UID is uid (a former pod
// of the same name has another), of type typ (corev1.EventTypeWarning,
// corev1.EventTypeNormal), last seen at at. Its name is unique for a
// reason and a time, as the fake clientset wants.
func PodEvent(ns, pod, uid, typ, reason, msg string, at time.Time) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("%s.%s.%d", pod, strings.ToLower(reason), at.UnixNano()), Namespace: ns},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod, UID: types.UID(uid)},
		Type:           typ, Reason: reason, Message: msg,
		LastTimestamp: metav1.NewTime(at),
	}
}
