package cli

// Tests that call the commands' run functions with options of their own:
// what needs a lab (the lab itself, an attempt) is faked, so these run
// without one. The CLI's end-to-end behaviour is tested through Main in
// package cli_test.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios/runner"
)

// runApp is an app for calling run functions: no terminal, no colour,
// every folder it may touch in a temp dir, and no kind cluster of the
// developer's to find.
type runApp struct {
	*app
	out, errOut *bytes.Buffer
	vars        map[string]string
}

func newRunApp(t *testing.T) runApp {
	t.Helper()
	dir := t.TempDir()
	vars := map[string]string{
		"HOME":                filepath.Join(dir, "home"),
		"XDG_STATE_HOME":      filepath.Join(dir, "state"),
		"XDG_CACHE_HOME":      filepath.Join(dir, "cache"),
		"XDG_CONFIG_HOME":     filepath.Join(dir, "config"),
		"KUBECONFIG":          filepath.Join(dir, "kubeconfig"),
		"CKALAB_KIND_CLUSTER": "ckalab-runtest-none",
	}
	// client-go reads the kubeconfig's location from the process.
	t.Setenv("KUBECONFIG", vars["KUBECONFIG"])
	t.Setenv("HOME", vars["HOME"])
	var out, errOut bytes.Buffer
	a := &app{env: Env{IO: TestIO(strings.NewReader(""), &out, &errOut), Getenv: func(k string) string { return vars[k] },
		Now: func() time.Time { return time.Date(2026, time.March, 14, 15, 9, 26, 0, time.UTC) }}}
	return runApp{app: a, out: &out, errOut: &errOut, vars: vars}
}

// noLabHere is a labInfo without a lab.
func noLabHere(context.Context) *lab.Info { return nil }

// fakeLab is a lab's marker: three nodes with names of its own, and the
// api capability only.
func fakeLab(context.Context) *lab.Info {
	return &lab.Info{Provider: "sim", Capabilities: []lab.Capability{lab.CapAPI}, Nodes: []lab.Node{
		{Name: "cp-1", Role: lab.RoleControlPlane}, {Name: "w-2"}, {Name: "w-1"},
	}}
}

// fakeSession is a session on fakeLab with a real attempts file and the
// built-in catalog; its cluster has no clients, so only commands that do
// not reach the API can use it.
func (r runApp) fakeSession(t *testing.T) (sessionFunc, runner.Store) {
	t.Helper()
	cat, err := r.catalog()
	if err != nil {
		t.Fatal(err)
	}
	c := &lab.Cluster{Context: "ckalab-test", Info: *fakeLab(context.Background())}
	s := &session{cluster: c, catalog: cat,
		runner: &runner.Runner{Cluster: c, AnswerRoot: t.TempDir()},
		store:  runner.Store{Path: filepath.Join(t.TempDir(), "attempts.json")}}
	return func(context.Context) (*session, error) { return s, nil }, s.store
}

// noSession fails the test if a command looks for the lab.
func noSession(t *testing.T) sessionFunc {
	return func(context.Context) (*session, error) {
		t.Error("the command looked for a lab")
		return nil, errors.New("no lab")
	}
}

func wantExit(t *testing.T, what string, err error, code int) {
	t.Helper()
	if got := exitCode(err); got != code {
		t.Errorf("%s: exit %d (%v), want %d", what, got, err, code)
	}
}

func decodeJSON(t *testing.T, what string, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", what, err, data)
	}
}
