// Package scenarios defines the scenario format (ckalab.dev/v1alpha1),
// loads scenario files strictly (every problem at once, each with
// file:line), and serves the catalog: the built-in scenarios plus an
// instructor's folders.
package scenarios

import (
	"io/fs"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/cka"
	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios/steps"
	"gopkg.in/yaml.v3"
)

// APIVersion and Kind identify a scenario file.
const (
	APIVersion = "ckalab.dev/v1alpha1"
	Kind       = "Scenario"
)

// DomainWeights returns the CKA domains and their exam weights in percent.
func DomainWeights() map[string]int { return cka.Weights() }

// Difficulties a scenario can declare.
var difficulties = []string{"easy", "medium", "hard"}

// File is a scenario file as written. Field order here is the order
// authors are advised to follow.
type File struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	ID         string `yaml:"id"`
	Title      string `yaml:"title"`
	Domain     string `yaml:"domain"`
	Competency string `yaml:"competency"`
	Difficulty string `yaml:"difficulty"`
	Minutes    int    `yaml:"minutes"`
	// Needs lists lab capabilities: api, kubelet, network, node.
	Needs  []string `yaml:"needs"`
	Lesson string   `yaml:"lesson"`
	// Images the scenario's pods use (for offline labs).
	Images []string `yaml:"images"`
	// Namespaces the scenario owns (makes, or its solutions make).
	Namespaces []string `yaml:"namespaces"`
	// Owns is what else it changes: nodes, cluster-scoped objects.
	Owns Owns `yaml:"owns"`
	// Uses is what it needs left alone by the other tasks of an exam.
	Uses Uses `yaml:"uses"`
	// Vars are per-attempt values: one of the choices is drawn at start
	// and used in the templates as {{ .Vars.name }}.
	Vars map[string][]string `yaml:"vars"`
	// Timeout is the default time a check waits for the cluster to settle.
	Timeout      yamlx.Duration `yaml:"timeout"`
	Task         string         `yaml:"task"`
	Setup        []steps.Spec   `yaml:"setup"`
	Cleanup      []steps.Spec   `yaml:"cleanup"`
	Checks       []CheckSpec    `yaml:"checks"`
	Hints        []string       `yaml:"hints"`
	Solution     Solution       `yaml:"solution"`
	Alternatives []Variant      `yaml:"alternatives"`
	Wrong        []Variant      `yaml:"wrong"`
}

// CheckSpec is a check as written: common fields plus exactly one key
// naming its kind, whose value the kind decodes.
type CheckSpec struct {
	ID      string         `yaml:"id"`
	Title   string         `yaml:"title"`
	Points  int            `yaml:"points"`
	Why     string         `yaml:"why"`
	Timeout yamlx.Duration `yaml:"timeout"`

	// Set by UnmarshalYAML.
	node     *yaml.Node
	kinds    []kindEntry
	problems yamlx.Problems // of the common fields, paths relative to the check
}

type kindEntry struct {
	key   *yaml.Node
	value *yaml.Node
}

var checkCommonFields = map[string]bool{"id": true, "title": true, "points": true, "why": true, "timeout": true}

// UnmarshalYAML keeps the kind's body for the grader's registry to decode.
func (c *CheckSpec) UnmarshalYAML(n *yaml.Node) error {
	c.node = n
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{lineMsg(n, "got %s, want a mapping", nodeKindWord(n))}}
	}
	common := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if checkCommonFields[k.Value] {
			common.Content = append(common.Content, k, v)
		} else {
			c.kinds = append(c.kinds, kindEntry{key: k, value: v})
		}
	}
	type plain CheckSpec
	var p plain
	// A common field of the wrong type is reported with the check's other
	// problems: returning the error would make yaml.v3 leave the whole
	// check out of the list, and shift the index of the checks after it.
	ps := yamlx.Decode(common, "", &p)
	p.node, p.kinds, p.problems = c.node, c.kinds, ps
	*c = CheckSpec(p)
	return nil
}

// Solution is the reference answer: an explanation and runnable steps.
type Solution struct {
	Explain string       `yaml:"explain"`
	Steps   []steps.Spec `yaml:"steps"`
}

// Variant is another correct answer (alternatives) or a plausible wrong one
// (wrong, which must not earn full marks).
type Variant struct {
	Name  string       `yaml:"name"`
	Why   string       `yaml:"why"`
	Steps []steps.Spec `yaml:"steps"`
}

// Scenario is a loaded, validated scenario, rendered for one attempt.
type Scenario struct {
	File
	// Path names the file in messages ("builtin/taint-toleration/scenario.yaml").
	Path string
	// Dir is the scenario's folder: file references resolve inside it.
	Dir fs.FS
	// Checks are the decoded checks, in file order.
	Checks []grader.Spec
	// Drawn are the values of Vars this rendering used (the attempt's, or
	// each var's first choice).
	Drawn map[string]string
}

// Needs returns the capabilities the scenario needs.
func (s *Scenario) Needs() []lab.Capability {
	out := make([]lab.Capability, 0, len(s.File.Needs))
	for _, n := range s.File.Needs {
		out = append(out, lab.Capability(n))
	}
	return out
}

// Points is the scenario's total.
func (s *Scenario) Points() int {
	total := 0
	for _, c := range s.Checks {
		total += c.Points
	}
	return total
}
