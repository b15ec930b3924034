package cli

import (
	"context"
	"fmt"

	"github.com/AlecAivazis/survey/v2"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/runner"
	"github.com/spf13/cobra"
)

type startOptions struct {
	app     *app
	session sessionFunc

	// Scenario is nil when none was named: a menu asks.
	Scenario *string
}

func (a *app) startCommand() *cobra.Command {
	opts := &startOptions{app: a, session: a.session}
	return &cobra.Command{
		Use:   "start [<scenario>]",
		Short: "Set up a scenario on the lab and print its task",
		Long: `Set up a scenario on the lab (cleaning up an earlier attempt first) and print its task.
Solve it with kubectl, then run 'ckalab grade'. Without a name, pick one from a menu.`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: a.completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Scenario = optionalArg(args)
			return runStart(cmd.Context(), opts)
		},
	}
}

func runStart(ctx context.Context, opts *startOptions) error {
	a := opts.app
	s, err := opts.session(ctx)
	if err != nil {
		return err
	}
	if err := s.refuseDuringExam("start"); err != nil {
		return err
	}
	// A broken attempts file stops start before the lab changes.
	if err := s.store.Check(); err != nil {
		return err
	}
	id := ""
	if opts.Scenario != nil {
		id = *opts.Scenario
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
	if err := a.ensureImages(ctx, s, sc); err != nil {
		return err
	}
	p := &progress{io: a.env.IO, now: a.env.Now}
	var started runner.Started
	err = lab.Step(p, "Setting up "+id, func() error {
		started, err = s.runner.Start(ctx, sc)
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
