package fakelab

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ckalab/ckalab/lab"
)

// PodRun answers one command run in a pod's container, as the container
// would: its output and exit code, or an error when the exec could not run
// (no such container, the pod not running).
type PodRun func(namespace, pod, container string, argv []string) (stdout, stderr string, code int, err error)

// PodExec is a lab.PodExecer whose commands a test answers (Run), and
// which records every call. client-go's fakes have no pods/exec, so
// without Run every exec fails, saying so: a test notices a command it
// did not expect rather than passing on a guess.
type PodExec struct {
	mu    sync.Mutex
	run   PodRun
	calls []PodCall
}

// PodCall is one command run in a fake pod.
type PodCall struct {
	Namespace, Pod, Container string
	Argv                      []string
}

// ErrNoPodExec is what a PodExec without a Run answers.
var ErrNoPodExec = errors.New("fakelab: no exec in fakes (a test answers it with fakelab.SetPodExec)")

// SetPodExec gives the lab a PodExec answered by run, and returns it.
func SetPodExec(c *lab.Cluster, run PodRun) *PodExec {
	p := &PodExec{run: run}
	c.Pods = p
	return p
}

// ExecInPod implements lab.PodExecer. A command still running when ctx
// ends is an error, as the real exec's stream is cut then.
func (p *PodExec) ExecInPod(ctx context.Context, namespace, pod, container string, argv []string, _ []byte) ([]byte, []byte, int, error) {
	p.mu.Lock()
	p.calls = append(p.calls, PodCall{Namespace: namespace, Pod: pod, Container: container, Argv: slices.Clone(argv)})
	run := p.run
	p.mu.Unlock()
	if run == nil {
		return nil, nil, -1, ErrNoPodExec
	}
	out, errOut, code, err := run(namespace, pod, container, slices.Clone(argv))
	if err != nil {
		return nil, nil, -1, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, -1, fmt.Errorf("fakelab: %s in %s/%s: %w", strings.Join(argv, " "), namespace, pod, err)
	}
	return []byte(out), []byte(errOut), code, nil
}

// Calls returns the commands run so far.
func (p *PodExec) Calls() []PodCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

var _ lab.PodExecer = (*PodExec)(nil)
