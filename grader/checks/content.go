package checks

import (
	"context"
	"fmt"
	"regexp"

	"github.com/ckalab/ckalab/grader/match"
	"github.com/ckalab/ckalab/internal/expr"
	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// contentRules judge a file's content: CEL expressions over `file` (the
// decoded document, or the text) and a regular expression over the raw
// text, after a partial object the kind names itself (answerFile's expect,
// nodeFile's yaml or json). answerFile and nodeFile share them, so that a
// file on a node is judged exactly like a file in the answer folder.
type contentRules struct {
	Ordered []string `yaml:"ordered"`
	Expr    []string `yaml:"expr"`
	Matches string   `yaml:"matches"`

	programs []*expr.Program
	re       *regexp.Regexp
}

// compile checks the expressions and the regular expression; path is the
// check's.
func (r *contentRules) compile(body *yaml.Node, path string) yamlx.Problems {
	var ps yamlx.Problems
	r.programs, ps = compileExprs(body, path, r.Expr, "file")
	r.re = compileRegexp(body, path, "matches", r.Matches, &ps)
	return ps
}

// compileRegexp compiles a check's regular expression field ("" gives
// nil), with a problem at path.field, on the line of at, when it does not
// compile.
func compileRegexp(at *yaml.Node, path, field, src string, ps *yamlx.Problems) *regexp.Regexp {
	if src == "" {
		return nil
	}
	re, err := regexp.Compile(src)
	if err != nil {
		ps.Add(at, yamlx.Join(path, field), "%v", err)
	}
	return re
}

// wants renders what the rules ask for.
func (r *contentRules) wants(expect map[string]any) []string {
	var out []string
	if len(expect) > 0 {
		out = append(out, "matching "+match.Render(expect))
	}
	for _, e := range r.Expr {
		out = append(out, "where "+e)
	}
	if r.re != nil {
		out = append(out, "matching /"+r.Matches+"/")
	}
	return out
}

// problems lists how the content differs: from expect (when given), the
// expressions that are false, the text that does not match.
func (r *contentRules) problems(ctx context.Context, expect map[string]any, raw []byte, value any) []string {
	var out []string
	if len(expect) > 0 {
		out = match.Subset(expect, value, match.Options{Ordered: r.Ordered})
	}
	out = append(out, exprProblems(ctx, r.programs, map[string]any{"file": value})...)
	if r.re != nil && !r.re.Match(raw) {
		out = append(out, fmt.Sprintf("text does not match /%s/", r.Matches))
	}
	return out
}

// compileExprs compiles a check's expr list over vars, with a problem at
// path.expr[i] for each that does not compile.
func compileExprs(body *yaml.Node, path string, srcs []string, vars ...string) ([]*expr.Program, yamlx.Problems) {
	var ps yamlx.Problems
	var out []*expr.Program
	for i, src := range srcs {
		prg, err := expr.Compile(src, vars...)
		if err != nil {
			ps.Add(body, yamlx.Index(yamlx.Join(path, "expr"), i), "%v", err)
			continue
		}
		out = append(out, prg)
	}
	return out, ps
}

// exprProblems evaluates the expressions; each that is false or fails is a
// problem. ctx bounds the evaluation.
func exprProblems(ctx context.Context, programs []*expr.Program, vars map[string]any) []string {
	var out []string
	for _, p := range programs {
		ok, err := p.Eval(ctx, vars)
		switch {
		case err != nil:
			out = append(out, fmt.Sprintf("`%s`: %v", p.Source, err))
		case !ok:
			out = append(out, fmt.Sprintf("`%s` is false", p.Source))
		}
	}
	return out
}
