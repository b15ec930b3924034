package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// The node operations steps, checks and the baseline perform, as argv for
// an Execer. They are kept to a few commands every node has (sh, cat, mv,
// rm, mkdir, chmod, systemctl) so that a stand-in node (lab/kind's tests)
// and a fake one (internal/fakelab) can answer them exactly; no operation
// passes a path or a unit through a shell's parser.

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
