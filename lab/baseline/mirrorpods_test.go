package baseline

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	schedManifest = "/etc/kubernetes/manifests/kube-scheduler.yaml"
	webManifest   = "/etc/kubernetes/manifests/web.yaml"
)

// mirrorPod is a mirror pod as the kubelet makes it of a manifest.
func mirrorPod(namespace, name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Annotations: map[string]string{
		"kubernetes.io/config.source": "file", corev1.MirrorPodAnnotationKey: "5d41402abc4b2a76",
	}}}
}

// mirrorLab is a lab of fakes with nodes cp (a kube-scheduler manifest
// and its mirror pod) and w1 (no static pods), recorded as its baseline;
// then a scenario adds a static pod to w1 and renames cp's scheduler (a
// typo in its manifest), and the kubelets make their mirror pods.
func mirrorLab(t *testing.T) (*lab.Cluster, *fakelab.Nodes, *Plan) {
	t.Helper()
	ctx := context.Background()
	nodes := fakelab.NewNodes("cp", "w1")
	nodes.SetFile("cp", schedManifest, "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-scheduler, namespace: kube-system}\n")
	nodes.SetFileMode("cp", schedManifest, 0o600)
	nodes.SetDir("w1", staticPodDir)
	c := fakelab.New(t, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "cp"}}, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w1"}})
	c.Exec = nodes
	b, err := Record(ctx, c, RecordOptions{Exec: nodes})
	if err != nil {
		t.Fatal(err)
	}
	nodes.SetFile("w1", webManifest, "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n")
	nodes.SetFile("cp", schedManifest, "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-schedulr, namespace: kube-system}\n")
	for _, p := range []*corev1.Pod{mirrorPod("kube-system", "kube-scheduler-cp"), mirrorPod("shop", "web-w1"), mirrorPod("kube-system", "kube-schedulr-cp")} {
		if _, err := c.Kube.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := Compare(ctx, c, b, CompareOptions{Exec: nodes})
	if err != nil {
		t.Fatal(err)
	}
	return c, nodes, p
}

func podExists(t *testing.T, c *lab.Cluster, namespace, name string) bool {
	t.Helper()
	_, err := c.Kube.CoreV1().Pods(namespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

// TestRestoreWaitsForMirrorPods: reset removes a static pod manifest a
// scenario added and restores one whose pod a typo renamed; it waits until
// the kubelet has deleted their mirror pods, and not for the mirror pod of
// the restored manifest, which stays.
func TestRestoreWaitsForMirrorPods(t *testing.T) {
	t.Parallel()
	c, nodes, p := mirrorLab(t)
	want := []MirrorPod{
		{Node: "cp", Namespace: "kube-system", Name: "kube-schedulr-cp"},
		{Node: "w1", Namespace: "shop", Name: "web-w1"},
	}
	if !slices.Equal(p.MirrorPods, want) {
		t.Fatalf("plan waits for %+v, want %+v", p.MirrorPods, want)
	}

	// The kubelets: a while after a manifest is gone (or names another
	// pod), its mirror pod goes.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kubelet := func(node, manifest, gone, namespace, pod string) {
		for ctx.Err() == nil {
			if content, _ := nodes.File(node, manifest); !strings.Contains(content, gone) {
				time.Sleep(300 * time.Millisecond)
				_ = c.Kube.CoreV1().Pods(namespace).Delete(context.Background(), pod, metav1.DeleteOptions{})
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	go kubelet("w1", webManifest, "web", "shop", "web-w1")
	go kubelet("cp", schedManifest, "kube-schedulr", "kube-system", "kube-schedulr-cp")

	start := time.Now()
	if err := p.Apply(context.Background(), c, ApplyOptions{Exec: nodes, Timeout: 10 * time.Second, Interval: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("Apply returned after %s: before the kubelet deleted the mirror pods", d)
	}
	if podExists(t, c, "shop", "web-w1") || podExists(t, c, "kube-system", "kube-schedulr-cp") || !podExists(t, c, "kube-system", "kube-scheduler-cp") {
		t.Error("after Apply: want the mirror pods of the removed manifests gone, the restored one's kept")
	}
	if _, ok := nodes.File("w1", webManifest); ok {
		t.Error("the added manifest is still there")
	}
	if m, _ := nodes.FileMode("cp", schedManifest); m != 0o600 {
		t.Errorf("the restored manifest's mode is %v, want 0600", m)
	}
}

// TestRestoreMirrorPodTimeout: a mirror pod that stays (no kubelet deletes
// it) fails the restore after the timeout, naming the pod; a cancelled
// context ends the wait.
func TestRestoreMirrorPodTimeout(t *testing.T) {
	t.Parallel()
	c, nodes, p := mirrorLab(t)
	err := p.Apply(context.Background(), c, ApplyOptions{Exec: nodes, Timeout: 200 * time.Millisecond, Interval: 20 * time.Millisecond})
	if want := "pod kube-system/kube-schedulr-cp, the mirror pod of a static pod manifest reset removed from node cp, is still there after 200ms (and 1 more): is the kubelet of cp running?"; err == nil || err.Error() != want {
		t.Errorf("err\n%v\nwant\n%s", err, want)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	err = waitMirrorPodsGone(ctx, c, p.MirrorPods, ApplyOptions{Timeout: time.Minute, Interval: 20 * time.Millisecond})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "pod kube-system/kube-schedulr-cp") {
		t.Errorf("cancelled: %v", err)
	}
}

func TestMirrorPodsGoing(t *testing.T) {
	t.Parallel()
	want := NodeFiles{Listed: []string{staticPodDir + "/"}, Files: map[string]string{
		staticPodDir + "/etcd.yaml": "kind: Pod\nmetadata: {name: etcd, namespace: kube-system}\n",
	}, Dirs: []string{staticPodDir}}
	got := lab.NodeListing{Files: map[string]string{
		staticPodDir + "/etcd.yaml":   "kind: Pod\nmetadata: {name: etcd, namespace: kube-system}\n# a comment\n",
		staticPodDir + "/copy.yaml":   "kind: Pod\nmetadata: {name: etcd, namespace: kube-system}\n", // the baseline's pod: stays
		staticPodDir + "/list.yaml":   "kind: PodList\nitems: [{metadata: {name: a}}, {metadata: {name: b, namespace: x}}]\n",
		staticPodDir + "/web.json":    `{"kind": "Pod", "metadata": {"name": "web"}}`,
		staticPodDir + "/broken.yaml": "{",
		staticPodDir + "/.hidden":     "kind: Pod\nmetadata: {name: hidden}\n",           // the kubelet skips it
		staticPodDir + "/sub/x.yaml":  "kind: Pod\nmetadata: {name: nested}\n",           // and subfolders
		"/opt/course/pod.yaml":        "kind: Pod\nmetadata: {name: answer}\n",           // not a manifest
		staticPodDir + "/nameless":    "kind: Pod\nmetadata: {labels: {a: b}}\nspec: {}", // no name, no pod
	}, Dirs: []string{staticPodDir, staticPodDir + "/sub"}}
	fixes := fileFixes("Kind-W1", want, got)
	fixes = append(fixes, FileFix{Node: "Kind-W1", Path: "/opt/course", Folder: true, Remove: true})
	var names []string
	for _, m := range mirrorPodsGoing("Kind-W1", want, got, fixes) {
		names = append(names, m.String())
	}
	if want := []string{"pod default/a-kind-w1", "pod default/web-kind-w1", "pod x/b-kind-w1"}; !slices.Equal(names, want) {
		t.Errorf("mirror pods going %q, want %q", names, want)
	}
	// A pod of that name that is no mirror pod is not waited for.
	if isMirrorPod(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-w1"}}) || !isMirrorPod(mirrorPod("shop", "web-w1")) {
		t.Error("isMirrorPod: want only pods with the kubelet's annotations")
	}
}
