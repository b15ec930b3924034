package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/ckalab/ckalab/scenarios"
	"github.com/spf13/cobra"
)

type scenarioValidateOptions struct {
	app *app

	// Paths are scenario.yaml files or their folders.
	Paths     []string
	Conflicts bool
}

func (a *app) scenarioValidateCommand() *cobra.Command {
	opts := &scenarioValidateOptions{app: a}
	cmd := &cobra.Command{
		Use:   "validate <path>... | --conflicts [<path>...]",
		Short: "Check scenario files; print every problem as file:line: field: problem",
		Long: `Check scenario files (a scenario.yaml or its folder) without a lab. Every problem is
printed at once as file:line: field: problem. Exit 1 when any file has a problem.

--conflicts lists the pairs of scenarios (the catalog plus the given paths) that own the
same namespace, node or object (their namespaces and owns fields), and so cannot be set up
on one lab at the same time, as an exam would.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			return runScenarioValidate(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Conflicts, "conflicts", false, "list the scenarios that cannot share a lab")
	return cmd
}

// runScenarioValidate needs no lab: it takes a context only to be called
// like every command.
func runScenarioValidate(_ context.Context, opts *scenarioValidateOptions) error {
	if len(opts.Paths) == 0 && !opts.Conflicts {
		return usageError("name scenario files or folders, or pass --conflicts")
	}
	a := opts.app
	io := a.env.IO
	c := io.Colors()
	bad := 0
	var loaded []*scenarios.Scenario
	for _, p := range opts.Paths {
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
		return fmt.Errorf("%d of %d file(s) have problems", bad, len(opts.Paths))
	}
	if opts.Conflicts {
		return a.printConflicts(loaded)
	}
	return nil
}

// printConflicts lists the pairs of scenarios, of the catalog and extra,
// that own the same thing, or where one owns a node the other uses.
func (a *app) printConflicts(extra []*scenarios.Scenario) error {
	all, err := a.allScenarios()
	if err != nil {
		return err
	}
	inCatalog := map[string]bool{}
	for _, s := range all {
		inCatalog[s.ID] = true
	}
	for _, s := range extra {
		if !inCatalog[s.ID] {
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
	return table(a.env.IO.Out, []string{"scenario", "conflicts with", "over"}, rows)
}
