package baseline_test

import (
	"context"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/baseline"
	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

var (
	nodesGVR = corev1.SchemeGroupVersion.WithResource("nodes")
	podsGVR  = corev1.SchemeGroupVersion.WithResource("pods")
)

// apiKubelets play what the nodes' kubelets write to the API. Until its
// kubelet restarts (`systemctl restart kubelet` on a node of the fakes), a
// node is Ready with a heartbeat a minute old: a kubelet reports its
// status only when it changes, or every five minutes. Once restarted, the
// kubelet reports a heartbeat at the clock's time and makes the mirror
// pods of the static pod manifests on its node `lag` reads of the API
// later (a GET of a node or a pod: the only moment it acts, so that the
// test is deterministic), and the mirror pods are Ready `ready` reads
// after the restart (ready ≥ lag; by default more than one round of the
// reset's reads sees them not Ready). A silent node's kubelet never reports again; a mirror pod
// named in lost is never made.
type apiKubelets struct {
	t       *testing.T
	mu      sync.Mutex
	nodes   *fakelab.Nodes
	tracker k8stesting.ObjectTracker
	now     func() time.Time
	lag     int
	ready   int
	silent  map[string]bool
	lost    map[string]bool
	// seen are the restarts of each node's kubelet acted on; reads, the
	// reads of the API since its last one.
	seen  map[string]int
	reads map[string]int
}

// newAPIKubelets plays the kubelets of the nodes of c, on the real clock.
func newAPIKubelets(t *testing.T, c *lab.Cluster, nodes *fakelab.Nodes) *apiKubelets {
	t.Helper()
	kube, _ := fakelab.Fakes(c)
	k := &apiKubelets{t: t, nodes: nodes, tracker: kube.Tracker(), lag: 2, ready: 12,
		silent: map[string]bool{}, lost: map[string]bool{}, seen: map[string]int{}, reads: map[string]int{}}
	k.clock(time.Now)
	kube.PrependReactor("get", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if r := a.GetResource().Resource; r == "nodes" || r == "pods" {
			k.act()
		}
		return false, nil, nil
	})
	return k
}

// clock sets the kubelets' clock, their last reports a minute before it.
func (k *apiKubelets) clock(now func() time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.now = now
	l, err := k.tracker.List(nodesGVR, corev1.SchemeGroupVersion.WithKind("Node"), "")
	if err != nil {
		k.t.Fatal(err)
	}
	for _, n := range l.(*corev1.NodeList).Items {
		k.report(n.Name, now().Add(-time.Minute))
	}
}

// act lets the restarted kubelets act on one more read of the API.
func (k *apiKubelets) act() {
	k.mu.Lock()
	defer k.mu.Unlock()
	restarts := map[string]int{}
	for _, c := range k.nodes.Calls() {
		if slices.Equal(c.Argv, []string{"systemctl", "restart", "kubelet"}) {
			restarts[c.Node]++
		}
	}
	for node, n := range restarts {
		if n > k.seen[node] {
			k.seen[node], k.reads[node] = n, 0
		}
	}
	for node := range k.seen {
		if k.silent[node] {
			continue
		}
		k.reads[node]++
		r := k.reads[node]
		if r == k.lag {
			k.report(node, k.now())
		}
		if r == k.lag || r == k.ready {
			k.mirror(node, r >= k.ready)
		}
	}
}

// report writes a node's Ready condition with a heartbeat at t; k.mu is
// held.
func (k *apiKubelets) report(node string, t time.Time) {
	o, err := k.tracker.Get(nodesGVR, "", node)
	if err != nil {
		k.t.Errorf("kubelet of %s: %v", node, err)
		return
	}
	n := o.(*corev1.Node).DeepCopy()
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
		LastHeartbeatTime: metav1.NewTime(t), LastTransitionTime: metav1.NewTime(t)}}
	if err := k.tracker.Update(nodesGVR, n, "", metav1.UpdateOptions{FieldManager: "kubelet"}); err != nil {
		k.t.Errorf("kubelet of %s: %v", node, err)
	}
}

// mirror makes (or updates) the mirror pods of the static pod manifests
// in the node's manifest folder, Ready or not; k.mu is held.
func (k *apiKubelets) mirror(node string, ready bool) {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	for _, p := range k.nodes.Dir(node, "/etc/kubernetes/manifests") {
		content, _ := k.nodes.File(node, p)
		var m struct {
			Metadata struct{ Name, Namespace string }
		}
		if strings.HasPrefix(path.Base(p), ".") || yaml.Unmarshal([]byte(content), &m) != nil || m.Metadata.Name == "" || k.lost[m.Metadata.Name] {
			continue
		}
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: m.Metadata.Name + "-" + node, Namespace: m.Metadata.Namespace,
				Annotations: map[string]string{corev1.MirrorPodAnnotationKey: "hash", "kubernetes.io/config.source": "file"}},
			Spec:   corev1.PodSpec{NodeName: node},
			Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}},
		}
		var err error
		if _, gerr := k.tracker.Get(podsGVR, pod.Namespace, pod.Name); gerr == nil {
			err = k.tracker.Update(podsGVR, pod, pod.Namespace, metav1.UpdateOptions{FieldManager: "kubelet"})
		} else {
			err = k.tracker.Create(podsGVR, pod, pod.Namespace, metav1.CreateOptions{FieldManager: "kubelet"})
		}
		if err != nil {
			k.t.Errorf("kubelet of %s: mirror pod %s: %v", node, pod.Name, err)
		}
	}
}

// kubeletRestarts are the indexes of the node calls from `from` on that
// restarted a kubelet, by node.
func kubeletRestarts(nodes *fakelab.Nodes, from int) map[string][]int {
	out := map[string][]int{}
	for i, c := range nodes.Calls()[from:] {
		if slices.Equal(c.Argv, []string{"systemctl", "restart", "kubelet"}) {
			out[c.Node] = append(out[c.Node], from+i)
		}
	}
	return out
}

// restoredEtcdLab is etcdLab after the restore task's solution: the
// restored data in the restore folder, etcd.yaml pointed at it, and etcd
// running on it.
func restoredEtcdLab(t *testing.T) (*lab.Cluster, *fakelab.Nodes, *fakeKubelet, *baseline.Baseline) {
	t.Helper()
	c, nodes, kubelet, b, _ := etcdLab(t)
	nodes.SetFile("cp", lab.EtcdRestoreDir+"/member/snap/db", "restored")
	nodes.SetFile("cp", etcdManifest, strings.Replace(etcdYAML, "path: /var/lib/etcd\n", "path: /var/lib/etcd-from-backup\n", 1))
	kubelet.settle()
	if kubelet.etcdData != lab.EtcdRestoreDir {
		t.Fatalf("etcd runs on %s", kubelet.etcdData)
	}
	return c, nodes, kubelet, b
}

// TestResetRestartsEveryKubelet: once etcd is back on its own data and
// the control plane restarted, reset restarts the kubelet of every node
// side by side, before it removes the restored data, and goes on only
// once every node has reported since (on ApplyOptions.Now's clock, which
// is in the past here: the real one would find every heartbeat old) and
// the mirror pods of the baseline's static pods are there and Ready.
func TestResetRestartsEveryKubelet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, nodes, kubelet, b := restoredEtcdLab(t)
	at := time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return at }
	kubelet.api.clock(clock)

	p, err := baseline.Compare(ctx, c, b, baseline.CompareOptions{Exec: nodes})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Etcd) != 1 || !strings.Contains(p.Etcd[0].String(), "kube-scheduler restarted, then kubelets restarted on every node, then the pods of the lab's DaemonSets and Deployments restarted;") {
		t.Errorf("plan %q: want the kubelets restarted after the control plane", p.Describe())
	}
	from := len(nodes.Calls())
	err = p.Apply(ctx, c, baseline.ApplyOptions{Exec: nodes, Interval: time.Millisecond, Timeout: 5 * time.Second, ControlPlaneTimeout: 5 * time.Second, Now: clock})
	if err != nil {
		t.Fatal(err)
	}

	restarts := kubeletRestarts(nodes, from)
	if len(restarts["cp"]) != 1 || len(restarts["w1"]) != 1 {
		t.Fatalf("kubelet restarts by node %v: want one on cp and one on w1", restarts)
	}
	first, last := min(restarts["cp"][0], restarts["w1"][0]), max(restarts["cp"][0], restarts["w1"][0])
	if last != first+1 {
		t.Errorf("kubelets restarted at node calls %d and %d: want them side by side, nothing in between", first, last)
	}
	if started := kubelet.at("kube-scheduler started"); started < from || first < started {
		t.Errorf("kubelets restarted at node call %d, the control plane restarted at %d: want the kubelets after", first, started)
	}
	if removed := callIndex(nodes, from, removesFolder(lab.EtcdRestoreDir)); removed < last {
		t.Errorf("the restored data removed at node call %d: want it after the kubelets restarted (%d)", removed, last)
	}
	// Read behind the kubelets' backs: a read through the clients would
	// let them act once more.
	kube, _ := fakelab.Fakes(c)
	for _, node := range []string{"cp", "w1"} {
		o, err := kube.Tracker().Get(nodesGVR, "", node)
		if err != nil {
			t.Fatal(err)
		}
		if conds := o.(*corev1.Node).Status.Conditions; len(conds) != 1 || !conds[0].LastHeartbeatTime.Equal(&metav1.Time{Time: at}) {
			t.Errorf("node %s: conditions %+v, want the restarted kubelet's heartbeat", node, conds)
		}
	}
	for _, name := range []string{"etcd-cp", "kube-apiserver-cp", "kube-controller-manager-cp", "kube-scheduler-cp"} {
		o, err := kube.Tracker().Get(podsGVR, "kube-system", name)
		if err != nil {
			t.Errorf("mirror pod %s: %v", name, err)
			continue
		}
		if conds := o.(*corev1.Pod).Status.Conditions; len(conds) != 1 || conds[0].Status != corev1.ConditionTrue {
			t.Errorf("mirror pod %s: conditions %+v: reset went on before it was Ready", name, conds)
		}
	}
	wantAtBaseline(t, ctx, c, b, nodes, "after reset")
}

// TestResetKubeletNotBack: a kubelet that never reports again, or never
// shows a static pod's mirror pod, fails reset within its timeout, naming
// the node or the mirror pod and what to read; the restored data stays,
// and the next reset, once the kubelet is back, finishes the job.
func TestResetKubeletNotBack(t *testing.T) {
	t.Parallel()
	at := time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		silent, lost string
		want         string
	}{
		"a worker silent": {silent: "w1", want: "after 1s: node w1 has reported no heartbeat since its kubelet restarted at 2020-05-01T12:00:00Z " +
			"(last 2020-05-01T11:59:00Z); on node w1, `journalctl -u kubelet` says why"},
		"a mirror pod missing": {lost: "kube-scheduler", want: "after 1s: pod kube-system/kube-scheduler-cp, the mirror pod of " +
			"/etc/kubernetes/manifests/kube-scheduler.yaml on node cp, is missing; on node cp, `journalctl -u kubelet` says why"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, nodes, kubelet, b := restoredEtcdLab(t)
			clock := func() time.Time { return at }
			kubelet.api.clock(clock)
			// Mirror pods Ready as soon as they are made, so that the error
			// names what never comes however slow the machine is (the wait
			// for Ready is TestResetRestartsEveryKubelet's).
			kubelet.api.ready = kubelet.api.lag
			kubelet.api.silent[tc.silent] = true
			kubelet.api.lost[tc.lost] = true
			p, err := baseline.Compare(ctx, c, b, baseline.CompareOptions{Exec: nodes})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = p.Apply(ctx, c, baseline.ApplyOptions{Exec: nodes, Interval: time.Millisecond, ControlPlaneTimeout: time.Second, Now: clock})
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("Apply took %s: want it to give up after its 1s", took)
			}
			if err == nil || !strings.HasSuffix(err.Error(), tc.want) || !strings.Contains(err.Error(), "kubelets restarted once etcd was back on its own data are not back") {
				t.Fatalf("err %v\nwant it to end in %s", err, tc.want)
			}
			if _, ok := nodes.File("cp", lab.EtcdRestoreDir+"/member/snap/db"); !ok {
				t.Error("the restored data was removed by a reset that failed before")
			}

			kubelet.api.mu.Lock()
			kubelet.api.silent, kubelet.api.lost = map[string]bool{}, map[string]bool{}
			kubelet.api.mu.Unlock()
			p, err = baseline.Compare(ctx, c, b, baseline.CompareOptions{Exec: nodes})
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Apply(ctx, c, baseline.ApplyOptions{Exec: nodes, Interval: time.Millisecond, ControlPlaneTimeout: 5 * time.Second, Now: clock}); err != nil {
				t.Fatal(err)
			}
			wantAtBaseline(t, ctx, c, b, nodes, "after the second reset")
		})
	}
}

// TestResetWithoutEtcdReturnRestartsNoKubelet: a reset that does not take
// etcd back to its own data leaves the kubelets alone: a plain one, and
// one that only removes a restore folder from a node without etcd.
func TestResetWithoutEtcdReturnRestartsNoKubelet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, nodes, _, b, _ := etcdLab(t)
	run := nodes.Run
	nodes.Run = func(node string, argv []string, stdin []byte) (string, string, int, bool) {
		if node == "w1" && len(argv) > 2 && argv[2] == baseline.ProcScript {
			return "P 1 systemd\nP 2 kubelet\n", "", 0, true
		}
		return run(node, argv, stdin)
	}
	opts := baseline.ApplyOptions{Exec: nodes, Interval: time.Millisecond, ControlPlaneTimeout: 5 * time.Second}

	p, err := baseline.Compare(ctx, c, b, baseline.CompareOptions{Exec: nodes})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Etcd) != 0 || len(p.DeleteNamespaces) == 0 {
		t.Fatalf("plan %q: want namespace finance deleted, no etcd return", p.Describe())
	}
	if err := p.Apply(ctx, c, opts); err != nil {
		t.Fatal(err)
	}

	nodes.SetFile("w1", lab.EtcdRestoreDir+"/member/snap/db", "restored")
	p, err = baseline.Compare(ctx, c, b, baseline.CompareOptions{Exec: nodes})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Etcd) != 1 || p.Etcd[0].DataDir != "" || strings.Contains(p.Etcd[0].String(), "kubelet") {
		t.Fatalf("plan %q: want the restore folder of w1 removed, nothing about kubelets", p.Describe())
	}
	if err := p.Apply(ctx, c, opts); err != nil {
		t.Fatal(err)
	}
	if _, ok := nodes.File("w1", lab.EtcdRestoreDir+"/member/snap/db"); ok {
		t.Error("the restore folder of w1 is still there")
	}
	if restarts := kubeletRestarts(nodes, 0); len(restarts) > 0 {
		t.Errorf("kubelets restarted at node calls %v: want none without an etcd return", restarts)
	}
}
