package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// Spec is one step of a setup, a cleanup or a solution, as written: Show
// plus exactly one key naming its kind, whose body the kind decodes into
// Action. Show is what a person would type to do the same (a kubectl
// command); `ckalab solution` prints it.
type Spec struct {
	Show string
	// Action is the step's body: *Apply, *Patch, ... (see All). Nil for a
	// step that names no kind.
	Action Action

	// Set by UnmarshalYAML.
	body     *yaml.Node     // the body's node, for lines
	given    int            // how many kinds the step names
	problems yamlx.Problems // of the step as written, paths relative to it
}

// UnmarshalYAML decodes a step strictly: its kind's body with
// yamlx.Decode, every problem kept (with its line, its path relative to
// the step) for Validate to report. It never returns an error: yaml.v3
// would leave the step out of its list, shifting the index of the steps
// after it.
func (s *Spec) UnmarshalYAML(n *yaml.Node) error {
	*s = Spec{}
	if n.Kind != yaml.MappingNode {
		// What yaml.v3 says of a value that is not a mapping.
		s.problems = yamlx.Decode(n, "", &map[string]any{})
		return nil
	}
	kinds := All()
	show := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	for _, e := range entries(n, &s.problems) {
		kind, isKind := kinds.Find(e.key.Value)
		switch {
		case e.key.Value == "show":
			show.Content = append(show.Content, e.key, e.value)
		case !isKind:
			s.problems.Add(e.key, e.key.Value, "unknown field%s", unknownKey(e.key.Value, kinds))
		case isNull(e.value):
			// A kind without a body is no action, as yaml.v3 left a
			// pointer field without a value nil.
		default:
			a := kind.New()
			s.problems = append(s.problems, yamlx.Decode(e.value, kind.Name, a)...)
			s.given++
			if s.Action == nil {
				s.Action, s.body = a, e.value
			}
		}
	}
	var common struct {
		Show string `yaml:"show"`
	}
	s.problems = append(s.problems, yamlx.Decode(show, "", &common)...)
	s.Show = common.Show
	return nil
}

// unknownKey completes "unknown field" for a key that names no kind.
func unknownKey(key string, kinds Types) string {
	if near := yamlx.Nearby(key, append([]string{"show"}, kinds.Names()...)); len(near) > 0 {
		quoted := make([]string, len(near))
		for i, w := range near {
			quoted[i] = fmt.Sprintf("%q", w)
		}
		return " (did you mean " + strings.Join(quoted, ", ") + "?)"
	}
	return " (step kinds: " + strings.Join(kinds.sorted(), ", ") + ")"
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// Name is the step's kind as written ("" when it names none).
func (s Spec) Name() string {
	if s.Action == nil {
		return ""
	}
	return All().nameOf(s.Action)
}

// Validate reports every problem of the step, those of its YAML included,
// with paths under p; files are looked up in dir. node is the step's YAML
// node, for the lines of problems of the step as a whole (nil: no line).
//
// sound says whether what the step does is known and allowed: no problem
// but those of its YAML that leave its meaning whole (a bad timeout). Only
// then are its Images and Changes worth checking further.
func (s Spec) Validate(p string, node *yaml.Node, dir fs.FS) (ps yamlx.Problems, sound bool) {
	for _, d := range s.problems {
		if d.Path == "" {
			d.Path = p
		} else {
			d.Path = yamlx.Join(p, d.Path)
		}
		ps = append(ps, d)
	}
	found := s.check(p, node, dir)
	decoded := ps
	for _, f := range found {
		// A field of the wrong type is not also reported as missing.
		if !decoded.Explains(f.Path) {
			ps = append(ps, f)
		}
	}
	return ps, len(found) == 0
}

// check validates what the step says: one kind, its body, the protection
// rules.
func (s Spec) check(p string, node *yaml.Node, dir fs.FS) yamlx.Problems {
	var ps yamlx.Problems
	given := s.given
	if given == 0 && s.Action != nil {
		given = 1 // a step made in code
	}
	switch given {
	case 0:
		ps.Add(node, p, "no action: want one of %s", strings.Join(All().Names(), ", "))
		return ps
	case 1:
	default:
		ps.Add(node, p, "more than one action in one step; split them into separate steps")
		return ps
	}
	at := s.body
	if at == nil {
		at = node
	}
	v := &Validation{Dir: dir, path: yamlx.Join(p, s.Name()), at: at}
	s.Action.Validate(v)
	for _, c := range s.Changes(dir) {
		if err := protectChange(c); err != nil {
			v.Add("", "%v", err)
		}
	}
	return v.problems
}

// Run performs the step and describes each change it made.
func (s Spec) Run(ctx context.Context, env Env) ([]string, error) {
	if s.Action == nil {
		return nil, errors.New("empty step")
	}
	return s.Action.Run(ctx, env)
}

// Images lists the container images the step's manifests or patches name,
// so that a scenario can be checked to list the images an offline lab must
// load.
func (s Spec) Images(dir fs.FS) []string {
	if im, ok := s.Action.(Imager); ok {
		return im.Images(dir)
	}
	return nil
}

// Changes lists the objects the step changes.
func (s Spec) Changes(dir fs.FS) []Change {
	if ch, ok := s.Action.(Changer); ok {
		return ch.Changes(dir)
	}
	return nil
}

// MarshalJSON renders the step as it is written: {"show": ..., "<kind>":
// body}.
func (s Spec) MarshalJSON() ([]byte, error) {
	var fields []string
	if s.Show != "" {
		show, err := json.Marshal(s.Show)
		if err != nil {
			return nil, err
		}
		fields = append(fields, `"show":`+string(show))
	}
	if s.Action != nil {
		body, err := json.Marshal(s.Action)
		if err != nil {
			return nil, fmt.Errorf("%s step: %w", s.Name(), err)
		}
		fields = append(fields, fmt.Sprintf("%q:%s", s.Name(), body))
	}
	return []byte("{" + strings.Join(fields, ",") + "}"), nil
}
