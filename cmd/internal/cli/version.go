package cli

import (
	"context"
	"fmt"
	"runtime"

	"github.com/ckalab/ckalab/lab/providers"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/spf13/cobra"
)

// Version is set at build time (-ldflags "-X .../cli.Version=v0.1.0").
var Version = "dev"

type versionInfo struct {
	Version     string `json:"version"`
	Go          string `json:"go"`
	Platform    string `json:"platform"`
	ScenarioAPI string `json:"scenarioAPI"`
	// Labs says what each provider's labs run.
	Labs map[string]string `json:"labs"`
}

type versionOptions struct {
	app *app

	Output string
}

func (a *app) versionCommand() *cobra.Command {
	opts := &versionOptions{app: a}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print ckalab's version and the component versions it runs",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runVersion(cmd.Context(), opts) },
	}
	outputFlag(cmd, &opts.Output, "text", "json")
	return cmd
}

// runVersion takes a context only to be called like every command.
func runVersion(_ context.Context, opts *versionOptions) error {
	if err := checkOutput(opts.Output, "text", "json"); err != nil {
		return err
	}
	reg := providers.All()
	v := versionInfo{Version: Version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
		ScenarioAPI: scenarios.APIVersion, Labs: map[string]string{}}
	for _, r := range reg {
		v.Labs[r.Name] = r.Runs
	}
	out := opts.app.env.IO.Out
	return opts.app.render(opts.Output, v, func() error {
		fmt.Fprintf(out, "ckalab %s (%s, %s)\n", v.Version, v.Go, v.Platform)
		for _, r := range reg {
			fmt.Fprintf(out, "%s lab: %s\n", r.Name, r.Runs)
		}
		fmt.Fprintf(out, "scenario format: %s\n", v.ScenarioAPI)
		return nil
	})
}
