package cli

import (
	"os"
	"path/filepath"

	"github.com/ckalab/ckalab/scenarios"
	"github.com/spf13/cobra"
)

// scenarioCommand is the authors' noun: validate, test and kinds.
func (a *app) scenarioCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenario",
		Short: "Write and prove scenarios (for instructors)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.scenarioValidateCommand(), a.scenarioTestCommand(), a.scenarioKindsCommand())
	return cmd
}

// scenarioFile resolves a path argument: a scenario.yaml or its folder.
func scenarioFile(path string) string {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return filepath.Join(path, scenarios.FileName)
	}
	return path
}
