package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	"gopkg.in/yaml.v3"
)

// nodeCommandSpec: a read-only command (lab/nodetools.go's allow-list,
// checked when the scenario loads; every command is also cut off after
// nodeExecTimeout) run on a node exits with exitCode (default 0) and prints
// what stdoutContains and stdoutMatches say: `crictl ps --name
// kube-scheduler --state running`, `openssl x509 -in FILE -noout -enddate`,
// `etcdutl snapshot status FILE`.
type nodeCommandSpec struct {
	Node           string   `yaml:"node"`
	Command        []string `yaml:"command"`
	commandOutcome `yaml:",inline"`
}

type nodeCommandCheck struct {
	spec nodeCommandSpec
}

func newNodeCommand(body *yaml.Node, p string) (grader.Check, yamlx.Problems) {
	c := &nodeCommandCheck{}
	ps := yamlx.Decode(body, p, &c.spec)
	if c.spec.Node == "" {
		ps.Add(body, yamlx.Join(p, "node"), "required")
	}
	cmdPath := yamlx.Join(p, "command")
	// A check only observes: read-only entries, so it names no file it
	// writes.
	if _, err := lab.AllowedNodeCommand(c.spec.Command, lab.ReadOnly); err != nil && !ps.Explains(cmdPath) {
		ps.Add(valueOf(body, "command"), cmdPath, "%v", err)
	}
	c.spec.commandOutcome.validate(body, p, &ps)
	return c, ps
}

// NodeName implements grader.NodeCheck.
func (c *nodeCommandCheck) NodeName() string { return c.spec.Node }

func (c *nodeCommandCheck) expected() string {
	return c.spec.expected(c.spec.Command, "on node "+c.spec.Node)
}

// Observe runs the command once, within nodeExecTimeout.
func (c *nodeCommandCheck) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	obs := grader.Observation{Expected: c.expected()}
	ctx, exec, cancel, err := onNode(ctx, env)
	defer cancel()
	if err != nil {
		return failedExpecting(obs.Expected, err)
	}
	stdout, stderr, code, err := exec.Exec(ctx, c.spec.Node, c.spec.Command, nil)
	if err != nil {
		return failedExpecting(obs.Expected, fmt.Errorf("run `%s` on %s: %w", strings.Join(c.spec.Command, " "), c.spec.Node, err))
	}
	obs.Actual, obs.Problems = c.spec.judge(stdout, stderr, code)
	obs.Passed = len(obs.Problems) == 0
	return obs
}
