package grader

import (
	"sort"
	"time"

	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// CheckType is one kind of check, as scenario authors say ("check kinds",
// `ckalab scenario kinds`): the YAML key that selects it and how to build
// it. The code says type, since kind already means a Kubernetes Kind and
// the kind lab.
type CheckType struct {
	Name string
	// Summary is one line for `ckalab scenario kinds` and docs.
	Summary string
	// DefaultTimeout applies when neither the check nor the scenario sets one.
	DefaultTimeout time.Duration
	// New decodes and validates the kind's YAML body; path locates it in
	// the file ("checks[2].match") for problems.
	New func(body *yaml.Node, path string) (Check, yamlx.Problems)
}

// CheckTypes is a set of check types by name.
type CheckTypes map[string]CheckType

// Names lists the kinds' names in order.
func (k CheckTypes) Names() []string {
	names := make([]string, 0, len(k))
	for n := range k {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NodeCheck is a Check that looks inside a lab node (its files, its
// commands), which only a lab with node access offers (kind; not the sim).
// The scenario loader can ask such checks for `needs: [node]`, as it does
// node steps; a node check on a lab without access fails saying so.
type NodeCheck interface {
	NodeName() string
}
