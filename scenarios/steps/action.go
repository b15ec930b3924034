package steps

import (
	"context"
	"io/fs"

	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	"gopkg.in/yaml.v3"
)

// Action is the body of one step kind, decoded from the step's YAML.
type Action interface {
	// Validate reports what is wrong with the body as written, without a
	// lab: missing fields, unreadable files, bad expressions.
	Validate(v *Validation)
	// Run does the step on the lab and describes each change it made,
	// also when it fails part way.
	Run(ctx context.Context, env Env) ([]string, error)
}

// Imager is an Action whose manifests or patches name container images
// (an offline lab must have loaded them). Unreadable manifests name none:
// Validate reports them.
type Imager interface {
	Images(dir fs.FS) []string
}

// Changer is an Action that changes objects of the lab. What it says it
// changes is checked against the protection rules (protect.go) and against
// what its scenario declares it owns. Unreadable manifests change nothing:
// Validate reports them.
type Changer interface {
	Changes(dir fs.FS) []Change
}

// What a Change does to its object.
const (
	VerbApply  = "apply"
	VerbPatch  = "patch"
	VerbDelete = "delete"
)

// Change is one object a step changes, or a set of them a delete selects.
type Change struct {
	// Verb is VerbApply, VerbPatch or VerbDelete. A change of a node's
	// taints or schedulability (taint, drain) is a patch of the Node.
	Verb string
	// Object is the object, or with a Selector the kind and namespace
	// of the objects selected.
	Object lab.Ref
	// Labels are those an apply gives the object.
	Labels map[string]string
	// Selector, when not nil, are the labels of the objects a delete
	// selects (empty: all of the kind); they are only known when it runs.
	Selector map[string]string
	// Path, for a change inside a node (Object is its Node), is the file
	// or folder changed there (nodeFile, nodeCommand); empty for a change
	// of the node itself (a taint, a drain, a unit's state). It lets a
	// scenario tell files in its task's course folder, which need no
	// ownership of the node, from the rest (scenarios/owns.go).
	Path string
}

// Validation collects the problems of one step's body. Each is reported at
// the body's line, under the path "<step path>.<kind>".
type Validation struct {
	// Dir is the scenario's folder; file references resolve inside it.
	// Nil when the scenario has none (every reference is then a problem).
	Dir fs.FS

	path     string
	at       *yaml.Node
	problems yamlx.Problems
}

// Add reports a problem of a field of the body ("" for the body as a
// whole).
func (v *Validation) Add(field, format string, args ...any) {
	p := v.path
	if field != "" {
		p = yamlx.Join(p, field)
	}
	v.problems.Add(v.at, p, format, args...)
}

// requireRef reports the missing fields of the object a body names
// (inline: apiVersion, kind and, when needName, name).
func requireRef(v *Validation, r lab.Ref, needName bool) {
	if r.APIVersion == "" {
		v.Add("apiVersion", "required")
	}
	if r.Kind == "" {
		v.Add("kind", "required")
	}
	if needName && r.Name == "" {
		v.Add("name", "required")
	}
}
