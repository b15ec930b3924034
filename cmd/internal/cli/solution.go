package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/steps"
	"github.com/spf13/cobra"
)

type solutionOptions struct {
	app     *app
	session sessionFunc

	// Scenario is nil for the lab's current attempt.
	Scenario *string
	Apply    bool
}

func (a *app) solutionCommand() *cobra.Command {
	opts := &solutionOptions{app: a, session: a.session}
	cmd := &cobra.Command{
		Use:               "solution [<scenario>]",
		Short:             "Show the reference solution (--apply runs it on the lab)",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: a.completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Scenario = optionalArg(args)
			return runSolution(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Apply, "apply", false, "run the solution's steps on the lab")
	return cmd
}

func runSolution(ctx context.Context, opts *solutionOptions) error {
	s, sc, _, err := openAttempt(ctx, opts.session, opts.Scenario, "solution")
	if err != nil {
		return err
	}
	a := opts.app
	io := a.env.IO
	a.printSolution(sc)
	if !opts.Apply {
		return nil
	}
	p := &progress{io: io, now: a.env.Now}
	return lab.Step(p, "Applying the reference solution", func() error {
		_, err := s.runner.Apply(ctx, sc, sc.Solution.Steps)
		return err
	})
}

// printSolution prints a scenario's explained reference solution
// (solution, exam review).
func (a *app) printSolution(sc *scenarios.Scenario) {
	io := a.env.IO
	c := io.Colors()
	fmt.Fprintf(io.Out, "%s\n%s\n\n", c.Bold("Solution: "+sc.Title), strings.TrimSpace(sc.Solution.Explain))
	for i, st := range sc.Solution.Steps {
		if st.Show != "" {
			fmt.Fprintf(io.Out, "%d. %s\n", i+1, c.Bold("$ "+st.Show))
		} else {
			fmt.Fprintf(io.Out, "%d. (%s)\n", i+1, st.Name())
		}
		if apply, ok := st.Action.(*steps.Apply); ok && apply.Manifest != "" {
			fmt.Fprintln(io.Out, indent(apply.Manifest, "     "))
		}
	}
}
