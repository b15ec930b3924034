// Package kindfake gives fakes of what lab/kind reaches the outside world
// through: kind's cluster provider (Cluster), its node handles (Node) and
// the docker CLI (Docker). Every lab built on lab/kind (the kind lab
// itself, lab/kubeadm) tests its logic with them, without Docker.
//
// The fakes answer from scripts set up by the test and record every call,
// so that tests can say both what the lab saw and what it asked for. What
// is not scripted fails, as a missing container or command would. All of
// them are safe for concurrent use (the lab loads images into nodes side
// by side); fields are set up before use.
//
// kindfake does not import lab/kind (whose own tests use it): a Cluster
// satisfies kind.Cluster by its method set, and a test hands it to
// kind.Provider through a closure:
//
//	NewCluster: func(l kindlog.Logger) kind.Cluster { return fc.NewCluster(l) }
package kindfake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ckalab/ckalab/lab/dockercli"
	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	kindexec "sigs.k8s.io/kind/pkg/exec"
	kindlog "sigs.k8s.io/kind/pkg/log"
)

// Result is what a scripted command prints and returns, so that a test can
// script success, failure and the output of each.
type Result struct {
	// Stdout and Stderr are written to the command's streams.
	Stdout, Stderr string
	// Err is what the command returns.
	Err error
}

// Cluster stands in for kind's cluster.Provider (it has the method set of
// kind.Cluster), answering from its fields and recording its calls, so that
// tests control what kind reports and check what the lab asked it to do.
//
// Calls are recorded as "List", "Create <name>", "Delete <name> <kubeconfig
// path>", "KubeConfig <name> <internal>" and "ListNodes <name>".
type Cluster struct {
	// Names is what List returns, with ListErr.
	Names   []string
	ListErr error
	// Nodes is what ListNodes returns unless ListNodesErr is set.
	Nodes        []*Node
	ListNodesErr error
	// Kubeconfig is what KubeConfig returns, with KubeconfigErr.
	Kubeconfig    string
	KubeconfigErr error
	// CreateFn runs as Create, with the logger last given to NewCluster (the
	// one the lab logs kind's progress to); nil makes Create fail the test.
	CreateFn func(l kindlog.Logger) error
	// DeleteErr is what Delete returns.
	DeleteErr error
	// T is failed on misuse: a Create with no options, or one that CreateFn
	// does not script. Required when Create may be called.
	T testing.TB

	mu     sync.Mutex
	logger kindlog.Logger
	calls  []string
}

// NewCluster stands in for the function a lab makes kind's provider with
// (kind.Provider.NewCluster): it keeps l for CreateFn and returns c.
func (c *Cluster) NewCluster(l kindlog.Logger) *Cluster {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.logger = l
	return c
}

func (c *Cluster) record(call string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, call)
}

// Calls lists the calls made so far, in order, so that tests can check
// what the lab asked kind to do.
func (c *Cluster) Calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// ResetCalls forgets the calls made so far, so that a test can check the
// calls of a later step alone.
func (c *Cluster) ResetCalls() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = nil
}

// Called says whether a call starting with prefix was made, so that tests
// can say "no Delete" or "a Create of this cluster" without the full list.
func (c *Cluster) Called(prefix string) bool {
	return slices.ContainsFunc(c.Calls(), func(s string) bool { return strings.HasPrefix(s, prefix) })
}

// Node returns the node of Nodes named name, so that tests can script or
// inspect one node; it panics when there is none (a broken test).
func (c *Cluster) Node(name string) *Node {
	for _, n := range c.Nodes {
		if n.Name == name {
			return n
		}
	}
	panic("kindfake: no node " + name)
}

// Create records the call and runs CreateFn, standing in for kind making
// the cluster.
func (c *Cluster) Create(name string, options ...cluster.CreateOption) error {
	c.record("Create " + name)
	if len(options) == 0 {
		c.T.Error("Create got no options")
	}
	c.mu.Lock()
	create, logger := c.CreateFn, c.logger
	c.mu.Unlock()
	if create == nil {
		c.T.Error("unexpected Create")
		return errors.New("unexpected Create")
	}
	return create(logger)
}

// Delete records the call and returns DeleteErr, standing in for kind
// deleting the cluster.
func (c *Cluster) Delete(name, kubeconfigPath string) error {
	c.record("Delete " + name + " " + kubeconfigPath)
	return c.DeleteErr
}

// List records the call and returns Names and ListErr, standing in for
// kind listing its clusters.
func (c *Cluster) List() ([]string, error) {
	c.record("List")
	return c.Names, c.ListErr
}

// KubeConfig records the call and returns Kubeconfig and KubeconfigErr,
// standing in for kind reading the cluster's kubeconfig.
func (c *Cluster) KubeConfig(name string, internal bool) (string, error) {
	c.record(fmt.Sprintf("KubeConfig %s %t", name, internal))
	return c.Kubeconfig, c.KubeconfigErr
}

// ListNodes records the call and returns Nodes, or ListNodesErr when set,
// standing in for kind listing the cluster's node containers.
func (c *Cluster) ListNodes(name string) ([]nodes.Node, error) {
	c.record("ListNodes " + name)
	if c.ListNodesErr != nil {
		return nil, c.ListNodesErr
	}
	out := make([]nodes.Node, 0, len(c.Nodes))
	for _, n := range c.Nodes {
		out = append(out, n)
	}
	return out, nil
}

// Node is a kind node whose commands print and return what Results says,
// keyed by the argv joined with spaces, and are recorded, so that tests
// script what runs in a node container and check what the lab ran. An
// unscripted command fails.
type Node struct {
	// Name is the node's (its container's) name, returned by String.
	Name string
	// Results scripts the node's commands.
	Results map[string]Result

	mu  sync.Mutex
	ran []Ran
}

// Ran is one command run on a Node, as tests check it.
type Ran struct {
	// Argv is the command's argv joined with spaces.
	Argv string
	// Stdin is all the command read from its stdin; HasStdin says whether
	// it was given one at all.
	Stdin    string
	HasStdin bool
	// WithCtx says whether the command was made with CommandContext.
	WithCtx bool
}

var _ nodes.Node = (*Node)(nil)

// NewNode returns the node name whose commands results scripts (nil: none
// yet), so that tests set up a node in one expression.
func NewNode(name string, results map[string]Result) *Node {
	if results == nil {
		results = map[string]Result{}
	}
	return &Node{Name: name, Results: results}
}

// String is the node's name, as kind's node handles have it.
func (n *Node) String() string { return n.Name }

// Role fails: labs do not ask the fake for it.
func (n *Node) Role() (string, error) { return "", errors.New("fake: no role") }

// IP fails: labs do not ask the fake for it.
func (n *Node) IP() (string, string, error) { return "", "", errors.New("fake: no IP") }

// SerialLogs fails: labs do not ask the fake for it.
func (n *Node) SerialLogs(io.Writer) error { return errors.New("fake: no logs") }

// Command returns a command run on the node as Results scripts.
func (n *Node) Command(c string, a ...string) kindexec.Cmd {
	return &cmd{node: n, argv: append([]string{c}, a...)}
}

// CommandContext is Command, recorded as made with a context; a nil ctx
// panics, as it would with kind's handles.
func (n *Node) CommandContext(ctx context.Context, c string, a ...string) kindexec.Cmd {
	if ctx == nil {
		panic("nil context")
	}
	return &cmd{node: n, argv: append([]string{c}, a...), withCtx: true}
}

// Ran lists the commands run on the node so far, in order.
func (n *Node) Ran() []Ran {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.ran)
}

// RanArgv lists the argv (joined with spaces) of the commands run on the
// node so far, for tests that only check what ran.
func (n *Node) RanArgv() []string {
	var out []string
	for _, r := range n.Ran() {
		out = append(out, r.Argv)
	}
	return out
}

// cmd is a command on a Node, run as the node's Results scripts.
type cmd struct {
	node           *Node
	argv           []string
	withCtx        bool
	stdin          io.Reader
	stdout, stderr io.Writer
}

// SetEnv ignores the environment: scripts do not depend on it.
func (c *cmd) SetEnv(...string) kindexec.Cmd { return c }

// SetStdin sets what Run reads and records as the command's stdin.
func (c *cmd) SetStdin(r io.Reader) kindexec.Cmd { c.stdin = r; return c }

// SetStdout sets where Run writes the scripted Stdout.
func (c *cmd) SetStdout(w io.Writer) kindexec.Cmd { c.stdout = w; return c }

// SetStderr sets where Run writes the scripted Stderr.
func (c *cmd) SetStderr(w io.Writer) kindexec.Cmd { c.stderr = w; return c }

// Run records the command on its node and plays the node's script for it;
// an unscripted command fails.
func (c *cmd) Run() error {
	key := strings.Join(c.argv, " ")
	r := Ran{Argv: key, WithCtx: c.withCtx, HasStdin: c.stdin != nil}
	if c.stdin != nil {
		b, err := io.ReadAll(c.stdin)
		if err != nil {
			return err
		}
		r.Stdin = string(b)
	}
	c.node.mu.Lock()
	c.node.ran = append(c.node.ran, r)
	res, ok := c.node.Results[key]
	c.node.mu.Unlock()
	if !ok {
		return fmt.Errorf("fake node %s: unscripted command %q", c.node.Name, key)
	}
	if c.stdout != nil {
		io.WriteString(c.stdout, res.Stdout)
	}
	if c.stderr != nil {
		io.WriteString(c.stderr, res.Stderr)
	}
	return res.Err
}

// Docker stands in for the docker CLI (dockercli.Docker), so that tests
// script what Docker reports (image and container inspects, logs) and
// check the shells the lab starts. Output answers from Outputs, keyed by
// the args joined with spaces; an unscripted call fails as docker would.
type Docker struct {
	// Outputs scripts Output: its Stdout and Err (Stderr is unused).
	Outputs map[string]Result
	// Runs records the Run calls, in order.
	Runs []DockerRun
	// RunErr is what Run returns.
	RunErr error

	mu    sync.Mutex
	calls []string
}

// DockerRun is one Docker.Run call, so that tests check the args and that
// the caller's own streams were handed over.
type DockerRun struct {
	Args           []string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

var _ dockercli.Docker = (*Docker)(nil)

// Output records the call (args joined with spaces) and answers it from
// Outputs.
func (d *Docker) Output(_ context.Context, args ...string) (string, error) {
	key := strings.Join(args, " ")
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, key)
	res, ok := d.Outputs[key]
	if !ok {
		return "", fmt.Errorf("docker %s: exit status 1: unscripted", key)
	}
	return res.Stdout, res.Err
}

// Run records the call in Runs and returns RunErr.
func (d *Docker) Run(_ context.Context, stdin io.Reader, stdout, stderr io.Writer, args ...string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.Runs = append(d.Runs, DockerRun{slices.Clone(args), stdin, stdout, stderr})
	return d.RunErr
}

// Calls lists the Output calls made so far (args joined with spaces), in
// order; Run calls are in Runs.
func (d *Docker) Calls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls)
}

// ExitError is a genuine *exec.ExitError with the given code, as a node
// command that ran and failed returns it (kind's exec wraps one).
func ExitError(t testing.TB, code int) *exec.ExitError {
	t.Helper()
	err := exec.Command("sh", "-c", fmt.Sprintf("exit %d", code)).Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != code {
		t.Fatalf("sh exit %d: %v", code, err)
	}
	return ee
}
