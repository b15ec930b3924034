// Package lab describes a practice cluster: how to reach it, what it can do,
// and its nodes. Providers (lab/sim, later lab/kind and lab/kubeadm) create
// labs; everything else connects to one through Connect.
package lab

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Capability is something a lab can do that some scenarios need.
type Capability string

// The capabilities a scenario can ask for.
const (
	// CapAPI: a real API server with RBAC, admission, controllers and a scheduler.
	CapAPI Capability = "api"
	// CapKubelet: real kubelets and containers (logs, exec, mounts, crash loops).
	CapKubelet Capability = "kubelet"
	// CapNetwork: pod traffic, Services, DNS and NetworkPolicy enforcement.
	CapNetwork Capability = "network"
	// CapNode: a root shell on the nodes.
	CapNode Capability = "node"
)

// AllCapabilities lists every capability in a stable order.
func AllCapabilities() []Capability {
	return []Capability{CapAPI, CapKubelet, CapNetwork, CapNode}
}

// ParseCapability accepts the names used in scenario files and lab markers.
func ParseCapability(s string) (Capability, error) {
	c := Capability(s)
	if slices.Contains(AllCapabilities(), c) {
		return c, nil
	}
	return "", fmt.Errorf("unknown capability %q (want one of %s)", s, JoinCapabilities(AllCapabilities()))
}

// JoinCapabilities renders capabilities as "api, kubelet".
func JoinCapabilities(cs []Capability) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = string(c)
	}
	return strings.Join(parts, ", ")
}

// Role is a node's part in the cluster.
type Role string

// Node roles, as kubeadm labels them.
const (
	RoleControlPlane Role = "control-plane"
	RoleWorker       Role = "worker"
)

// Node is one node of a lab.
type Node struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
}

// Execer runs a command inside a lab node (kind: docker exec; kubeadm: SSH).
// Labs without node access have none.
type Execer interface {
	Exec(ctx context.Context, node string, argv []string, stdin []byte) (stdout, stderr []byte, exitCode int, err error)
}

// Shell opens an interactive root shell in a lab node (`ckalab ssh`).
type Shell interface {
	Shell(ctx context.Context, node string, sio ShellIO) error
}

// ShellIO is the user's terminal for a Shell.
type ShellIO struct {
	// TTY asks for a terminal; set it when In is one.
	TTY bool
	// Term is the user's $TERM.
	Term string
	// Command runs instead of a login shell when set.
	Command []string
	In      io.Reader
	Out     io.Writer
	Err     io.Writer
}

// Info is what a lab says about itself. Providers write it into the cluster
// (see Marker) so that any client finds it, whichever kubeconfig it uses.
type Info struct {
	Provider     string       `json:"provider"`
	Name         string       `json:"name"`
	Version      string       `json:"version,omitempty"`
	Capabilities []Capability `json:"capabilities"`
	Nodes        []Node       `json:"nodes"`
}

// Can reports whether the lab has the capability.
func (i Info) Can(c Capability) bool { return slices.Contains(i.Capabilities, c) }

// Missing returns the capabilities in need that the lab lacks.
func (i Info) Missing(need []Capability) []Capability {
	var out []Capability
	for _, c := range need {
		if !i.Can(c) {
			out = append(out, c)
		}
	}
	return out
}

// NodeNames are the well-known nodes scenarios refer to in their templates.
type NodeNames struct {
	ControlPlane string
	Worker       string
	Worker2      string
}

// Names picks the control plane and the first two workers by name order.
func (i Info) Names() NodeNames {
	var n NodeNames
	var workers []string
	for _, node := range i.Nodes {
		switch node.Role {
		case RoleControlPlane:
			if n.ControlPlane == "" {
				n.ControlPlane = node.Name
			}
		default:
			workers = append(workers, node.Name)
		}
	}
	slices.Sort(workers)
	if len(workers) > 0 {
		n.Worker = workers[0]
	}
	if len(workers) > 1 {
		n.Worker2 = workers[1]
	}
	return n
}

// DefaultNodeNames are the node names of both the kind and the sim lab; used
// when no lab is at hand (validating a scenario, showing it).
func DefaultNodeNames() NodeNames {
	return NodeNames{ControlPlane: "ckalab-control-plane", Worker: "ckalab-worker", Worker2: "ckalab-worker2"}
}
