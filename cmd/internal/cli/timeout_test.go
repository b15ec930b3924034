package cli

// Internal tests: a step that times out needs a lab to happen for real;
// these check what Main adds to such an error, and the --explain layout,
// without one.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/scenarios/steps"
	"github.com/spf13/cobra"
)

func testApp(verbose bool) (*app, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &app{env: Env{IO: TestIO(nil, &out, &errOut), Getenv: func(string) string { return "" }, Now: time.Now}, verbose: verbose}, &out, &errOut
}

func TestPrintTimeoutAdvice(t *testing.T) {
	t.Parallel()
	te := &steps.TimeoutError{What: "Pod shop/web", After: time.Second, Reasons: []string{"pod shop/web is Pending: 0/3 nodes are available"},
		Detail: "`object.status.phase == 'Running'` is false"}
	setupErr := fmt.Errorf("setup of drain-worker failed at %w", &steps.StepError{Step: 2, Action: "wait", Err: te})
	start := &cobra.Command{Use: "start"}
	labCmd := &cobra.Command{Use: "lab"}
	reset := &cobra.Command{Use: "reset"}
	(&cobra.Command{Use: "ckalab"}).AddCommand(start, labCmd)
	labCmd.AddCommand(reset)

	for _, tc := range []struct {
		name    string
		verbose bool
		cmd     *cobra.Command
		err     error
		want    string
	}{
		{"timeout", false, start, setupErr, resetAdvice + "\n"},
		{"timeout, --verbose", true, start, setupErr, "detail: `object.status.phase == 'Running'` is false\n" + resetAdvice + "\n"},
		{"no command", false, nil, setupErr, resetAdvice + "\n"},
		{"lab reset itself timed out", true, reset, setupErr, "detail: `object.status.phase == 'Running'` is false\n"},
		{"another error", true, start, errors.New("boom"), ""},
	} {
		a, out, errOut := testApp(tc.verbose)
		a.printTimeoutAdvice(tc.cmd, tc.err)
		if errOut.String() != tc.want || out.Len() != 0 {
			t.Errorf("%s: stderr %q, stdout %q; want stderr %q", tc.name, errOut, out, tc.want)
		}
	}
}

func TestVerboseFlag(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-v", "version"}, {"version", "--verbose"}, {"--version"}} {
		a, out, errOut := testApp(false)
		if code := Main(context.Background(), args, a.env); code != ExitOK || !strings.HasPrefix(out.String(), "ckalab ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

func TestPrintReportWhyFirst(t *testing.T) {
	t.Parallel()
	a, out, _ := testApp(false)
	rep := grader.Report{Scenario: "taints", Total: 2, Results: []grader.Result{{
		ID: "tolerates", Title: "The pod tolerates the taint", Points: 2,
		Why: "A pod lands on a tainted node only if it tolerates the taint.", Expected: "a toleration of db", Actual: "no tolerations",
		Problems: []string{"spec.tolerations is empty"},
	}}}
	if err := a.printReport(rep, true); err != nil {
		t.Fatal(err)
	}
	want := "  why: A pod lands on a tainted node only if it tolerates the taint.\n" +
		"  expected: a toleration of db\n  actual:   no tolerations\n   - spec.tolerations is empty\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Errorf("report\n%s\nwant it to end with\n%s", out, want)
	}
}
