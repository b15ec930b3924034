package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/spf13/cobra"
)

type showOptions struct {
	app *app
	// labInfo is the reachable lab (app.labInfo), nil without one: its node
	// names fill the task's template.
	labInfo func(context.Context) *lab.Info
	// session opens that lab, whose attempt of the scenario, if any, holds
	// the values drawn for it (a retake's names, ports, causes).
	session sessionFunc

	Scenario string
}

func (a *app) showCommand() *cobra.Command {
	opts := &showOptions{app: a, labInfo: a.labInfo, session: a.session}
	return &cobra.Command{
		Use:               "show <scenario>",
		Short:             "Show a scenario's task without starting it",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Scenario = args[0]
			return runShow(cmd.Context(), opts)
		},
	}
}

func runShow(ctx context.Context, opts *showOptions) error {
	cat, err := opts.app.catalog()
	if err != nil {
		return err
	}
	td := scenarios.DefaultTemplateData()
	if info := opts.labInfo(ctx); info != nil {
		td.Nodes = info.Names()
		// The task as it was set up on this lab, with the values drawn
		// for the attempt (session.attempt, as hint and grade load it); a
		// scenario never started there shows its first values.
		if s, err := opts.session(ctx); err == nil {
			if sc, _, err := s.attempt(&opts.Scenario); err == nil {
				opts.app.printTask(sc)
				return nil
			}
		}
	}
	s, err := cat.Load(opts.Scenario, td)
	if err != nil {
		return err
	}
	opts.app.printTask(s)
	return nil
}

// printTask prints a scenario's header and task text (show, start).
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
