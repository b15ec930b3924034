package scenarios

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// MaxVarCombinations bounds how many different problems a scenario's vars
// may make: `scenario test` proves each of them, and every one costs a
// setup, a solution and the wrong answers on the lab.
const MaxVarCombinations = 32

func countCombinations(declared map[string][]string) int {
	n := 1
	for _, choices := range declared {
		n *= max(len(choices), 1)
		if n > MaxVarCombinations {
			return n
		}
	}
	return n
}

// VarCombinations lists every combination of the declared vars' values, in
// a stable order (names sorted, each name's values as listed), so that
// `scenario test` proves every problem a retake may draw. fixed pins some
// names to one value; a fixed name the scenario does not declare, or a
// value it does not list, is an error. No vars: one empty combination.
func VarCombinations(declared map[string][]string, fixed map[string]string) ([]map[string]string, error) {
	for _, name := range slices.Sorted(maps.Keys(fixed)) {
		choices, ok := declared[name]
		if !ok {
			if len(declared) == 0 {
				return nil, fmt.Errorf("var %s: the scenario declares no vars", name)
			}
			return nil, fmt.Errorf("var %s: not declared (the scenario's vars: %s)", name, strings.Join(slices.Sorted(maps.Keys(declared)), ", "))
		}
		if !slices.Contains(choices, fixed[name]) {
			return nil, fmt.Errorf("var %s: %q is not one of its values (%s)", name, fixed[name], strings.Join(choices, ", "))
		}
	}
	out := []map[string]string{{}}
	for _, name := range slices.Sorted(maps.Keys(declared)) {
		choices := declared[name]
		if v, ok := fixed[name]; ok {
			choices = []string{v}
		}
		var next []map[string]string
		for _, partial := range out {
			for _, v := range choices {
				c := maps.Clone(partial)
				c[name] = v
				next = append(next, c)
			}
		}
		if len(next) > 0 {
			out = next
		}
	}
	return out, nil
}

// DescribeVars renders values as "a=1, b=2" (names sorted) for reports.
func DescribeVars(values map[string]string) string {
	parts := make([]string, 0, len(values))
	for _, name := range slices.Sorted(maps.Keys(values)) {
		parts = append(parts, name+"="+values[name])
	}
	return strings.Join(parts, ", ")
}
