package baseline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ckalab/ckalab/lab"
	"gopkg.in/yaml.v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Restoring an etcd snapshot (the restore task: `etcdutl snapshot restore
// FILE --data-dir DIR` under lab.EtcdRestoreDir, then etcd's static pod
// manifest pointed at DIR) leaves etcd running on other data than its
// own. Putting the lab back is more than writing etcd.yaml back and
// removing DIR:
//
//  1. The API reads whatever data etcd runs on: compared while etcd runs on
//     a restored snapshot (or on an empty folder), the lab's objects are
//     that data's, and objects deleted or written back then are lost the
//     moment etcd returns to its own data; with etcd down (its manifest
//     broken), the API does not answer at all. So Compare reads the nodes
//     first, and when etcd's data is not its own, plans only the node
//     files; Apply compares the objects again once the API serves etcd's
//     own data.
//  2. The kubelet takes seconds to switch etcd's static pod, and etcd runs
//     on DIR until then: removing DIR under it would leave it writing into
//     deleted files. So Apply writes etcd.yaml back, waits until an etcd
//     process holds etcd's own database (DATA/member/snap/db) and no etcd
//     process holds anything in DIR (read from the node's /proc: a
//     container's files are the node's, through its hostPath mounts), and
//     removes DIR last.
//  3. etcd's revisions go back when its data changes: the restored store's
//     revision is the snapshot's, its own data's is where it stopped. The
//     API server's watch cache, which serves LISTs (consistent reads from
//     the cache), and the informers of the controller manager and the
//     scheduler hold objects and revisions of the data etcd ran on before;
//     they do not notice the switch (a watch from a revision the store has
//     not reached yet just waits), and would serve, or act on, objects that
//     are not in etcd. This is why the restore procedure restarts the
//     control plane after a restore, and reset does the same after going
//     back: it moves the manifests of kube-apiserver,
//     kube-controller-manager and kube-scheduler aside (to a hidden file in
//     the same folder, which the kubelet ignores), waits until their
//     processes are gone, moves them back and waits until the API answers
//     /readyz. Their other clients lose their watches with the API server
//     and were expected to list again (a revision the new watch cache does
//     not have is "too old" or "too large"), but the kubelets did not: on
//     a kind lab their informers held the restored store's revisions, so
//     the mirror pods of the restarted kube-controller-manager and
//     kube-scheduler were not made again, and new pods stayed Pending on
//     their node for good. So reset then restarts the kubelet of every
//     node, side by side, and waits until each node reports a heartbeat
//     since and the mirror pods of the baseline's static pods are there
//     and Ready (kubeletresync.go). Last the pods of the lab's own
//     DaemonSets and Deployments (kube-proxy, CoreDNS, the network agents)
//     are restarted: their informers did not list again either
//     (systempods.go).
//
// Reset does all this when etcd's manifests name other data than its
// baseline's (or none runs etcd), and whenever a restore folder exists,
// even when etcd never ran on it: a reset interrupted after etcd returned
// to its own data but before the control plane restarted leaves only the
// folder to tell.

// RestoreFolders are the folders etcd snapshots are restored into
// (lab.EtcdRestoreDir): the baseline records that they do not exist, and
// reset removes them whole, once etcd does not run on them. What is in
// them is never compared or read into the baseline.
func RestoreFolders() []string { return []string{lab.EtcdRestoreDir} }

// RemovesNodeFolder says whether reset removes the folder p (an absolute,
// clean path) with everything in it, as a command that makes a folder
// (etcdutl snapshot restore) needs: a RestoreFolder, or a folder inside
// one.
func RemovesNodeFolder(p string) bool {
	_, in := inRestoreFolder(p)
	return in
}

// inRestoreFolder says which RestoreFolder p is or is inside.
func inRestoreFolder(p string) (string, bool) {
	for _, d := range RestoreFolders() {
		if p == d || strings.HasPrefix(p, d+"/") {
			return d, true
		}
	}
	return "", false
}

// withRestoreFolders adds the RestoreFolders (as folders to walk, "d/") to
// paths to list.
func withRestoreFolders(paths []string) []string {
	out := slices.Clone(paths)
	for _, d := range RestoreFolders() {
		if !slices.Contains(out, d+"/") {
			out = append(out, d+"/")
		}
	}
	return out
}

// keepRestoreFolders takes what is in the RestoreFolders out of a listing
// to record, and returns those that exist.
func keepRestoreFolders(l *lab.NodeListing) []string {
	var kept []string
	for _, d := range l.Dirs {
		if slices.Contains(RestoreFolders(), d) {
			kept = append(kept, d)
		}
	}
	in := func(p string) bool { _, ok := inRestoreFolder(p); return ok }
	l.Dirs = slices.DeleteFunc(l.Dirs, in)
	l.Large = slices.DeleteFunc(l.Large, in)
	maps.DeleteFunc(l.Files, func(p, _ string) bool { return in(p) })
	maps.DeleteFunc(l.Modes, func(p, _ string) bool { return in(p) })
	return kept
}

// restoreFoldersMade are the RestoreFolders that got has and the baseline
// did not.
func (nf NodeFiles) restoreFoldersMade(got lab.NodeListing) []string {
	var out []string
	for _, d := range RestoreFolders() {
		if slices.Contains(got.Dirs, d) && !slices.Contains(nf.RestoreFoldersKept, d) {
			out = append(out, d)
		}
	}
	return out
}

// EtcdReturn is a node whose etcd runs, or may have run, on data other
// than its own, or that has a RestoreFolder: Apply brings etcd back on
// its own data and restarts the control plane before anything else
// (see the top of this file).
type EtcdReturn struct {
	Node string
	// DataDir is the data folder on the node that etcd's baseline manifest
	// names ("" on a node without etcd, or a manifest that names none).
	DataDir string
	// Elsewhere says what etcd's manifests name now instead: another
	// folder, or that none runs it ("" when they name DataDir).
	Elsewhere string
	// Folders are the RestoreFolders on the node, removed last.
	Folders []string
	// Restart are the node's control-plane static pods, restarted once
	// etcd is back.
	Restart []ControlPlanePod
}

// ControlPlanePod is a static pod that reads the API through a cache.
type ControlPlanePod struct {
	Manifest string
	Name     string
	// Process is its process's name as the node's /proc/PID/comm has it
	// (the program's name cut to 15 bytes: "kube-controller").
	Process string
}

func (e EtcdReturn) String() string {
	var b strings.Builder
	if e.DataDir != "" {
		fmt.Fprintf(&b, "etcd of %s back on its own data (%s)", e.Node, e.DataDir)
		if e.Elsewhere != "" {
			fmt.Fprintf(&b, ", not %s", e.Elsewhere)
		}
		var names []string
		for _, r := range e.Restart {
			names = append(names, r.Name)
		}
		if len(names) > 0 {
			b.WriteString(", then " + strings.Join(names, ", ") + " restarted")
		}
		b.WriteString(", then kubelets restarted on every node, then the pods of the lab's DaemonSets and Deployments restarted")
	}
	if len(e.Folders) > 0 {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s removed from %s once no etcd runs on it", strings.Join(e.Folders, ", "), e.Node)
	}
	return b.String()
}

// controlPlanePods are the pods that cache what the API serves: restarted
// after etcd's data changed under them.
var controlPlanePods = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"}

// etcdReturnOf says whether the node needs etcd brought back (want is its
// baseline, got what is there now), and how.
func etcdReturnOf(node string, want NodeFiles, got lab.NodeListing) (EtcdReturn, bool) {
	e := EtcdReturn{Node: node, Folders: want.restoreFoldersMade(got)}
	var etcdManifest string
	for _, p := range slices.Sorted(maps.Keys(want.Files)) {
		if !isStaticPodManifest(p) {
			continue
		}
		for _, r := range staticPods(want.Files[p]) {
			switch {
			case r.namespace != metav1.NamespaceSystem:
			case r.name == "etcd" && etcdManifest == "":
				etcdManifest, e.DataDir = p, etcdDataDir(want.Files[p])
			case slices.Contains(controlPlanePods, r.name):
				e.Restart = append(e.Restart, ControlPlanePod{Manifest: p, Name: r.name, Process: processName(want.Files[p], r.name)})
			}
		}
	}
	if e.DataDir == "" {
		e.Restart = nil
		return e, len(e.Folders) > 0
	}
	// What the kubelet runs as etcd now: the pod of every manifest in the
	// folder that defines it.
	running := 0
	for _, p := range slices.Sorted(maps.Keys(got.Files)) {
		if !isStaticPodManifest(p) || !slices.ContainsFunc(staticPods(got.Files[p]), isEtcd) {
			continue
		}
		running++
		if dir := etcdDataDir(got.Files[p]); dir != e.DataDir && e.Elsewhere == "" {
			e.Elsewhere = dir
			if dir == "" {
				e.Elsewhere = "no data folder it names"
			}
		}
	}
	if running == 0 {
		e.Elsewhere = "no manifest that runs it"
	}
	return e, e.Elsewhere != "" || len(e.Folders) > 0
}

func isEtcd(r podRef) bool { return r.namespace == metav1.NamespaceSystem && r.name == "etcd" }

// podManifest is what etcd.go reads of a static pod manifest.
type podManifest struct {
	Spec struct {
		Containers []struct {
			Command      []string `yaml:"command"`
			Args         []string `yaml:"args"`
			VolumeMounts []struct {
				Name      string `yaml:"name"`
				MountPath string `yaml:"mountPath"`
			} `yaml:"volumeMounts"`
		} `yaml:"containers"`
		Volumes []struct {
			Name     string `yaml:"name"`
			HostPath *struct {
				Path string `yaml:"path"`
			} `yaml:"hostPath"`
		} `yaml:"volumes"`
	} `yaml:"spec"`
}

// etcdDataDir is the folder on the node that an etcd manifest keeps its
// data in: its --data-dir, through the hostPath volume mounted there ("":
// none, or a manifest the kubelet cannot read).
func etcdDataDir(manifest string) string {
	var m podManifest
	if err := yaml.Unmarshal([]byte(manifest), &m); err != nil {
		return ""
	}
	for _, c := range m.Spec.Containers {
		dir := flagValue(slices.Concat(c.Command, c.Args), "--data-dir")
		if dir == "" || !path.IsAbs(dir) {
			continue
		}
		dir = path.Clean(dir)
		// The mount that holds dir: the longest mount path above it.
		mount, volume := "", ""
		for _, vm := range c.VolumeMounts {
			mp := path.Clean(vm.MountPath)
			if (dir == mp || strings.HasPrefix(dir, mp+"/")) && len(mp) > len(mount) {
				mount, volume = mp, vm.Name
			}
		}
		for _, v := range m.Spec.Volumes {
			if mount != "" && v.Name == volume && v.HostPath != nil && path.IsAbs(v.HostPath.Path) {
				return path.Join(v.HostPath.Path, strings.TrimPrefix(dir, mount))
			}
		}
		return ""
	}
	return ""
}

// flagValue is the value of a flag in argv, as --flag=value or --flag
// value (the last one given, as Go's flag packages read it).
func flagValue(argv []string, flag string) string {
	v := ""
	for i, a := range argv {
		if val, ok := strings.CutPrefix(a, flag+"="); ok {
			v = val
		} else if a == flag && i+1 < len(argv) {
			v = argv[i+1]
		}
	}
	return v
}

// processName is the name the node's /proc gives a static pod's process:
// its first container's program (command[0]), cut to 15 bytes as the
// kernel keeps it; the pod's name when the manifest names no command.
func processName(manifest, pod string) string {
	var m podManifest
	name := pod
	if err := yaml.Unmarshal([]byte(manifest), &m); err == nil && len(m.Spec.Containers) > 0 && len(m.Spec.Containers[0].Command) > 0 {
		name = path.Base(m.Spec.Containers[0].Command[0])
	}
	if len(name) > 15 {
		name = name[:15]
	}
	return name
}

// procScript lists a node's processes, "P <pid> <name>" (the name as
// /proc/PID/comm has it), and, for those named $1, the paths given after
// it that they hold open: "H <pid>/fd/<n> <i>" when a file descriptor of
// the process is the i-th path ($2 is the first) or a file or folder in
// it. `test -ef` compares device and inode, so a file held through a
// container's hostPath mount is the node's file. The node's /proc shows
// the processes of its containers (kind's nodes run them as their own
// children). Folders are walked as listScript walks them.
const procScript = `want=$1; shift
walk() {
  echo "$n $1"
  if [ -d "$1" ] && [ ! -L "$1" ]; then
    for e in "$1"/* "$1"/.[!.]* "$1"/..?*; do
      if [ -e "$e" ] || [ -L "$e" ]; then walk "$e"; fi
    done
  fi
}
fds=
for d in /proc/[0-9]*; do
  read -r name 2>/dev/null < "$d/comm" || continue
  echo "P ${d#/proc/} $name"
  if [ -n "$want" ] && [ "$name" = "$want" ]; then
    for l in "$d"/fd/*; do
      if [ -f "$l" ] || [ -d "$l" ]; then fds="$fds$l
"; fi
    done
  fi
done
entries=
n=0
for a in "$@"; do
  n=$((n + 1))
  if [ -e "$a" ]; then entries="$entries$(walk "$a")
"; fi
done
set -f
IFS='
'
for e in $entries; do
  for l in $fds; do
    if [ "$l" -ef "${e#* }" ]; then echo "H ${l#/proc/} ${e%% *}"; fi
  done
done
exit 0`

// nodeProcs is what procScript found on a node.
type nodeProcs struct {
	// names are the processes' names, by pid.
	names map[int]string
	// held are, for each path asked about, the pids that hold it (or
	// something in it) open.
	held [][]int
}

// pids are the processes with a name.
func (p nodeProcs) pids(name string) []int {
	var out []int
	for pid, n := range p.names {
		if n == name {
			out = append(out, pid)
		}
	}
	slices.Sort(out)
	return out
}

// nodeProcesses lists a node's processes and which of those named name
// hold the paths open.
func nodeProcesses(ctx context.Context, exec lab.Execer, node, name string, paths []string) (nodeProcs, error) {
	if exec == nil {
		return nodeProcs{}, lab.ErrNoNodeAccess
	}
	argv := append([]string{"sh", "-c", procScript, "sh", name}, paths...)
	out, stderr, code, err := exec.Exec(ctx, node, argv, nil)
	switch {
	case err != nil:
		return nodeProcs{}, fmt.Errorf("list the processes of node %s: %w", node, err)
	case code != 0:
		return nodeProcs{}, fmt.Errorf("list the processes of node %s: exit %d: %s", node, code, strings.TrimSpace(string(stderr)))
	}
	p := nodeProcs{names: map[int]string{}, held: make([][]int, len(paths))}
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.SplitN(line, " ", 3)
		if len(fields) < 3 {
			continue
		}
		switch fields[0] {
		case "P":
			if pid, err := strconv.Atoi(fields[1]); err == nil {
				p.names[pid] = fields[2]
			}
		case "H":
			pid, err1 := strconv.Atoi(strings.SplitN(fields[1], "/", 2)[0])
			i, err2 := strconv.Atoi(fields[2])
			if err1 == nil && err2 == nil && i >= 1 && i <= len(paths) && !slices.Contains(p.held[i-1], pid) {
				p.held[i-1] = append(p.held[i-1], pid)
			}
		}
	}
	return p, nil
}

// etcdDatabase is the file an etcd running on a data folder holds open.
func etcdDatabase(dataDir string) string { return path.Join(dataDir, "member", "snap", "db") }

// poll calls try every interval until it says done or fails, for at most
// timeout; on timeout, the error is what notYet last said.
func poll(ctx context.Context, timeout, interval time.Duration, try func() (done bool, notYet string, err error)) error {
	deadline := time.Now().Add(timeout)
	for {
		done, notYet, err := try()
		switch {
		case err != nil:
			return err
		case done:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("after %s: %s", timeout, notYet)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", notYet, ctx.Err())
		case <-time.After(interval):
		}
	}
}

// waitEtcdOwnData waits until an etcd process of the node holds etcd's own
// database, and none holds anything in the node's RestoreFolders.
func waitEtcdOwnData(ctx context.Context, exec lab.Execer, e EtcdReturn, opts ApplyOptions) error {
	db := etcdDatabase(e.DataDir)
	paths := append([]string{db}, RestoreFolders()...)
	err := poll(ctx, opts.ControlPlaneTimeout, opts.Interval, func() (bool, string, error) {
		procs, err := nodeProcesses(ctx, exec, e.Node, "etcd", paths)
		if err != nil {
			return false, "", err
		}
		for i, d := range RestoreFolders() {
			if pids := procs.held[i+1]; len(pids) > 0 {
				return false, fmt.Sprintf("etcd (pid %s) still runs on %s", joinInts(pids), d), nil
			}
		}
		if len(procs.held[0]) == 0 {
			return false, "no etcd process holds " + db, nil
		}
		return true, "", nil
	})
	if err != nil {
		return fmt.Errorf("etcd of %s is not back on its own data (%s) since reset put its manifest back: %w "+
			"(on the node, `crictl ps -a --name etcd` and `crictl logs` say why)", e.Node, e.DataDir, err)
	}
	return nil
}

// hiddenManifest is where restartControlPlane moves a manifest meanwhile:
// a dot file in the same folder, which the kubelet skips (and reset
// removes, if it is ever left behind).
func hiddenManifest(p string) string {
	return path.Join(path.Dir(p), "."+path.Base(p)+".ckalab-restart")
}

// restartControlPlane restarts the node's control-plane static pods: their
// manifests moved aside until their processes are gone, then back, until
// new processes run and the API answers.
func restartControlPlane(ctx context.Context, c *lab.Cluster, exec lab.Execer, e EtcdReturn, opts ApplyOptions) error {
	if len(e.Restart) == 0 {
		return nil
	}
	before, err := nodeProcesses(ctx, exec, e.Node, "", nil)
	if err != nil {
		return err
	}
	old := map[int]bool{}
	for _, r := range e.Restart {
		for _, pid := range before.pids(r.Process) {
			old[pid] = true
		}
	}
	var moved []ControlPlanePod
	moveBack := func() error {
		var errs []error
		for _, r := range moved {
			if err := lab.MoveNodeFile(ctx, exec, e.Node, hiddenManifest(r.Manifest), r.Manifest); err != nil {
				errs = append(errs, err)
			}
		}
		moved = nil
		return errors.Join(errs...)
	}
	for _, r := range e.Restart {
		if err := lab.MoveNodeFile(ctx, exec, e.Node, r.Manifest, hiddenManifest(r.Manifest)); err != nil {
			return errors.Join(fmt.Errorf("restart %s on %s: %w", r.Name, e.Node, err), moveBack())
		}
		moved = append(moved, r)
	}
	err = poll(ctx, opts.ControlPlaneTimeout, opts.Interval, func() (bool, string, error) {
		now, err := nodeProcesses(ctx, exec, e.Node, "", nil)
		if err != nil {
			return false, "", err
		}
		for _, r := range e.Restart {
			for _, pid := range now.pids(r.Process) {
				if old[pid] {
					return false, fmt.Sprintf("%s (pid %d) still runs", r.Name, pid), nil
				}
			}
		}
		return true, "", nil
	})
	if err := errors.Join(err, moveBack()); err != nil {
		return fmt.Errorf("restart the control plane of %s (its manifests moved aside and back): %w", e.Node, err)
	}
	err = poll(ctx, opts.ControlPlaneTimeout, opts.Interval, func() (bool, string, error) {
		now, err := nodeProcesses(ctx, exec, e.Node, "", nil)
		if err != nil {
			return false, "", err
		}
		for _, r := range e.Restart {
			if !slices.ContainsFunc(now.pids(r.Process), func(pid int) bool { return !old[pid] }) {
				return false, r.Name + " has not started again", nil
			}
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := opts.apiReady(rctx, c); err != nil {
			return false, "the API server does not answer yet: " + err.Error(), nil
		}
		return true, "", nil
	})
	if err != nil {
		return fmt.Errorf("restart the control plane of %s: %w", e.Node, err)
	}
	return nil
}

// removeRestoreFolders removes the node's RestoreFolders, unless an etcd
// process still holds something in them.
func removeRestoreFolders(ctx context.Context, exec lab.Execer, e EtcdReturn) error {
	if len(e.Folders) == 0 {
		return nil
	}
	procs, err := nodeProcesses(ctx, exec, e.Node, "etcd", e.Folders)
	if err != nil {
		return err
	}
	for i, d := range e.Folders {
		if pids := procs.held[i]; len(pids) > 0 {
			return fmt.Errorf("%s on %s is not removed: etcd (pid %s) runs on it", d, e.Node, joinInts(pids))
		}
	}
	for _, d := range e.Folders {
		if err := lab.RemoveNodeFolder(ctx, exec, e.Node, d); err != nil {
			return fmt.Errorf("undo %s: %w", FileFix{Node: e.Node, Path: d, Folder: true, Remove: true}, err)
		}
	}
	return nil
}

// apiReady asks the API server's /readyz (the real clientset), or reads a
// namespace (the fakes, which have no REST client).
func apiReady(ctx context.Context, c *lab.Cluster) error {
	if rc := c.Kube.Discovery().RESTClient(); rc != nil {
		body, err := rc.Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return err
		}
		if got := strings.TrimSpace(string(body)); got != "ok" {
			return fmt.Errorf("/readyz answered %q", got)
		}
		return nil
	}
	_, err := c.Kube.CoreV1().Namespaces().Get(ctx, metav1.NamespaceDefault, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// laterCompare is what Compare left for Apply to compare once etcd is back
// on its own data: the lab's objects, namespaces and nodes.
type laterCompare struct {
	baseline *Baseline
	opts     CompareOptions
}

// applyEtcdFirst applies a plan whose node files take etcd back to its own
// data, in the order the top of this file explains: the node files but the
// RestoreFolders; etcd back on its own data; the control plane restarted;
// every node's kubelet restarted (kubeletresync.go); the RestoreFolders
// removed; the static pods' mirror pods gone; then the objects compared
// (again, until the API answers) and undone.
func (p *Plan) applyEtcdFirst(ctx context.Context, c *lab.Cluster, opts ApplyOptions) error {
	if opts.Exec == nil {
		return errors.New("node files changed, but this lab gives no access to its nodes")
	}
	if err := applyFiles(ctx, opts.Exec, p.Files); err != nil {
		return err
	}
	for _, e := range p.Etcd {
		if e.DataDir == "" {
			continue
		}
		if err := waitEtcdOwnData(ctx, opts.Exec, e, opts); err != nil {
			return err
		}
		if err := restartControlPlane(ctx, c, opts.Exec, e, opts); err != nil {
			return err
		}
	}
	// Right after the control plane, before anything waits on what a
	// kubelet does (the mirror pods of removed manifests going): until
	// they restart, the kubelets see the API through stale informers.
	if switchesEtcdData(p.Etcd) {
		if p.later == nil {
			return errors.New("etcd went back to its own data, but the plan has no baseline to tell the lab's nodes and static pods: make it with Compare")
		}
		if err := resyncKubelets(ctx, c, opts.Exec, p.later.baseline, opts); err != nil {
			return err
		}
		if err := restartSystemPods(ctx, c, p.later.baseline, opts); err != nil {
			return err
		}
	}
	for _, e := range p.Etcd {
		if err := removeRestoreFolders(ctx, opts.Exec, e); err != nil {
			return err
		}
	}
	if err := waitMirrorPodsGone(ctx, c, p.MirrorPods, opts); err != nil {
		return err
	}
	if p.later == nil {
		return nil
	}
	var next *Plan
	err := poll(ctx, opts.ControlPlaneTimeout, opts.Interval, func() (bool, string, error) {
		var err error
		next, err = Compare(ctx, c, p.later.baseline, p.later.opts)
		if err != nil {
			return false, "compare the lab with its baseline: " + err.Error(), nil
		}
		return true, "", nil
	})
	if err != nil {
		return fmt.Errorf("once etcd was back on its own data: %w", err)
	}
	if len(next.Etcd) > 0 {
		return fmt.Errorf("etcd is still not back on its own data after reset: %s", next.Etcd[0])
	}
	return next.Apply(ctx, c, opts)
}

func joinInts(v []int) string {
	var s []string
	for _, i := range v {
		s = append(s, strconv.Itoa(i))
	}
	return strings.Join(s, ", ")
}
