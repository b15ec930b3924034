package baseline

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
)

// kubeadmEtcd is etcd's static pod manifest as kubeadm writes it (the
// parts etcd.go reads), with its data folder's three mentions.
const kubeadmEtcd = `apiVersion: v1
kind: Pod
metadata:
  name: etcd
  namespace: kube-system
spec:
  containers:
  - command:
    - etcd
    - --advertise-client-urls=https://172.18.0.2:2379
    - --data-dir=/var/lib/etcd
    - --name=ckalab-control-plane
    name: etcd
    volumeMounts:
    - mountPath: /var/lib/etcd
      name: etcd-data
    - mountPath: /etc/kubernetes/pki/etcd
      name: etcd-certs
  volumes:
  - hostPath:
      path: /etc/kubernetes/pki/etcd
      type: DirectoryOrCreate
    name: etcd-certs
  - hostPath:
      path: /var/lib/etcd
      type: DirectoryOrCreate
    name: etcd-data
`

func TestEtcdDataDir(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ manifest, want string }{
		"kubeadm's":                  {kubeadmEtcd, "/var/lib/etcd"},
		"hostPath pointed elsewhere": {strings.Replace(kubeadmEtcd, "path: /var/lib/etcd\n", "path: /var/lib/etcd-from-backup\n", 1), "/var/lib/etcd-from-backup"},
		"all three changed":          {strings.ReplaceAll(kubeadmEtcd, "/var/lib/etcd\n", "/var/lib/etcd-from-backup/2\n"), "/var/lib/etcd-from-backup/2"},
		"data in a subfolder of the mount": {
			strings.Replace(kubeadmEtcd, "--data-dir=/var/lib/etcd\n", "--data-dir=/var/lib/etcd/data\n", 1), "/var/lib/etcd/data"},
		"--data-dir, then its value": {strings.Replace(kubeadmEtcd, "- --data-dir=/var/lib/etcd\n", "- --data-dir\n    - /var/lib/etcd\n", 1), "/var/lib/etcd"},
		"data outside any mount":     {strings.Replace(kubeadmEtcd, "--data-dir=/var/lib/etcd\n", "--data-dir=/data\n", 1), ""},
		"no --data-dir":              {strings.Replace(kubeadmEtcd, "- --data-dir=/var/lib/etcd\n", "", 1), ""},
		"unreadable":                 {"{", ""},
	} {
		if got := etcdDataDir(tc.manifest); got != tc.want {
			t.Errorf("%s: data folder %q, want %q", name, got, tc.want)
		}
	}
	if got := processName("spec: {containers: [{command: [/usr/local/bin/kube-controller-manager, --v=2]}]}", "x"); got != "kube-controller" {
		t.Errorf("process name %q, want kube-controller (/proc's 15 bytes)", got)
	}
	if got := processName("kind: Pod", "kube-scheduler"); got != "kube-scheduler" {
		t.Errorf("process name without a command: %q, want the pod's", got)
	}
}

// TestProcScriptOnHost runs the node script that finds who holds a path
// on this machine: a process holding a file in a folder holds the folder,
// one holding nothing there does not, and processes of other names are
// not looked at.
func TestProcScriptOnHost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "restored")
	db := filepath.Join(data, "member", "snap", "db")
	must(t, os.MkdirAll(filepath.Dir(db), 0o755))
	must(t, os.WriteFile(db, []byte("bbolt"), 0o600))
	other := filepath.Join(dir, "other")
	must(t, os.WriteFile(other, nil, 0o644))
	f, err := os.Open(db)
	must(t, err)
	defer f.Close()
	sleep := exec.Command("sleep", "30")
	sleep.Stdin = f
	must(t, sleep.Start())
	defer func() { _ = sleep.Process.Kill(); _ = sleep.Wait() }()

	procs, err := nodeProcesses(ctx, fakelab.Host{}, "n1", "sleep", []string{other, data, db, filepath.Join(dir, "missing")})
	must(t, err)
	if procs.names[sleep.Process.Pid] != "sleep" {
		t.Fatalf("pid %d: name %q, want sleep (%d processes listed)", sleep.Process.Pid, procs.names[sleep.Process.Pid], len(procs.names))
	}
	if len(procs.held[0]) != 0 || !slices.Contains(procs.held[1], sleep.Process.Pid) || !slices.Contains(procs.held[2], sleep.Process.Pid) || len(procs.held[3]) != 0 {
		t.Errorf("held %v: want the folder and its file held by %d, nothing else", procs.held, sleep.Process.Pid)
	}
	procs, err = nodeProcesses(ctx, fakelab.Host{}, "n1", "etcd", []string{data})
	must(t, err)
	if len(procs.held[0]) != 0 {
		t.Errorf("held by etcd: %v, want none (only sleep holds it)", procs.held)
	}
}

// etcdNodes is a control plane with kubeadm's static pods and a worker.
func etcdNodes() *fakelab.Nodes {
	nodes := fakelab.NewNodes("cp", "w1")
	nodes.SetFile("cp", staticPodDir+"/etcd.yaml", kubeadmEtcd)
	for _, c := range controlPlanePods {
		nodes.SetFile("cp", staticPodDir+"/"+c+".yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: "+c+", namespace: kube-system}\nspec: {containers: [{name: "+c+", command: ["+c+"]}]}\n")
	}
	nodes.SetDir("w1", staticPodDir)
	return nodes
}

func TestEtcdReturnOf(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	restored := strings.Replace(kubeadmEtcd, "path: /var/lib/etcd\n", "path: /var/lib/etcd-from-backup\n", 1)
	restart := []ControlPlanePod{
		{Manifest: staticPodDir + "/kube-apiserver.yaml", Name: "kube-apiserver", Process: "kube-apiserver"},
		{Manifest: staticPodDir + "/kube-controller-manager.yaml", Name: "kube-controller-manager", Process: "kube-controller"},
		{Manifest: staticPodDir + "/kube-scheduler.yaml", Name: "kube-scheduler", Process: "kube-scheduler"},
	}
	for name, tc := range map[string]struct {
		change func(*fakelab.Nodes)
		want   []EtcdReturn
	}{
		"nothing changed": {func(*fakelab.Nodes) {}, nil},
		"etcd.yaml changed, same data": {func(n *fakelab.Nodes) {
			n.SetFile("cp", staticPodDir+"/etcd.yaml", kubeadmEtcd+"# edited\n")
		}, nil},
		"restored and pointed at": {func(n *fakelab.Nodes) {
			n.SetFile("cp", lab.EtcdRestoreDir+"/member/snap/db", "x")
			n.SetFile("cp", staticPodDir+"/etcd.yaml", restored)
		}, []EtcdReturn{{Node: "cp", DataDir: "/var/lib/etcd", Elsewhere: lab.EtcdRestoreDir, Folders: []string{lab.EtcdRestoreDir}, Restart: restart}}},
		"restored only": {func(n *fakelab.Nodes) {
			n.SetFile("cp", lab.EtcdRestoreDir+"/member/snap/db", "x")
		}, []EtcdReturn{{Node: "cp", DataDir: "/var/lib/etcd", Folders: []string{lab.EtcdRestoreDir}, Restart: restart}}},
		"pointed at a folder that is not there": {func(n *fakelab.Nodes) {
			n.SetFile("cp", staticPodDir+"/etcd.yaml", strings.Replace(kubeadmEtcd, "path: /var/lib/etcd\n", "path: /var/lib/etcd-new\n", 1))
		}, []EtcdReturn{{Node: "cp", DataDir: "/var/lib/etcd", Elsewhere: "/var/lib/etcd-new", Restart: restart}}},
		"manifest moved away": {func(n *fakelab.Nodes) {
			n.SetFile("cp", "/etc/kubernetes/manifests-off/etcd.yaml", kubeadmEtcd)
			if _, _, _, err := n.Exec(ctx, "cp", []string{"rm", "-f", "--", staticPodDir + "/etcd.yaml"}, nil); err != nil {
				t.Fatal(err)
			}
		}, []EtcdReturn{{Node: "cp", DataDir: "/var/lib/etcd", Elsewhere: "no manifest that runs it", Restart: restart}}},
		"restored on a worker": {func(n *fakelab.Nodes) {
			n.SetFile("w1", lab.EtcdRestoreDir+"/2/member/snap/db", "x")
		}, []EtcdReturn{{Node: "w1", Folders: []string{lab.EtcdRestoreDir}}}},
	} {
		nodes := etcdNodes()
		var b Baseline
		b.NodeFiles = map[string]NodeFiles{}
		for _, n := range []string{"cp", "w1"} {
			nf, err := recordNodeFiles(ctx, nodes, n, DefaultNodeFiles())
			must(t, err)
			b.NodeFiles[n] = nf
		}
		tc.change(nodes)
		p := &Plan{}
		must(t, p.compareFiles(ctx, nodes, &b))
		if !slices.EqualFunc(p.Etcd, tc.want, func(a, b EtcdReturn) bool {
			return a.Node == b.Node && a.DataDir == b.DataDir && a.Elsewhere == b.Elsewhere && slices.Equal(a.Folders, b.Folders) && slices.Equal(a.Restart, b.Restart)
		}) {
			t.Errorf("%s: etcd returns %+v, want %+v", name, p.Etcd, tc.want)
		}
	}
}

// TestRestoreFolderAtBaseline: a restore folder that was there when the
// baseline was taken is kept, unread (an etcd data folder holds files
// larger than a baseline keeps), and never removed.
func TestRestoreFolderAtBaseline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	nodes := etcdNodes()
	nodes.SetFile("cp", lab.EtcdRestoreDir+"/member/wal/0.wal", strings.Repeat("x", lab.MaxNodeFileSize+1))
	nodes.SetFile("cp", lab.EtcdRestoreDir+"/member/snap/db", "small")
	nf, err := recordNodeFiles(ctx, nodes, "cp", DefaultNodeFiles())
	must(t, err)
	if !slices.Equal(nf.RestoreFoldersKept, []string{lab.EtcdRestoreDir}) || slices.Contains(nf.Listed, lab.EtcdRestoreDir+"/") {
		t.Errorf("kept %q, listed %q: want the folder kept, and listed as every baseline lists it", nf.RestoreFoldersKept, nf.Listed)
	}
	for _, p := range append(slices.Collect(maps.Keys(nf.Files)), nf.Dirs...) {
		if strings.HasPrefix(p, lab.EtcdRestoreDir) {
			t.Errorf("recorded %s: want nothing of the restore folder", p)
		}
	}
	nodes.SetFile("cp", lab.EtcdRestoreDir+"/member/snap/db", "changed")
	b := &Baseline{NodeFiles: map[string]NodeFiles{"cp": nf}}
	p := &Plan{}
	must(t, p.compareFiles(ctx, nodes, b))
	if len(p.Files) != 0 || len(p.Etcd) != 0 {
		t.Errorf("plan %v, etcd %v: want nothing to undo", p.Describe(), p.Etcd)
	}
	if !RemovesNodeFolder(lab.EtcdRestoreDir) || !RemovesNodeFolder(lab.EtcdRestoreDir+"/2") || RemovesNodeFolder(lab.EtcdRestoreDir+"2") ||
		RemovesNodeFolder("/var/lib/etcd") || RemovesNodeFolder("/opt/course/x") {
		t.Error("RemovesNodeFolder: want the restore folder and those in it only")
	}
}

// TestRemoveRestoreFoldersRefuses: a restore folder an etcd process holds
// is never removed.
func TestRemoveRestoreFoldersRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	nodes := etcdNodes()
	nodes.SetFile("cp", lab.EtcdRestoreDir+"/member/snap/db", "x")
	nodes.Run = func(node string, argv []string, _ []byte) (string, string, int, bool) {
		if len(argv) > 4 && argv[2] == procScript {
			return "P 1 systemd\nP 812 etcd\nH 812/fd/9 1\n", "", 0, true
		}
		return "", "", 0, false
	}
	err := removeRestoreFolders(ctx, nodes, EtcdReturn{Node: "cp", Folders: []string{lab.EtcdRestoreDir}})
	if want := "/var/lib/etcd-from-backup on cp is not removed: etcd (pid 812) runs on it"; err == nil || err.Error() != want {
		t.Errorf("err %v, want %s", err, want)
	}
	if _, ok := nodes.File("cp", lab.EtcdRestoreDir+"/member/snap/db"); !ok {
		t.Error("the folder was removed")
	}
}
