package baseline_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/baseline"
	"github.com/ckalab/ckalab/scenarios/steps"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

const (
	etcdManifest = "/etc/kubernetes/manifests/etcd.yaml"
	backup       = "/opt/course/2/etcd-backup.db"
)

// etcdYAML is etcd's manifest as kubeadm writes it, as far as the restore
// task reads and changes it.
const etcdYAML = `apiVersion: v1
kind: Pod
metadata:
  name: etcd
  namespace: kube-system
spec:
  containers:
  - command:
    - etcd
    - --data-dir=/var/lib/etcd
    name: etcd
    volumeMounts:
    - mountPath: /var/lib/etcd
      name: etcd-data
  volumes:
  - hostPath:
      path: /var/lib/etcd
      type: DirectoryOrCreate
    name: etcd-data
`

// components are the control plane's static pods besides etcd, by
// manifest, with their process names.
var components = map[string]string{
	"/etc/kubernetes/manifests/kube-apiserver.yaml":          "kube-apiserver",
	"/etc/kubernetes/manifests/kube-controller-manager.yaml": "kube-controller",
	"/etc/kubernetes/manifests/kube-scheduler.yaml":          "kube-scheduler",
}

// fakeKubelet plays the kubelet and the processes of a control-plane node
// for the baseline's process listings (the only moment it acts, so that
// the test is deterministic): etcd runs on the data its manifest names,
// `lag` listings after the manifest changed, or never leaves the restored
// data (stuck); the other components run while their manifests are in
// the folder. Events are logged with the index of the node call they
// happened at.
type fakeKubelet struct {
	mu       sync.Mutex
	nodes    *fakelab.Nodes
	lag      int
	stuck    bool
	pending  int
	next     int
	etcdPID  int
	etcdData string
	pids     map[string]int
	events   []event
	// api plays what every node's kubelet writes to the API once
	// restarted (kubeletresync_test.go).
	api *apiKubelets
}

type event struct {
	call int
	what string
}

var hostPathRe = regexp.MustCompile(`(?m)^\s+path: (/var/lib/etcd\S*)$`)

func newFakeKubelet(nodes *fakelab.Nodes) *fakeKubelet {
	k := &fakeKubelet{nodes: nodes, next: 100, pids: map[string]int{}, lag: 2}
	k.etcdPID, k.etcdData = k.pid(), "/var/lib/etcd"
	for m := range components {
		k.pids[m] = k.pid()
	}
	return k
}

func (k *fakeKubelet) pid() int { k.next++; return k.next }

// settle lets the kubelet act on the manifests as they are.
func (k *fakeKubelet) settle() {
	for range k.lag + 1 {
		k.list([]string{"sh", "-c", "", "sh", ""})
	}
}

func (k *fakeKubelet) log(what string) {
	k.events = append(k.events, event{call: len(k.nodes.Calls()) - 1, what: what})
}

// at is the call index of the first event, or -1.
func (k *fakeKubelet) at(what string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, e := range k.events {
		if e.what == what {
			return e.call
		}
	}
	return -1
}

// list answers the baseline's process listing (argv: sh -c SCRIPT sh
// NAME PATHS...) after the kubelet acted.
func (k *fakeKubelet) list(argv []string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	want := ""
	if content, ok := k.nodes.File("cp", etcdManifest); ok {
		if m := hostPathRe.FindStringSubmatch(content); m != nil {
			want = m[1]
		}
	}
	if want != k.etcdData && !(k.stuck && k.etcdData == lab.EtcdRestoreDir) {
		if k.pending < k.lag {
			k.pending++
		} else {
			k.pending, k.etcdPID, k.etcdData = 0, k.pid(), want
			// etcd makes a data folder it starts on (hostPath
			// DirectoryOrCreate, then its own files).
			if strings.HasPrefix(want, lab.EtcdRestoreDir) {
				if _, ok := k.nodes.File("cp", want+"/member/snap/db"); !ok {
					k.nodes.SetFile("cp", want+"/member/snap/db", "new cluster")
				}
			}
			k.log("etcd on " + want)
		}
	}
	for m, name := range components {
		_, there := k.nodes.File("cp", m)
		switch {
		case there && k.pids[m] == 0:
			k.pids[m] = k.pid()
			k.log(name + " started")
		case !there && k.pids[m] != 0:
			k.pids[m] = 0
			k.log(name + " stopped")
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "P 1 systemd\nP 2 kubelet\n")
	if k.etcdData != "" {
		fmt.Fprintf(&out, "P %d etcd\n", k.etcdPID)
	}
	for _, m := range slices.Sorted(func(yield func(string) bool) {
		for m := range components {
			if !yield(m) {
				return
			}
		}
	}) {
		if k.pids[m] != 0 {
			fmt.Fprintf(&out, "P %d %s\n", k.pids[m], components[m])
		}
	}
	if argv[4] == "etcd" && k.etcdData != "" {
		db := k.etcdData + "/member/snap/db"
		for i, p := range argv[5:] {
			if db == p || strings.HasPrefix(db, p+"/") {
				fmt.Fprintf(&out, "H %d/fd/9 %d\n", k.etcdPID, i+1)
			}
		}
	}
	return out.String()
}

// etcdLab is a lab of fakes whose control plane cp runs kubeadm's static
// pods (a kubelet of fakeKubelet), recorded as its baseline; then the
// restore task's setup: namespace finance, a snapshot in /opt/course/.
func etcdLab(t *testing.T) (*lab.Cluster, *fakelab.Nodes, *fakeKubelet, *baseline.Baseline, *[]event) {
	t.Helper()
	ctx := context.Background()
	nodes := fakelab.NewNodes("cp", "w1")
	nodes.SetFile("cp", etcdManifest, etcdYAML)
	nodes.SetFileMode("cp", etcdManifest, 0o600)
	for m, name := range components {
		nodes.SetFile("cp", m, "apiVersion: v1\nkind: Pod\nmetadata: {name: "+strings.TrimSuffix(strings.TrimPrefix(m, "/etc/kubernetes/manifests/"), ".yaml")+
			", namespace: kube-system}\nspec: {containers: [{name: x, command: [/usr/local/bin/"+name+"]}]}\n")
		nodes.SetFileMode("cp", m, 0o600)
	}
	nodes.SetDir("w1", "/etc/kubernetes/manifests")
	kubelet := newFakeKubelet(nodes)
	nodes.Run = func(node string, argv []string, _ []byte) (string, string, int, bool) {
		switch {
		case argv[0] == "sh" && argv[2] == baseline.ProcScript && node == "cp":
			return kubelet.list(argv), "", 0, true
		case argv[0] == "etcdutl" && argv[2] == "restore":
			dir := argv[slices.Index(argv, "--data-dir")+1]
			nodes.SetFile(node, dir+"/member/snap/db", "restored")
			nodes.SetFile(node, dir+"/member/wal/0000000000000000-0000000000000000.wal", strings.Repeat("w", lab.MaxNodeFileSize+1))
			return "", "", 0, true
		}
		return "", "", 0, false
	}
	c := fakelab.New(t, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "cp"}}, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w1"}})
	c.Exec = nodes
	kubelet.api = newAPIKubelets(t, c, nodes)
	b, err := baseline.Record(ctx, c, baseline.RecordOptions{Exec: nodes})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "finance"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	nodes.SetFile("cp", backup, "snapshot")
	// The API's reads and deletions, logged with the node call they
	// came after.
	var api []event
	var mu sync.Mutex
	kube, _ := fakelab.Fakes(c)
	kube.PrependReactor("*", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if v := a.GetVerb(); v == "list" || v == "delete" {
			mu.Lock()
			api = append(api, event{call: len(nodes.Calls()), what: v + " " + a.GetResource().Resource})
			mu.Unlock()
		}
		return false, nil, nil
	})
	return c, nodes, kubelet, b, &api
}

// callIndex is the index of the first node call after from that matches.
func callIndex(nodes *fakelab.Nodes, from int, match func(argv []string) bool) int {
	for i, c := range nodes.Calls()[from:] {
		if match(c.Argv) {
			return from + i
		}
	}
	return -1
}

func writes(p string) func([]string) bool {
	return func(argv []string) bool {
		return len(argv) > 4 && argv[0] == "sh" && strings.Contains(argv[2], `cat > "$1"`) && argv[4] == p
	}
}

func moves(from, to string) func([]string) bool {
	return func(argv []string) bool {
		return len(argv) == 6 && strings.Contains(argv[2], "mv -f") && argv[4] == from && argv[5] == to
	}
}

func removesFolder(p string) func([]string) bool {
	return func(argv []string) bool { return slices.Equal(argv, []string{"rm", "-rf", "--", p}) }
}

// TestResetBringsEtcdBack: after the restore task's solution (the real
// steps: etcdutl restores into the restore folder, etcd.yaml's hostPath
// pointed at it), reset writes etcd.yaml back, waits until etcd runs on
// its own data, restarts the API server, controller manager and scheduler
// (their manifests moved aside until their processes are gone, then
// back), removes the restored data only then, and compares and undoes the
// objects last: the API is not read before (it would answer for the
// restored data).
func TestResetBringsEtcdBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, nodes, kubelet, b, api := etcdLab(t)
	for _, src := range []string{
		"nodeCommand: {node: cp, command: [etcdutl, snapshot, restore, " + backup + ", --data-dir, " + lab.EtcdRestoreDir + "]}",
		`nodeFile: {node: cp, path: ` + etcdManifest + `, replace: {old: "path: /var/lib/etcd\n", new: "path: /var/lib/etcd-from-backup\n"}}`,
	} {
		if _, err := nodeStep(t, src).Run(ctx, steps.Env{Cluster: c}); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
	}
	kubelet.settle()
	if kubelet.etcdData != lab.EtcdRestoreDir {
		t.Fatalf("etcd runs on %s", kubelet.etcdData)
	}

	from := len(nodes.Calls())
	*api = nil
	p, err := baseline.Compare(ctx, c, b, baseline.CompareOptions{Exec: nodes})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		etcdManifest + " restored on cp",
		"/opt/course/ removed from cp",
		"etcd of cp back on its own data (/var/lib/etcd), not /var/lib/etcd-from-backup, then kube-apiserver, kube-controller-manager, kube-scheduler restarted, " +
			"then kubelets restarted on every node, then the pods of the lab's DaemonSets and Deployments restarted; " +
			"/var/lib/etcd-from-backup removed from cp once no etcd runs on it",
		"then the objects, namespaces and nodes compared with the baseline, and undone",
	}
	if got := p.Describe(); !slices.Equal(got, want) {
		t.Errorf("plan:\n %s\nwant:\n %s", strings.Join(got, "\n "), strings.Join(want, "\n "))
	}
	if len(*api) > 0 || len(p.DeleteNamespaces) > 0 {
		t.Errorf("Compare read the API (%v), planned %v: want only the nodes read while etcd runs on other data", *api, p.DeleteNamespaces)
	}

	err = p.Apply(ctx, c, baseline.ApplyOptions{Exec: nodes, Interval: time.Millisecond, Timeout: 5 * time.Second, ControlPlaneTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	const apiserver = "/etc/kubernetes/manifests/kube-apiserver.yaml"
	hidden := "/etc/kubernetes/manifests/.kube-apiserver.yaml.ckalab-restart"
	order := []struct {
		what string
		at   int
	}{
		{"etcd.yaml written back", callIndex(nodes, from, writes(etcdManifest))},
		{"etcd on its own data", kubelet.at("etcd on /var/lib/etcd")},
		{"the API server's manifest moved aside", callIndex(nodes, from, moves(apiserver, hidden))},
		{"the API server stopped", kubelet.at("kube-apiserver stopped")},
		{"its manifest moved back", callIndex(nodes, from, moves(hidden, apiserver))},
		{"the API server started", kubelet.at("kube-apiserver started")},
		{"the restored data removed", callIndex(nodes, from, removesFolder(lab.EtcdRestoreDir))},
	}
	for i, o := range order {
		if o.at < from || (i > 0 && o.at <= order[i-1].at) {
			t.Errorf("%s at node call %d, want it after %s (%d)", o.what, o.at, order[max(i-1, 0)].what, order[max(i-1, 0)].at)
		}
	}
	last := order[len(order)-1].at
	var deleted bool
	for _, e := range *api {
		if e.call <= last {
			t.Errorf("%s at node call %d: before the restored data was removed (%d)", e.what, e.call, last)
		}
		deleted = deleted || e.what == "delete namespaces"
	}
	if !deleted {
		t.Errorf("namespace finance, made after the baseline, was not deleted (API calls %v)", *api)
	}
	if kubelet.at("kube-controller stopped") < 0 || kubelet.at("kube-scheduler started") < 0 {
		t.Errorf("the controller manager and the scheduler were not restarted: %v", kubelet.events)
	}
	if got, _ := nodes.File("cp", etcdManifest); got != etcdYAML {
		t.Errorf("etcd.yaml is\n%s", got)
	}
	for _, f := range nodes.Files("cp") {
		if strings.HasPrefix(f, lab.EtcdRestoreDir) || strings.HasPrefix(f, "/opt/course") || strings.Contains(f, "ckalab-restart") {
			t.Errorf("%s is still there", f)
		}
	}
	for m := range components {
		if mode, ok := nodes.FileMode("cp", m); !ok || mode != 0o600 {
			t.Errorf("%s: mode %v, there %v; want it back, 0600", m, mode, ok)
		}
	}
	wantAtBaseline(t, ctx, c, b, nodes, "after reset")
}

// TestResetEtcdRefusals: reset removes no restored data while etcd does
// not return from it (its manifest written back, but the kubelet never
// switches), restarts nothing and reads no objects; and a restore folder
// without a changed manifest (restored, never used) still gets the whole
// sequence, since an interrupted reset looks the same.
func TestResetEtcdRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, nodes, kubelet, b, api := etcdLab(t)
	kubelet.stuck = true
	nodes.SetFile("cp", lab.EtcdRestoreDir+"/member/snap/db", "restored")
	nodes.SetFile("cp", etcdManifest, strings.Replace(etcdYAML, "path: /var/lib/etcd\n", "path: /var/lib/etcd-from-backup\n", 1))
	kubelet.settle()
	if kubelet.etcdData != lab.EtcdRestoreDir {
		t.Fatalf("etcd runs on %s", kubelet.etcdData)
	}
	from := len(nodes.Calls())
	p, err := baseline.Compare(ctx, c, b, baseline.CompareOptions{Exec: nodes})
	if err != nil {
		t.Fatal(err)
	}
	*api = nil
	err = p.Apply(ctx, c, baseline.ApplyOptions{Exec: nodes, Interval: time.Millisecond, ControlPlaneTimeout: 100 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "etcd of cp is not back on its own data (/var/lib/etcd) since reset put its manifest back: after 100ms: etcd (pid") ||
		!strings.Contains(err.Error(), "still runs on /var/lib/etcd-from-backup") {
		t.Errorf("err %v", err)
	}
	if _, ok := nodes.File("cp", lab.EtcdRestoreDir+"/member/snap/db"); !ok || callIndex(nodes, from, removesFolder(lab.EtcdRestoreDir)) >= 0 {
		t.Error("the restored data etcd runs on was removed")
	}
	if i := callIndex(nodes, from, func(argv []string) bool { return len(argv) > 2 && strings.Contains(argv[2], "mv -f") }); i >= 0 {
		t.Errorf("moved %v while etcd was not back", nodes.Calls()[i].Argv)
	}
	if len(*api) > 0 {
		t.Errorf("read the API: %v", *api)
	}

	// The kubelet switches at last; the next reset finishes the job.
	kubelet.stuck = false
	p, err = baseline.Compare(ctx, c, b, baseline.CompareOptions{Exec: nodes})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Etcd) != 1 || p.Etcd[0].Elsewhere != "" || len(p.Etcd[0].Folders) != 1 {
		t.Fatalf("plan %+v: want etcd's manifest at its baseline, the restored data still to remove", p.Etcd)
	}
	if err := p.Apply(ctx, c, baseline.ApplyOptions{Exec: nodes, Interval: time.Millisecond, ControlPlaneTimeout: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if kubelet.at("kube-apiserver stopped") < 0 || kubelet.at("kube-apiserver started") < 0 {
		t.Errorf("the API server was not restarted: %v", kubelet.events)
	}
	wantAtBaseline(t, ctx, c, b, nodes, "after reset")
}

// wantAtBaseline fails the test unless the lab is at its baseline again
// (what names the moment: "after reset").
func wantAtBaseline(t *testing.T, ctx context.Context, c *lab.Cluster, b *baseline.Baseline, nodes lab.Execer, what string) {
	t.Helper()
	if p, err := baseline.Compare(ctx, c, b, baseline.CompareOptions{Exec: nodes}); err != nil || !p.Empty() {
		t.Errorf("%s: %v, %v; want the lab at its baseline", what, p.Describe(), err)
	}
}
