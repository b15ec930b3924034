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
	// Vars pin some of the scenarios' vars to one value; the others take
	// every value.
	Vars   map[string]string
	Output string
}

func (a *app) scenarioTestCommand() *cobra.Command {
	opts := &scenarioTestOptions{app: a, session: a.session}
	cmd := &cobra.Command{
		Use:   "test (<scenario>|<path>)... | --all",
		Short: "Prove scenarios on the lab: no free points, solutions pass, wrong answers fail",
		Long: `For each scenario: set it up and check that no check passes; apply the reference
solution and check full marks; grade twice and check that the results agree and no object
changed; set up again for each alternative (full marks) and each wrong answer (not full
marks); clean up. A path (scenario.yaml or its folder) tests a scenario outside the catalog.

A scenario with vars (per-attempt values, such as the cause of a troubleshooting task) is
proved once for every combination of their values, since a retake may draw any of them;
--var name=value pins a var to one value.`,
		ValidArgsFunction: a.completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Scenarios = args
			return runScenarioTest(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "test every scenario of the catalog")
	cmd.Flags().StringToStringVar(&opts.Vars, "var", nil, "pin a var to one `name=value` (repeatable; the others take every value)")
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
	if err := s.refuseDuringExam("scenario test"); err != nil {
		return err
	}
	ids := opts.Scenarios
	if opts.All {
		ids = s.catalog.IDs()
	}
	io := a.env.IO
	c := io.Colors()
	var reports []runner.TestReport
	failed, tested := 0, 0
	for _, arg := range ids {
		variants, err := a.loadVariants(s, arg, opts.Vars)
		if err != nil {
			return err
		}
		if err := s.runner.CheckCapabilities(variants[0]); err != nil {
			fmt.Fprintf(io.ErrOut, "%s %s: skipped: %v\n", c.Yellow("-"), variants[0].ID, err)
			continue
		}
		tested++
		for _, sc := range variants {
			title := sc.ID
			if len(sc.Drawn) > 0 {
				title += " (" + scenarios.DescribeVars(sc.Drawn) + ")"
			}
			fmt.Fprintf(io.ErrOut, "%s\n", c.Bold(title))
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
	}
	err = a.render(opts.Output, reports, func() error {
		if tested == len(reports) {
			fmt.Fprintf(io.Out, "%d scenario(s) tested, %d failed\n", tested, failed)
		} else {
			fmt.Fprintf(io.Out, "%d scenario(s) tested in %d runs (one per combination of their vars), %d failed\n", tested, len(reports), failed)
		}
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

// loadVariants loads a catalog id, or a scenario file or folder by path,
// once for every combination of its vars' values (fixed pins some).
func (a *app) loadVariants(s *session, arg string, fixed map[string]string) ([]*scenarios.Scenario, error) {
	load := func(vars map[string]string) (*scenarios.Scenario, error) { return a.loadForTest(s, arg, vars) }
	first, err := load(nil)
	if err != nil {
		return nil, err
	}
	combos, err := scenarios.VarCombinations(first.Vars, fixed)
	if err != nil {
		return nil, usageError("%s: %v", first.ID, err)
	}
	out := make([]*scenarios.Scenario, 0, len(combos))
	for _, vars := range combos {
		sc, err := load(vars)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// loadForTest loads a catalog id, or a scenario file or folder by path,
// with the given vars (nil: each var's first value).
func (a *app) loadForTest(s *session, arg string, vars map[string]string) (*scenarios.Scenario, error) {
	if s.catalog.Has(arg) {
		return s.catalog.Load(arg, s.runner.TemplateData(arg, vars))
	}
	if strings.ContainsAny(arg, "/.") {
		file := scenarioFile(arg)
		first, err := a.loader().ParseFile(file, scenarios.DefaultTemplateData())
		if err != nil {
			return nil, err
		}
		return a.loader().ParseFile(file, s.runner.TemplateData(first.ID, vars))
	}
	_, err := s.catalog.Load(arg, scenarios.DefaultTemplateData())
	return nil, errors.Join(err)
}
