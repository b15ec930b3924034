package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/runner"
	"github.com/spf13/cobra"
)

func (a *app) scenarioCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenario",
		Short: "Write and prove scenarios (for instructors)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.validateCommand(), a.testCommand(), a.kindsCommand())
	return cmd
}

// scenarioFile resolves a path argument: a scenario.yaml or its folder.
func scenarioFile(path string) string {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return filepath.Join(path, scenarios.FileName)
	}
	return path
}

func (a *app) validateCommand() *cobra.Command {
	var conflicts bool
	cmd := &cobra.Command{
		Use:   "validate <path>... | --conflicts [<path>...]",
		Short: "Check scenario files; print every problem as file:line: field: problem",
		Long: `Check scenario files (a scenario.yaml or its folder) without a lab. Every problem is
printed at once as file:line: field: problem. Exit 1 when any file has a problem.

--conflicts lists the pairs of scenarios (the catalog plus the given paths) that own the
same namespace, node or object (their namespaces and owns fields), and so cannot be set up
on one lab at the same time, as an exam would.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !conflicts {
				return usageError("name scenario files or folders, or pass --conflicts")
			}
			io := a.env.IO
			c := io.Colors()
			bad := 0
			var loaded []*scenarios.Scenario
			for _, p := range args {
				file := scenarioFile(p)
				s, err := a.loader().ParseFile(file, scenarios.DefaultTemplateData())
				if err != nil {
					bad++
					fmt.Fprintln(io.ErrOut, err)
					continue
				}
				loaded = append(loaded, s)
				fmt.Fprintf(io.Out, "%s %s: %s, %d checks, %d points\n", c.SuccessIcon(), file, s.ID, len(s.Checks), s.Points())
			}
			if bad > 0 {
				return fmt.Errorf("%d of %d file(s) have problems", bad, len(args))
			}
			if conflicts {
				return a.printConflicts(loaded)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&conflicts, "conflicts", false, "list the scenarios that cannot share a lab")
	return cmd
}

// printConflicts lists the pairs of scenarios, of the catalog and extra,
// that own the same thing.
func (a *app) printConflicts(extra []*scenarios.Scenario) error {
	cat, err := a.catalog()
	if err != nil {
		return err
	}
	all, err := cat.LoadAll(scenarios.DefaultTemplateData())
	if err != nil {
		return err
	}
	for _, s := range extra {
		if !cat.Has(s.ID) {
			all = append(all, s)
		}
	}
	found := scenarios.Conflicts(all)
	rows := make([][]string, 0, len(found))
	for _, cf := range found {
		rows = append(rows, []string{cf.A, cf.B, strings.Join(cf.Shared, ", ")})
	}
	if len(rows) == 0 {
		fmt.Fprintf(a.env.IO.ErrOut, "No conflicts among %d scenario(s).\n", len(all))
		return nil
	}
	return table(a.env.IO.Out, []string{"scenario", "conflicts with", "both own"}, rows)
}

func (a *app) testCommand() *cobra.Command {
	var all bool
	var output string
	cmd := &cobra.Command{
		Use:   "test (<scenario>|<path>)... | --all",
		Short: "Prove scenarios on the lab: no free points, solutions pass, wrong answers fail",
		Long: `For each scenario: set it up and check that no check passes; apply the reference
solution and check full marks; grade twice and check that the results agree and no object
changed; set up again for each alternative (full marks) and each wrong answer (not full
marks); clean up. A path (scenario.yaml or its folder) tests a scenario outside the catalog.`,
		ValidArgsFunction: a.completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			if all == (len(args) > 0) {
				return usageError("name scenarios or pass --all")
			}
			s, err := a.session(cmd.Context())
			if err != nil {
				return err
			}
			ids := args
			if all {
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
				if err := a.ensureImages(cmd.Context(), s, sc); err != nil {
					return err
				}
				rep := s.runner.Test(cmd.Context(), sc, runner.TestOptions{Now: a.env.Now})
				for _, st := range rep.Stages {
					icon := c.SuccessIcon()
					if !st.OK {
						icon = c.FailureIcon()
					}
					detail := ""
					if st.Detail != "" {
						detail = ": " + st.Detail
					}
					fmt.Fprintf(io.ErrOut, " %s %s%s %s\n", icon, st.Name, detail, c.Faint("("+st.Elapsed.Round(100*1e6).String()+")"))
				}
				if !rep.OK {
					failed++
				}
				reports = append(reports, rep)
			}
			if output == "json" {
				if err := writeJSON(io.Out, reports); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(io.Out, "%d scenario(s) tested, %d failed\n", len(reports), failed)
			}
			if failed > 0 {
				return errChecksFailed
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "test every scenario of the catalog")
	outputFlag(cmd, &output, "text", "json")
	return cmd
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

func (a *app) kindsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "kinds",
		Short: "List the check kinds a scenario can use",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			kinds := a.loader().Kinds
			rows := [][]string{}
			for _, n := range kinds.Names() {
				rows = append(rows, []string{n, kinds[n].DefaultTimeout.String(), kinds[n].Summary})
			}
			return table(a.env.IO.Out, []string{"kind", "timeout", "checks that"}, rows)
		},
	}
}
