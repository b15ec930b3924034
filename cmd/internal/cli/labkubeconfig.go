package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

type labKubeconfigOptions struct {
	app *app

	// Provider is nil when --provider was not given.
	Provider *string
}

func (a *app) labKubeconfigCommand() *cobra.Command {
	opts := &labKubeconfigOptions{app: a}
	cmd := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Print the path of the lab's own kubeconfig (export KUBECONFIG=$(ckalab lab kubeconfig))",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runLabKubeconfig(cmd.Context(), opts) },
	}
	providerFlag(cmd, &opts.Provider)
	return cmd
}

func runLabKubeconfig(ctx context.Context, opts *labKubeconfigOptions) error {
	p, st, err := opts.app.providerOrRunning(ctx, opts.Provider)
	if err != nil {
		return err
	}
	if p == nil {
		return &noLabErr{msg: "no lab is running"}
	}
	if !st.Exists {
		return &noLabErr{msg: "no " + p.Name() + " lab is running"}
	}
	if _, err := os.Stat(st.KubeconfigPath); err != nil {
		return err
	}
	fmt.Fprintln(opts.app.env.IO.Out, st.KubeconfigPath)
	return nil
}
