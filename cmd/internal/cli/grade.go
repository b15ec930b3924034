package cli

import (
	"context"
	"fmt"

	"github.com/ckalab/ckalab/grader"
	"github.com/spf13/cobra"
)

type gradeOptions struct {
	app     *app
	session sessionFunc

	// Scenario is nil for the lab's current attempt.
	Scenario *string
	Output   string
	Explain  bool
}

func (a *app) gradeCommand() *cobra.Command {
	opts := &gradeOptions{app: a, session: a.session}
	cmd := &cobra.Command{
		Use:   "grade [<scenario>]",
		Short: "Check your work on the live cluster (exit 3 when not full marks)",
		Long: `Check the live cluster against the scenario's checks (the current one by default).
Each check polls for a few seconds while the cluster settles. --explain shows expected vs
actual and why for each failed check. The grader only reads; it never changes the lab.`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: a.completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Scenario = optionalArg(args)
			return runGrade(cmd.Context(), opts)
		},
	}
	outputFlag(cmd, &opts.Output, "table", "json")
	cmd.Flags().BoolVar(&opts.Explain, "explain", false, "show expected vs actual and why for each failed check")
	return cmd
}

// runGrade grades the scenario and prints the report; not full marks is
// errChecksFailed.
func runGrade(ctx context.Context, opts *gradeOptions) error {
	// The output format is checked before the lab is looked for.
	if err := checkOutput(opts.Output, "table", "json"); err != nil {
		return err
	}
	s, sc, _, err := openAttempt(ctx, opts.session, opts.Scenario, "grade")
	if err != nil {
		return err
	}
	a := opts.app
	io := a.env.IO
	if io.errTTY {
		// Failing checks are observed again until their timeout;
		// say so rather than sit silent for seconds.
		fmt.Fprintf(io.ErrOut, "Grading %s (failing checks are retried while the cluster settles) ...", sc.ID)
	}
	io.activity.set("grading " + sc.ID)
	rep := s.runner.Grade(ctx, sc, s.runner.Grading)
	if io.errTTY {
		fmt.Fprint(io.ErrOut, "\r\x1b[K")
	}
	if err := ctx.Err(); err != nil {
		// Checks cut short would read as failures: no report (and the
		// activity stays, for the message that says what was stopped).
		return err
	}
	io.activity.set("")
	if err := a.render(opts.Output, rep, func() error { return a.printReport(rep, opts.Explain) }); err != nil {
		return err
	}
	// For `ckalab next`; the grade stands without it.
	if err := a.recordPractice(rep, sc.Domain); err != nil {
		fmt.Fprintf(io.ErrOut, "%s the grade was not added to the history: %v\n", io.Colors().Yellow("!"), err)
	}
	if !rep.Passed {
		return errChecksFailed
	}
	return nil
}

func (a *app) printReport(rep grader.Report, explain bool) error {
	io := a.env.IO
	c := io.Colors()
	rows := make([][]string, 0, len(rep.Results))
	for _, r := range rep.Results {
		icon := c.SuccessIcon()
		if !r.Passed {
			icon = c.FailureIcon()
		}
		rows = append(rows, []string{icon, fmt.Sprintf("%d/%d", r.Earned, r.Points), r.ID, r.Title})
	}
	if err := table(io.Out, []string{"", "points", "check", "what"}, rows); err != nil {
		return err
	}
	score := fmt.Sprintf("%d/%d points", rep.Earned, rep.Total)
	if rep.Passed {
		fmt.Fprintf(io.Out, "\n%s %s: %s\n", c.SuccessIcon(), rep.Scenario, c.Green(score+", full marks"))
		return nil
	}
	fmt.Fprintf(io.Out, "\n%s %s: %s\n", c.FailureIcon(), rep.Scenario, c.Red(score))
	if !explain {
		fmt.Fprintln(io.Out, c.Faint("Run `ckalab grade --explain` to see why each check failed."))
		return nil
	}
	for _, r := range rep.Results {
		if r.Passed {
			continue
		}
		fmt.Fprintf(io.Out, "\n%s %s (%s)\n", c.FailureIcon(), c.Bold(r.ID+": "+r.Title), plural(r.Points, "point"))
		// Why first: the reason in plain words is what a learner acts
		// on; expected and actual are the evidence.
		if r.Why != "" {
			fmt.Fprintf(io.Out, "  why: %s\n", indent(r.Why, "       ")[7:])
		}
		fmt.Fprintf(io.Out, "  expected: %s\n  actual:   %s\n", r.Expected, r.Actual)
		for _, p := range r.Problems {
			fmt.Fprintf(io.Out, "   - %s\n", p)
		}
	}
	return nil
}

// plural renders "1 point", "2 points".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
