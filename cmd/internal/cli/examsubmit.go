package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/AlecAivazis/survey/v2"
	"github.com/ckalab/ckalab/exam"
	"github.com/ckalab/ckalab/exam/report"
	"github.com/ckalab/ckalab/internal/safefs"
	"github.com/ckalab/ckalab/lab"
	"github.com/spf13/cobra"
)

type examSubmitOptions struct {
	app     *app
	session sessionFunc

	Yes    bool
	Output string
	JUnit  string
	HTML   string
}

func (a *app) examSubmitCommand() *cobra.Command {
	opts := &examSubmitOptions{app: a, session: a.session}
	cmd := &cobra.Command{
		Use:   "submit",
		Short: "Hand the exam in: grade every task and print the report (exit 3 below the pass mark)",
		Long: `Hand the exam in: every task is graded at once on the lab as it stands (each check observed
once, partial credit per check) and the report shows each task's points, why each failed check
failed, a bar per CKA domain, the total against the pass mark and the time used.

After the deadline, or once graded, submit prints the report of that grading: work done later
does not count. --junit and --html also write the report to files (the HTML file is
self-contained and works offline).`,
		Example: `  ckalab exam submit
  ckalab exam submit --yes -o json
  ckalab exam submit --yes --html report.html --junit exam.xml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runExamSubmit(cmd.Context(), opts) },
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.Yes, "yes", "y", false, "submit without asking (scripts)")
	outputFlag(cmd, &opts.Output, "text", "json")
	f.StringVar(&opts.JUnit, "junit", "", "also write the report as JUnit XML to `FILE`")
	f.StringVar(&opts.HTML, "html", "", "also write the report as a self-contained HTML page to `FILE`")
	return cmd
}

func runExamSubmit(ctx context.Context, opts *examSubmitOptions) error {
	a := opts.app
	if err := checkOutput(opts.Output, "text", "json"); err != nil {
		return err
	}
	st, store, err := a.currentExam()
	if err != nil {
		return err
	}
	now := a.env.Now()
	if due, _ := exam.GradeAt(st, now); !due && st.Graded == nil {
		if err := a.confirmSubmit(st, opts.Yes); err != nil {
			return err
		}
		err := store.Update(func(cur *exam.State) error {
			if cur.ID != st.ID {
				return errExamChanged
			}
			if cur.Submitted == nil && cur.Graded == nil {
				at := a.env.Now().Round(0)
				cur.Submitted = &at
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	io := a.env.IO
	if st.Graded == nil {
		p := &progress{io: io, now: a.env.Now}
		err = lab.Step(p, fmt.Sprintf("Grading %d tasks", len(st.Tasks)), func() error {
			st, err = a.gradeExam(ctx, opts.session, store, st.ID)
			return err
		})
		if err != nil {
			return err
		}
	}
	sum := examSummary(st)
	if note := lateNote(st); note != "" {
		fmt.Fprintf(io.ErrOut, "%s %s\n", io.Colors().Yellow("!"), note)
	}
	if err := writeReportFile(opts.JUnit, sum, report.WriteJUnit); err != nil {
		return err
	}
	if err := writeReportFile(opts.HTML, sum, report.WriteHTML); err != nil {
		return err
	}
	if opts.Output == "json" {
		err = report.WriteJSON(io.Out, sum)
	} else {
		err = report.WriteText(io.Out, sum, report.TextOptions{Color: io.Colors().on, Width: a.width()})
		fmt.Fprintln(io.ErrOut, io.Colors().Faint("ckalab exam review shows the solutions · exam history your progress · ckalab next what to practise"))
	}
	if err != nil {
		return err
	}
	if !sum.Passed {
		return errChecksFailed
	}
	return nil
}

// confirmSubmit asks before an exam is handed in early; scripts pass --yes.
func (a *app) confirmSubmit(st *exam.State, yes bool) error {
	if yes {
		return nil
	}
	if !a.env.IO.CanPrompt() {
		return usageError("the exam still has %s: pass --yes to submit it now", clockText(st.TimeLeft(a.env.Now())))
	}
	msg := fmt.Sprintf("Submit the exam now, with %s left?", clockText(st.TimeLeft(a.env.Now())))
	var flagged []string
	for _, t := range st.Tasks {
		if t.Flagged {
			flagged = append(flagged, strconv.Itoa(t.N))
		}
	}
	if len(flagged) > 0 {
		msg = fmt.Sprintf("Submit the exam now, with %s left and task %s flagged?", clockText(st.TimeLeft(a.env.Now())), strings.Join(flagged, ", "))
	}
	ok := false
	if err := survey.AskOne(&survey.Confirm{Message: msg}, &ok); err != nil {
		return fmt.Errorf("confirm: %w", err)
	}
	if !ok {
		return usageError("not submitted: the clock runs on")
	}
	return nil
}

// writeReportFile renders the report into path (nothing when path is
// empty), replacing the file only once it is complete.
func writeReportFile(path string, sum report.Summary, write func(io.Writer, report.Summary) error) error {
	if path == "" {
		return nil
	}
	var b bytes.Buffer
	if err := write(&b, sum); err != nil {
		return err
	}
	if err := safefs.WriteAtomic(path, b.Bytes()); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}

// width is the terminal's width from $COLUMNS, or 0 (the default).
func (a *app) width() int {
	n, _ := strconv.Atoi(a.env.Getenv("COLUMNS"))
	return n
}

type examReviewOptions struct {
	app     *app
	session sessionFunc
	N       int // 0: every task
}

func (a *app) examReviewCommand() *cobra.Command {
	opts := &examReviewOptions{app: a, session: a.session}
	return &cobra.Command{
		Use:   "review [<N>]",
		Short: "After submitting: each task's result, what failed and its solution",
		Long: `Show, after the exam was graded, each task (or task N): its points, the checks that failed
and why, and the explained reference solution. Solutions stay hidden while the clock runs.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				n, err := taskNumber(args[0])
				if err != nil {
					return err
				}
				opts.N = n
			}
			return runExamReview(cmd.Context(), opts)
		},
	}
}

func runExamReview(ctx context.Context, opts *examReviewOptions) error {
	a := opts.app
	st, store, err := a.currentExam()
	if err != nil {
		return err
	}
	if st, err = a.settleExam(ctx, opts.session, store, st); err != nil {
		return err
	}
	if st.Graded == nil {
		return usageError("solutions show once the exam is graded: `ckalab exam submit` (%s left)", clockText(st.TimeLeft(a.env.Now())))
	}
	if opts.N > 0 {
		if _, err := st.Task(opts.N); err != nil {
			return usageError("%v", err)
		}
	}
	s, err := opts.session(ctx)
	if err != nil {
		return err
	}
	tasks, err := a.loadExamTasks(s, store, st)
	if err != nil {
		return err
	}
	sum := examSummary(st)
	io := a.env.IO
	c := io.Colors()
	for i, ts := range sum.Tasks {
		if opts.N > 0 && ts.N != opts.N {
			continue
		}
		icon := c.SuccessIcon()
		if ts.Status != report.StatusFull {
			icon = c.FailureIcon()
		}
		fmt.Fprintf(io.Out, "%s %s  %s\n", icon, c.Bold(fmt.Sprintf("Task %d: %s", ts.N, ts.Title)),
			c.Faint(fmt.Sprintf("%d/%d check points · %s", ts.Earned, ts.Total, ts.Domain)))
		for _, f := range ts.Failed {
			fmt.Fprintf(io.Out, "  %s %s (%s)\n", c.FailureIcon(), f.Title, plural(f.Points, "point"))
			if f.Why != "" {
				fmt.Fprintf(io.Out, "    why: %s\n", f.Why)
			}
		}
		fmt.Fprintln(io.Out)
		a.printSolution(tasks[i])
		fmt.Fprintln(io.Out)
	}
	return nil
}
