package cli

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ckalab/ckalab/exam"
	"github.com/ckalab/ckalab/lab"
	"github.com/spf13/cobra"
)

type examStatusOptions struct {
	app     *app
	session sessionFunc
	Output  string
}

func (a *app) examStatusCommand() *cobra.Command {
	opts := &examStatusOptions{app: a, session: a.session}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Time left and the exam's tasks (number, title, domain, weight, flag)",
		Long: `Show the exam on the lab: the time left and each task's number, title, domain, weight and
flag. It reads the exam's state file, so it works after a closed terminal or a reboot, and
says when the exam's lab cannot be reached. After the deadline it grades the exam if nothing
did yet.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runExamStatus(cmd.Context(), opts) },
	}
	outputFlag(cmd, &opts.Output, "table", "json")
	return cmd
}

func runExamStatus(ctx context.Context, opts *examStatusOptions) error {
	a := opts.app
	if err := checkOutput(opts.Output, "table", "json"); err != nil {
		return err
	}
	st, store, err := a.currentExam()
	if err != nil {
		return err
	}
	a.startWatcher(store, st)
	if settled, err := a.settleExam(ctx, opts.session, store, st); err != nil {
		fmt.Fprintf(a.env.IO.ErrOut, "%s the time is up but the exam could not be graded yet: %v\n", a.env.IO.Colors().Yellow("!"), err)
	} else {
		st = settled
	}
	if st.Graded == nil && a.labInfo(ctx) == nil {
		fmt.Fprintf(a.env.IO.ErrOut, "%s the exam's lab (context %s) cannot be reached: `ckalab lab status` tells why; the clock runs on\n",
			a.env.IO.Colors().Yellow("!"), st.Context)
	}
	return a.printExamStatus(st, opts.Output)
}

// examStatusView is `exam status -o json`.
type examStatusView struct {
	ID          string        `json:"id"`
	Set         string        `json:"set"`
	Title       string        `json:"title"`
	Context     string        `json:"context"`
	Started     time.Time     `json:"started"`
	Deadline    time.Time     `json:"deadline"`
	LeftSeconds int64         `json:"timeLeftSeconds"`
	Over        bool          `json:"over"`
	Graded      *time.Time    `json:"graded,omitempty"`
	Percent     *float64      `json:"percent,omitempty"`
	Passed      *bool         `json:"passed,omitempty"`
	Tasks       []exam.Task   `json:"tasks"`
	Flagged     []int         `json:"flagged"`
	Duration    time.Duration `json:"durationNanoseconds"`
}

func (a *app) printExamStatus(st *exam.State, format string) error {
	now := a.env.Now()
	view := examStatusView{ID: st.ID, Set: st.Set, Title: st.Title, Context: st.Context, Started: st.Started,
		Deadline: st.Deadline, LeftSeconds: int64(st.TimeLeft(now) / time.Second), Over: st.Expired(now) || st.Graded != nil,
		Graded: st.Graded, Tasks: st.Tasks, Flagged: []int{}, Duration: st.Duration}
	for _, t := range st.Tasks {
		if t.Flagged {
			view.Flagged = append(view.Flagged, t.N)
		}
	}
	if st.Graded != nil {
		sum := examSummary(st)
		view.Percent, view.Passed = &sum.Percent, &sum.Passed
	}
	return a.render(format, view, func() error {
		io := a.env.IO
		c := io.Colors()
		rows := make([][]string, 0, len(st.Tasks))
		for _, t := range st.Tasks {
			flag := ""
			if t.Flagged {
				flag = c.Yellow("⚑")
			}
			rows = append(rows, []string{strconv.Itoa(t.N), flag, t.Title, t.Domain, weightText(t.Weight)})
		}
		fmt.Fprintf(io.Out, "%s  %s\n", c.Bold(st.Title), c.Faint("("+st.ID+", context "+st.Context+")"))
		switch {
		case st.Graded != nil:
			fmt.Fprintf(io.Out, "Over: %.1f%% (pass mark %d%%). `ckalab exam submit` prints the report.\n", *view.Percent, st.PassMark)
		case view.Over:
			fmt.Fprintf(io.Out, "Time is up (%s). `ckalab exam submit` grades it.\n", st.Deadline.Local().Format("15:04"))
		default:
			fmt.Fprintf(io.Out, "Time left: %s (until %s)\n", c.Bold(clockText(st.TimeLeft(now))), st.Deadline.Local().Format("15:04"))
		}
		fmt.Fprintln(io.Out)
		return table(io.Out, []string{"#", "", "task", "domain", "weight"}, rows)
	})
}

// weightText writes a task's weight as the exam does: 6%, 6.25%,
// 10.42% (a share of 100/16 per task leaves float noise to round off).
func weightText(w float64) string {
	return strconv.FormatFloat(math.Round(w*100)/100, 'f', -1, 64) + "%"
}

type examTaskOptions struct {
	app     *app
	session sessionFunc
	N       int
}

func (a *app) examTaskCommand() *cobra.Command {
	opts := &examTaskOptions{app: a, session: a.session}
	return &cobra.Command{
		Use:   "task <N>",
		Short: "Print task N as the exam shows it, with where to solve it",
		Long: `Print task N of the exam: where to solve it (the kubectl context, and for node work the node
to 'ckalab ssh' into), where its answer files go, then the task itself.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := taskNumber(args[0])
			if err != nil {
				return err
			}
			opts.N = n
			return runExamTask(cmd.Context(), opts)
		},
	}
}

func taskNumber(arg string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(arg, "#"))
	if err != nil || n < 1 {
		return 0, usageError("%q is not a task number (1, 2, ...)", arg)
	}
	return n, nil
}

func runExamTask(ctx context.Context, opts *examTaskOptions) error {
	a := opts.app
	st, store, err := a.currentExam()
	if err != nil {
		return err
	}
	t, err := st.Task(opts.N)
	if err != nil {
		return usageError("%v", err)
	}
	s, err := opts.session(ctx)
	if err != nil {
		return fmt.Errorf("the exam's lab (context %s) cannot be reached: %w", st.Context, err)
	}
	tasks, err := a.loadExamTasks(s, store, st)
	if err != nil {
		return err
	}
	sc := tasks[t.N-1]
	io := a.env.IO
	c := io.Colors()
	now := a.env.Now()
	left := "time is up"
	if !st.Expired(now) && st.Graded == nil {
		left = clockText(st.TimeLeft(now)) + " left"
	}
	flag := ""
	if t.Flagged {
		flag = " · " + c.Yellow("⚑ flagged")
	}
	fmt.Fprintf(io.Out, "%s  %s\n", c.Bold(fmt.Sprintf("Task %d of %d", t.N, len(st.Tasks))), c.Faint(left))
	fmt.Fprintf(io.Out, "%s · %s of the exam%s\n\n", t.Domain, weightText(t.Weight), flag)
	fmt.Fprintf(io.Out, "Solve this task on context %s:\n  kubectl config use-context %s\n", c.Bold(st.Context), st.Context)
	folders := s.runner.Folders[sc.ID]
	if nodes := taskNodes(sc.Task, s.cluster.Info.Nodes); slices.Contains(sc.Needs(), lab.CapNode) && len(nodes) > 0 {
		for _, n := range nodes {
			fmt.Fprintf(io.Out, "  ckalab ssh %s\n", n)
		}
	}
	if strings.Contains(sc.Task, folders.Course) {
		fmt.Fprintf(io.Out, "Answer files go on the node, in %s/\n", folders.Course)
	}
	if strings.Contains(sc.Task, folders.Answers) {
		fmt.Fprintf(io.Out, "Answer files go in %s/\n", folders.Answers)
	}
	fmt.Fprintf(io.Out, "\n%s\n\n", strings.TrimRight(sc.Task, "\n"))
	fmt.Fprintln(io.ErrOut, c.Faint(fmt.Sprintf("ckalab exam flag %d to come back to it · exam status · exam submit", t.N)))
	return nil
}

// taskNodes are the lab's nodes a task's text names, in the lab's order.
func taskNodes(task string, nodes []lab.Node) []string {
	var out []string
	for _, n := range nodes {
		if strings.Contains(task, n.Name) {
			out = append(out, n.Name)
		}
	}
	return out
}

type examFlagOptions struct {
	app   *app
	N     int
	Clear bool
}

func (a *app) examFlagCommand() *cobra.Command {
	opts := &examFlagOptions{app: a}
	cmd := &cobra.Command{
		Use:   "flag <N>",
		Short: "Flag task N to come back to it (--clear removes the flag)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := taskNumber(args[0])
			if err != nil {
				return err
			}
			opts.N = n
			return runExamFlag(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Clear, "clear", false, "remove the flag")
	return cmd
}

func runExamFlag(opts *examFlagOptions) error {
	a := opts.app
	st, store, err := a.currentExam()
	if err != nil {
		return err
	}
	err = store.Update(func(cur *exam.State) error {
		if cur.ID != st.ID {
			return errExamChanged
		}
		return cur.Flag(opts.N, !opts.Clear)
	})
	if err != nil {
		return usageError("%v", err)
	}
	verb := "flagged"
	if opts.Clear {
		verb = "unflagged"
	}
	fmt.Fprintf(a.env.IO.ErrOut, "Task %d %s.\n", opts.N, verb)
	return nil
}
