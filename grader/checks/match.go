package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/grader/match"
	"github.com/ckalab/ckalab/internal/expr"
	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// objectSpec is the body of match and absent: which objects, and what they
// must look like (a partial object and CEL expressions over `object`, the
// candidate, and `objects`, all candidates).
type objectSpec struct {
	target  `yaml:",inline"`
	Expect  map[string]any `yaml:"expect"`
	Ordered []string       `yaml:"ordered"`
	Expr    []string       `yaml:"expr"`

	programs []*expr.Program
}

func decodeObjectSpec(body *yaml.Node, path string) (*objectSpec, yamlx.Problems) {
	var s objectSpec
	ps := yamlx.Decode(body, path, &s)
	ps = append(ps, s.target.validate(body, path)...)
	programs, eps := compileExprs(body, path, s.Expr, "object", "objects")
	s.programs = programs
	return &s, append(ps, eps...)
}

// problems lists how one candidate differs from the spec. ctx bounds the
// expressions' evaluation.
func (s *objectSpec) problems(ctx context.Context, obj unstructured.Unstructured, all []any) []string {
	out := match.Subset(s.Expect, obj.Object, match.Options{Ordered: s.Ordered})
	return append(out, exprProblems(ctx, s.programs, map[string]any{"object": obj.Object, "objects": all})...)
}

// expected renders what the spec asks for.
func (s *objectSpec) expected() string {
	parts := []string{s.describe()}
	if len(s.Expect) > 0 {
		parts = append(parts, "matching "+match.Render(s.Expect))
	}
	for _, e := range s.Expr {
		parts = append(parts, "where "+e)
	}
	return strings.Join(parts, ", ")
}

// evaluate finds the candidates and, for each, its problems.
func (s *objectSpec) evaluate(ctx context.Context, env *grader.Env) ([]unstructured.Unstructured, [][]string, error) {
	objs, err := s.find(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	all := make([]any, len(objs))
	for i, o := range objs {
		all[i] = o.Object
	}
	probs := make([][]string, len(objs))
	for i, o := range objs {
		probs[i] = s.problems(ctx, o, all)
	}
	return objs, probs, nil
}

type matchCheck struct{ spec *objectSpec }

func newMatch(body *yaml.Node, path string) (grader.Check, yamlx.Problems) {
	s, ps := decodeObjectSpec(body, path)
	return &matchCheck{spec: s}, ps
}

// Observe passes when any candidate matches; otherwise it reports the
// candidate closest to matching.
func (c *matchCheck) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	objs, probs, err := c.spec.evaluate(ctx, env)
	if err != nil {
		return failed(err)
	}
	obs := grader.Observation{Expected: c.spec.expected()}
	if len(objs) == 0 {
		obs.Actual = "no " + c.spec.describe()
		obs.Problems = []string{"not found: " + c.spec.describe()}
		return obs
	}
	best := 0
	for i, p := range probs {
		if len(p) == 0 {
			obs.Passed = true
			obs.Actual = fmt.Sprintf("%s %s matches", c.spec.Kind, objectName(objs[i]))
			return obs
		}
		if len(p) < len(probs[best]) {
			best = i
		}
	}
	obs.Actual = fmt.Sprintf("%s %s differs", c.spec.Kind, objectName(objs[best]))
	if len(objs) > 1 {
		obs.Actual += fmt.Sprintf(" (closest of %d candidates)", len(objs))
	}
	obs.Problems = probs[best]
	return obs
}

type absentCheck struct{ spec *objectSpec }

func newAbsent(body *yaml.Node, path string) (grader.Check, yamlx.Problems) {
	s, ps := decodeObjectSpec(body, path)
	return &absentCheck{spec: s}, ps
}

// Observe passes when no candidate exists, or none matches.
func (c *absentCheck) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	objs, probs, err := c.spec.evaluate(ctx, env)
	if err != nil {
		return failed(err)
	}
	obs := grader.Observation{Expected: "no " + c.spec.expected()}
	var offenders []string
	for i, p := range probs {
		if len(p) == 0 {
			offenders = append(offenders, c.spec.Kind+" "+objectName(objs[i]))
		}
	}
	if len(offenders) == 0 {
		obs.Passed = true
		obs.Actual = fmt.Sprintf("none (%d candidate(s) checked)", len(objs))
		return obs
	}
	obs.Actual = strings.Join(offenders, ", ")
	for _, o := range offenders {
		obs.Problems = append(obs.Problems, o+" should not be there")
	}
	return obs
}
