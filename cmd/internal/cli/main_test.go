package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/cmd/internal/cli"
)

// fixedNow is the clock of the tests that need no lab.
var fixedNow = time.Date(2026, time.March, 14, 15, 9, 26, 0, time.UTC)

// harness runs ckalab's Main in a fake environment: every file it may touch
// (XDG folders, HOME, the user's kubeconfig) lives in a fresh t.TempDir().
type harness struct {
	t    *testing.T
	dir  string
	vars map[string]string
	// now is the clock handed to Main.
	now func() time.Time
	// timeout bounds one command (default 5 minutes).
	timeout time.Duration
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{t: t, dir: dir, now: func() time.Time { return fixedNow }, vars: map[string]string{
		"HOME":            filepath.Join(dir, "home"),
		"XDG_STATE_HOME":  filepath.Join(dir, "state"),
		"XDG_CACHE_HOME":  filepath.Join(dir, "cache"),
		"XDG_CONFIG_HOME": filepath.Join(dir, "config"),
		"KUBECONFIG":      filepath.Join(dir, "kubeconfig"),
		"NO_COLOR":        "1",
		// The kind provider sees the machine's Docker: a cluster name of
		// the test's own keeps `lab down` from finding the user's lab.
		"CKALAB_KIND_CLUSTER": fmt.Sprintf("ckalab-test-%d", time.Now().UnixNano()),
	}}
	// Env.Getenv covers ckalab's own settings, but the kubeconfig is found by
	// client-go, which reads KUBECONFIG (and HOME for ~/.kube/config) from
	// the process environment. Without these the tests would read and edit
	// the developer's real kubeconfig.
	t.Setenv("KUBECONFIG", h.vars["KUBECONFIG"])
	t.Setenv("HOME", h.vars["HOME"])
	return h
}

// kubeconfig is the user's kubeconfig file of the fake environment.
func (h *harness) kubeconfig() string { return h.vars["KUBECONFIG"] }

// stateDir is ckalab's state folder ($XDG_STATE_HOME/ckalab).
func (h *harness) stateDir() string { return filepath.Join(h.vars["XDG_STATE_HOME"], "ckalab") }

type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// run calls Main with args and checks what every command must respect: no
// panic or stack trace, no colour (NO_COLOR, no terminal), and output that
// ends with a newline.
func (h *harness) run(args ...string) result {
	h.t.Helper()
	timeout := h.timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return h.runCtx(ctx, args...)
}

// runCtx is run with a context of the caller's (a command run in the
// background, stopped by the test).
func (h *harness) runCtx(ctx context.Context, args ...string) result {
	h.t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(ctx, args, cli.Env{
		IO:     cli.TestIO(strings.NewReader(""), &out, &errOut),
		Getenv: func(k string) string { return h.vars[k] },
		Now:    h.now,
		Rand:   rand.New(rand.NewPCG(1, 2)),
	})
	r := result{code: code, stdout: out.String(), stderr: errOut.String()}
	for name, s := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
		if strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
			h.t.Errorf("ckalab %s: %s has a panic or stack trace:\n%s", strings.Join(args, " "), name, s)
		}
		if strings.Contains(s, "\x1b[") {
			h.t.Errorf("ckalab %s: %s has ANSI escapes although NO_COLOR is set and it is no terminal:\n%q", strings.Join(args, " "), name, s)
		}
		if s != "" && !strings.HasSuffix(s, "\n") {
			h.t.Errorf("ckalab %s: %s does not end with a newline:\n%q", strings.Join(args, " "), name, s)
		}
	}
	return r
}

// expect runs args and fails the test now unless the exit code is want.
func (h *harness) expect(want int, args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	if r.code != want {
		h.t.Fatalf("ckalab %s: want exit %d, got %s", strings.Join(args, " "), want, r)
	}
	return r
}

// contains fails the test unless s contains every one of subs.
func contains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}

// lacks fails the test if s contains any of subs.
func lacks(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			t.Errorf("%s contains %q:\n%s", what, sub, s)
		}
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
