package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// podExecSpec: a command run in a container of a pod (by name, or the
// first Running pod with labels) exits with exitCode (default 0) and
// prints what stdoutContains and stdoutMatches say: `cat
// /etc/app/app.conf` shows the mounted ConfigMap, `id -u` the securityContext,
// `printenv DB_HOST` the injected variable.
//
// The command is the author's argv, run without a shell (`sh -c` only when
// the author writes it, and then in the pod's own shell). Unlike
// nodeCommand there is no allow-list: the command runs in a pod of the
// scenario, not on a lab node, and a pod's image decides its tools. It
// must still only observe (read a file, print a setting): the grader never
// changes the lab, and a check runs again at every look. Each run is cut
// off after podExecTimeout.
type podExecSpec struct {
	podRef         `yaml:",inline"`
	Container      string   `yaml:"container"`
	Command        []string `yaml:"command"`
	commandOutcome `yaml:",inline"`
}

type podExecCheck struct {
	spec podExecSpec
}

func newPodExec(body *yaml.Node, p string) (grader.Check, yamlx.Problems) {
	c := &podExecCheck{}
	ps := yamlx.Decode(body, p, &c.spec)
	c.spec.podRef.validate(body, p, &ps)
	cmdPath := yamlx.Join(p, "command")
	switch {
	case ps.Explains(cmdPath):
	case len(c.spec.Command) == 0:
		ps.Add(body, cmdPath, "required: the command and its arguments, as a list ([cat, /etc/app/app.conf])")
	case c.spec.Command[0] == "":
		ps.Add(valueOf(body, "command"), cmdPath, "the command's name is empty")
	}
	c.spec.commandOutcome.validate(body, p, &ps)
	return c, ps
}

func (c *podExecCheck) expected() string {
	in := c.spec.podRef.String()
	if c.spec.Container != "" {
		in = "container " + c.spec.Container + " of " + in
	}
	return c.spec.commandOutcome.expected(c.spec.Command, "in "+in)
}

// Observe finds the pod and runs the command once, within podExecTimeout.
func (c *podExecCheck) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	obs := grader.Observation{Expected: c.expected()}
	ctx, pods, cancel, err := inPods(ctx, env)
	defer cancel()
	if err != nil {
		return failedExpecting(obs.Expected, err)
	}
	pod, err := c.spec.podRef.find(ctx, env)
	if err != nil {
		return failedExpecting(obs.Expected, err)
	}
	stdout, stderr, code, err := pods.ExecInPod(ctx, pod.Namespace, pod.Name, c.spec.Container, c.spec.Command, nil)
	if err != nil {
		return failedExpecting(obs.Expected, fmt.Errorf("run `%s` in pod %s/%s: %w", strings.Join(c.spec.Command, " "), pod.Namespace, pod.Name, err))
	}
	actual, problems := c.spec.judge(stdout, stderr, code)
	obs.Actual, obs.Problems = "in pod "+pod.Name+": "+actual, problems
	obs.Passed = len(obs.Problems) == 0
	return obs
}
