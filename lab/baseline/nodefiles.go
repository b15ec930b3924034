package baseline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/ckalab/ckalab/lab"
)

// NodeFiles are the files and services of one node that node-level tasks
// change (a moved static pod manifest, a broken kubelet configuration, a
// stopped kubelet).
type NodeFiles struct {
	// Files by absolute path, with their content.
	Files map[string]string `json:"files,omitempty"`
	// Dirs were listed whole: a file in them that the baseline lacks was
	// added since (a static pod manifest).
	Dirs []string `json:"dirs,omitempty"`
	// Units are systemd units and their state ("active", "inactive").
	Units map[string]string `json:"units,omitempty"`
}

// DefaultNodeFiles are what node-level scenarios change on a kubeadm node:
// a folder ends with "/".
func DefaultNodeFiles() []string {
	return []string{
		"/etc/kubernetes/manifests/",
		"/var/lib/kubelet/config.yaml",
		"/etc/containerd/config.toml",
		"/etc/systemd/system/kubelet.service.d/",
	}
}

// readScript prints one line per file ("F <path> <content>", both base64),
// per listed folder ("D <path>") and per unit of the kubelet and the
// container runtime ("U <name> <state>"); base64 keeps odd names and
// binary content on one line.
const readScript = `
b() { printf %s "$1" | base64 | tr -d '\n'; }
for p in "$@"; do
  case "$p" in
  */) d=${p%/}; [ -d "$d" ] || continue; echo "D $(b "$d")"
      for f in "$d"/*; do [ -f "$f" ] && echo "F $(b "$f") $(base64 < "$f" | tr -d '\n')"; done ;;
  *) [ -f "$p" ] && echo "F $(b "$p") $(base64 < "$p" | tr -d '\n')" ;;
  esac
done
for u in kubelet containerd; do
  command -v systemctl >/dev/null && echo "U $u $(systemctl is-active "$u" 2>/dev/null)"
done
exit 0`

func readNodeFiles(ctx context.Context, exec lab.Execer, node string, paths []string) (NodeFiles, error) {
	argv := append([]string{"sh", "-c", readScript, "sh"}, paths...)
	out, stderr, code, err := exec.Exec(ctx, node, argv, nil)
	if err != nil {
		return NodeFiles{}, fmt.Errorf("read files of node %s: %w", node, err)
	}
	if code != 0 {
		return NodeFiles{}, fmt.Errorf("read files of node %s: exit %d: %s", node, code, strings.TrimSpace(string(stderr)))
	}
	nf := NodeFiles{Files: map[string]string{}, Units: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		switch fields[0] {
		case "D":
			if p, err := unb64(fields[1]); err == nil {
				nf.Dirs = append(nf.Dirs, p)
			}
		case "F":
			p, err := unb64(fields[1])
			if err != nil {
				continue
			}
			content := ""
			if len(fields) > 2 {
				if content, err = unb64(fields[2]); err != nil {
					return NodeFiles{}, fmt.Errorf("read %s on node %s: %w", p, node, err)
				}
			}
			nf.Files[p] = content
		case "U":
			if len(fields) > 2 {
				nf.Units[fields[1]] = fields[2]
			}
		}
	}
	return nf, sc.Err()
}

func unb64(s string) (string, error) {
	data, err := base64.StdEncoding.DecodeString(s)
	return string(data), err
}

// FileFix is one change inside a node to undo.
type FileFix struct {
	Node string
	// Path of a file to write back (Content) or to remove (Remove).
	Path    string
	Content string
	Remove  bool
	// Unit to start again.
	Unit string
}

func (f FileFix) String() string {
	switch {
	case f.Unit != "":
		return f.Unit + " started again on " + f.Node
	case f.Remove:
		return f.Path + " removed from " + f.Node
	}
	return f.Path + " restored on " + f.Node
}

func (p *Plan) compareFiles(ctx context.Context, exec lab.Execer, b *Baseline) error {
	for _, node := range slices.Sorted(maps.Keys(b.NodeFiles)) {
		want := b.NodeFiles[node]
		var paths []string
		for _, d := range want.Dirs {
			paths = append(paths, d+"/")
		}
		for f := range want.Files {
			if !slices.Contains(want.Dirs, path.Dir(f)) {
				paths = append(paths, f)
			}
		}
		slices.Sort(paths)
		got, err := readNodeFiles(ctx, exec, node, paths)
		if err != nil {
			return err
		}
		p.Files = append(p.Files, fileFixes(node, want, got)...)
	}
	return nil
}

// fileFixes lists what brings got back to want: files written back or
// removed first, then units started (a kubelet started with a broken
// configuration would only fail again).
func fileFixes(node string, want, got NodeFiles) []FileFix {
	var out []FileFix
	for _, f := range slices.Sorted(maps.Keys(want.Files)) {
		if c, ok := got.Files[f]; !ok || c != want.Files[f] {
			out = append(out, FileFix{Node: node, Path: f, Content: want.Files[f]})
		}
	}
	for _, f := range slices.Sorted(maps.Keys(got.Files)) {
		if _, ok := want.Files[f]; !ok && slices.Contains(want.Dirs, path.Dir(f)) {
			out = append(out, FileFix{Node: node, Path: f, Remove: true})
		}
	}
	for _, u := range slices.Sorted(maps.Keys(want.Units)) {
		if want.Units[u] == "active" && got.Units[u] != "active" {
			out = append(out, FileFix{Node: node, Unit: u})
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

// applyFiles writes files back, removes added ones, and (re)starts the
// services that read them.
func applyFiles(ctx context.Context, exec lab.Execer, fixes []FileFix) error {
	restart := map[string]map[string]bool{}
	for _, f := range fixes {
		var argv []string
		var stdin []byte
		switch {
		case f.Unit != "":
			if restart[f.Node] == nil {
				restart[f.Node] = map[string]bool{}
			}
			restart[f.Node][f.Unit] = true
			continue
		case f.Remove:
			argv = []string{"rm", "-f", "--", f.Path}
		default:
			argv = []string{"sh", "-c", `mkdir -p "$(dirname "$1")" && cat > "$1"`, "sh", f.Path}
			stdin = []byte(f.Content)
		}
		if _, stderr, code, err := exec.Exec(ctx, f.Node, argv, stdin); err != nil || code != 0 {
			return fmt.Errorf("%s: exit %d: %v %s", f, code, err, strings.TrimSpace(string(stderr)))
		}
		if u := restartUnit(f.Path); u != "" {
			if restart[f.Node] == nil {
				restart[f.Node] = map[string]bool{}
			}
			restart[f.Node][u] = true
		}
	}
	for _, node := range slices.Sorted(maps.Keys(restart)) {
		for _, u := range slices.Sorted(maps.Keys(restart[node])) {
			argv := []string{"systemctl", "restart", u}
			if _, stderr, code, err := exec.Exec(ctx, node, argv, nil); err != nil || code != 0 {
				return fmt.Errorf("restart %s on %s: exit %d: %v %s", u, node, code, err, strings.TrimSpace(string(stderr)))
			}
		}
	}
	return nil
}
