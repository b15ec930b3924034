// Package expr evaluates CEL expressions, the language Kubernetes itself uses
// in ValidatingAdmissionPolicy and CRD validation rules, over decoded YAML or
// JSON values. Scenarios use it where a subset match cannot say what they
// mean: counts, comparisons, "in containers or in sidecar initContainers".
//
// Expressions come from scenario files, which are untrusted input, so they
// are bounded the way Kubernetes bounds them: Compile rejects an expression
// whose estimated worst-case cost is above EstimatedCostLimit (see limits.go
// for the sizes the estimate assumes), and Eval stops one that goes over
// RuntimeCostLimit on real data, or whose context is cancelled.
package expr

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
)

// Program is a compiled boolean expression.
type Program struct {
	Source string
	prg    cel.Program
}

// Compile checks src against the variable names it may use (each dynamic).
// The result must be a boolean, and the expression's estimated cost must be
// within EstimatedCostLimit.
func Compile(src string, vars ...string) (*Program, error) {
	return compile(src, true, vars...)
}

// compile is Compile; estimate false skips the cost estimate, so that tests
// can reach the run-time limits with expressions the estimate would refuse.
func compile(src string, estimate bool, vars ...string) (*Program, error) {
	opts := []cel.EnvOption{
		ext.Strings(),
		ext.Lists(ext.ListsMaxRangeSize(MaxRangeSize)),
		ext.Sets(),
		boundedStrings(),
	}
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
	if err := checkFunctions(ast); err != nil {
		return nil, err
	}
	if estimate {
		if err := checkCost(env, ast); err != nil {
			return nil, err
		}
	}
	prg, err := env.Program(ast,
		cel.CostLimit(RuntimeCostLimit),
		cel.CostTracking(dynamicCosts{}),
		cel.InterruptCheckFrequency(interruptCheckFrequency),
	)
	if err != nil {
		return nil, fmt.Errorf("expression: %w", err)
	}
	return &Program{Source: src, prg: prg}, nil
}

// checkCost rejects an expression whose worst case, over values as large as
// the limits in limits.go allow, costs more than EstimatedCostLimit.
func checkCost(env *cel.Env, ast *cel.Ast) error {
	est, err := env.EstimateCost(ast, sizeHints{}, rangeEstimate())
	if err != nil {
		return fmt.Errorf("expression cost: %w", err)
	}
	if est.Max <= EstimatedCostLimit {
		return nil
	}
	got := fmt.Sprint(est.Max)
	if est.Max == math.MaxUint64 {
		got = "unbounded"
	}
	return fmt.Errorf("expression is too costly: estimated cost %s exceeds the limit %d; "+
		"the estimate is the worst case for variables holding lists and maps of up to %d entries each, %d in all, "+
		"and for lists.range(n) of n elements: loop over fewer or smaller lists",
		got, EstimatedCostLimit, MaxListSize, MaxTotalSize)
}

// Eval runs the expression. A missing field or a type error is an error
// ("no such key: spec"), which callers report as the reason it failed. So is
// an evaluation that goes over RuntimeCostLimit (within about a second of
// CPU), or that ctx ends (a check's timeout, Ctrl-C; within milliseconds).
func (p *Program) Eval(ctx context.Context, vars map[string]any) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("expression evaluation interrupted: %w", context.Cause(ctx))
	}
	out, _, err := p.prg.ContextEval(ctx, vars)
	if err != nil {
		return false, evalError(ctx, err)
	}
	return asBool(out)
}

// evalError says why an evaluation was stopped, if it was.
func evalError(ctx context.Context, err error) error {
	var cancelled interpreter.EvalCancelledError
	switch {
	case errors.As(err, &cancelled) && cancelled.Cause == interpreter.CostLimitExceeded:
		return fmt.Errorf("expression is too costly: evaluation stopped at the cost limit of %d", RuntimeCostLimit)
	case errors.Is(err, interpreter.InterruptError{}),
		errors.As(err, &cancelled) && cancelled.Cause == interpreter.ContextCancelled:
		if ctx.Err() != nil {
			return fmt.Errorf("expression evaluation interrupted: %w", context.Cause(ctx))
		}
		return fmt.Errorf("expression evaluation interrupted: %w", err)
	}
	return err
}

func asBool(v ref.Val) (bool, error) {
	b, ok := v.Value().(bool)
	if !ok {
		return false, fmt.Errorf("expression gave %v, want true or false", v.Value())
	}
	return b, nil
}
