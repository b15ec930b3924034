package baseline

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	k8stesting "k8s.io/client-go/testing"
)

func readyPod(name, app string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system", UID: types.UID(name), Labels: map[string]string{"k8s-app": app}},
		Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
}

// systemLab is a lab of fakes with DaemonSet kube-system/kube-proxy (2 pods
// wanted and there) and Deployment kube-system/coredns (1 replica, 1 pod),
// a learner's pod beside them, and its baseline.
func systemLab(t *testing.T) (*lab.Cluster, *Baseline) {
	t.Helper()
	one := int32(1)
	c := fakelab.New(t,
		&appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy", Namespace: "kube-system"},
			Spec:   appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-proxy"}}},
			Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 2}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"},
			Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}}, Replicas: &one}},
		readyPod("kube-proxy-a", "kube-proxy"), readyPod("kube-proxy-b", "kube-proxy"), readyPod("coredns-x", "kube-dns"),
		readyPod("mine", "other"))
	// As Record makes it from the API (which the fakes' discovery does not
	// serve).
	b := &Baseline{Objects: map[string]Object{}}
	for _, o := range []Object{
		{Resource: Resource{Group: "apps", Version: "v1", Resource: "daemonsets", Kind: "DaemonSet", Namespaced: true}, Namespace: "kube-system", Name: "kube-proxy"},
		{Resource: Resource{Group: "apps", Version: "v1", Resource: "deployments", Kind: "Deployment", Namespaced: true}, Namespace: "kube-system", Name: "coredns"},
		{Resource: Resource{Group: "apps", Version: "v1", Resource: "deployments", Kind: "Deployment", Namespaced: true}, Namespace: "kube-system", Name: "gone"},
	} {
		b.Objects[Key(o.Resource, o.Namespace, o.Name)] = o
	}
	return c, b
}

func podNames(t *testing.T, c *lab.Cluster) []string {
	t.Helper()
	l, err := c.Kube.CoreV1().Pods("kube-system").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range l.Items {
		out = append(out, p.Name)
	}
	slices.Sort(out)
	return out
}

// TestRestartSystemPods: once etcd is back, reset deletes the pods of the
// baseline's DaemonSets and Deployments, and goes on once their
// controllers (here a reactor) made new ones, Ready; other pods stay.
func TestRestartSystemPods(t *testing.T) {
	t.Parallel()
	c, b := systemLab(t)
	kube, _ := fakelab.Fakes(c)
	// The controllers: a deleted pod's replacement, Ready.
	kube.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		name := a.(k8stesting.DeleteAction).GetName()
		old, err := kube.Tracker().Get(corev1.SchemeGroupVersion.WithResource("pods"), "kube-system", name)
		if err != nil {
			return false, nil, nil
		}
		p := readyPod(name+"-new", old.(*corev1.Pod).Labels["k8s-app"])
		if err := kube.Tracker().Create(corev1.SchemeGroupVersion.WithResource("pods"), p, "kube-system"); err != nil {
			t.Error(err)
		}
		return false, nil, nil
	})
	if err := restartSystemPods(context.Background(), c, b, ApplyOptions{}.withDefaults()); err != nil {
		t.Fatal(err)
	}
	want := []string{"coredns-x-new", "kube-proxy-a-new", "kube-proxy-b-new", "mine"}
	if got := podNames(t, c); !slices.Equal(got, want) {
		t.Errorf("pods %q, want %q", got, want)
	}
}

// TestRestartSystemPodsNotBack: a DaemonSet whose new pods do not come
// back fails the reset, naming it and how to see why.
func TestRestartSystemPodsNotBack(t *testing.T) {
	t.Parallel()
	c, b := systemLab(t)
	err := restartSystemPods(context.Background(), c, b, ApplyOptions{Interval: time.Millisecond, ControlPlaneTimeout: 50 * time.Millisecond}.withDefaults())
	if err == nil || !strings.Contains(err.Error(), "DaemonSet kube-system/kube-proxy has 0 of 2 new pods Ready (none made yet") ||
		!strings.Contains(err.Error(), "`kubectl -n kube-system describe daemonset kube-proxy` says more") {
		t.Errorf("got %v", err)
	}

	// A new pod made but not Ready: where it stands.
	c, b = systemLab(t)
	stuck := readyPod("kube-proxy-new", "kube-proxy")
	stuck.Spec.NodeName = "w-1"
	stuck.Status = corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{
		{Name: "kube-proxy", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}}
	kube, _ := fakelab.Fakes(c)
	kube.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.(k8stesting.DeleteAction).GetName() == "kube-proxy-a" {
			if err := kube.Tracker().Create(corev1.SchemeGroupVersion.WithResource("pods"), stuck, "kube-system"); err != nil {
				t.Error(err)
			}
		}
		return false, nil, nil
	})
	err = restartSystemPods(context.Background(), c, b, ApplyOptions{Interval: time.Millisecond, ControlPlaneTimeout: 50 * time.Millisecond}.withDefaults())
	if err == nil || !strings.Contains(err.Error(), "has 0 of 2 new pods Ready (1 made, not Ready: kube-proxy-new on w-1: Pending/ContainerCreating; 0 old ones still there)") {
		t.Errorf("got %v", err)
	}
}
