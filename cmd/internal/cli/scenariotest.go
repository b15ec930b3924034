package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/runner"
	"github.com/spf13/cobra"
)

type scenarioTestOptions struct {
	app     *app
	session sessionFunc

	// Scenarios are catalog ids or paths (scenario.yaml or its folder).
	Scenarios []string
	All       bool
	Output    string
}

func (a *app) scenarioTestCommand() *cobra.Command {
	opts := &scenarioTestOptions{app: a, session: a.session}
	cmd := &cobra.Command{
		Use:   "test (<scenario>|<path>)... | --all",
		Short: "Prove scenarios on the lab: no free points, solutions pass, wrong answers fail",
		Long: `For each scenario: set it up and check that no check passes; apply the reference
solution and check full marks; grade twice and check that the results agree and no object
changed; set up again for each alternative (full marks) and each wrong answer (not full
marks); clean up. A path (scenario.yaml or its folder) tests a scenario outside the catalog.`,
		ValidArgsFunction: a.completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Scenarios = args
			return runScenarioTest(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "test every scenario of the catalog")
	outputFlag(cmd, &opts.Output, "text", "json")
	return cmd
}

// runScenarioTest proves each scenario on the lab, its stages on stderr as
// they end; a failed one is errChecksFailed after the report.
func runScenarioTest(ctx context.Context, opts *scenarioTestOptions) error {
	if err := checkOutput(opts.Output, "text", "json"); err != nil {
		return err
	}
	if opts.All == (len(opts.Scenarios) > 0) {
		return usageError("name scenarios or pass --all")
	}
	a := opts.app
	s, err := opts.session(ctx)
	if err != nil {
		return err
	}
	ids := opts.Scenarios
	if opts.All {
		ids = s.catalog.IDs()
	}
	io := a.env.IO
	c := io.Colors()
	var reports []runner.TestReport
	failed := 0
	for _, arg := range ids {
		sc, err := a.loadForTest(s, arg)
		if err != nil {
			return err
		}
		if err := s.runner.CheckCapabilities(sc); err != nil {
			fmt.Fprintf(io.ErrOut, "%s %s: skipped: %v\n", c.Yellow("-"), sc.ID, err)
			continue
		}
		fmt.Fprintf(io.ErrOut, "%s\n", c.Bold(sc.ID))
		if err := a.ensureImages(ctx, s, sc); err != nil {
			return err
		}
		rep := s.runner.Test(ctx, sc, runner.TestOptions{Now: a.env.Now})
		a.printStages(rep)
		if !rep.OK {
			failed++
		}
		reports = append(reports, rep)
	}
	err = a.render(opts.Output, reports, func() error {
		fmt.Fprintf(io.Out, "%d scenario(s) tested, %d failed\n", len(reports), failed)
		return nil
	})
	if err != nil {
		return err
	}
	if failed > 0 {
		return errChecksFailed
	}
	return nil
}

// printStages says on stderr how each stage of a scenario's test went.
func (a *app) printStages(rep runner.TestReport) {
	c := a.env.IO.Colors()
	for _, st := range rep.Stages {
		icon := c.SuccessIcon()
		if !st.OK {
			icon = c.FailureIcon()
		}
		detail := ""
		if st.Detail != "" {
			detail = ": " + st.Detail
		}
		fmt.Fprintf(a.env.IO.ErrOut, " %s %s%s %s\n", icon, st.Name, detail, c.Faint("("+st.Elapsed.Round(100*time.Millisecond).String()+")"))
	}
}

// loadForTest loads a catalog id, or a scenario file or folder by path.
func (a *app) loadForTest(s *session, arg string) (*scenarios.Scenario, error) {
	if s.catalog.Has(arg) {
		return s.catalog.Load(arg, s.runner.TemplateData(arg, nil))
	}
	if strings.ContainsAny(arg, "/.") {
		file := scenarioFile(arg)
		first, err := a.loader().ParseFile(file, scenarios.DefaultTemplateData())
		if err != nil {
			return nil, err
		}
		return a.loader().ParseFile(file, s.runner.TemplateData(first.ID, nil))
	}
	_, err := s.catalog.Load(arg, scenarios.DefaultTemplateData())
	return nil, errors.Join(err)
}
