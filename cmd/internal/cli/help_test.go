package cli_test

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/cmd/internal/cli"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestHelpGolden in testdata/help")

// TestHelpGolden compares `<command> --help` of every command with
// testdata/help/<command path joined by ->.txt, byte for byte: a change to
// a flag, a default or a help text shows in review as a change of these
// files. `go test ./cmd/internal/cli -run TestHelpGolden -update` rewrites
// them (and removes those of commands that are gone).
func TestHelpGolden(t *testing.T) {
	dir := filepath.Join("testdata", "help")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	known := map[string]bool{}
	for _, path := range cli.CommandPaths() {
		name := strings.Join(path, "-") + ".txt"
		known[name] = true
		t.Run(strings.Join(path, " "), func(t *testing.T) {
			// The harness has no terminal and sets NO_COLOR; cobra does
			// not wrap help to the terminal's width.
			r := newHarness(t).expect(cli.ExitOK, append(path[1:], "--help")...)
			if r.stderr != "" {
				t.Errorf("stderr not empty:\n%s", r.stderr)
			}
			golden := filepath.Join(dir, name)
			if *update {
				if err := os.WriteFile(golden, []byte(r.stdout), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test ./cmd/internal/cli -run TestHelpGolden -update writes it)", err)
			}
			if r.stdout != string(want) {
				t.Errorf("--help differs from %s %s\n(if the change is meant, -update rewrites the file; git diff shows it all)", golden, firstDifference(r.stdout, string(want)))
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if known[e.Name()] {
			continue
		}
		stale := filepath.Join(dir, e.Name())
		if *update {
			if err := os.Remove(stale); err != nil {
				t.Error(err)
			}
			continue
		}
		t.Errorf("%s: no such command; -update removes the file", stale)
	}
}

// firstDifference names the first line where got and want part.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl || i >= len(g) || i >= len(w) {
			return "at line " + strconv.Itoa(i+1) + ":\n got " + strconv.Quote(gl) + "\nwant " + strconv.Quote(wl)
		}
	}
	return ""
}
