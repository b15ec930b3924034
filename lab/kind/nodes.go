package kind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"

	"github.com/ckalab/ckalab/lab"
	kindexec "sigs.k8s.io/kind/pkg/exec"
)

var _ lab.Execer = (*Provider)(nil)

// Exec implements lab.Execer through kind's node handles (docker exec). A
// command that ran and failed returns its exit code and a nil error.
func (p *Provider) Exec(ctx context.Context, node string, argv []string, stdin []byte) (stdout, stderr []byte, exitCode int, err error) {
	if len(argv) == 0 {
		return nil, nil, 0, errors.New("exec: no command")
	}
	ns, err := p.nodes()
	if err != nil {
		return nil, nil, 0, err
	}
	n, ok := ns[node]
	if !ok {
		return nil, nil, 0, fmt.Errorf("node %q is not a node of the kind lab (nodes: %s)", node, strings.Join(slices.Sorted(maps.Keys(ns)), ", "))
	}
	var out, errOut bytes.Buffer
	cmd := n.CommandContext(ctx, argv[0], argv[1:]...).SetStdout(&out).SetStderr(&errOut)
	if stdin != nil {
		cmd.SetStdin(bytes.NewReader(stdin))
	}
	err = cmd.Run()
	var runErr *kindexec.RunError
	if errors.As(err, &runErr) && runErr.Inner != nil {
		// kind's RunError does not Unwrap; its Inner is the os/exec error.
		err = runErr.Inner
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return out.Bytes(), errOut.Bytes(), 0, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() < 125:
		// docker exec returns the command's own code below 125; 125-127
		// are docker's (daemon error, not executable, not found).
		return out.Bytes(), errOut.Bytes(), exitErr.ExitCode(), nil
	default:
		err = fmt.Errorf("exec %s in %s: %w", argv[0], node, err)
		if msg := strings.TrimSpace(errOut.String()); msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		return out.Bytes(), errOut.Bytes(), -1, err
	}
}

// Shell implements lab.Shell: a root login shell in the node, with a
// terminal when the user has one. kind's node handles cannot allocate a TTY,
// so this one call goes to docker directly.
func (p *Provider) Shell(ctx context.Context, node string, sio lab.ShellIO) error {
	ns, err := p.nodes()
	if err != nil {
		return err
	}
	if _, ok := ns[node]; !ok {
		return fmt.Errorf("node %q is not a node of the kind lab (nodes: %s)", node, strings.Join(slices.Sorted(maps.Keys(ns)), ", "))
	}
	return p.Docker.Run(ctx, sio.In, sio.Out, sio.Err, shellArgs(node, sio)...)
}

func shellArgs(node string, sio lab.ShellIO) []string {
	args := []string{"exec", "-i"}
	if sio.TTY {
		args = append(args, "-t")
	}
	term := sio.Term
	if term == "" {
		term = "xterm"
	}
	// As on the exam's nodes: root, in /root, with a login shell.
	args = append(args, "-w", "/root", "-e", "TERM="+term, node)
	if len(sio.Command) > 0 {
		return append(args, sio.Command...)
	}
	return append(args, "bash", "-l")
}
