package lab_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
)

// TestNodeOps: the node operations against a fake node that models
// exactly their commands.
func TestNodeOps(t *testing.T) {
	ctx := context.Background()
	n := fakelab.NewNodes("cp", "w1")
	const manifest = "/etc/kubernetes/manifests/web.yaml"

	if _, found, err := lab.ReadNodeFile(ctx, n, "w1", manifest); found || err != nil {
		t.Fatalf("missing file: found %v, %v", found, err)
	}
	if err := lab.WriteNodeFile(ctx, n, "w1", manifest, []byte("kind: Pod\n"), "0600"); err != nil {
		t.Fatal(err)
	}
	if data, found, err := lab.ReadNodeFile(ctx, n, "w1", manifest); !found || err != nil || string(data) != "kind: Pod\n" {
		t.Fatalf("read back %q, %v, %v", data, found, err)
	}
	// A write without a mode keeps the file's, as `cat >` does.
	if err := lab.WriteNodeFile(ctx, n, "w1", manifest, []byte("kind: Pod\n"), ""); err != nil {
		t.Fatal(err)
	}
	if m, _ := n.FileMode("w1", manifest); m != 0o600 {
		t.Errorf("mode after a write without one: %v, want 0600", m)
	}
	if err := lab.MoveNodeFile(ctx, n, "w1", manifest, "/root/web.yaml"); err != nil {
		t.Fatal(err)
	}
	if got := n.Files("w1"); len(got) != 1 || got[0] != "/root/web.yaml" {
		t.Errorf("after move: %q", got)
	}
	if m, _ := n.FileMode("w1", "/root/web.yaml"); m != 0o600 {
		t.Errorf("mode after a move: %v, want 0600", m)
	}
	err := lab.MoveNodeFile(ctx, n, "w1", manifest, "/root/again.yaml")
	var ne *lab.NodeError
	if !errors.As(err, &ne) || ne.Node != "w1" || ne.Code != 1 {
		t.Errorf("moving a missing file: %v, want a NodeError with mv's exit", err)
	}
	if err := lab.RemoveNodeFile(ctx, n, "w1", "/root/web.yaml"); err != nil || len(n.Files("w1")) != 0 {
		t.Errorf("remove: %v, files %q", err, n.Files("w1"))
	}
	if err := lab.RemoveNodeFile(ctx, n, "w1", "/root/web.yaml"); err != nil {
		t.Errorf("removing a missing file is no error: %v", err)
	}

	for _, action := range []string{"stop", "disable"} {
		if err := lab.NodeUnit(ctx, n, "w1", "kubelet", action); err != nil {
			t.Fatal(err)
		}
	}
	st, err := lab.NodeUnitState(ctx, n, "w1", "kubelet")
	if err != nil || st != (lab.UnitState{Active: "inactive", Enabled: "disabled"}) {
		t.Errorf("after stop and disable: %+v, %v", st, err)
	}
	if st, _ := lab.NodeUnitState(ctx, n, "cp", "kubelet"); st != (lab.UnitState{Active: "active", Enabled: "enabled"}) {
		t.Errorf("another node's kubelet changed: %+v", st)
	}
	if err := lab.NodeUnit(ctx, n, "w1", "nope", "start"); !errors.As(err, &ne) || ne.Code != 5 {
		t.Errorf("unknown unit: %v", err)
	}
	if _, _, err := lab.ReadNodeFile(ctx, n, "w9", manifest); err == nil {
		t.Error("an unknown node is an error")
	}
	if err := lab.WriteNodeFile(ctx, nil, "w1", manifest, nil, ""); !errors.Is(err, lab.ErrNoNodeAccess) {
		t.Errorf("no node access: %v", err)
	}
}

// TestListNodeFiles runs the listing's script on this machine and the
// fake's model of it on the same files: both must list alike (subfolders,
// hidden and odd names, modes, a file over the size limit, a folder that
// does not exist), and the script must not follow a symlink to a folder.
func TestListNodeFiles(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	files := map[string]string{
		"manifests/etcd.yaml":       "kind: Pod\n",
		"manifests/odd name\n.yaml": "x",
		"manifests/.hidden":         "",
		"manifests/sub/deep/a.txt":  "a\n",
		"config.yaml":               "k: v\n",
		"big/snapshot.db":           strings.Repeat("x", lab.MaxNodeFileSize+1),
	}
	// Modes other than 0644, as chmod takes them and as the fake keeps
	// them (a static pod manifest's 0600, the special bits).
	modes := map[string]struct {
		mode os.FileMode
		want string
	}{
		"manifests/etcd.yaml":      {0o600, "0600"},
		"manifests/sub/deep/a.txt": {0o751 | os.ModeSetuid, "4751"},
		"config.yaml":              {0o640 | os.ModeSetgid | os.ModeSticky, "3640"},
	}
	fake := fakelab.NewNodes("n")
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		fake.SetFile("n", p, content)
		if m, ok := modes[name]; ok {
			if err := os.Chmod(p, m.mode); err != nil {
				t.Fatal(err)
			}
			fake.SetFileMode("n", p, m.mode)
		}
	}
	if err := os.Symlink(root, filepath.Join(root, "manifests", "loop")); err != nil {
		t.Fatal(err)
	}
	paths := []string{root + "/manifests/", root + "/big/", root + "/missing/", root + "/config.yaml", root + "/nope.yaml"}
	host, err := lab.ListNodeFiles(ctx, fakelab.Host{}, "n", paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := lab.NodeListing{
		Files: map[string]string{},
		Modes: map[string]string{},
		Large: []string{root + "/big/snapshot.db"},
		Dirs:  []string{root + "/big", root + "/manifests", root + "/manifests/sub", root + "/manifests/sub/deep"},
		Units: map[string]lab.UnitState{},
	}
	for name, content := range files {
		if name != "big/snapshot.db" {
			want.Files[root+"/"+name] = content
			want.Modes[root+"/"+name] = "0644"
			if m, ok := modes[name]; ok {
				want.Modes[root+"/"+name] = m.want
			}
		}
	}
	if !reflect.DeepEqual(host, want) {
		t.Errorf("the script listed\n %+v\nwant\n %+v", host, want)
	}
	modelled, err := lab.ListNodeFiles(ctx, fake, "n", paths, nil)
	if err != nil || !reflect.DeepEqual(modelled, want) {
		t.Errorf("the fake listed\n %+v, %v\nwant\n %+v", modelled, err, want)
	}
	// A unit this machine does not have: systemctl (if any) prints no
	// enabled state, and the active one (if any) stays in its place.
	l, err := lab.ListNodeFiles(ctx, fakelab.Host{}, "n", nil, []string{"ckalab-no-such-unit"})
	if st, ok := l.Units["ckalab-no-such-unit"]; err != nil || ok && (st.Enabled != "" || st.Active != "" && st.Active != "inactive") {
		t.Errorf("a missing unit: %+v, %v", l.Units, err)
	}

	fake.SetUnit("n", "kubelet", lab.UnitState{Active: "inactive", Enabled: "disabled"})
	l, err = lab.ListNodeFiles(ctx, fake, "n", nil, []string{"kubelet", "containerd", "nope"})
	wantUnits := map[string]lab.UnitState{
		"kubelet":    {Active: "inactive", Enabled: "disabled"},
		"containerd": {Active: "active", Enabled: "enabled"},
		"nope":       {Active: "inactive"},
	}
	if err != nil || !reflect.DeepEqual(l.Units, wantUnits) {
		t.Errorf("units %+v, %v; want %+v", l.Units, err, wantUnits)
	}
}

// TestNodeFolderAndCommand: removing a folder, reloading systemd and
// running a program, against the fake.
func TestNodeFolderAndCommand(t *testing.T) {
	ctx := context.Background()
	n := fakelab.NewNodes("w1")
	n.SetFile("w1", "/opt/course/1/a/answer", "x")
	n.SetFile("w1", "/opt/other", "y")
	if err := lab.RemoveNodeFolder(ctx, n, "w1", "/opt/course/1"); err != nil {
		t.Fatal(err)
	}
	if files, dirs := n.Files("w1"), n.Folders("w1"); !slices.Equal(files, []string{"/opt/other"}) || !slices.Equal(dirs, []string{"/opt", "/opt/course"}) {
		t.Errorf("after removing /opt/course/1: files %q, folders %q", files, dirs)
	}
	for _, bad := range []string{"/", "opt", "/opt/../etc", "/opt/"} {
		if err := lab.RemoveNodeFolder(ctx, n, "w1", bad); err == nil {
			t.Errorf("RemoveNodeFolder(%q): no error", bad)
		}
	}
	if err := lab.NodeDaemonReload(ctx, n, "w1"); err != nil {
		t.Fatal(err)
	}
	n.Run = func(_ string, argv []string, _ []byte) (string, string, int, bool) {
		if argv[0] != "crictl" {
			return "", "", 0, false
		}
		if argv[1] == "ps" {
			return "4f6e\n", "", 0, true
		}
		return "", "no such container", 1, true
	}
	if out, err := lab.NodeCommand(ctx, n, "w1", []string{"crictl", "ps", "-q"}); err != nil || string(out) != "4f6e\n" {
		t.Errorf("crictl ps: %q, %v", out, err)
	}
	_, err := lab.NodeCommand(ctx, n, "w1", []string{"crictl", "inspect", "x"})
	var ne *lab.NodeError
	if !errors.As(err, &ne) || ne.Code != 1 || ne.Stderr != "no such container" || ne.Op != "crictl inspect x" {
		t.Errorf("failing command: %v, want a NodeError with its stderr", err)
	}
	if _, err := lab.NodeCommand(ctx, nil, "w1", []string{"crictl"}); !errors.Is(err, lab.ErrNoNodeAccess) {
		t.Errorf("no node access: %v", err)
	}
}
