package cli

import (
	"strings"
	"testing"

	"github.com/ckalab/ckalab/lab"
)

// TestPickRunning: with several labs running (a kind lab is Docker's, so
// another user's or another HOME's counts), a command that names no
// provider acts on the current context's lab only, and refuses to guess.
func TestPickRunning(t *testing.T) {
	kind := lab.Status{Provider: "kind", Exists: true, ContextName: "kind-ckalab"}
	sim := lab.Status{Provider: "sim", Exists: true, ContextName: "sim-ckalab"}
	for _, tc := range []struct {
		name    string
		running []lab.Status
		current string
		want    int
		err     string
	}{
		{"the only one, whatever is current", []lab.Status{kind}, "elsewhere", 0, ""},
		{"the current context's, second", []lab.Status{kind, sim}, "sim-ckalab", 1, ""},
		{"the current context's, first", []lab.Status{kind, sim}, "kind-ckalab", 0, ""},
		{"none current", []lab.Status{kind, sim}, "prod", 0, `kind and sim labs run, and the current context ("prod") is none of theirs: name one with --provider`},
		{"no current context", []lab.Status{kind, sim}, "", 0, `the current context ("") is none of theirs`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pickRunning(tc.running, tc.current)
			switch {
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error %v, want %q", err, tc.err)
			case tc.err == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.err == "" && got != tc.want:
				t.Errorf("picked %d, want %d", got, tc.want)
			}
		})
	}
}
