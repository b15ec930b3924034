package fakelab

import (
	"bytes"
	"context"
	"errors"
	"os/exec"

	"github.com/ckalab/ckalab/lab"
)

// Host is a lab.Execer that runs a node's commands on this machine, for
// tests of the node scripts themselves (lab/nodeops.go, the baseline's use
// of them) on files of a temporary folder. It is no fake: what it is given
// runs, so its tests pass it only their own paths; the node is ignored.
type Host struct{}

// Exec implements lab.Execer.
func (Host) Exec(ctx context.Context, _ string, argv []string, stdin []byte) ([]byte, []byte, int, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.Bytes(), errOut.Bytes(), ee.ExitCode(), nil
	}
	return out.Bytes(), errOut.Bytes(), 0, err
}

var _ lab.Execer = Host{}
