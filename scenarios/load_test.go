package scenarios_test

import (
	"fmt"
	"testing"

	"github.com/ckalab/ckalab/grader/checks"
	"github.com/ckalab/ckalab/scenarios"
)

func TestScratch(t *testing.T) {
	l := scenarios.Loader{Kinds: checks.All()}
	data, _ := fsRead("builtin/taint-toleration/scenario.yaml")
	for _, mod := range []func(string) string{
		func(s string) string { return s },
		func(s string) string { return "titel: x\n" + s },
		func(s string) string { return "timeout: abc\n" + s },
		func(s string) string { return "id: x\n" + s },
		func(s string) string { return s + "\nnamespaces: [[a]]\n" },
		func(s string) string { return s + "\nhints: {a: b}\n" },
		func(s string) string { return "minutes: [1]\n" + s[:len(s)] },
	} {
		_, err := l.Parse("x.yaml", []byte(mod(string(data))), nil, scenarios.DefaultTemplateData())
		fmt.Printf("---\n%v\n", err)
	}
}
