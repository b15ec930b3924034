package cli

import (
	"fmt"
	"runtime"

	"github.com/ckalab/ckalab/lab/sim"
	"github.com/spf13/cobra"
)

type versionInfo struct {
	Version     string `json:"version"`
	Go          string `json:"go"`
	Platform    string `json:"platform"`
	SimK8s      string `json:"simKubernetes"`
	SimKwok     string `json:"simKwok"`
	ScenarioAPI string `json:"scenarioAPI"`
}

func (a *app) versionCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print ckalab's version and the component versions it runs",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			v := versionInfo{Version: Version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
				SimK8s: sim.KubernetesVersion, SimKwok: sim.KwokVersion, ScenarioAPI: "ckalab.dev/v1alpha1"}
			if output == "json" {
				return writeJSON(a.env.IO.Out, v)
			}
			fmt.Fprintf(a.env.IO.Out, "ckalab %s (%s, %s)\nsim lab: Kubernetes %s, kwok %s\nscenario format: %s\n",
				v.Version, v.Go, v.Platform, v.SimK8s, v.SimKwok, v.ScenarioAPI)
			return nil
		},
	}
	outputFlag(cmd, &output, "text", "json")
	return cmd
}
