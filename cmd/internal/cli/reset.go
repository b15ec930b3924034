package cli

import (
	"context"
	"fmt"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios/runner"
	"github.com/spf13/cobra"
)

type resetOptions struct {
	app     *app
	session sessionFunc

	// Scenario is nil for the lab's current attempt.
	Scenario *string
}

func (a *app) resetCommand() *cobra.Command {
	opts := &resetOptions{app: a, session: a.session}
	return &cobra.Command{
		Use:               "reset [<scenario>]",
		Short:             "Start a scenario over: remove what it created and run its setup again",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: a.completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Scenario = optionalArg(args)
			return runReset(cmd.Context(), opts)
		},
	}
}

// runReset sets the scenario up again; the attempt keeps its values and
// start time, and its hints are hidden again.
func runReset(ctx context.Context, opts *resetOptions) error {
	s, sc, att, err := openAttempt(ctx, opts.session, opts.Scenario, "reset")
	if err != nil {
		return err
	}
	a := opts.app
	p := &progress{io: a.env.IO, now: a.env.Now}
	var started runner.Started
	err = lab.Step(p, "Resetting "+sc.ID, func() error {
		var err error
		started, err = s.runner.Start(ctx, sc)
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
}
