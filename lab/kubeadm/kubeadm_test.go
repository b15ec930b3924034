package kubeadm

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/kind"
	"github.com/ckalab/ckalab/lab/kind/kindfake"
	"k8s.io/client-go/tools/clientcmd"
	kindlog "sigs.k8s.io/kind/pkg/log"
)

const (
	cpName     = kind.ClusterName + "-control-plane"
	kubeletCmd = "systemctl is-active kubelet"
	versionCmd = "cat /kind/version"
	stateCmd   = "sh -c " + stateScript
	clearCmd   = "rm -f /kind/kubeadm.conf"
	adminCmd   = "cat /etc/kubernetes/admin.conf"
)

var nodeNames = []string{cpName, kind.ClusterName + "-worker", kind.ClusterName + "-worker2"}

func labelCall(node string) string {
	return `inspect --format {{index .Config.Labels "` + kind.LabLabel + `"}} ` + node
}

// bareLab is a kubeadm lab as `lab up` leaves it: three running node
// containers from the kubeadm image, nothing installed.
func bareLab(t *testing.T) (*kindfake.Cluster, *kindfake.Docker) {
	fc := &kindfake.Cluster{T: t, Names: []string{kind.ClusterName}}
	d := &kindfake.Docker{Outputs: map[string]kindfake.Result{labelCall(cpName): {Stdout: LabValue + "\n"}}}
	for _, name := range nodeNames {
		fc.Nodes = append(fc.Nodes, kindfake.NewNode(name, map[string]kindfake.Result{
			kubeletCmd: {Stdout: "inactive\n"},
			versionCmd: {Stdout: "v1.37.2\n"},
			stateCmd:   {Stdout: "containerd=none\nkubelet=none\nkubeadm=\n"},
			clearCmd:   {},
			adminCmd:   {Stderr: "cat: /etc/kubernetes/admin.conf: No such file or directory\n", Err: kindfake.ExitError(t, 1)},
		}))
		d.Outputs["inspect --format {{.State.Status}} "+name] = kindfake.Result{Stdout: "running\n"}
	}
	return fc, d
}

func newProvider(t *testing.T, fc *kindfake.Cluster, d *kindfake.Docker) *Provider {
	p := New(lab.Dirs{State: t.TempDir(), Cache: t.TempDir()})
	p.Nodes.Docker = d
	p.Nodes.NewCluster = func(l kindlog.Logger) kind.Cluster { return fc.NewCluster(l) }
	return p
}

func TestUpMakesBareNodesWithoutAContext(t *testing.T) {
	fc, d := bareLab(t)
	fc.Names = nil // no cluster yet
	d.Outputs["image inspect --format {{.Id}} "+DefaultImage] = kindfake.Result{Stdout: "sha256:abc\n"}
	p := newProvider(t, fc, d)
	fc.CreateFn = func(kindlog.Logger) error { fc.Names = []string{kind.ClusterName}; return nil }

	res, err := p.Up(context.Background(), lab.NoProgress{})
	if err != nil {
		t.Fatal(err)
	}
	if res.AlreadyRunning || res.Kubeconfig != nil || res.Info.Provider != ProviderName || !slices.Equal(res.Info.Capabilities, []lab.Capability{lab.CapNode}) {
		t.Errorf("result = %+v; want a new lab, no kubeconfig (no cluster yet), node access only", res)
	}
	for _, name := range nodeNames {
		if !slices.Contains(fc.Node(name).RanArgv(), clearCmd) {
			t.Errorf("%s: kind's kubeadm.conf (a ready-made join token) was not removed", name)
		}
	}
	if _, err := os.Stat(filepath.Join(p.Nodes.StateDir, "creating")); !os.IsNotExist(err) {
		t.Errorf("the lab still says it is being made: %v", err)
	}

	// A second lab up finds it and changes nothing.
	fc.CreateFn = nil
	res, err = p.Up(context.Background(), lab.NoProgress{})
	if err != nil || !res.AlreadyRunning || res.Kubeconfig != nil {
		t.Errorf("second up = %+v, %v; want already running, still no cluster", res, err)
	}
}

func TestUpWithoutTheImageSaysHowToBuildIt(t *testing.T) {
	fc, d := bareLab(t)
	fc.Names = nil
	p := newProvider(t, fc, d)
	_, err := p.Up(context.Background(), lab.NoProgress{})
	if err == nil || !strings.Contains(err.Error(), "make kubeadm-image") {
		t.Errorf("err = %v, want the command that builds the image", err)
	}
	if fc.Called("Create") {
		t.Error("created nodes without their image")
	}
}

// Once the learner ran `kubeadm init`, lab up adds the cluster: admin.conf
// from the control plane, through the port Docker publishes.
func TestUpAdoptsTheLearnersCluster(t *testing.T) {
	fc, d := bareLab(t)
	fc.Node(cpName).Results[adminCmd] = kindfake.Result{Stdout: adminConf}
	d.Outputs["port "+cpName+" 6443/tcp"] = kindfake.Result{Stdout: "127.0.0.1:40555\n"}
	p := newProvider(t, fc, d)

	res, err := p.Up(context.Background(), lab.NoProgress{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.AlreadyRunning || res.Kubeconfig == nil || res.ContextName != ContextName || !res.Info.Can(lab.CapAPI) || !res.Found {
		t.Fatalf("result = %+v; want the running lab with the learner's cluster found as %s, able to do what kind does", res, ContextName)
	}
	if again, err := p.Up(context.Background(), lab.NoProgress{}); err != nil || again.Found || again.Kubeconfig == nil {
		t.Errorf("second up = %+v, %v; want the same cluster, not found anew", again, err)
	}
	// After `kubeadm reset` and a new init: other keys, found anew.
	fc.Node(cpName).Results[adminCmd] = kindfake.Result{Stdout: strings.Replace(adminConf, "S0VZCg==", "TkVXCg==", 1)}
	if anew, err := p.Up(context.Background(), lab.NoProgress{}); err != nil || !anew.Found {
		t.Errorf("up after a new kubeadm init = %+v, %v; want the new cluster found", anew, err)
	}
	saved, err := clientcmd.LoadFromFile(res.KubeconfigPath)
	if err != nil || saved.Clusters[ContextName].Server != "https://127.0.0.1:40555" {
		t.Errorf("the lab's own kubeconfig: %v, %v", saved, err)
	}
	st, err := p.Status(context.Background())
	if err != nil || st.ContextName != ContextName || st.KubeconfigPath != res.KubeconfigPath {
		t.Errorf("status = %+v, %v; want the context", st, err)
	}
}

func TestStatusSaysWhatEachNodeHas(t *testing.T) {
	fc, d := bareLab(t)
	fc.Node(cpName).Results[stateCmd] = kindfake.Result{Stdout: "containerd=active\nkubelet=active\nkubeadm=v1.36.3\ncluster=initialised\n"}
	p := newProvider(t, fc, d)
	st, err := p.Status(context.Background())
	if err != nil || !st.Exists || !st.Healthy || len(st.Components) != 3 {
		t.Fatalf("status = %+v, %v", st, err)
	}
	cp, w := st.Components[0], st.Components[1]
	if cp.Name != cpName || cp.Version != "v1.36.3" || cp.Detail != "containerd active, kubelet active, control plane initialised" {
		t.Errorf("control plane = %+v", cp)
	}
	if w.Version != "" || w.Detail != "no containerd, no kubelet, no kubeadm, not in a cluster" {
		t.Errorf("worker = %+v", w)
	}
}

// The kind lab's cluster has the same name: the kubeadm provider neither
// reports nor deletes it.
func TestTheKindLabIsNotOurs(t *testing.T) {
	fc, d := bareLab(t)
	d.Outputs[labelCall(cpName)] = kindfake.Result{Stdout: "\n"}
	p := newProvider(t, fc, d)
	ctx := context.Background()
	if st, err := p.Status(ctx); err != nil || st.Exists {
		t.Errorf("status = %+v, %v; want no kubeadm lab", st, err)
	}
	if err := p.Down(ctx, lab.NoProgress{}); err != nil || fc.Called("Delete") {
		t.Errorf("down: %v, calls %q: the kind lab must be left alone", err, fc.Calls())
	}
	if _, err := p.Up(ctx, lab.NoProgress{}); err == nil || !strings.Contains(err.Error(), "--provider kind") {
		t.Errorf("up = %v, want the kind lab named, with how to remove it", err)
	}
}

func TestDownDeletesTheNodes(t *testing.T) {
	fc, d := bareLab(t)
	p := newProvider(t, fc, d)
	if err := p.Down(context.Background(), lab.NoProgress{}); err != nil {
		t.Fatal(err)
	}
	if !fc.Called("Delete " + kind.ClusterName) {
		t.Errorf("calls = %q, want the cluster deleted", fc.Calls())
	}
}
