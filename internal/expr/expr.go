// Package expr evaluates CEL expressions, the language Kubernetes itself uses
// in ValidatingAdmissionPolicy and CRD validation rules, over decoded YAML or
// JSON values. Scenarios use it where a subset match cannot say what they
// mean: counts, comparisons, "in containers or in sidecar initContainers".
package expr

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
)

// Program is a compiled boolean expression.
type Program struct {
	Source string
	prg    cel.Program
}

// Compile checks src against the variable names it may use (each dynamic).
// The result must be a boolean.
func Compile(src string, vars ...string) (*Program, error) {
	opts := []cel.EnvOption{ext.Strings(), ext.Lists(), ext.Sets()}
	for _, v := range vars {
		opts = append(opts, cel.Variable(v, cel.DynType))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("expression environment: %w", err)
	}
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, fmt.Errorf("%s", strings.ReplaceAll(iss.Err().Error(), "\n", " "))
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("expression gives %s, want a bool", t)
	}
	prg, err := env.Program(ast)
	if err != nil {
		return nil, fmt.Errorf("expression: %w", err)
	}
	return &Program{Source: src, prg: prg}, nil
}

// Eval runs the expression. A missing field or a type error is an error
// ("no such key: spec"), which callers report as the reason it failed.
func (p *Program) Eval(vars map[string]any) (bool, error) {
	out, _, err := p.prg.Eval(vars)
	if err != nil {
		return false, err
	}
	return asBool(out)
}

func asBool(v ref.Val) (bool, error) {
	b, ok := v.Value().(bool)
	if !ok {
		return false, fmt.Errorf("expression gave %v, want true or false", v.Value())
	}
	return b, nil
}
