package scenarios

import (
	"reflect"
	"strings"
	"testing"
)

func TestVarCombinations(t *testing.T) {
	declared := map[string][]string{"component": {"kube-scheduler", "kube-controller-manager"}, "cause": {"moved", "hidden"}}
	got, err := VarCombinations(declared, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{
		{"cause": "moved", "component": "kube-scheduler"},
		{"cause": "moved", "component": "kube-controller-manager"},
		{"cause": "hidden", "component": "kube-scheduler"},
		{"cause": "hidden", "component": "kube-controller-manager"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("every combination:\n%v\nwant\n%v", got, want)
	}
	got, err = VarCombinations(declared, map[string]string{"cause": "hidden"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0]["cause"] != "hidden" || got[1]["cause"] != "hidden" {
		t.Errorf("cause pinned to hidden: %v", got)
	}
	if got, err := VarCombinations(nil, nil); err != nil || len(got) != 1 || len(got[0]) != 0 {
		t.Errorf("no vars: %v %v, want one empty combination", got, err)
	}
	for _, tc := range []struct {
		fixed map[string]string
		want  string
	}{
		{map[string]string{"causes": "moved"}, "var causes: not declared (the scenario's vars: cause, component)"},
		{map[string]string{"cause": "gone"}, `var cause: "gone" is not one of its values (moved, hidden)`},
	} {
		if _, err := VarCombinations(declared, tc.fixed); err == nil || err.Error() != tc.want {
			t.Errorf("%v: error %v, want %q", tc.fixed, err, tc.want)
		}
	}
	if _, err := VarCombinations(nil, map[string]string{"x": "1"}); err == nil || !strings.Contains(err.Error(), "declares no vars") {
		t.Errorf("a var on a scenario without vars: %v", err)
	}
	if d := DescribeVars(want[2]); d != "cause=hidden, component=kube-scheduler" {
		t.Errorf("DescribeVars: %q", d)
	}
}

func TestTooManyVarCombinations(t *testing.T) {
	vals := []string{"a", "b", "c", "d", "e", "f"}
	declared := map[string][]string{"x": vals, "y": vals}
	if n := countCombinations(declared); n <= MaxVarCombinations {
		t.Fatalf("36 combinations counted as %d", n)
	}
}
