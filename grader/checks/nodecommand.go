package checks

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// nodeCommandSpec: a read-only command (readOnlyCommands, checked when the
// scenario loads) run on a node exits with exitCode (default 0) and prints
// what stdoutContains and stdoutMatches say: `crictl ps --name
// kube-scheduler --state running`, `openssl x509 -in FILE -noout -enddate`,
// `etcdutl snapshot status FILE`.
type nodeCommandSpec struct {
	Node           string   `yaml:"node"`
	Command        []string `yaml:"command"`
	ExitCode       *int     `yaml:"exitCode"`
	StdoutContains string   `yaml:"stdoutContains"`
	StdoutMatches  string   `yaml:"stdoutMatches"`
}

type nodeCommandCheck struct {
	spec nodeCommandSpec
	re   *regexp.Regexp
}

func newNodeCommand(body *yaml.Node, p string) (grader.Check, yamlx.Problems) {
	c := &nodeCommandCheck{}
	ps := yamlx.Decode(body, p, &c.spec)
	if c.spec.Node == "" {
		ps.Add(body, yamlx.Join(p, "node"), "required")
	}
	cmdPath := yamlx.Join(p, "command")
	if err := allowedCommand(c.spec.Command); err != nil && !ps.Explains(cmdPath) {
		ps.Add(valueOf(body, "command"), cmdPath, "%v", err)
	}
	if e := c.spec.ExitCode; e != nil && (*e < 0 || *e > 255) {
		ps.Add(valueOf(body, "exitCode"), yamlx.Join(p, "exitCode"), "got %d, want 0 to 255", *e)
	}
	c.re = compileRegexp(valueOf(body, "stdoutMatches"), p, "stdoutMatches", c.spec.StdoutMatches, &ps)
	return c, ps
}

// NodeName implements grader.NodeCheck.
func (c *nodeCommandCheck) NodeName() string { return c.spec.Node }

func (c *nodeCommandCheck) wantCode() int {
	if c.spec.ExitCode == nil {
		return 0
	}
	return *c.spec.ExitCode
}

func (c *nodeCommandCheck) expected() string {
	parts := []string{fmt.Sprintf("`%s` on node %s exits %d", strings.Join(c.spec.Command, " "), c.spec.Node, c.wantCode())}
	if c.spec.StdoutContains != "" {
		parts = append(parts, fmt.Sprintf("stdout containing %q", c.spec.StdoutContains))
	}
	if c.re != nil {
		parts = append(parts, "stdout matching /"+c.spec.StdoutMatches+"/")
	}
	return strings.Join(parts, ", ")
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
	obs.Actual = fmt.Sprintf("exit %d", code)
	if out := excerpt(stdout, 300); out != "" {
		obs.Actual += ", stdout: " + out
	}
	if code != c.wantCode() {
		p := fmt.Sprintf("exit code %d, want %d", code, c.wantCode())
		if e := excerpt(stderr, 300); e != "" {
			p += " (stderr: " + e + ")"
		}
		obs.Problems = append(obs.Problems, p)
	}
	if c.spec.StdoutContains != "" && !strings.Contains(string(stdout), c.spec.StdoutContains) {
		obs.Problems = append(obs.Problems, fmt.Sprintf("stdout does not contain %q", c.spec.StdoutContains))
	}
	if c.re != nil && !c.re.Match(stdout) {
		obs.Problems = append(obs.Problems, fmt.Sprintf("stdout does not match /%s/", c.spec.StdoutMatches))
	}
	obs.Passed = len(obs.Problems) == 0
	return obs
}
