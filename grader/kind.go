package grader

import (
	"sort"
	"time"

	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// Kind is one check kind: the YAML key that selects it and how to build it.
type Kind struct {
	Name string
	// Summary is one line for `ckalab scenario kinds` and docs.
	Summary string
	// DefaultTimeout applies when neither the check nor the scenario sets one.
	DefaultTimeout time.Duration
	// New decodes and validates the kind's YAML body; path locates it in
	// the file ("checks[2].match") for problems.
	New func(body *yaml.Node, path string) (Check, yamlx.Problems)
}

// Kinds is a set of check kinds by name.
type Kinds map[string]Kind

// Names lists the kinds' names in order.
func (k Kinds) Names() []string {
	names := make([]string, 0, len(k))
	for n := range k {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
