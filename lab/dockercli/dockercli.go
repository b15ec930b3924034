// Package dockercli runs the docker program, as kind itself does: the CLI
// is what every Docker-compatible engine and wrapper understands.
package dockercli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// Docker runs docker commands; tests give a fake one.
type Docker interface {
	// Output runs docker with args and returns its stdout; a failure carries
	// docker's stderr.
	Output(ctx context.Context, args ...string) (string, error)
	// Run runs docker with the given streams (shells, long transfers).
	Run(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, args ...string) error
}

// CLI is the docker program found on PATH.
type CLI struct{}

// Output implements Docker.
func (CLI) Output(ctx context.Context, args ...string) (string, error) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// Run implements Docker.
func (CLI) Run(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker %s: %w", strings.Join(args, " "), err)
	}
	return nil
}
