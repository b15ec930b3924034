package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/AlecAivazis/survey/v2"
	"github.com/ckalab/ckalab/exam"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/runner"
	"github.com/spf13/cobra"
)

type examStartOptions struct {
	app     *app
	session sessionFunc

	// Set names a built-in set or a set file; nil: ask, or the set made
	// for the lab's provider.
	Set      *string
	Count    int
	Duration time.Duration
	PassMark int
	// Seed makes the draw repeatable; nil: a fresh one.
	Seed *uint64
	// Parallel is how many setups run at once.
	Parallel int
}

func (a *app) examStartCommand() *cobra.Command {
	opts := &examStartOptions{app: a, session: a.session}
	var set string
	var seed uint64
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Draw an exam, set every task up and start the clock",
		Long: `Draw an exam's tasks from the catalog by the CKA's domain weights (only what this lab can
run, never two tasks that own the same node or object), set them all up, then start the clock.
Each attempt draws new values where a scenario has them. A setup that fails stops the start
and brings the lab back to its baseline.

--set names a built-in set (cka-sim, cka-kind) or an exam set file (kind: Exam). Without it,
a terminal asks; a script gets the set made for the lab's provider.`,
		Example: `  ckalab exam start
  ckalab exam start --set cka-sim --count 3 --duration 20m
  ckalab exam start --set my-class.yaml --seed 42`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("set") {
				opts.Set = &set
			}
			if cmd.Flags().Changed("seed") {
				opts.Seed = &seed
			}
			return runExamStart(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&set, "set", "", "exam set: a built-in id or a set file")
	f.IntVar(&opts.Count, "count", 0, "number of tasks (default: the set's, 16 for the built-in sets)")
	f.DurationVar(&opts.Duration, "duration", 0, "time allowed (default: the set's, 2h for the built-in sets)")
	f.IntVar(&opts.PassMark, "pass-mark", 0, "percent needed to pass (default: the set's, 66 for the built-in sets)")
	f.Uint64Var(&seed, "seed", 0, "seed of the draw: the same seed on the same catalog draws the same exam")
	f.IntVar(&opts.Parallel, "parallel", 4, "setups run at once")
	_ = cmd.RegisterFlagCompletionFunc("set", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		sets, _ := exam.Sets()
		var ids []string
		for _, s := range sets {
			ids = append(ids, s.ID+"\t"+s.Title)
		}
		return ids, cobra.ShellCompDirectiveDefault
	})
	return cmd
}

func runExamStart(ctx context.Context, opts *examStartOptions) error {
	a := opts.app
	if opts.Count < 0 || opts.Count > exam.MaxCount {
		return usageError("--count %d: want 1 to %d", opts.Count, exam.MaxCount)
	}
	if opts.PassMark < 0 || opts.PassMark > 100 {
		return usageError("--pass-mark %d: want 1 to 100", opts.PassMark)
	}
	if opts.Duration < 0 {
		return usageError("--duration %s: want a positive duration such as 2h or 45m", opts.Duration)
	}
	s, err := opts.session(ctx)
	if err != nil {
		return err
	}
	store, err := a.examStore(s.cluster.Context)
	if err != nil {
		return err
	}
	if err := refuseRunningExam(store, a.env.Now()); err != nil {
		return err
	}
	set, err := a.chooseSet(opts.Set, s.cluster.Info.Provider)
	if err != nil {
		return err
	}
	if opts.Count > 0 {
		set.Count = opts.Count
	}
	if opts.Duration > 0 {
		set.Duration = opts.Duration
	}
	if opts.PassMark > 0 {
		set.PassMark = opts.PassMark
	}
	seed := a.env.Rand.Uint64()
	if opts.Seed != nil {
		seed = *opts.Seed
	}
	// The draw needs each scenario's domain, needs, ownership and vars;
	// the tasks are rendered again with their own values and folders.
	td := scenarios.DefaultTemplateData()
	td.Nodes = s.cluster.Info.Names()
	all, err := s.catalog.LoadAll(td)
	if err != nil {
		return err
	}
	if err := exam.Check(set, func(id string) bool { return s.catalog.Has(id) }); err != nil {
		return err
	}
	draw, err := exam.Draw(examCandidates(all, s), set.Options(seed))
	if err != nil {
		return err
	}
	if len(draw.Tasks) == 0 {
		return fmt.Errorf("this %s lab can run no task of exam set %s:\n%s", s.cluster.Info.Provider, set.ID, shortfallText(draw))
	}
	st := exam.NewState(set, draw, seed, s.cluster.Context, s.cluster.Info.Provider, a.env.Now())
	tasks, err := a.loadExamTasks(s, store, st)
	if err != nil {
		return err
	}
	for _, sc := range tasks {
		if err := a.ensureImages(ctx, s, sc); err != nil {
			return err
		}
	}
	io := a.env.IO
	if draw.Missing() > 0 {
		fmt.Fprintf(io.ErrOut, "%s the draw filled %d of %d tasks:\n%s", io.Colors().Yellow("!"), len(draw.Tasks), draw.Wanted, shortfallText(draw))
	}
	started, err := a.setUpExam(ctx, s, tasks, opts.Parallel)
	a.printRestored(started.Restored)
	if err != nil {
		if len(started.Undone) > 0 {
			fmt.Fprintf(io.ErrOut, "Undone so that no half-made exam is left:\n%s\n", indent(strings.Join(started.Undone, "\n"), "  "))
		}
		return a.labAdvice(s, err)
	}
	// The clock starts once every task is ready: setup time is not exam
	// time.
	st = exam.NewState(set, draw, seed, s.cluster.Context, s.cluster.Info.Provider, a.env.Now())
	if err := store.Save(st); err != nil {
		return err
	}
	a.startWatcher(store, st)
	return a.printExamStarted(st)
}

// refuseRunningExam stops a second exam on a lab whose exam is not over:
// its tasks and deadline would be lost.
func refuseRunningExam(store exam.Store, now time.Time) error {
	st, err := store.Load()
	switch {
	case errors.Is(err, exam.ErrNoExam):
		return nil
	case err != nil:
		return err
	case st.Graded != nil:
		return nil // over and reported: a new exam replaces it
	}
	return fmt.Errorf("exam %s is still running on this lab (%s left): `ckalab exam submit` ends it first", st.ID, clockText(st.TimeLeft(now)))
}

// chooseSet resolves --set: a built-in id or a file; without it, a menu
// on a terminal, else the set made for the provider (cka-<provider>).
func (a *app) chooseSet(named *string, provider string) (*exam.Set, error) {
	if named != nil {
		if strings.ContainsRune(*named, os.PathSeparator) || strings.HasSuffix(*named, ".yaml") || strings.HasSuffix(*named, ".yml") {
			data, err := os.ReadFile(*named)
			if err != nil {
				return nil, fmt.Errorf("exam set: %w", err)
			}
			return exam.ParseSet(*named, data)
		}
		return exam.LookupSet(*named)
	}
	sets, err := exam.Sets()
	if err != nil {
		return nil, err
	}
	preferred := slices.IndexFunc(sets, func(s *exam.Set) bool { return s.ID == "cka-"+provider })
	if !a.env.IO.CanPrompt() {
		if preferred < 0 {
			return nil, usageError("name an exam set with --set (built-in: %s)", setIDs(sets))
		}
		return sets[preferred], nil
	}
	options := make([]string, len(sets))
	for i, s := range sets {
		options[i] = fmt.Sprintf("%-10s %s (%d tasks, %s, pass %d%%)", s.ID, s.Title, s.Count, shortClock(s.Duration), s.PassMark)
	}
	choice := max(preferred, 0)
	prompt := &survey.Select{Message: "Which exam?", Options: options, Default: options[choice]}
	if err := survey.AskOne(prompt, &choice); err != nil {
		return nil, fmt.Errorf("choose an exam set: %w", err)
	}
	return sets[choice], nil
}

func setIDs(sets []*exam.Set) string {
	ids := make([]string, len(sets))
	for i, s := range sets {
		ids[i] = s.ID
	}
	return strings.Join(ids, ", ")
}

// examCandidates are the catalog's scenarios as the draw sees them on
// this lab.
func examCandidates(all []*scenarios.Scenario, s *session) []exam.Candidate {
	conflicts := map[string][]string{}
	for _, c := range scenarios.Conflicts(all) {
		conflicts[c.A] = append(conflicts[c.A], c.B)
	}
	out := make([]exam.Candidate, 0, len(all))
	for _, sc := range all {
		out = append(out, exam.Candidate{
			ID: sc.ID, Title: sc.Title, Domain: sc.Domain,
			Runnable:  len(s.cluster.Info.Missing(sc.Needs())) == 0,
			Needs:     sc.File.Needs,
			Conflicts: conflicts[sc.ID],
			Vars:      sc.Vars,
		})
	}
	return out
}

func shortfallText(draw exam.DrawResult) string {
	var b strings.Builder
	for _, s := range draw.Short {
		fmt.Fprintf(&b, "  - %s\n", s)
	}
	return b.String()
}

// examFolders gives each task numbered answer folders, as the real
// exam's /opt/course/N: on this machine beside the exam's state, on the
// nodes under /opt/course.
func examFolders(store exam.Store, n int) runner.Folders {
	return runner.Folders{
		Answers: filepath.Join(examCourseDir(store), strconv.Itoa(n)),
		Course:  lab.CourseRoot + "/" + strconv.Itoa(n),
	}
}

// examCourseDir holds an exam's answer folders on this machine.
func examCourseDir(store exam.Store) string {
	return strings.TrimSuffix(store.Path, filepath.Ext(store.Path)) + ".course"
}

// loadExamTasks renders the exam's tasks with their vars and folders, and
// points the session's runner at those folders.
func (a *app) loadExamTasks(s *session, store exam.Store, st *exam.State) ([]*scenarios.Scenario, error) {
	s.runner.Folders = map[string]runner.Folders{}
	for _, t := range st.Tasks {
		s.runner.Folders[t.Scenario] = examFolders(store, t.N)
	}
	out := make([]*scenarios.Scenario, 0, len(st.Tasks))
	for _, t := range st.Tasks {
		if !s.catalog.Has(t.Scenario) {
			return nil, fmt.Errorf("task %d: scenario %s is not in the catalog any more (was a --scenarios folder dropped?)", t.N, t.Scenario)
		}
		sc, err := s.catalog.Load(t.Scenario, s.runner.TemplateData(t.Scenario, t.Vars))
		if err != nil {
			return nil, fmt.Errorf("task %d: %w", t.N, err)
		}
		out = append(out, sc)
	}
	return out, nil
}

// setUpExam runs every task's setup, with a progress bar.
func (a *app) setUpExam(ctx context.Context, s *session, tasks []*scenarios.Scenario, parallel int) (runner.Started, error) {
	io := a.env.IO
	p := &progress{io: io, now: a.env.Now}
	step := fmt.Sprintf("Setting up %d tasks", len(tasks))
	p.Start(step)
	started, err := s.runner.StartAll(ctx, tasks, runner.StartAllOptions{
		Parallel: parallel,
		Done: func(done, total int) {
			if io.errTTY {
				fmt.Fprintf(io.ErrOut, "\r\x1b[K • %s %s %d/%d", step, progressBar(done, total, 20), done, total)
			}
		},
	})
	p.End(err == nil)
	return started, err
}

// progressBar draws done of total in cells: [██████······].
func progressBar(done, total, cells int) string {
	if total <= 0 {
		return ""
	}
	fill := done * cells / total
	return "[" + strings.Repeat("█", fill) + strings.Repeat("·", cells-fill) + "]"
}

// watcherArgs are the watcher's arguments; Alive looks for them too.
func watcherArgs(contextName string) []string {
	return []string{"exam", "watch", "--context", contextName}
}

// startWatcher starts the detached deadline watcher unless one runs, and
// records its pid. A watcher that cannot start is a warning, not a
// failure: any exam command run after the deadline grades the exam too,
// and says how late.
func (a *app) startWatcher(store exam.Store, st *exam.State) {
	if a.env.Detach == nil || st.Graded != nil {
		return
	}
	args := watcherArgs(st.Context)
	if a.env.Alive != nil && a.env.Alive(st.Watcher, args) {
		return
	}
	if a.kubeconfig != "" {
		args = append(args, "--kubeconfig", a.kubeconfig)
	}
	logPath := strings.TrimSuffix(store.Path, filepath.Ext(store.Path)) + ".watch.log"
	pid, err := a.env.Detach(args, logPath)
	if err == nil {
		err = store.Update(func(cur *exam.State) error {
			if cur.ID == st.ID {
				cur.Watcher = pid
			}
			return nil
		})
	}
	if err != nil {
		fmt.Fprintf(a.env.IO.ErrOut, "%s the deadline watcher did not start (%v): the exam is graded at the first exam command after the deadline\n",
			a.env.IO.Colors().Yellow("!"), err)
	}
}

func (a *app) printExamStarted(st *exam.State) error {
	io := a.env.IO
	c := io.Colors()
	fmt.Fprintf(io.ErrOut, "\n%s %s: %d tasks, %s, pass mark %d%%. The clock runs until %s.\n",
		c.SuccessIcon(), c.Bold(st.Title), len(st.Tasks), shortClock(st.Duration), st.PassMark, st.Deadline.Local().Format("15:04"))
	fmt.Fprintln(io.ErrOut, c.Faint("ckalab exam task 1 · exam status · exam shell (kubectl, k, the timer) · exam submit"))
	return a.printExamStatus(st, "table")
}

// shortClock writes a set's duration as people do: 2h, 45m, 1h30m.
func shortClock(d time.Duration) string {
	s := d.Round(time.Second).String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
