package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/AlecAivazis/survey/v2"
	"github.com/ckalab/ckalab/content"
	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/cka"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/baseline"
	"github.com/ckalab/ckalab/lab/images"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/runner"
	"github.com/spf13/cobra"
)

// session is a connected lab with its runner and attempt store.
type session struct {
	cluster *lab.Cluster
	// images loads container images into the lab's nodes; nil when its
	// provider has no nodes to load into.
	images  lab.ImageLoader
	runner  *runner.Runner
	store   runner.Store
	catalog *scenarios.Catalog
	// labDir is the lab's state folder (its baseline).
	labDir string
}

func (a *app) session(ctx context.Context) (*session, error) {
	cat, err := a.catalog()
	if err != nil {
		return nil, err
	}
	c, err := a.connect(ctx)
	if err != nil {
		return nil, err
	}
	d, err := a.dirs()
	if err != nil {
		return nil, err
	}
	var loader lab.ImageLoader
	if ps, err := a.providers(); err == nil {
		if p, err := ps.New(c.Info.Provider); err == nil {
			loader, _ = p.(lab.ImageLoader)
		}
	}
	// A lab made by an older ckalab has no baseline: commands that need it
	// (start, reset) say so through the runner; the others work.
	labDir := d.Lab(c.Info.Provider)
	base, err := baseline.Load(filepath.Join(labDir, baseline.FileName))
	if err != nil && !errors.Is(err, baseline.ErrNoBaseline) {
		return nil, err
	}
	return &session{
		images:  loader,
		cluster: c,
		runner: &runner.Runner{Cluster: c, AnswerRoot: d.Answers(c.Context),
			Grading: grader.Options{Now: a.env.Now}, Baseline: base},
		store:   runner.Store{Path: filepath.Join(d.State, "attempts.json")},
		catalog: cat,
		labDir:  labDir,
	}, nil
}

// ensureImages loads the images a scenario lists into the lab's nodes
// from the image cache, before setup changes anything.
func (a *app) ensureImages(ctx context.Context, s *session, sc *scenarios.Scenario) error {
	if s.images == nil || len(sc.File.Images) == 0 {
		return nil
	}
	refs, err := images.NormalizeAll(sc.File.Images)
	if err != nil {
		return fmt.Errorf("scenario %s: %w", sc.ID, err)
	}
	return s.images.LoadImages(ctx, refs, &progress{io: a.env.IO, now: a.env.Now})
}

// forgetContext drops the attempts of a lab that went away.
func (a *app) forgetContext(contextName string) error {
	d, err := a.dirs()
	if err != nil {
		return err
	}
	return runner.Store{Path: filepath.Join(d.State, "attempts.json")}.Forget(contextName)
}

// attempt resolves the scenario a command is about: the argument, else the
// lab's current attempt. It loads the scenario with the attempt's values.
func (s *session) attempt(args []string) (*scenarios.Scenario, *runner.Attempt, error) {
	var att *runner.Attempt
	var err error
	if len(args) == 1 {
		att, err = s.store.Get(s.cluster.Context, args[0])
		if err == nil && att == nil {
			att = &runner.Attempt{Scenario: args[0]}
		}
	} else {
		att, err = s.store.Current(s.cluster.Context)
		if err == nil && att == nil {
			return nil, nil, usageError("no scenario started on this lab; name one, or run `ckalab start <scenario>` first")
		}
	}
	if err != nil {
		return nil, nil, err
	}
	sc, err := s.catalog.Load(att.Scenario, s.runner.TemplateData(att.Scenario, att.Vars))
	if err != nil {
		return nil, nil, err
	}
	return sc, att, nil
}

// onAttempt is the RunE of commands about one scenario attempt ("grade
// [<scenario>]", "hint", ...): it connects, resolves the scenario (the
// argument, else the lab's current attempt) and calls run.
func (a *app) onAttempt(run func(cmd *cobra.Command, s *session, sc *scenarios.Scenario, att *runner.Attempt) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		s, err := a.session(cmd.Context())
		if err != nil {
			return err
		}
		sc, att, err := s.attempt(args)
		if err != nil {
			return err
		}
		return run(cmd, s, sc, att)
	}
}

func (a *app) completeScenarios(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	cat, err := a.catalog()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	return cat.IDs(), cobra.ShellCompDirectiveNoFileComp
}

// listEntry is one row of `ckalab list`.
type listEntry struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Domain     string   `json:"domain"`
	Competency string   `json:"competency"`
	Difficulty string   `json:"difficulty"`
	Minutes    int      `json:"minutes"`
	Points     int      `json:"points"`
	Needs      []string `json:"needs"`
	Lesson     string   `json:"lesson,omitempty"`
	// Runnable is set when a lab was reachable: whether it can run the scenario.
	Runnable *bool  `json:"runnable,omitempty"`
	Missing  string `json:"missing,omitempty"`
}

func (a *app) listCommand() *cobra.Command {
	var output, domain string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the scenarios, marking those the current lab cannot run",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, "table", "json"); err != nil {
				return err
			}
			cat, err := a.catalog()
			if err != nil {
				return err
			}
			all, err := cat.LoadAll(scenarios.DefaultTemplateData())
			if err != nil {
				return err
			}
			// The lab is optional here: without one, nothing is marked.
			var info *lab.Info
			if c, err := lab.Connect(cmd.Context(), a.target(), lab.Providers{}); err == nil {
				info = &c.Info
			}
			if _, ok := scenarios.DomainWeights()[domain]; domain != "" && !ok {
				return usageError("--domain %q: want one of %s", domain, strings.Join(cka.Names(), ", "))
			}
			var entries []listEntry
			for _, s := range all {
				if domain != "" && s.Domain != domain {
					continue
				}
				e := listEntry{ID: s.ID, Title: s.Title, Domain: s.Domain, Competency: s.Competency, Difficulty: s.Difficulty,
					Minutes: s.Minutes, Points: s.Points(), Needs: s.File.Needs, Lesson: s.Lesson}
				if info != nil {
					missing := info.Missing(s.Needs())
					ok := len(missing) == 0
					e.Runnable = &ok
					e.Missing = lab.JoinCapabilities(missing)
				}
				entries = append(entries, e)
			}
			if output == "json" {
				return writeJSON(a.env.IO.Out, entries)
			}
			c := a.env.IO.Colors()
			rows := make([][]string, 0, len(entries))
			for _, e := range entries {
				run := "?"
				if e.Runnable != nil {
					run = c.SuccessIcon()
					if !*e.Runnable {
						run = c.FailureIcon() + " needs " + e.Missing
					}
				}
				rows = append(rows, []string{e.ID, e.Domain, e.Difficulty, strconv.Itoa(e.Minutes) + "m", strconv.Itoa(e.Points), run, e.Title})
			}
			if err := table(a.env.IO.Out, []string{"id", "domain", "difficulty", "time", "points", "this lab", "title"}, rows); err != nil {
				return err
			}
			if info == nil {
				fmt.Fprintln(a.env.IO.ErrOut, c.Faint("(no lab reachable: 'this lab' is unknown; start one with `ckalab lab up`)"))
			}
			return nil
		},
	}
	outputFlag(cmd, &output, "table", "json")
	cmd.Flags().StringVar(&domain, "domain", "", "only this CKA domain")
	_ = cmd.RegisterFlagCompletionFunc("domain", cobra.FixedCompletions(cka.Names(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) showCommand() *cobra.Command {
	return &cobra.Command{
		Use:               "show <scenario>",
		Short:             "Show a scenario's task without starting it",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := a.catalog()
			if err != nil {
				return err
			}
			td := scenarios.DefaultTemplateData()
			if c, err := lab.Connect(cmd.Context(), a.target(), lab.Providers{}); err == nil {
				td.Nodes = c.Info.Names()
			}
			s, err := cat.Load(args[0], td)
			if err != nil {
				return err
			}
			a.printTask(s)
			return nil
		},
	}
}

// printTask prints a scenario's header and task text.
func (a *app) printTask(s *scenarios.Scenario) {
	io := a.env.IO
	c := io.Colors()
	fmt.Fprintf(io.Out, "%s  %s\n", c.Bold(s.Title), c.Faint("("+s.ID+")"))
	fmt.Fprintf(io.Out, "%s · %s · %d min · %d points\n", s.Domain, s.Difficulty, s.Minutes, s.Points())
	fmt.Fprintf(io.Out, "Competency: %s\n\n", s.Competency)
	fmt.Fprintln(io.Out, strings.TrimRight(s.Task, "\n"))
	fmt.Fprintln(io.Out)
	if s.Lesson != "" {
		fmt.Fprintf(io.Out, "%s\n", c.Faint("Lesson: ckalab learn "+s.Lesson))
	}
}

func (a *app) startCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "start [<scenario>]",
		Short: "Set up a scenario on the lab and print its task",
		Long: `Set up a scenario on the lab (cleaning up an earlier attempt first) and print its task.
Solve it with kubectl, then run 'ckalab grade'. Without a name, pick one from a menu.`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: a.completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.session(cmd.Context())
			if err != nil {
				return err
			}
			// A broken attempts file stops start before the lab changes.
			if err := s.store.Check(); err != nil {
				return err
			}
			id := ""
			if len(args) == 1 {
				id = args[0]
			} else if id, err = a.pickScenario(s.catalog); err != nil {
				return err
			}
			if !s.catalog.Has(id) {
				_, err := s.catalog.Load(id, scenarios.DefaultTemplateData())
				return err
			}
			raw, err := s.catalog.Load(id, s.runner.TemplateData(id, nil))
			if err != nil {
				return err
			}
			att := &runner.Attempt{Scenario: id, Vars: runner.DrawVars(raw.Vars, a.env.Rand), Started: a.env.Now()}
			sc, err := s.catalog.Load(id, s.runner.TemplateData(id, att.Vars))
			if err != nil {
				return err
			}
			if err := s.runner.CheckCapabilities(sc); err != nil {
				return err
			}
			if err := a.ensureImages(cmd.Context(), s, sc); err != nil {
				return err
			}
			p := &progress{io: a.env.IO, now: a.env.Now}
			var started runner.Started
			err = lab.Step(p, "Setting up "+id, func() error {
				started, err = s.runner.Start(cmd.Context(), sc)
				return err
			})
			a.printRestored(started.Restored)
			if err != nil {
				return a.labAdvice(s, err)
			}
			if err := s.store.Put(s.cluster.Context, att); err != nil {
				return err
			}
			fmt.Fprintln(a.env.IO.ErrOut)
			a.printTask(sc)
			fmt.Fprintf(a.env.IO.ErrOut, "When done: ckalab grade   (stuck? ckalab hint · start over: ckalab reset)\n")
			return nil
		},
	}
}

// pickScenario asks which scenario to start (interactive terminals only).
func (a *app) pickScenario(cat *scenarios.Catalog) (string, error) {
	if !a.env.IO.CanPrompt() {
		return "", usageError("name a scenario (see `ckalab list`)")
	}
	all, err := cat.LoadAll(scenarios.DefaultTemplateData())
	if err != nil {
		return "", err
	}
	options := make([]string, len(all))
	for i, s := range all {
		options[i] = fmt.Sprintf("%-24s %s", s.ID, s.Title)
	}
	var choice int
	prompt := &survey.Select{Message: "Which scenario?", Options: options, PageSize: 15}
	if err := survey.AskOne(prompt, &choice); err != nil {
		return "", fmt.Errorf("choose a scenario: %w", err)
	}
	return all[choice].ID, nil
}

func (a *app) gradeCommand() *cobra.Command {
	var output string
	var explain bool
	cmd := &cobra.Command{
		Use:   "grade [<scenario>]",
		Short: "Check your work on the live cluster (exit 3 when not full marks)",
		Long: `Check the live cluster against the scenario's checks (the current one by default).
Each check polls for a few seconds while the cluster settles. --explain shows expected vs
actual and why for each failed check. The grader only reads; it never changes the lab.`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: a.completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "table", "json"); err != nil {
				return err
			}
			return a.onAttempt(func(cmd *cobra.Command, s *session, sc *scenarios.Scenario, _ *runner.Attempt) error {
				return a.grade(cmd, s, sc, output, explain)
			})(cmd, args)
		},
	}
	outputFlag(cmd, &output, "table", "json")
	cmd.Flags().BoolVar(&explain, "explain", false, "show expected vs actual and why for each failed check")
	return cmd
}

// grade grades the scenario and prints the report.
func (a *app) grade(cmd *cobra.Command, s *session, sc *scenarios.Scenario, output string, explain bool) error {
	if a.env.IO.errTTY {
		// Failing checks are observed again until their timeout;
		// say so rather than sit silent for seconds.
		fmt.Fprintf(a.env.IO.ErrOut, "Grading %s (failing checks are retried while the cluster settles) ...", sc.ID)
	}
	a.env.IO.activity.set("grading " + sc.ID)
	rep := s.runner.Grade(cmd.Context(), sc, s.runner.Grading)
	if a.env.IO.errTTY {
		fmt.Fprint(a.env.IO.ErrOut, "\r\x1b[K")
	}
	if err := cmd.Context().Err(); err != nil {
		// Checks cut short would read as failures: no report (and the
		// activity stays, for the message that says what was stopped).
		return err
	}
	a.env.IO.activity.set("")
	if output == "json" {
		if err := writeJSON(a.env.IO.Out, rep); err != nil {
			return err
		}
	} else if err := a.printReport(rep, explain); err != nil {
		return err
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

func (a *app) resetCommand() *cobra.Command {
	return &cobra.Command{
		Use:               "reset [<scenario>]",
		Short:             "Start a scenario over: remove what it created and run its setup again",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: a.completeScenarios,
		RunE: a.onAttempt(func(cmd *cobra.Command, s *session, sc *scenarios.Scenario, att *runner.Attempt) error {
			p := &progress{io: a.env.IO, now: a.env.Now}
			var started runner.Started
			err := lab.Step(p, "Resetting "+sc.ID, func() error {
				var err error
				started, err = s.runner.Start(cmd.Context(), sc)
				return err
			})
			a.printRestored(started.Restored)
			if err != nil {
				return a.labAdvice(s, err)
			}
			if att.Started.IsZero() {
				att.Started = a.env.Now()
			}
			att.HintsShown = 0
			if err := s.store.Put(s.cluster.Context, att); err != nil {
				return err
			}
			fmt.Fprintf(a.env.IO.ErrOut, "The task is as new. `ckalab show %s` prints it again.\n", sc.ID)
			return nil
		}),
	}
}

func (a *app) hintCommand() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:               "hint [<scenario>]",
		Short:             "Show the next hint (--all for every hint)",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: a.completeScenarios,
		RunE: a.onAttempt(func(cmd *cobra.Command, s *session, sc *scenarios.Scenario, att *runner.Attempt) error {
			if len(sc.Hints) == 0 {
				fmt.Fprintln(a.env.IO.Out, "This scenario has no hints.")
				return nil
			}
			n := att.HintsShown + 1
			if all || n > len(sc.Hints) {
				n = len(sc.Hints)
			}
			for i := 0; i < n; i++ {
				fmt.Fprintf(a.env.IO.Out, "Hint %d/%d: %s\n", i+1, len(sc.Hints), strings.TrimSpace(sc.Hints[i]))
			}
			if n < len(sc.Hints) {
				fmt.Fprintln(a.env.IO.ErrOut, a.env.IO.Colors().Faint("Run `ckalab hint` again for the next one."))
			}
			att.HintsShown = n
			return s.store.Put(s.cluster.Context, att)
		}),
	}
	cmd.Flags().BoolVar(&all, "all", false, "show every hint")
	return cmd
}

func (a *app) solutionCommand() *cobra.Command {
	var apply bool
	cmd := &cobra.Command{
		Use:               "solution [<scenario>]",
		Short:             "Show the reference solution (--apply runs it on the lab)",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: a.completeScenarios,
		RunE: a.onAttempt(func(cmd *cobra.Command, s *session, sc *scenarios.Scenario, _ *runner.Attempt) error {
			io := a.env.IO
			c := io.Colors()
			fmt.Fprintf(io.Out, "%s\n%s\n\n", c.Bold("Solution: "+sc.Title), strings.TrimSpace(sc.Solution.Explain))
			for i, st := range sc.Solution.Steps {
				if st.Show != "" {
					fmt.Fprintf(io.Out, "%d. %s\n", i+1, c.Bold("$ "+st.Show))
				} else {
					fmt.Fprintf(io.Out, "%d. (%s)\n", i+1, st.Name())
				}
				if st.Apply != nil && st.Apply.Manifest != "" {
					fmt.Fprintln(io.Out, indent(st.Apply.Manifest, "     "))
				}
			}
			if !apply {
				return nil
			}
			p := &progress{io: io, now: a.env.Now}
			return lab.Step(p, "Applying the reference solution", func() error {
				_, err := s.runner.Apply(cmd.Context(), sc, sc.Solution.Steps)
				return err
			})
		}),
	}
	cmd.Flags().BoolVar(&apply, "apply", false, "run the solution's steps on the lab")
	return cmd
}

func (a *app) learnCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "learn [<topic>]",
		Short: "Read a short lesson (without a topic: list them)",
		Args:  cobra.MaximumNArgs(1),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			ls, err := content.Lessons()
			if err != nil || len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var slugs []string
			for _, l := range ls {
				slugs = append(slugs, l.Slug+"\t"+l.Title)
			}
			return slugs, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			io := a.env.IO
			if len(args) == 1 {
				l, err := content.Get(args[0])
				if err != nil {
					return err
				}
				if output == "json" {
					return writeJSON(io.Out, l)
				}
				// Lesson bodies open with their own "# Title" heading; print it once.
				body := strings.TrimSpace(l.Body)
				if first, rest, _ := strings.Cut(body, "\n"); strings.HasPrefix(first, "# ") {
					body = strings.TrimSpace(rest)
				}
				fmt.Fprintf(io.Out, "%s\n\n%s\n", io.Colors().Bold("# "+l.Title), body)
				if len(l.Scenarios) > 0 {
					fmt.Fprintf(io.Out, "\nPractise: ckalab start %s\n", strings.Join(l.Scenarios, " | ckalab start "))
				}
				return nil
			}
			ls, err := content.Lessons()
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(io.Out, ls)
			}
			rows := make([][]string, 0, len(ls))
			for _, l := range ls {
				rows = append(rows, []string{l.Slug, l.Domain, l.Summary})
			}
			return table(io.Out, []string{"topic", "domain", "summary"}, rows)
		},
	}
	outputFlag(cmd, &output, "text", "json")
	return cmd
}

// plural renders "1 point", "2 points".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
