package checks

import (
	"context"
	"fmt"
	"regexp"

	"github.com/ckalab/ckalab/grader"
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
//
// Facts (factSpec) are what an answer is judged against when only the lab
// knows it at grading time: an object, a read-only node command's output,
// a certificate on a node. Each is fetched at every look and bound in the
// expressions as facts.NAME:
//
//	facts:
//	  pod: {object: {apiVersion: v1, kind: Pod, namespace: ops, name: ledger}}
//	  cert: {certificate: {node: cp, path: /etc/kubernetes/pki/apiserver.crt}}
//	expr:
//	- facts.pod.status.containerStatuses.exists(s, s.containerID == 'containerd://' + file.trim())
//	- facts.cert.notAfterDates.exists(d, file.contains(d))
//
// A fact that cannot be fetched fails the look. A fact on a node makes the
// check look inside that node (NodeName: the scenario then needs node).
type contentRules struct {
	Facts   map[string]factSpec `yaml:"facts"`
	Ordered []string            `yaml:"ordered"`
	Expr    []string            `yaml:"expr"`
	Matches string              `yaml:"matches"`

	facts    []namedFact
	programs []*expr.Program
	re       *regexp.Regexp
}

// compile checks the facts, the expressions (over file and the facts) and
// the regular expression; path is the check's, prior the problems the
// check found so far (decoding's), which it does not repeat.
func (r *contentRules) compile(body *yaml.Node, path string, prior yamlx.Problems) yamlx.Problems {
	facts, ps := compileFacts(body, path, r.Facts, prior)
	r.facts = facts
	vars := []string{"file"}
	for _, f := range facts {
		vars = append(vars, factVar(f.name))
		used := false
		for _, e := range r.Expr {
			used = used || usesFact(e, f.name)
		}
		if !used {
			ps.Add(lookup(lookup(body, "facts"), f.name), yamlx.Join(yamlx.Join(path, "facts"), f.name),
				"no expression uses it: fetched at every look, a fact is for expr (as facts.%s)", f.name)
		}
	}
	programs, eps := compileExprs(body, path, r.Expr, vars...)
	r.programs = programs
	ps = append(ps, eps...)
	r.re = compileRegexp(body, path, "matches", r.Matches, &ps)
	return ps
}

// factsNode is the node the facts look inside, or "" (grader.NodeCheck).
func (r *contentRules) factsNode() string { return firstFactNode(r.facts) }

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
	if f := describeFacts(r.facts); f != "" {
		out = append(out, f)
	}
	return out
}

// problems lists how the content differs: from expect (when given), the
// expressions that are false, the text that does not match. The facts are
// fetched first; one that cannot be is a problem, and the expressions,
// which would lack it, are not evaluated.
func (r *contentRules) problems(ctx context.Context, env *grader.Env, expect map[string]any, raw []byte, value any) []string {
	var out []string
	if len(expect) > 0 {
		out = match.Subset(expect, value, match.Options{Ordered: r.Ordered})
	}
	vars, factProblems := fetchFacts(ctx, env, r.facts)
	if len(factProblems) > 0 {
		out = append(out, factProblems...)
	} else {
		vars["file"] = value
		out = append(out, exprProblems(ctx, r.programs, vars)...)
	}
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
