package baseline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
)

// TestNodeFilesRoundTrip records a folder with a subfolder, a file, and a
// folder that does not exist yet, changes them as a learner or a node step
// would (a 0600 manifest moved to a folder made for it, one added, one
// whose mode changed, an answer saved in a new subfolder, a config edited,
// a hidden file), and restores them with the scripts nodes run, here on
// this machine: modes included.
func TestNodeFilesRoundTrip(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	manifests := filepath.Join(root, "manifests")
	off := filepath.Join(root, "manifests-off")
	course := filepath.Join(root, "course")
	write := func(p, s string) {
		t.Helper()
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(s), 0o644))
	}
	write(filepath.Join(manifests, "etcd.yaml"), "kind: Pod\nname: etcd\n")
	must(t, os.Chmod(filepath.Join(manifests, "etcd.yaml"), 0o600)) // as kubeadm writes it
	write(filepath.Join(manifests, "kube apiserver.yaml"), "odd name\n")
	write(filepath.Join(manifests, "keep", "nested.yaml"), "nested\n")
	kubelet := filepath.Join(root, "config.yaml")
	write(kubelet, "staticPodPath: /etc/kubernetes/manifests\n")
	ex := fakelab.Host{}
	paths := []string{manifests + "/", off + "/", course + "/", kubelet, filepath.Join(root, "missing.toml")}
	want, err := recordNodeFiles(ctx, ex, "n1", paths)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Files) != 4 || want.Files[kubelet] != "staticPodPath: /etc/kubernetes/manifests\n" ||
		want.Modes[filepath.Join(manifests, "etcd.yaml")] != "0600" || want.Modes[kubelet] != "0644" ||
		!slices.Equal(want.Dirs, []string{manifests, filepath.Join(manifests, "keep")}) || !slices.Equal(want.Listed, paths) {
		t.Fatalf("recorded %+v", want)
	}
	must(t, os.MkdirAll(off, 0o755))
	must(t, os.Rename(filepath.Join(manifests, "etcd.yaml"), filepath.Join(off, "etcd.yaml")))
	write(filepath.Join(manifests, "static-web.yaml"), "kind: Pod\n")
	write(filepath.Join(manifests, "keep", ".hidden"), "x\n")
	write(filepath.Join(manifests, "new", "deep.yaml"), "x\n")
	write(filepath.Join(course, "1", "container-id"), "4f6e\n")
	write(kubelet, "broken\n")
	must(t, os.Chmod(filepath.Join(manifests, "kube apiserver.yaml"), 0o600))
	got, err := lab.ListNodeFiles(ctx, ex, "n1", want.listed(), nil)
	if err != nil {
		t.Fatal(err)
	}
	fixes := fileFixes("n1", want, got)
	var lines []string
	for _, f := range fixes {
		lines = append(lines, strings.ReplaceAll(f.String(), root, ""))
	}
	wantLines := []string{
		"/config.yaml restored on n1",
		"/manifests/etcd.yaml restored on n1",
		"/manifests/kube apiserver.yaml restored on n1",
		"/course/ removed from n1",
		"/manifests-off/ removed from n1",
		"/manifests/new/ removed from n1",
		"/manifests/keep/.hidden removed from n1",
		"/manifests/static-web.yaml removed from n1",
	}
	if !slices.Equal(lines, wantLines) {
		t.Errorf("fixes:\n %s\nwant:\n %s", strings.Join(lines, "\n "), strings.Join(wantLines, "\n "))
	}
	// Restoring the kubelet's config restarts the kubelet: not possible
	// here, so leave that file out and check the rest is applied.
	fixes = slices.DeleteFunc(fixes, func(f FileFix) bool { return f.Path == kubelet })
	if err := applyFiles(ctx, ex, fixes); err != nil {
		t.Fatal(err)
	}
	after, err := lab.ListNodeFiles(ctx, ex, "n1", want.listed(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if left := fileFixes("n1", want, after); len(left) != 1 || left[0].Path != kubelet {
		t.Errorf("after applying: %v, want only the kubelet config left", left)
	}
	for name, want := range map[string]os.FileMode{"etcd.yaml": 0o600, "kube apiserver.yaml": 0o644} {
		fi, err := os.Stat(filepath.Join(manifests, name))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s restored: %v, %v; want mode %v", name, fi.Mode(), err, want)
		}
	}
	for _, gone := range []string{off, course} {
		if _, err := os.Stat(gone); !os.IsNotExist(err) {
			t.Errorf("%s: %v, want it removed (it did not exist)", gone, err)
		}
	}
}

func TestFileFixesUnitsLast(t *testing.T) {
	want := NodeFiles{Listed: []string{}, Files: map[string]string{"/a": "1"},
		Units: map[string]string{"kubelet": "active", "containerd": "active"}, Enabled: map[string]string{"kubelet": "enabled", "containerd": "enabled"}}
	got := lab.NodeListing{Files: map[string]string{"/a": "2"}, Units: map[string]lab.UnitState{
		"kubelet":    {Active: "inactive", Enabled: "disabled"},
		"containerd": {Active: "active", Enabled: "enabled"},
	}}
	var lines []string
	for _, f := range fileFixes("n", want, got) {
		lines = append(lines, f.String())
	}
	if want := []string{"/a restored on n", "kubelet enabled again on n", "kubelet started again on n"}; !slices.Equal(lines, want) {
		t.Errorf("fixes %q, want %q", lines, want)
	}
	if restartUnit("/var/lib/kubelet/config.yaml") != "kubelet" || restartUnit("/etc/containerd/config.toml") != "containerd" || restartUnit("/etc/kubernetes/manifests/etcd.yaml") != "" {
		t.Error("restartUnit: wrong unit for a restored file")
	}
}

// TestOlderNodeFiles: a baseline written before listed and enabled were
// recorded still loads and means what it meant: its folders were read
// without subfolders, its units were enabled, and the folders added to
// DefaultNodeFiles since held nothing.
func TestOlderNodeFiles(t *testing.T) {
	var nf NodeFiles
	old := `{"files": {"/etc/kubernetes/manifests/etcd.yaml": "e", "/var/lib/kubelet/config.yaml": "k"},
		"dirs": ["/etc/kubernetes/manifests"], "units": {"kubelet": "active", "containerd": "active"}}`
	must(t, json.Unmarshal([]byte(old), &nf))
	// ... and the RestoreFolders, which every baseline lists.
	wantListed := []string{"/etc/kubernetes/manifests-off/", "/etc/kubernetes/manifests/", "/opt/course/", "/var/lib/kubelet/config.yaml", "/var/lib/etcd-from-backup/"}
	if got := nf.listed(); !slices.Equal(got, wantListed) {
		t.Errorf("listed %q, want %q", got, wantListed)
	}
	for p, want := range map[string]bool{
		"/etc/kubernetes/manifests/web.yaml":     true,
		"/etc/kubernetes/manifests/sub/x.yaml":   false, // never read: it may have been there
		"/etc/kubernetes/manifests-off/etcd.yml": true,
		"/opt/course/1/answer":                   true,
		"/var/lib/kubelet/other":                 false,
	} {
		if nf.owns(p, false) != want {
			t.Errorf("owns(%s) = %v, want %v", p, !want, want)
		}
	}
	if nf.owns("/etc/kubernetes/manifests/sub", true) || !nf.owns("/opt/course", true) {
		t.Error("folders: want only those of the folders added since owned")
	}
	if nf.enabled("kubelet") != "enabled" {
		t.Errorf("a missing enabled state is %q, want enabled", nf.enabled("kubelet"))
	}
	// Without recorded modes, a mode changed alone is no difference, and a
	// file made again gets none (0644, as before).
	got := lab.NodeListing{Files: map[string]string{"/etc/kubernetes/manifests/etcd.yaml": "e", "/var/lib/kubelet/config.yaml": "k"},
		Modes: map[string]string{"/etc/kubernetes/manifests/etcd.yaml": "0644", "/var/lib/kubelet/config.yaml": "0600"},
		Units: map[string]lab.UnitState{"kubelet": {Active: "active", Enabled: "disabled"}, "containerd": {Active: "active", Enabled: "enabled"}}}
	if fixes := fileFixes("n", nf, got); len(fixes) != 1 || fixes[0].String() != "kubelet enabled again on n" {
		t.Errorf("fixes %v, want the kubelet enabled again", fixes)
	}
	delete(got.Files, "/etc/kubernetes/manifests/etcd.yaml")
	if fixes := fileFixes("n", nf, got); len(fixes) != 2 || fixes[0].Path != "/etc/kubernetes/manifests/etcd.yaml" || fixes[0].Mode != "" {
		t.Errorf("fixes %+v, want etcd.yaml written back without a mode", fixes)
	}
	// A new baseline keeps what it read, also when it read nothing.
	data, err := json.Marshal(NodeFiles{Listed: []string{}})
	must(t, err)
	var back NodeFiles
	must(t, json.Unmarshal(data, &back))
	if back.Listed == nil || !slices.Equal(back.listed(), []string{"/var/lib/etcd-from-backup/"}) {
		t.Errorf("%s read back as %+v: want an empty listing, not an older baseline", data, back)
	}
}

func TestRestoresNodeFile(t *testing.T) {
	for p, want := range map[string]bool{
		"/etc/kubernetes/manifests/kube-scheduler.yaml":        true,
		"/etc/kubernetes/manifests-off/kube-scheduler.yaml":    true,
		"/opt/course/1/deep/answer.txt":                        true,
		"/var/lib/kubelet/config.yaml":                         true,
		"/etc/systemd/system/kubelet.service.d/20-broken.conf": true,
		"/etc/kubernetes/manifests":                            false, // the folder itself
		"/etc/kubernetes/admin.conf":                           false,
		"/var/lib/kubelet/pki/kubelet.crt":                     false,
		"/opt/course-other/x":                                  false,
		"/etc/passwd":                                          false,
	} {
		if RestoresNodeFile(p) != want {
			t.Errorf("RestoresNodeFile(%s) = %v, want %v", p, !want, want)
		}
	}
}
