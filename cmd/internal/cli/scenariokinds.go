package cli

import (
	"context"

	"github.com/spf13/cobra"
)

type scenarioKindsOptions struct {
	app *app
}

func (a *app) scenarioKindsCommand() *cobra.Command {
	opts := &scenarioKindsOptions{app: a}
	return &cobra.Command{
		Use:   "kinds",
		Short: "List the check kinds a scenario can use",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runScenarioKinds(cmd.Context(), opts) },
	}
}

// runScenarioKinds takes a context only to be called like every command.
func runScenarioKinds(_ context.Context, opts *scenarioKindsOptions) error {
	kinds := opts.app.loader().CheckTypes
	rows := [][]string{}
	for _, n := range kinds.Names() {
		rows = append(rows, []string{n, kinds[n].DefaultTimeout.String(), kinds[n].Summary})
	}
	return table(opts.app.env.IO.Out, []string{"kind", "timeout", "checks that"}, rows)
}
