package fakelab

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/ckalab/ckalab/lab"
)

// Nodes is a lab's nodes in memory: a lab.Execer that answers the node
// operations of lab/nodeops.go (read, write, move and remove a file, remove
// a folder, list files, systemctl) on files with their modes, folders and
// systemd units kept in maps, and records every call. Anything else is refused with exit 127, so a test notices a
// command the fake does not model rather than passing on a guess. Run lets
// a test answer other commands itself.
type Nodes struct {
	mu    sync.Mutex
	files map[string]map[string]string // node → path → content
	modes map[string]map[string]fs.FileMode
	dirs  map[string]map[string]bool // node → folders (a file's folders exist)
	units map[string]map[string]lab.UnitState
	calls []Call
	// Run, when set, answers the commands Nodes does not model; ok false
	// falls back to exit 127.
	Run func(node string, argv []string, stdin []byte) (stdout, stderr string, code int, ok bool)
}

// Call is one command run on a fake node.
type Call struct {
	Node string
	Argv []string
}

// NewNodes returns nodes with no files, each with kubelet and containerd
// active and enabled.
func NewNodes(names ...string) *Nodes {
	n := &Nodes{files: map[string]map[string]string{}, modes: map[string]map[string]fs.FileMode{},
		dirs: map[string]map[string]bool{}, units: map[string]map[string]lab.UnitState{}}
	for _, name := range names {
		n.files[name] = map[string]string{}
		n.modes[name] = map[string]fs.FileMode{}
		n.dirs[name] = map[string]bool{}
		n.units[name] = map[string]lab.UnitState{
			"kubelet":    {Active: "active", Enabled: "enabled"},
			"containerd": {Active: "active", Enabled: "enabled"},
		}
	}
	return n
}

// SetFile puts a file on a node, making its folders. A file that exists
// keeps its mode, a new one is 0644.
func (n *Nodes) SetFile(node, p, content string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.put(node, p, content)
}

// put writes a file as `cat >` does: it keeps the mode of a file that
// exists, a new one is 0644 (the umask of a node's root is 022); n.mu is
// held.
func (n *Nodes) put(node, p, content string) {
	n.mkdirAll(node, path.Dir(p))
	if _, ok := n.files[node][p]; !ok {
		n.modes[node][p] = 0o644
	}
	n.files[node][p] = content
}

// SetFileMode sets the mode of a node's file: its permission bits, and
// fs.ModeSetuid, fs.ModeSetgid and fs.ModeSticky.
func (n *Nodes) SetFileMode(node, p string, mode fs.FileMode) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.modes[node][p] = mode
}

// FileMode is the mode of a node's file; ok is false when there is no such
// file.
func (n *Nodes) FileMode(node, p string) (mode fs.FileMode, ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.files[node][p]; !ok {
		return 0, false
	}
	return n.modes[node][p], true
}

// SetDir makes a folder (and its parents) on a node.
func (n *Nodes) SetDir(node, dir string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mkdirAll(node, dir)
}

// Folders lists a node's folders, sorted.
func (n *Nodes) Folders(node string) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Sorted(maps.Keys(n.dirs[node]))
}

// mkdirAll makes a folder and its parents, as mkdir -p; n.mu is held.
func (n *Nodes) mkdirAll(node, dir string) {
	for d := path.Clean(dir); d != "/" && d != "."; d = path.Dir(d) {
		n.dirs[node][d] = true
	}
}

// File reads a file of a node.
func (n *Nodes) File(node, p string) (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	c, ok := n.files[node][p]
	return c, ok
}

// Files lists a node's file paths, sorted.
func (n *Nodes) Files(node string) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Sorted(maps.Keys(n.files[node]))
}

// Unit is a unit's state on a node (zero when it has none).
func (n *Nodes) Unit(node, unit string) lab.UnitState {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.units[node][unit]
}

// SetUnit sets a unit's state on a node.
func (n *Nodes) SetUnit(node, unit string, st lab.UnitState) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.units[node][unit] = st
}

// Calls returns the commands run so far.
func (n *Nodes) Calls() []Call {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.calls)
}

// The scripts of lab/nodeops.go, recognised verbatim; the listing's, which
// is long, by its SHA-256 (pinned as verbatim text would be: a change to
// the script fails the tests that use it until the model here is checked
// against it and the sum updated).
const (
	readScript       = `test -f "$1" || exit 44; cat -- "$1"`
	writeScript      = `mkdir -p "$(dirname "$1")" && cat > "$1"`
	chmodScript      = writeScript + ` && chmod "$2" "$1"`
	moveScript       = `mkdir -p "$(dirname "$2")" && mv -f -- "$1" "$2"`
	listScriptSHA256 = "f8e567ce262eda3f89d88b743a2479c51be2e6041b21786cd6e369db6998ddee"
)

// Exec implements lab.Execer.
// A command still running when ctx ends is an error, as the provider's
// exec is killed then.
func (n *Nodes) Exec(ctx context.Context, node string, argv []string, stdin []byte) ([]byte, []byte, int, error) {
	n.mu.Lock()
	n.calls = append(n.calls, Call{Node: node, Argv: slices.Clone(argv)})
	files, ok := n.files[node]
	n.mu.Unlock()
	if !ok {
		return nil, nil, -1, fmt.Errorf("fakelab: no node %q (nodes: %s)", node, strings.Join(slices.Sorted(maps.Keys(n.files)), ", "))
	}
	out, errOut, code, handled := n.model(node, files, argv, stdin)
	if !handled && n.Run != nil {
		var o, e string
		if o, e, code, handled = n.Run(node, argv, stdin); handled {
			out, errOut = o, e
		}
	}
	if !handled {
		return nil, []byte("fakelab: command not modelled: " + strings.Join(argv, " ")), 127, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, -1, fmt.Errorf("fakelab: %s: %w", strings.Join(argv, " "), err)
	}
	return []byte(out), []byte(errOut), code, nil
}

// model answers the commands of lab/nodeops.go.
func (n *Nodes) model(node string, files map[string]string, argv []string, stdin []byte) (string, string, int, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case len(argv) == 5 && argv[0] == "sh" && argv[2] == readScript:
		c, ok := files[argv[4]]
		if !ok {
			return "", "", 44, true
		}
		return c, "", 0, true
	case len(argv) == 5 && argv[0] == "sh" && argv[2] == writeScript:
		n.put(node, argv[4], string(stdin))
		return "", "", 0, true
	case len(argv) == 6 && argv[0] == "sh" && argv[2] == chmodScript:
		// chmod takes the octal modes lab.WriteNodeFile is given.
		mode, err := strconv.ParseUint(argv[5], 8, 32)
		if err != nil || mode > 0o7777 {
			n.put(node, argv[4], string(stdin))
			return "", "chmod: invalid mode: '" + argv[5] + "'", 1, true
		}
		n.put(node, argv[4], string(stdin))
		n.modes[node][argv[4]] = chmodMode(mode)
		return "", "", 0, true
	case len(argv) >= 5 && argv[0] == "sh" && sha256hex(argv[2]) == listScriptSHA256:
		return n.list(node, argv[4:])
	case len(argv) == 6 && argv[0] == "sh" && argv[2] == moveScript:
		from, to := argv[4], argv[5]
		c, ok := files[from]
		if !ok {
			return "", "mv: can't rename '" + from + "': No such file or directory", 1, true
		}
		mode := n.modes[node][from]
		delete(files, from)
		delete(n.modes[node], from)
		n.mkdirAll(node, path.Dir(to))
		files[to] = c
		n.modes[node][to] = mode
		return "", "", 0, true
	case len(argv) == 4 && argv[0] == "rm" && argv[1] == "-f" && argv[2] == "--":
		delete(files, argv[3])
		delete(n.modes[node], argv[3])
		return "", "", 0, true
	case len(argv) == 4 && argv[0] == "rm" && argv[1] == "-rf" && argv[2] == "--":
		n.removeAll(node, argv[3])
		return "", "", 0, true
	case len(argv) == 3 && argv[0] == "systemctl":
		return n.systemctl(node, argv[1], argv[2])
	case len(argv) == 2 && argv[0] == "systemctl" && argv[1] == "daemon-reload":
		return "", "", 0, true
	}
	return "", "", 0, false
}

// systemctl models is-active, is-enabled and the unit actions.
func (n *Nodes) systemctl(node, verb, unit string) (string, string, int, bool) {
	st, known := n.units[node][unit]
	if !known && verb != "is-active" && verb != "is-enabled" {
		return "", "Failed to " + verb + " " + unit + ": Unit " + unit + " not found.", 5, true
	}
	switch verb {
	case "is-active":
		if !known {
			return "inactive\n", "", 4, true
		}
		return st.Active + "\n", "", exitUnless(st.Active == "active", 3), true
	case "is-enabled":
		if !known {
			return "", "Failed to get unit file state for " + unit + ": No such file or directory", 1, true
		}
		return st.Enabled + "\n", "", exitUnless(st.Enabled == "enabled", 1), true
	case "start", "restart":
		st.Active = "active"
	case "stop":
		st.Active = "inactive"
	case "enable":
		st.Enabled = "enabled"
	case "disable":
		st.Enabled = "disabled"
	default:
		return "", "", 0, false
	}
	n.units[node][unit] = st
	return "", "", 0, true
}

func exitUnless(ok bool, code int) int {
	if ok {
		return 0
	}
	return code
}

// Dir lists the files directly in a folder of a node.
func (n *Nodes) Dir(node, dir string) []string {
	var out []string
	for _, p := range n.Files(node) {
		if path.Dir(p) == path.Clean(dir) {
			out = append(out, p)
		}
	}
	return out
}

var _ lab.Execer = (*Nodes)(nil)

// removeAll removes a file or a folder with everything in it, as rm -rf;
// n.mu is held.
func (n *Nodes) removeAll(node, p string) {
	delete(n.files[node], p)
	delete(n.modes[node], p)
	for f := range n.files[node] {
		if under(f, p) {
			delete(n.files[node], f)
			delete(n.modes[node], f)
		}
	}
	for d := range n.dirs[node] {
		if d == p || under(d, p) {
			delete(n.dirs[node], d)
		}
	}
}

// under says whether p is inside the folder dir.
func under(p, dir string) bool {
	return strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// list answers lab.ListNodeFiles as its script would: args are the size
// limit, the paths, "--" and the units; n.mu is held.
func (n *Nodes) list(node string, args []string) (string, string, int, bool) {
	limit, err := strconv.Atoi(args[0])
	if err != nil {
		return "", "", 0, false
	}
	paths, units, _ := cutArgs(args[1:], "--")
	var out strings.Builder
	b := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	file := func(p string) {
		c := n.files[node][p]
		if len(c) > limit {
			fmt.Fprintf(&out, "L %s\n", b(p))
		} else {
			fmt.Fprintf(&out, "F %s %s %s\n", b(p), lsMode(n.modes[node][p]), b(c))
		}
	}
	for _, p := range paths {
		dir, isDir := strings.CutSuffix(p, "/")
		switch {
		case isDir && n.dirs[node][dir]:
			for _, d := range slices.Sorted(maps.Keys(n.dirs[node])) {
				if d == dir || under(d, dir) {
					fmt.Fprintf(&out, "D %s\n", b(d))
				}
			}
			for _, f := range slices.Sorted(maps.Keys(n.files[node])) {
				if under(f, dir) {
					file(f)
				}
			}
		case !isDir:
			if _, ok := n.files[node][p]; ok {
				file(p)
			}
		}
	}
	for _, u := range units {
		st, known := n.units[node][u]
		if !known {
			st = lab.UnitState{Active: "inactive"}
		}
		fmt.Fprintf(&out, "U %s %s %s\n", b(u), orDash(st.Active), orDash(st.Enabled))
	}
	return out.String(), "", 0, true
}

// cutArgs splits args at the first sep.
func cutArgs(args []string, sep string) (before, after []string, found bool) {
	if i := slices.Index(args, sep); i >= 0 {
		return args[:i], args[i+1:], true
	}
	return args, nil, false
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// orDash is a unit state as the listing prints it: "-" for none.
func orDash(state string) string {
	if state == "" {
		return "-"
	}
	return state
}

// lsMode is a regular file's mode as `ls -l` prints it: "-rw-------",
// "-rwsr-xr-x".
func lsMode(m fs.FileMode) string {
	out := []byte("----------")
	for i, c := range "rwxrwxrwx" {
		if m&(1<<(8-i)) != 0 {
			out[1+i] = byte(c)
		}
	}
	for _, sp := range []struct {
		bit    fs.FileMode
		at     int
		letter byte
	}{{fs.ModeSetuid, 3, 's'}, {fs.ModeSetgid, 6, 's'}, {fs.ModeSticky, 9, 't'}} {
		if m&sp.bit == 0 {
			continue
		}
		if out[sp.at] == 'x' {
			out[sp.at] = sp.letter
		} else {
			out[sp.at] = sp.letter - 'a' + 'A'
		}
	}
	return string(out)
}

// chmodMode is chmod's octal mode as an fs.FileMode, whose setuid, setgid
// and sticky bits are not chmod's.
func chmodMode(octal uint64) fs.FileMode {
	m := fs.FileMode(octal & 0o777)
	for bit, mode := range map[uint64]fs.FileMode{0o4000: fs.ModeSetuid, 0o2000: fs.ModeSetgid, 0o1000: fs.ModeSticky} {
		if octal&bit != 0 {
			m |= mode
		}
	}
	return m
}
