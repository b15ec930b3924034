package steps

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
)

// NodeCommand runs one of the node tools of nodetools.go in a lab node
// (an etcd snapshot, a container's id), with no shell, and fails on a
// non-zero exit. SaveOutput writes the command's stdout to a node file (an
// answer such as a container id), one that reset restores.
type NodeCommand struct {
	Node       string         `yaml:"node" json:"node"`
	Command    []string       `yaml:"command" json:"command"`
	SaveOutput string         `yaml:"saveOutput,omitempty" json:"saveOutput,omitempty"`
	Timeout    yamlx.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// Validate wants the node, a command nodetools.go allows and, for
// saveOutput, a path reset restores.
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
}

// NodeName is the node the step acts inside.
func (c *NodeCommand) NodeName() string { return c.Node }

// Changes is the node.
func (c *NodeCommand) Changes(fs.FS) []Change { return nodeChange(c.Node) }

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
	if err != nil {
		if ctx.Err() == nil && tctx.Err() != nil {
			return nil, fmt.Errorf("%s on %s: still running after %s", cmd, c.Node, timeout)
		}
		return nil, err
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
