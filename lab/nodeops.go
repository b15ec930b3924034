package lab

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
)

// The node operations steps, checks and the baseline perform, as argv for
// an Execer. They are kept to a few commands every node has (sh, cat, mv,
// rm, mkdir, chmod, systemctl; base64, wc, tr and ls for a listing) so that a
// stand-in node (lab/kind's tests) and a fake one (internal/fakelab) can
// answer them exactly; no operation passes a path or a unit through a
// shell's parser.

// ErrNoNodeAccess is a node operation on a lab whose provider does not
// reach into nodes (the sim).
var ErrNoNodeAccess = errors.New("this lab gives no access to its nodes (a kind lab does)")

// NodeError is a node command that ran and failed.
type NodeError struct {
	Node   string
	Op     string // "write /etc/x", "systemctl stop kubelet"
	Code   int
	Stderr string
}

func (e *NodeError) Error() string {
	msg := fmt.Sprintf("%s on %s: exit %d", e.Op, e.Node, e.Code)
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

// run runs argv and turns a non-zero exit into a *NodeError.
func run(ctx context.Context, e Execer, node, op string, argv []string, stdin []byte) ([]byte, error) {
	if e == nil {
		return nil, ErrNoNodeAccess
	}
	stdout, stderr, code, err := e.Exec(ctx, node, argv, stdin)
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", op, node, err)
	}
	if code != 0 {
		return stdout, &NodeError{Node: node, Op: op, Code: code, Stderr: strings.TrimSpace(string(stderr))}
	}
	return stdout, nil
}

// ReadNodeFile reads a file of a node; found is false when it does not
// exist (or is not a regular file).
func ReadNodeFile(ctx context.Context, e Execer, node, path string) (data []byte, found bool, err error) {
	// test -f first: cat's failure would not tell a missing file from an
	// unreadable one.
	out, err := run(ctx, e, node, "read "+path, []string{"sh", "-c", `test -f "$1" || exit 44; cat -- "$1"`, "sh", path}, nil)
	var ne *NodeError
	if errors.As(err, &ne) && ne.Code == 44 {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// WriteNodeFile writes a file of a node, making its folder, with mode
// (such as "0644"; "" keeps the mode of a file that exists, else 0644).
func WriteNodeFile(ctx context.Context, e Execer, node, path string, data []byte, mode string) error {
	script := `mkdir -p "$(dirname "$1")" && cat > "$1"`
	args := []string{"sh", "-c", script, "sh", path}
	if mode != "" {
		args = []string{"sh", "-c", script + ` && chmod "$2" "$1"`, "sh", path, mode}
	}
	_, err := run(ctx, e, node, "write "+path, args, data)
	return err
}

// MoveNodeFile renames a file of a node, making the target's folder.
func MoveNodeFile(ctx context.Context, e Execer, node, from, to string) error {
	_, err := run(ctx, e, node, "move "+from+" to "+to,
		[]string{"sh", "-c", `mkdir -p "$(dirname "$2")" && mv -f -- "$1" "$2"`, "sh", from, to}, nil)
	return err
}

// RemoveNodeFile removes a file of a node; a missing one is no error.
func RemoveNodeFile(ctx context.Context, e Execer, node, path string) error {
	_, err := run(ctx, e, node, "remove "+path, []string{"rm", "-f", "--", path}, nil)
	return err
}

// Unit actions a step may take on a systemd unit.
var UnitActions = []string{"start", "stop", "restart", "enable", "disable"}

// NodeUnit runs `systemctl <action> <unit>` on a node.
func NodeUnit(ctx context.Context, e Execer, node, unit, action string) error {
	_, err := run(ctx, e, node, "systemctl "+action+" "+unit, []string{"systemctl", action, unit}, nil)
	return err
}

// UnitState is what systemd says of a unit: ActiveState ("active",
// "inactive", "failed", ...) and UnitFileState ("enabled", "disabled",
// ...).
type UnitState struct {
	Active  string `json:"active"`
	Enabled string `json:"enabled"`
}

// NodeUnitState asks systemd for a unit's state. is-active and is-enabled
// print the state and exit non-zero when it is not active or enabled: the
// printed word is what counts.
func NodeUnitState(ctx context.Context, e Execer, node, unit string) (UnitState, error) {
	var st UnitState
	for _, q := range []struct {
		verb string
		into *string
	}{{"is-active", &st.Active}, {"is-enabled", &st.Enabled}} {
		if e == nil {
			return UnitState{}, ErrNoNodeAccess
		}
		stdout, stderr, _, err := e.Exec(ctx, node, []string{"systemctl", q.verb, unit}, nil)
		if err != nil {
			return UnitState{}, fmt.Errorf("systemctl %s %s on %s: %w", q.verb, unit, node, err)
		}
		*q.into = strings.TrimSpace(string(stdout))
		if *q.into == "" {
			*q.into = strings.TrimSpace(string(stderr))
		}
	}
	return st, nil
}

// NodeDaemonReload runs `systemctl daemon-reload` on a node: a unit file
// or drop-in written or removed takes effect only after it.
func NodeDaemonReload(ctx context.Context, e Execer, node string) error {
	_, err := run(ctx, e, node, "systemctl daemon-reload", []string{"systemctl", "daemon-reload"}, nil)
	return err
}

// RemoveNodeFolder removes a folder of a node with everything in it; a
// missing one is no error. rm -r removes symlinks inside, never what they
// point to.
func RemoveNodeFolder(ctx context.Context, e Execer, node, dir string) error {
	if !path.IsAbs(dir) || path.Clean(dir) != dir || dir == "/" {
		return fmt.Errorf("remove folder %q on %s: want an absolute, clean path other than /", dir, node)
	}
	_, err := run(ctx, e, node, "remove folder "+dir, []string{"rm", "-rf", "--", dir}, nil)
	return err
}

// NodeCommand runs a program on a node and returns its stdout; a non-zero
// exit is a *NodeError with its stderr. The caller decides which programs
// may run (argv is passed as is, to no shell).
func NodeCommand(ctx context.Context, e Execer, node string, argv []string) ([]byte, error) {
	if len(argv) == 0 {
		return nil, errors.New("no command")
	}
	return run(ctx, e, node, strings.Join(argv, " "), argv, nil)
}

// MaxNodeFileSize is the largest node file ListNodeFiles reads (4 MiB):
// larger ones (an etcd snapshot saved as an answer) are listed without
// their content, so that a listing stays small.
const MaxNodeFileSize = 4 << 20

// NodeListing is what ListNodeFiles found on a node.
type NodeListing struct {
	// Files by absolute path, with their content.
	Files map[string]string
	// Modes are the Files' modes, in octal as chmod takes them ("0600";
	// setuid, setgid and sticky bits in a leading digit).
	Modes map[string]string
	// Large are files over MaxNodeFileSize, not read.
	Large []string
	// Dirs are the listed folders that exist and every folder under them
	// (not those behind a symlink), sorted.
	Dirs []string
	// Units are the systemd units asked for (none when the node has no
	// systemctl).
	Units map[string]UnitState
}

// listScript prints one line per file ("F <path> <mode> <content>", path
// and content base64, mode as `ls -l` prints it, "-rw-------"; "L <path>"
// for one over the limit, $1), per folder ("D <path>") and per unit ("U
// <name> <active> <enabled>", "-" for a state systemctl did not print);
// base64 keeps odd names and binary content on one line. The mode comes
// before the content, which may be empty. It is ls's rather than stat's
// (`stat -c`), which is GNU's and busybox's only, so that the script also
// runs on the machines tests run it on (fakelab.Host). Folders (paths
// ending in /) are walked with their subfolders and hidden files; symlinks
// to folders are not followed. The paths end at "--", the units follow it.
const listScript = `limit=$1; shift
b() { printf %s "$1" | base64 | tr -d '\n'; }
file() {
  if [ "$(wc -c < "$1")" -gt "$limit" ]; then echo "L $(b "$1")"
  else m=$(ls -ld -- "$1"); echo "F $(b "$1") ${m%% *} $(base64 < "$1" | tr -d '\n')"; fi
}
walk() {
  echo "D $(b "$1")"
  for e in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    if [ -d "$e" ] && [ ! -L "$e" ]; then walk "$e"
    elif [ -f "$e" ]; then file "$e"; fi
  done
}
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  case "$1" in
  */) [ -d "$1" ] && walk "${1%/}" ;;
  *) [ -f "$1" ] && file "$1" ;;
  esac
  shift
done
[ $# -gt 0 ] && shift
if command -v systemctl >/dev/null; then
  for u in "$@"; do
    a=$(systemctl is-active "$u" 2>/dev/null); e=$(systemctl is-enabled "$u" 2>/dev/null)
    echo "U $(b "$u") ${a:--} ${e:--}"
  done
fi
exit 0`

// ListNodeFiles reads, in one command, the files of a node at paths
// (absolute; a folder ends with "/" and is read whole, with its
// subfolders) and the state of the units.
func ListNodeFiles(ctx context.Context, e Execer, node string, paths, units []string) (NodeListing, error) {
	argv := append([]string{"sh", "-c", listScript, "sh", strconv.Itoa(MaxNodeFileSize)}, paths...)
	argv = append(append(argv, "--"), units...)
	out, err := run(ctx, e, node, "list files", argv, nil)
	if err != nil {
		return NodeListing{}, err
	}
	l := NodeListing{Files: map[string]string{}, Modes: map[string]string{}, Units: map[string]UnitState{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 2*MaxNodeFileSize)
	for sc.Scan() {
		if err := l.add(strings.Fields(sc.Text())); err != nil {
			return NodeListing{}, fmt.Errorf("list files on %s: %w", node, err)
		}
	}
	if err := sc.Err(); err != nil {
		return NodeListing{}, fmt.Errorf("list files on %s: %w", node, err)
	}
	slices.Sort(l.Dirs)
	slices.Sort(l.Large)
	return l, nil
}

// add adds one line of listScript's output.
func (l *NodeListing) add(fields []string) error {
	if len(fields) < 2 {
		return nil
	}
	name, err := unb64(fields[1])
	if err != nil {
		return fmt.Errorf("%s line: %w", fields[0], err)
	}
	word := func(i int) string {
		if i < len(fields) && fields[i] != "-" {
			return fields[i]
		}
		return ""
	}
	switch fields[0] {
	case "D":
		l.Dirs = append(l.Dirs, name)
	case "L":
		l.Large = append(l.Large, name)
	case "F":
		mode, err := octalOfLs(word(2))
		if err != nil {
			return fmt.Errorf("mode of %s: %w", name, err)
		}
		content, err := unb64(word(3))
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		l.Files[name] = content
		l.Modes[name] = mode
	case "U":
		l.Units[name] = UnitState{Active: word(2), Enabled: word(3)}
	}
	return nil
}

func unb64(s string) (string, error) {
	data, err := base64.StdEncoding.DecodeString(s)
	return string(data), err
}

// NodeFileTooLargeError is a node file ReadNodeFileLimited refused: it is
// over the limit it was given.
type NodeFileTooLargeError struct {
	Node, Path string
	// Size is the file's size when known (0: it grew past Max while read).
	Size, Max int64
}

func (e *NodeFileTooLargeError) Error() string {
	if e.Size > 0 {
		return fmt.Sprintf("%s on %s is %d bytes, over the %d bytes ckalab reads", e.Path, e.Node, e.Size, e.Max)
	}
	return fmt.Sprintf("%s on %s is over the %d bytes ckalab reads", e.Path, e.Node, e.Max)
}

// readLimitedScript prints a regular file ($1) of at most $2 bytes; a
// missing one exits 44, a larger one prints its size and exits 45. head
// reads one byte past the limit, so that a file growing after wc is still
// caught.
const readLimitedScript = `test -f "$1" || exit 44; s=$(wc -c < "$1") || exit 1; s=${s##* }; ` +
	`if [ "$s" -gt "$2" ]; then echo "$s"; exit 45; fi; head -c "$(($2 + 1))" -- "$1"`

// ReadNodeFileLimited reads a file of a node as ReadNodeFile does, up to
// limit bytes: a larger one (an etcd snapshot is tens of megabytes, and the
// whole file is held in memory) is a *NodeFileTooLargeError, read no
// further. found is false when it does not exist (or is not a regular
// file).
func ReadNodeFileLimited(ctx context.Context, e Execer, node, path string, limit int64) (data []byte, found bool, err error) {
	if limit <= 0 {
		return nil, false, fmt.Errorf("read %s on %s: limit %d, want more than 0 bytes", path, node, limit)
	}
	out, err := run(ctx, e, node, "read "+path, []string{"sh", "-c", readLimitedScript, "sh", path, strconv.FormatInt(limit, 10)}, nil)
	var ne *NodeError
	switch {
	case errors.As(err, &ne) && ne.Code == 44:
		return nil, false, nil
	case errors.As(err, &ne) && ne.Code == 45:
		size, _ := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
		return nil, true, &NodeFileTooLargeError{Node: node, Path: path, Size: size, Max: limit}
	case err != nil:
		return nil, false, err
	case int64(len(out)) > limit:
		return nil, true, &NodeFileTooLargeError{Node: node, Path: path, Max: limit}
	}
	return out, true, nil
}

// octalOfLs turns the mode `ls -l` prints ("-rw-------", "-rwsr-xr-x",
// maybe followed by "." or "+" for a security context or an ACL) into
// chmod's octal ("0600", "4755").
func octalOfLs(s string) (string, error) {
	if len(s) < 10 {
		return "", fmt.Errorf("%q is not a mode as ls prints it", s)
	}
	var mode, special uint
	// Each class: r, w, and x or its special letter (lower case: with x).
	for i, class := range []struct{ special rune }{{'s'}, {'s'}, {'t'}} {
		rwx := s[1+3*i : 4+3*i]
		bits := uint(0)
		for j, want := range "rw" {
			switch rune(rwx[j]) {
			case want:
				bits |= 4 >> j
			case '-':
			default:
				return "", fmt.Errorf("%q is not a mode as ls prints it", s)
			}
		}
		switch rune(rwx[2]) {
		case 'x':
			bits |= 1
		case class.special:
			bits |= 1
			special |= 4 >> i
		case class.special - 'a' + 'A':
			special |= 4 >> i
		case '-':
		default:
			return "", fmt.Errorf("%q is not a mode as ls prints it", s)
		}
		mode = mode<<3 | bits
	}
	return fmt.Sprintf("%04o", special<<9|mode), nil
}
