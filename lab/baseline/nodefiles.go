package baseline

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/ckalab/ckalab/lab"
)

// NodeFiles are the files and services of one node that node-level tasks
// change (a moved static pod manifest, a broken kubelet configuration, a
// stopped or disabled kubelet, an answer saved on the node).
//
// Baselines are kept for the life of a lab, so fields are only added, and
// one without a field means what the ckalab that wrote it did (see listed,
// owns, enabled and Modes).
type NodeFiles struct {
	// Listed are the paths that were read; a folder ends with "/" and was
	// read whole, with its subfolders: whatever is under it now that the
	// baseline lacks was added since. Nil in baselines from before it was
	// recorded.
	Listed []string `json:"listed"`
	// Files by absolute path, with their content.
	Files map[string]string `json:"files,omitempty"`
	// Modes are the Files' modes, octal as chmod takes them ("0600": a
	// kubeadm static pod manifest's). A file without one (all of them in
	// baselines from before modes were recorded) is restored as those
	// ckalabs did: a file still there keeps its mode, one made again is
	// 0644, and a change of mode alone is no difference.
	Modes map[string]string `json:"modes,omitempty"`
	// Dirs are the listed folders that existed and the folders under them
	// (in baselines without Listed: the listed folders, which were read
	// without their subfolders).
	Dirs []string `json:"dirs,omitempty"`
	// Units are systemd units and their state ("active", "inactive").
	Units map[string]string `json:"units,omitempty"`
	// Enabled are the units' unit file states ("enabled", "disabled"); a
	// unit missing here (in baselines from before it was recorded) was
	// enabled.
	Enabled map[string]string `json:"enabled,omitempty"`
	// RestoreFoldersKept are the RestoreFolders that existed when the
	// baseline was taken: reset leaves them, and what they hold, alone.
	// Every other one is recorded as absent (see etcd.go): reset removes
	// it. None in baselines from before: ckalab's labs never had one.
	RestoreFoldersKept []string `json:"restoreFoldersKept,omitempty"`
}

// DefaultNodeFiles are what node-level scenarios change on a kubeadm node
// (a folder ends with "/"): static pod manifests, the folder that
// manifests are moved to so that the kubelet stops their pods (it reads
// only manifests/), the kubelet's and containerd's configuration, and the
// folder exam tasks save their answers in.
func DefaultNodeFiles() []string {
	return []string{
		"/etc/kubernetes/manifests/",
		"/etc/kubernetes/manifests-off/",
		"/var/lib/kubelet/config.yaml",
		"/etc/containerd/config.toml",
		"/etc/systemd/system/kubelet.service.d/",
		"/opt/course/",
	}
}

// NodeUnits are the systemd units whose state the baseline records and
// restores: the kubelet and the container runtime.
func NodeUnits() []string { return []string{"kubelet", "containerd"} }

// RestoresNodeFile says whether a reset undoes whatever is done to the
// node file p (an absolute, clean path): it is one of DefaultNodeFiles, or
// inside one of its folders.
func RestoresNodeFile(p string) bool {
	for _, d := range DefaultNodeFiles() {
		if p == d || (strings.HasSuffix(d, "/") && strings.HasPrefix(p, d) && p != d) {
			return true
		}
	}
	return false
}

// foldersAddedWithListed are the folders DefaultNodeFiles gained together
// with NodeFiles.Listed. Baselines from before never read them; the nodes
// of ckalab's labs have neither folder, so whatever is in them was added
// since.
func foldersAddedWithListed() []string {
	return []string{"/etc/kubernetes/manifests-off/", "/opt/course/"}
}

// listed are the paths to read to compare a node with its baseline: those
// recorded, and the RestoreFolders.
func (nf NodeFiles) listed() []string {
	if nf.Listed != nil {
		return withRestoreFolders(nf.Listed)
	}
	var paths []string
	for _, d := range nf.Dirs {
		paths = append(paths, d+"/")
	}
	for f := range nf.Files {
		if !slices.Contains(nf.Dirs, path.Dir(f)) {
			paths = append(paths, f)
		}
	}
	paths = append(paths, foldersAddedWithListed()...)
	slices.Sort(paths)
	return withRestoreFolders(slices.Compact(paths))
}

// owns says whether p, a file or (dir) a folder found by reading listed,
// is the baseline's to undo when the baseline lacks it. Baselines without
// Listed own only the files directly in their folders (they were read
// without subfolders) and what is in foldersAddedWithListed.
func (nf NodeFiles) owns(p string, dir bool) bool {
	folders := nf.Listed
	if folders == nil {
		if !dir && slices.Contains(nf.Dirs, path.Dir(p)) {
			return true
		}
		folders = foldersAddedWithListed()
	}
	for _, f := range folders {
		if d, ok := strings.CutSuffix(f, "/"); ok && (p == d || strings.HasPrefix(p, f)) {
			return true
		}
	}
	return false
}

// enabled is a unit's recorded unit file state.
func (nf NodeFiles) enabled(unit string) string {
	if e, ok := nf.Enabled[unit]; ok {
		return e
	}
	return "enabled"
}

// recordNodeFiles reads what the baseline keeps of a node, and which
// RestoreFolders it has (none, on a new lab).
func recordNodeFiles(ctx context.Context, exec lab.Execer, node string, paths []string) (NodeFiles, error) {
	l, err := lab.ListNodeFiles(ctx, exec, node, withRestoreFolders(paths), NodeUnits())
	if err != nil {
		return NodeFiles{}, fmt.Errorf("record the files of node %s: %w", node, err)
	}
	kept := keepRestoreFolders(&l)
	if len(l.Large) > 0 {
		return NodeFiles{}, fmt.Errorf("record the files of node %s: %s is larger than %d bytes, which the baseline cannot keep", node, strings.Join(l.Large, ", "), lab.MaxNodeFileSize)
	}
	nf := NodeFiles{Listed: append([]string{}, paths...), Files: l.Files, Modes: l.Modes, Dirs: l.Dirs, Units: map[string]string{}, Enabled: map[string]string{},
		RestoreFoldersKept: kept}
	for u, st := range l.Units {
		nf.Units[u] = st.Active
		nf.Enabled[u] = st.Enabled
	}
	return nf, nil
}

// FileFix is one change inside a node to undo.
type FileFix struct {
	Node string
	// Path of a file to write back (Content, with Mode unless it is
	// empty) or to remove (Remove), or of a folder made since (Folder),
	// removed with what it holds.
	Path    string
	Content string
	Mode    string
	Remove  bool
	Folder  bool
	// Unit to start again (UnitAction "start"), or to enable or disable
	// again ("enable", "disable": systemctl's verbs).
	Unit       string
	UnitAction string
}

// restoreFolder says whether the fix removes a RestoreFolder: Apply does
// that last, once etcd does not run on it (etcd.go).
func (f FileFix) restoreFolder() bool {
	return f.Folder && slices.Contains(RestoreFolders(), f.Path)
}

func (f FileFix) String() string {
	switch {
	case f.Unit != "":
		done := map[string]string{"start": "started", "enable": "enabled", "disable": "disabled"}[f.UnitAction]
		return f.Unit + " " + done + " again on " + f.Node
	case f.Folder:
		return f.Path + "/ removed from " + f.Node
	case f.Remove:
		return f.Path + " removed from " + f.Node
	}
	return f.Path + " restored on " + f.Node
}

func (p *Plan) compareFiles(ctx context.Context, exec lab.Execer, b *Baseline) error {
	for _, node := range slices.Sorted(maps.Keys(b.NodeFiles)) {
		want := b.NodeFiles[node]
		got, err := lab.ListNodeFiles(ctx, exec, node, want.listed(), slices.Sorted(maps.Keys(want.Units)))
		if err != nil {
			return fmt.Errorf("compare the files of node %s: %w", node, err)
		}
		fixes := fileFixes(node, want, got)
		p.Files = append(p.Files, fixes...)
		if e, ok := etcdReturnOf(node, want, got); ok {
			p.Etcd = append(p.Etcd, e)
		}
		// Read from the manifests as they are, before Apply changes them.
		p.MirrorPods = append(p.MirrorPods, mirrorPodsGoing(node, want, got, fixes)...)
	}
	return nil
}

// fileFixes lists what brings got back to want: files written back (with
// their mode), then folders and files made since removed (a folder with
// what it holds), then units enabled or disabled, then started (a kubelet
// started with a broken configuration would only fail again).
func fileFixes(node string, want NodeFiles, got lab.NodeListing) []FileFix {
	var out []FileFix
	for _, f := range slices.Sorted(maps.Keys(want.Files)) {
		mode := want.Modes[f]
		if c, ok := got.Files[f]; !ok || c != want.Files[f] || (mode != "" && got.Modes[f] != mode) {
			out = append(out, FileFix{Node: node, Path: f, Content: want.Files[f], Mode: mode})
		}
	}
	var madeDirs []string
	inMade := func(p string) bool {
		return slices.ContainsFunc(madeDirs, func(d string) bool { return strings.HasPrefix(p, d+"/") })
	}
	// Sorted, a folder comes before those inside it. What is in a
	// RestoreFolder is not compared: the folder goes whole, or stays.
	for _, d := range got.Dirs {
		if _, in := inRestoreFolder(d); in {
			continue
		}
		if !slices.Contains(want.Dirs, d) && want.owns(d, true) && !inMade(d) {
			madeDirs = append(madeDirs, d)
			out = append(out, FileFix{Node: node, Path: d, Remove: true, Folder: true})
		}
	}
	for _, d := range want.restoreFoldersMade(got) {
		out = append(out, FileFix{Node: node, Path: d, Remove: true, Folder: true})
	}
	for _, f := range slices.Sorted(slices.Values(append(slices.Collect(maps.Keys(got.Files)), got.Large...))) {
		if _, in := inRestoreFolder(f); in {
			continue
		}
		if _, ok := want.Files[f]; !ok && want.owns(f, false) && !inMade(f) {
			out = append(out, FileFix{Node: node, Path: f, Remove: true})
		}
	}
	units := slices.Sorted(maps.Keys(want.Units))
	for _, u := range units {
		g, ok := got.Units[u]
		e := want.enabled(u)
		// Other states (static, masked) are not the learner's to change.
		if action := map[string]string{"enabled": "enable", "disabled": "disable"}[e]; ok && action != "" && g.Enabled != e {
			out = append(out, FileFix{Node: node, Unit: u, UnitAction: action})
		}
	}
	for _, u := range units {
		if g, ok := got.Units[u]; ok && want.Units[u] == "active" && g.Active != "active" {
			out = append(out, FileFix{Node: node, Unit: u, UnitAction: "start"})
		}
	}
	return out
}

// restartUnit says which service must restart to read a restored file.
func restartUnit(file string) string {
	switch {
	case strings.HasPrefix(file, "/var/lib/kubelet/"), strings.HasPrefix(file, "/etc/systemd/system/kubelet.service.d/"):
		return "kubelet"
	case strings.HasPrefix(file, "/etc/containerd/"):
		return "containerd"
	}
	return "" // static pod manifests are read by the running kubelet
}

// applyFiles writes files back and removes added ones, reloads systemd
// where a unit's files changed, enables or disables units again, and
// (re)starts the services that read the files or were stopped.
func applyFiles(ctx context.Context, exec lab.Execer, fixes []FileFix) error {
	restart := map[string]map[string]bool{}
	reload := map[string]bool{}
	restartOn := func(node, unit string) {
		if restart[node] == nil {
			restart[node] = map[string]bool{}
		}
		restart[node][unit] = true
	}
	var unitFixes []FileFix
	for _, f := range fixes {
		var err error
		switch {
		case f.restoreFolder():
			// Not here: etcd may run on it (Plan.Apply removes it once
			// etcd is back on its own data).
			continue
		case f.Unit != "" && f.UnitAction == "start":
			restartOn(f.Node, f.Unit)
			continue
		case f.Unit != "":
			unitFixes = append(unitFixes, f)
			continue
		case f.Folder:
			err = lab.RemoveNodeFolder(ctx, exec, f.Node, f.Path)
		case f.Remove:
			err = lab.RemoveNodeFile(ctx, exec, f.Node, f.Path)
		default:
			err = lab.WriteNodeFile(ctx, exec, f.Node, f.Path, []byte(f.Content), f.Mode)
		}
		if err != nil {
			return fmt.Errorf("undo %s: %w", f, err)
		}
		if u := restartUnit(f.Path); u != "" {
			restartOn(f.Node, u)
		}
		if strings.HasPrefix(f.Path, "/etc/systemd/") {
			reload[f.Node] = true
		}
	}
	for _, node := range slices.Sorted(maps.Keys(reload)) {
		if err := lab.NodeDaemonReload(ctx, exec, node); err != nil {
			return fmt.Errorf("reset node files: %w", err)
		}
	}
	for _, f := range unitFixes {
		if err := lab.NodeUnit(ctx, exec, f.Node, f.Unit, f.UnitAction); err != nil {
			return fmt.Errorf("undo %s: %w", f, err)
		}
	}
	for _, node := range slices.Sorted(maps.Keys(restart)) {
		for _, u := range slices.Sorted(maps.Keys(restart[node])) {
			if err := lab.NodeUnit(ctx, exec, node, u, "restart"); err != nil {
				return fmt.Errorf("reset node files: %w", err)
			}
		}
	}
	return nil
}
