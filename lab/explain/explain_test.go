package explain_test

// Unit tests of the explanations, on a fake clientset: they need no lab
// and run under -short.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab/explain"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

var t0 = time.Date(2026, time.March, 14, 15, 0, 0, 0, time.UTC)

func TestExplainPendingPod(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := fakelab.PendingPod("shop", "scratch")
	p.Spec.NodeSelector = map[string]string{"disk": "ssd"}
	p.Spec.Tolerations = []corev1.Toleration{{Key: "tolerated", Operator: corev1.TolerationOpExists}}
	node := func(name, disk string, taints ...corev1.Taint) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"disk": disk}}, Spec: corev1.NodeSpec{Taints: taints}}
	}
	objs := []runtime.Object{
		p,
		// The nodes the pod may go to name their taints; PreferNoSchedule,
		// tolerated taints and nodes out of the selector's reach do not count.
		node("w1", "ssd", corev1.Taint{Key: "type", Value: "db", Effect: corev1.TaintEffectNoSchedule},
			corev1.Taint{Key: "soft", Effect: corev1.TaintEffectPreferNoSchedule}, corev1.Taint{Key: "tolerated", Effect: corev1.TaintEffectNoExecute}),
		node("w2", "ssd", corev1.Taint{Key: "a", Value: "1", Effect: corev1.TaintEffectNoSchedule}, corev1.Taint{Key: "b", Effect: corev1.TaintEffectNoExecute}),
		node("w3", "ssd"),
		node("w4", "hdd", corev1.Taint{Key: "type", Value: "web", Effect: corev1.TaintEffectNoSchedule}),
		// The scheduler's event repeats the condition: said once.
		fakelab.PodEvent("shop", "scratch", "uid-scratch", corev1.EventTypeWarning, "FailedScheduling", fakelab.UnschedulableMessage, t0),
		fakelab.PodEvent("shop", "scratch", "uid-scratch", corev1.EventTypeNormal, "Pulled", "not a warning", t0.Add(time.Minute)),
		fakelab.PodEvent("shop", "other", "uid-other", corev1.EventTypeWarning, "BackOff", "another pod's event", t0.Add(time.Minute)),
		fakelab.PodEvent("shop", "scratch", "uid-old", corev1.EventTypeWarning, "BackOff", "a former pod of the same name", t0.Add(time.Minute)),
	}
	for i := 1; i <= 4; i++ {
		objs = append(objs, fakelab.PodEvent("shop", "scratch", "uid-scratch", corev1.EventTypeWarning, "FailedMount", fmt.Sprintf("mount failed %d", i), t0.Add(time.Duration(i)*time.Second)))
	}
	kube := fake.NewClientset(objs...)
	got, err := explain.Pods(ctx, kube, []corev1.Pod{*p, *fakelab.ReadyPod("shop", "fine")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pod shop/scratch is Pending: " + fakelab.UnschedulableMessage,
		"pod shop/scratch does not tolerate the taint type=db:NoSchedule of node w1",
		"pod shop/scratch does not tolerate the taints a=1:NoSchedule, b:NoExecute of node w2",
		// The latest three, oldest first.
		"event of pod shop/scratch: Warning FailedMount: mount failed 2",
		"event of pod shop/scratch: Warning FailedMount: mount failed 3",
		"event of pod shop/scratch: Warning FailedMount: mount failed 4",
	}
	if !slices.Equal(got, want) {
		t.Errorf("reasons\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestExplainCrashLoopAndLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	crash := fakelab.ReadyPod("shop", "crash")
	crash.Status.Conditions[1].Status = corev1.ConditionFalse
	crash.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name:                 "main",
		State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s restarting failed container"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}},
	}, {
		Name:  "sidecar",
		Ready: true,
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
	}}
	pull := fakelab.PendingPod("shop", "pull")
	pull.Spec.NodeName = "w2"
	pull.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}
	pull.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "init", State: corev1.ContainerState{
		Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: `Back-off pulling image "nginx:nope"`}}}}
	done := fakelab.ReadyPod("shop", "done")
	done.Status.Phase = corev1.PodSucceeded
	done.Status.Conditions[1].Status = corev1.ConditionFalse

	kube := fake.NewClientset()
	got, err := explain.Pods(ctx, kube, []corev1.Pod{*crash, *pull, *done})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pod shop/crash is Running on node w1 but not Ready: container main is waiting: CrashLoopBackOff (last exit code 1, Error): back-off 40s restarting failed container",
		`pod shop/pull is Pending on node w2: init container init is waiting: ImagePullBackOff: Back-off pulling image "nginx:nope"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("reasons\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A handful of pods, then how many more.
	var many []corev1.Pod
	for i := range 8 {
		many = append(many, *fakelab.PendingPod("shop", fmt.Sprintf("p%d", i)))
	}
	got, err = explain.Pods(ctx, kube, many)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 || got[0] != "pod shop/p0 is Pending: "+fakelab.UnschedulableMessage || got[5] != "and 3 more pod(s)" {
		t.Errorf("reasons\n%s", strings.Join(got, "\n"))
	}
}

func deleting() *metav1.Time { now := metav1.NewTime(t0); return &now }

func TestExplainDeletion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	claim := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "logs", Namespace: "default", DeletionTimestamp: deleting(), Finalizers: []string{"kubernetes.io/pvc-protection"}},
		Spec:       corev1.PersistentVolumeClaimSpec{VolumeName: "pv-logs"},
	}
	usesClaim := func(name string, phase corev1.PodPhase) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: corev1.PodSpec{Volumes: []corev1.Volume{{Name: "logs", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "logs"}}}}},
			Status: corev1.PodStatus{Phase: phase},
		}
	}
	pv := func(name, claimNS, claimName string) *corev1.PersistentVolume {
		return &corev1.PersistentVolume{
			ObjectMeta: metav1.ObjectMeta{Name: name, DeletionTimestamp: deleting(), Finalizers: []string{"kubernetes.io/pv-protection"}},
			Spec:       corev1.PersistentVolumeSpec{ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: claimNS, Name: claimName}},
		}
	}
	ns := &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", DeletionTimestamp: deleting()},
		Spec:       corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes}},
		Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating, Conditions: []corev1.NamespaceCondition{
			{Type: corev1.NamespaceDeletionDiscoveryFailure, Status: corev1.ConditionFalse, Reason: "ResourcesDiscovered", Message: "All resources successfully discovered"},
			{Type: corev1.NamespaceContentRemaining, Status: corev1.ConditionTrue, Reason: "SomeResourcesRemain", Message: "Some resources are remaining: persistentvolumeclaims. has 1 resource instances"},
			{Type: corev1.NamespaceFinalizersRemaining, Status: corev1.ConditionTrue, Reason: "SomeFinalizersRemain", Message: "Some content in the namespace has finalizers remaining: kubernetes.io/pvc-protection in 1 resource instances"},
		}},
	}
	custom := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "shop", DeletionTimestamp: deleting(),
		Finalizers: []string{"example.com/keep", metav1.FinalizerDeleteDependents}}}
	stopping := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "slow", Namespace: "shop", DeletionTimestamp: deleting(), DeletionGracePeriodSeconds: ptr(int64(30))},
		Spec:       corev1.PodSpec{NodeName: "w1"},
	}
	kube := fake.NewClientset(claim, usesClaim("writer", corev1.PodRunning), usesClaim("finished", corev1.PodSucceeded))

	for _, tc := range []struct {
		obj  unstructured.Unstructured
		want []string
	}{
		{fakelab.ToUnstructured(t, pv("pv-logs", "default", "logs")), []string{"PersistentVolume pv-logs is held by claim default/logs"}},
		// The claim is gone: the controller is about to let the volume go.
		{fakelab.ToUnstructured(t, pv("pv-old", "default", "gone")), []string{"PersistentVolume pv-old is waiting for finalizer kubernetes.io/pv-protection"}},
		{fakelab.ToUnstructured(t, claim), []string{"PersistentVolumeClaim default/logs is used by pod default/writer"}},
		{fakelab.ToUnstructured(t, ns), []string{
			"Namespace shop: Some resources are remaining: persistentvolumeclaims. has 1 resource instances",
			"Namespace shop: Some content in the namespace has finalizers remaining: kubernetes.io/pvc-protection in 1 resource instances",
		}},
		{fakelab.ToUnstructured(t, custom), []string{
			"ConfigMap shop/cfg is waiting for finalizer example.com/keep",
			"ConfigMap shop/cfg is waiting for its dependents to be deleted first (finalizer foregroundDeletion)",
		}},
		{fakelab.ToUnstructured(t, stopping), []string{"pod shop/slow is terminating: waiting for the kubelet on node w1 to stop it (grace period 30s)"}},
	} {
		got, err := explain.Deletion(ctx, kube, tc.obj)
		if err != nil {
			t.Errorf("%s: %v", tc.obj.GetName(), err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: reasons\n%s\nwant\n%s", tc.obj.GetName(), strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

func ptr[T any](v T) *T { return &v }
