package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Provider creates, inspects and removes one kind of lab.
type Provider interface {
	Name() string
	// Up creates the lab, or reports that it already runs and changes nothing.
	Up(ctx context.Context, progress Progress) (UpResult, error)
	// Down removes every process and file of the lab; a missing lab is not an error.
	Down(ctx context.Context, progress Progress) error
	Status(ctx context.Context) (Status, error)
	// Info is what a lab of this provider is (its nodes, capabilities),
	// known without asking a running lab.
	Info() Info
}

// A provider may offer more than Provider says; the CLI discovers it with
// a type assertion, so that it never names a provider:
//   - Execer (lab.go): run a command in a node. Connect attaches it to the
//     Cluster of a lab the provider made, for node steps, node checks and
//     the baseline of the nodes' files;
//   - Shell (lab.go): an interactive root shell in a node (`ckalab ssh`);
//   - ImageLoader: put container images into the nodes (offline labs);
//   - NodeImageSetter: `lab up --image`;
//   - doctor.Contributor (lab/doctor): what `ckalab doctor` should check
//     for it.

// ImageLoader is a provider whose nodes run containers from images it can
// load: refs (normalized) missing from the nodes come from ckalab's image
// cache. An image in neither place is an error naming it; nothing is
// loaded then.
type ImageLoader interface {
	LoadImages(ctx context.Context, refs []string, progress Progress) error
}

// NodeImageSetter is a provider whose nodes boot from an image the user may
// choose (`lab up --image`).
type NodeImageSetter interface {
	SetNodeImage(ref string)
}

// UpResult is what Up made.
type UpResult struct {
	AlreadyRunning bool
	// Info is what the lab's marker says (`lab up` writes it back on a
	// running lab that lost it).
	Info Info
	// Kubeconfig reaches the lab as its administrator; its current context
	// is ContextName.
	Kubeconfig     *clientcmdapi.Config
	KubeconfigPath string
	ContextName    string
	// Found says that the running lab's cluster was reached for the first
	// time: one its learner built (the kubeadm lab), not one Up made.
	Found bool
}

// Status describes a lab as its provider sees it.
type Status struct {
	Provider       string            `json:"provider"`
	Exists         bool              `json:"exists"`
	Healthy        bool              `json:"healthy"`
	KubeconfigPath string            `json:"kubeconfig,omitempty"`
	ContextName    string            `json:"context,omitempty"`
	Components     []ComponentStatus `json:"components,omitempty"`
	// Problems are what makes a running lab unusable besides its
	// components, each with its fix.
	Problems []string `json:"problems,omitempty"`
}

// Faults lists the components that do not run, with their details.
func (s Status) Faults() string {
	var bad []string
	for _, c := range s.Components {
		if !c.Running {
			bad = append(bad, c.Name+": "+c.Detail)
		}
	}
	return strings.Join(bad, "; ")
}

// ComponentStatus is one process or node of a lab.
type ComponentStatus struct {
	Name    string `json:"name"`
	Running bool   `json:"running"`
	PID     int    `json:"pid,omitempty"`
	Version string `json:"version,omitempty"`
	Detail  string `json:"detail,omitempty"`
	// LogTail holds the last lines of the log of a component that died.
	LogTail string `json:"logTail,omitempty"`
}

// Progress reports long steps (the CLI draws them; libraries never print).
type Progress interface {
	Start(step string)
	End(ok bool)
}

// NoProgress discards progress reports.
type NoProgress struct{}

func (NoProgress) Start(string) {}
func (NoProgress) End(bool)     {}

// Step runs fn as one reported step.
func Step(p Progress, name string, fn func() error) error {
	p.Start(name)
	err := fn()
	p.End(err == nil)
	return err
}

// CreateOrCleanUp runs create and, when it fails, takes down whatever it
// made, so that a half-made lab never blocks the next lab up.
func CreateOrCleanUp(ctx context.Context, p Provider, create func() (UpResult, error)) (UpResult, error) {
	res, err := create()
	if err != nil {
		if derr := p.Down(context.WithoutCancel(ctx), NoProgress{}); derr != nil {
			err = errors.Join(err, fmt.Errorf("clean up the failed lab: %w", derr))
		}
		return UpResult{}, err
	}
	return res, nil
}
