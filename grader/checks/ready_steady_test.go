package checks

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/lab"
	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
)

// These tests need no lab: the cluster is client-go's fakes, and the
// steadiness window is a function that changes the fakes in between the
// two looks, so that what happens during the window is exact.

// resettableMapper gives a fixed RESTMapper the Reset that lab.Cluster
// wants; there is no discovery cache to drop.
type resettableMapper struct{ *meta.DefaultRESTMapper }

func (resettableMapper) Reset() {}

const fakeNS = "apps"

// fakeCluster is a lab with Deployment web (selector app=web) and pods.
func fakeCluster(t *testing.T, pods ...*corev1.Pod) (*lab.Cluster, *kubefake.Clientset) {
	t.Helper()
	var objs []runtime.Object
	for _, p := range pods {
		objs = append(objs, p)
	}
	kube := kubefake.NewClientset(objs...)
	web := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   map[string]any{"name": "web", "namespace": fakeNS},
		"spec": map[string]any{
			"selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
		},
	}}
	dyn := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme(), web)
	mapper := meta.NewDefaultRESTMapper([]schema.GroupVersion{appsv1.SchemeGroupVersion})
	mapper.Add(appsv1.SchemeGroupVersion.WithKind("Deployment"), meta.RESTScopeNamespace)
	return &lab.Cluster{Kube: kube, Dynamic: dyn, Mapper: resettableMapper{mapper}}, kube
}

func fakePod(name string, ready bool, restarts int32) *corev1.Pod {
	status := corev1.ConditionTrue
	if !ready {
		status = corev1.ConditionFalse
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: fakeNS, UID: types.UID("uid-" + name), Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "main", Image: "busybox:1.36"}}},
		Status: corev1.PodStatus{
			Phase:             corev1.PodRunning,
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: status}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "main", Ready: ready, RestartCount: restarts}},
		},
	}
}

// steadyCheck builds a ready check on Deployment web with steadyFor 5s
// whose window runs during instead of sleeping.
func steadyCheck(t *testing.T, during func(ctx context.Context) error) (*readyCheck, *int) {
	t.Helper()
	var doc yaml.Node
	src := fmt.Sprintf("namespace: %s\nworkload: {kind: Deployment, name: web}\ncount: 3\nsteadyFor: 5s\n", fakeNS)
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	chk, ps := newReady(doc.Content[0], "ready")
	if len(ps) > 0 {
		t.Fatalf("problems %v", ps)
	}
	c := chk.(*readyCheck)
	waits := 0
	c.wait = func(ctx context.Context, d time.Duration) error {
		waits++
		if d != 5*time.Second {
			t.Errorf("waited %s, want the 5s window", d)
		}
		return during(ctx)
	}
	return c, &waits
}

func nothing(context.Context) error { return nil }

func TestReadySteadyPasses(t *testing.T) {
	// A restartCount above 0 that does not grow is steady: the pod
	// crashed once, long ago, and runs now.
	c, _ := fakeCluster(t, fakePod("web-a", true, 0), fakePod("web-b", true, 2), fakePod("web-c", true, 0))
	chk, waits := steadyCheck(t, nothing)
	obs := chk.Observe(context.Background(), &grader.Env{Cluster: c})
	if !obs.Passed || len(obs.Problems) != 0 {
		t.Fatalf("passed %v, problems %q, actual %q", obs.Passed, obs.Problems, obs.Actual)
	}
	if *waits != 1 {
		t.Errorf("waited %d times, want 1", *waits)
	}
	if !strings.HasSuffix(obs.Actual, "; 3/3 Ready, restarts 2→2 over 5s") {
		t.Errorf("actual %q, want it to end with the steadiness summary", obs.Actual)
	}
	if !strings.Contains(obs.Expected, "still Ready with no container restart 5s later") {
		t.Errorf("expected %q", obs.Expected)
	}
}

func TestReadySteadyRestartFails(t *testing.T) {
	c, kube := fakeCluster(t, fakePod("web-a", true, 0), fakePod("web-b", true, 0), fakePod("web-c", true, 0))
	// The container of web-b crashes and comes back during the window:
	// both looks see it Ready, only its restartCount tells.
	chk, _ := steadyCheck(t, func(ctx context.Context) error {
		pods := kube.CoreV1().Pods(fakeNS)
		p, err := pods.Get(ctx, "web-b", metav1.GetOptions{})
		if err != nil {
			return err
		}
		p.Status.ContainerStatuses[0].RestartCount++
		_, err = pods.UpdateStatus(ctx, p, metav1.UpdateOptions{})
		return err
	})
	obs := chk.Observe(context.Background(), &grader.Env{Cluster: c})
	if obs.Passed {
		t.Fatalf("passed, want a failure: actual %q", obs.Actual)
	}
	want := "pod web-b container main restarted during the 5s window (restartCount 0→1)"
	if len(obs.Problems) != 1 || obs.Problems[0] != want {
		t.Errorf("problems %q, want [%q]", obs.Problems, want)
	}
	if !strings.HasSuffix(obs.Actual, "; 3/3 Ready, restarts 0→1 over 5s (restarted: web-b/main)") {
		t.Errorf("actual %q", obs.Actual)
	}
}

func TestReadySteadyReplacedFails(t *testing.T) {
	c, kube := fakeCluster(t, fakePod("web-a", true, 0), fakePod("web-b", true, 0), fakePod("web-c", true, 0))
	// A pod deleted and recreated under its own name (a bare pod's
	// restart by hand, a StatefulSet's) is Ready again with restartCount
	// 0: only its UID shows it is not the pod seen first.
	chk, _ := steadyCheck(t, func(ctx context.Context) error {
		pods := kube.CoreV1().Pods(fakeNS)
		if err := pods.Delete(ctx, "web-c", metav1.DeleteOptions{}); err != nil {
			return err
		}
		again := fakePod("web-c", true, 0)
		again.UID = "uid-web-c-2"
		_, err := pods.Create(ctx, again, metav1.CreateOptions{})
		return err
	})
	obs := chk.Observe(context.Background(), &grader.Env{Cluster: c})
	if obs.Passed {
		t.Fatalf("passed, want a failure: actual %q", obs.Actual)
	}
	if !hasFragment(obs.Problems, "pod web-c was deleted or replaced during the 5s window") || !hasFragment(obs.Problems, "pod web-c appeared during the 5s window") {
		t.Errorf("problems %q, want web-c reported gone and new", obs.Problems)
	}
}

func TestReadySteadyNotReadyFails(t *testing.T) {
	// Not Ready at the first look: no window is waited, the pod is named.
	c, kube := fakeCluster(t, fakePod("web-a", true, 0), fakePod("web-b", false, 4), fakePod("web-c", true, 0))
	chk, waits := steadyCheck(t, nothing)
	obs := chk.Observe(context.Background(), &grader.Env{Cluster: c})
	if obs.Passed {
		t.Fatalf("passed, want a failure: actual %q", obs.Actual)
	}
	if *waits != 0 {
		t.Errorf("waited %d times; a first look that fails needs no window", *waits)
	}
	if !hasFragment(obs.Problems, "pod web-b is not Ready (Running)") || !hasFragment(obs.Problems, "2 Ready pod(s), want 3") {
		t.Errorf("problems %q", obs.Problems)
	}

	// Ready at the first look, not Ready at the second.
	if _, err := kube.CoreV1().Pods(fakeNS).UpdateStatus(context.Background(), fakePod("web-b", true, 4), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	chk, _ = steadyCheck(t, func(ctx context.Context) error {
		p, err := kube.CoreV1().Pods(fakeNS).Get(ctx, "web-a", metav1.GetOptions{})
		if err != nil {
			return err
		}
		p.Status.Conditions[0].Status = corev1.ConditionFalse
		_, err = kube.CoreV1().Pods(fakeNS).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		return err
	})
	obs = chk.Observe(context.Background(), &grader.Env{Cluster: c})
	if obs.Passed {
		t.Fatalf("passed, want a failure: actual %q", obs.Actual)
	}
	if !hasFragment(obs.Problems, "pod web-a is not Ready (Running)") || !strings.Contains(obs.Actual, "2/3 Ready, restarts 4→4 over 5s") {
		t.Errorf("problems %q, actual %q", obs.Problems, obs.Actual)
	}
}

func TestReadySteadyCancelled(t *testing.T) {
	// The grader's context ends during the window (Ctrl-C): the check
	// fails at once instead of sleeping on.
	c, _ := fakeCluster(t, fakePod("web-a", true, 0), fakePod("web-b", true, 0), fakePod("web-c", true, 0))
	chk, _ := steadyCheck(t, nothing)
	chk.wait = sleepCtx
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	obs := chk.Observe(ctx, &grader.Env{Cluster: c})
	if obs.Passed {
		t.Fatalf("passed, want a failure: actual %q", obs.Actual)
	}
	if time.Since(start) > time.Second {
		t.Errorf("took %s after cancellation", time.Since(start))
	}
	if !hasFragment(obs.Problems, "stopped before the 5s steadiness window ended") {
		t.Errorf("problems %q", obs.Problems)
	}
}

func hasFragment(problems []string, fragment string) bool {
	for _, p := range problems {
		if strings.Contains(p, fragment) {
			return true
		}
	}
	return false
}

// steadyPod is fakePod, Ready and running since since.
func steadyPod(name string, since time.Time) *corev1.Pod {
	p := fakePod(name, true, 1)
	p.Status.Conditions[0].LastTransitionTime = metav1.NewTime(since)
	p.Status.ContainerStatuses[0].State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(since)}
	return p
}

// TestReadySteadyFromTheRecord: pods whose status shows them Ready and
// running since before the window pass without waiting it out; one that
// became Ready inside the window, or whose status does not say, is
// watched through the window as before.
func TestReadySteadyFromTheRecord(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	long := now.Add(-time.Minute)
	for _, tc := range []struct {
		name      string
		pods      []*corev1.Pod
		wantWaits int
	}{
		{"all steady for a minute", []*corev1.Pod{steadyPod("web-a", long), steadyPod("web-b", long), steadyPod("web-c", long)}, 0},
		{"one Ready 3s ago", []*corev1.Pod{steadyPod("web-a", long), steadyPod("web-b", now.Add(-3*time.Second)), steadyPod("web-c", long)}, 1},
		{"one restarted 5.5s ago (within the slack)", []*corev1.Pod{steadyPod("web-a", long), steadyPod("web-b", now.Add(-5500*time.Millisecond)), steadyPod("web-c", long)}, 1},
		{"a status without times", []*corev1.Pod{steadyPod("web-a", long), fakePod("web-b", true, 0), steadyPod("web-c", long)}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := fakeCluster(t, tc.pods...)
			chk, waits := steadyCheck(t, nothing)
			chk.now = func() time.Time { return now }
			obs := chk.Observe(context.Background(), &grader.Env{Cluster: c})
			if !obs.Passed {
				t.Fatalf("failed: %q, actual %q", obs.Problems, obs.Actual)
			}
			if *waits != tc.wantWaits {
				t.Errorf("waited %d times, want %d (actual %q)", *waits, tc.wantWaits, obs.Actual)
			}
			if tc.wantWaits == 0 && !strings.Contains(obs.Actual, "all Ready with no container restart since") {
				t.Errorf("actual %q does not say the record covered the window", obs.Actual)
			}
		})
	}
}
