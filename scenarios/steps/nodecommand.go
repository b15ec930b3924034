package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
)

// NodeCommand runs one of the node tools of lab/nodetools.go's allow-list
// in a lab node (an etcd snapshot, a container's id), with no shell, and
// fails unless it exits with ExitCode (default 0). SaveOutput writes the
// command's stdout to a node file (an answer such as a container id), one
// that reset restores.
//
// A non-zero ExitCode lets a wrong answer show a command that fails as the
// learner would see it fail (etcdctl with the cluster's CA instead of
// etcd's): the step passes when the command fails that way, and fails if
// the command succeeds, which would prove the wrong answer is not wrong.
type NodeCommand struct {
	Node       string         `yaml:"node" json:"node"`
	Command    []string       `yaml:"command" json:"command"`
	ExitCode   int            `yaml:"exitCode,omitempty" json:"exitCode,omitempty"`
	SaveOutput string         `yaml:"saveOutput,omitempty" json:"saveOutput,omitempty"`
	Timeout    yamlx.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// Validate wants the node, a command lab/nodetools.go allows (writing
// only files reset restores) and, for saveOutput, a path reset restores.
func (c *NodeCommand) Validate(v *Validation) {
	if c.Node == "" {
		v.Add("node", "required")
	}
	if err := checkCommand(c.Command); err != nil {
		v.Add("command", "%v", err)
	}
	if c.SaveOutput != "" {
		if err := checkNodePath(c.SaveOutput); err != nil {
			v.Add("saveOutput", "%v", err)
		}
	}
	if c.ExitCode < 0 || c.ExitCode > 255 {
		v.Add("exitCode", "got %d, want 0 to 255", c.ExitCode)
	}
	if c.ExitCode != 0 && c.SaveOutput != "" {
		v.Add("saveOutput", "a command expected to fail (exitCode %d) has no output worth saving", c.ExitCode)
	}
}

// NodeName is the node the step acts inside.
func (c *NodeCommand) NodeName() string { return c.Node }

// Changes are the files the command writes (or the folder it makes) and
// saveOutput's file: changes of the node. A command that only reads, its
// output kept nowhere, changes nothing. One off the allow-list (Validate
// reports it) is taken to change the node.
func (c *NodeCommand) Changes(fs.FS) []Change {
	writes, err := lab.AllowedNodeCommand(c.Command, lab.MayWrite)
	if err != nil {
		return nodeChange(c.Node)
	}
	var out []Change
	for _, w := range writes {
		out = append(out, nodeFileChange(c.Node, w.Path))
	}
	if c.SaveOutput != "" {
		out = append(out, nodeFileChange(c.Node, c.SaveOutput))
	}
	return out
}

// checkCommand refuses a command a nodeCommand step may not run, saying
// why: one off the allow-list, or one that writes a file (or makes a
// folder) reset would not undo.
func checkCommand(argv []string) error {
	writes, err := lab.AllowedNodeCommand(argv, lab.MayWrite)
	if err != nil {
		return err
	}
	for _, w := range writes {
		check := checkNodePath
		if w.Folder {
			check = checkNodeFolder
		}
		if err := check(w.Path); err != nil {
			return fmt.Errorf("%s writes %s: %w", w.Command, w.Path, err)
		}
	}
	return nil
}

// Run runs the command (checked again: a step made in code was never
// validated) and saves its output.
func (c *NodeCommand) Run(ctx context.Context, env Env) ([]string, error) {
	exec, err := nodeExec(env, c.Node)
	if err != nil {
		return nil, err
	}
	if err := checkCommand(c.Command); err != nil {
		return nil, fmt.Errorf("command: %w", err)
	}
	if c.SaveOutput != "" {
		if err := checkNodePath(c.SaveOutput); err != nil {
			return nil, fmt.Errorf("saveOutput: %w", err)
		}
	}
	timeout := or(c.Timeout.Duration, defaultWait)
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := strings.Join(c.Command, " ")
	out, err := lab.NodeCommand(tctx, exec, c.Node, c.Command)
	var ne *lab.NodeError
	switch {
	case err != nil && ctx.Err() == nil && tctx.Err() != nil:
		return nil, fmt.Errorf("%s on %s: still running after %s", cmd, c.Node, timeout)
	case c.ExitCode == 0 && err != nil:
		return nil, err
	case c.ExitCode != 0 && err == nil:
		return nil, fmt.Errorf("%s on %s: exit 0, want exit %d (the step shows a command that fails)", cmd, c.Node, c.ExitCode)
	case c.ExitCode != 0 && errors.As(err, &ne) && ne.Code == c.ExitCode:
		return []string{fmt.Sprintf("ran %s on %s: exit %d, as expected", cmd, c.Node, ne.Code)}, nil
	case c.ExitCode != 0:
		return nil, fmt.Errorf("%w (want exit %d)", err, c.ExitCode)
	}
	changed := []string{"ran " + cmd + " on " + c.Node}
	if c.SaveOutput != "" {
		if err := lab.WriteNodeFile(ctx, exec, c.Node, c.SaveOutput, out, ""); err != nil {
			return changed, err
		}
		changed = append(changed, fmt.Sprintf("saved its output to %s on %s", c.SaveOutput, c.Node))
	}
	return changed, nil
}
