package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ckalab/ckalab/lab"
	"github.com/spf13/cobra"
)

type labStatusOptions struct {
	app *app

	// Provider is nil when --provider was not given.
	Provider *string
	Output   string
}

func (a *app) labStatusCommand() *cobra.Command {
	opts := &labStatusOptions{app: a}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the lab's components; exit 4 when it is not running or not healthy",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runLabStatus(cmd.Context(), opts) },
	}
	providerFlag(cmd, &opts.Provider)
	outputFlag(cmd, &opts.Output, "table", "json")
	return cmd
}

// runLabStatus prints the lab's status; a lab that does not run, or is
// not healthy, is a noLabErr after the report.
func runLabStatus(ctx context.Context, opts *labStatusOptions) error {
	if err := checkOutput(opts.Output, "table", "json"); err != nil {
		return err
	}
	a := opts.app
	p, st, err := a.providerOrRunning(ctx, opts.Provider)
	if err != nil {
		if p != nil && st.Exists {
			return &noLabErr{msg: fmt.Sprintf("%v\nRemove what is left of the %s lab with `ckalab lab down --provider %s`", err, p.Name(), p.Name())}
		}
		return err
	}
	if p == nil {
		st = lab.Status{Provider: "none"}
	}
	if st.Exists && st.Healthy && st.KubeconfigPath != "" {
		if err := lab.CheckMarker(ctx, st.KubeconfigPath); err != nil {
			st.Healthy = false
			st.Problems = append(st.Problems, fmt.Sprintf("%v: `ckalab lab up --provider %s` writes it back", err, st.Provider))
		}
	}
	if err := a.render(opts.Output, st, func() error { return a.printStatus(st) }); err != nil {
		return err
	}
	if !st.Exists || !st.Healthy {
		return &noLabErr{}
	}
	return nil
}

func (a *app) printStatus(st lab.Status) error {
	io := a.env.IO
	c := io.Colors()
	if st.Provider == "none" {
		fmt.Fprintln(io.ErrOut, noLab())
		return nil
	}
	if !st.Exists {
		fmt.Fprintf(io.ErrOut, "No %s lab. Start one with: ckalab lab up --provider %s\n", st.Provider, st.Provider)
		return nil
	}
	rows := make([][]string, 0, len(st.Components))
	for _, cs := range st.Components {
		state := c.Green("running")
		if !cs.Running {
			state = c.Red("dead")
		}
		pid := ""
		if cs.PID > 0 {
			pid = strconv.Itoa(cs.PID)
		}
		rows = append(rows, []string{cs.Name, state, pid, cs.Version, cs.Detail})
	}
	if len(rows) == 0 {
		fmt.Fprintf(io.ErrOut, "The %s lab has no running components.\n", st.Provider)
	} else if err := table(io.Out, []string{"component", "state", "pid", "version", "detail"}, rows); err != nil {
		return err
	}
	for _, cs := range st.Components {
		if cs.LogTail != "" {
			fmt.Fprintf(io.Out, "\n%s died; the end of its log:\n%s\n", c.Bold(cs.Name), indent(cs.LogTail, "  "))
		}
	}
	for _, problem := range st.Problems {
		fmt.Fprintf(io.ErrOut, "\n%s %s\n", c.FailureIcon(), problem)
	}
	switch {
	case st.Healthy && st.ContextName == "":
		// The kubeadm lab before the learner's cluster exists.
		fmt.Fprintf(io.ErrOut, "\n%s healthy; no cluster yet (once `kubeadm init` ran, `ckalab lab up --provider %s` adds its context)\n", c.SuccessIcon(), st.Provider)
	case st.Healthy:
		fmt.Fprintf(io.ErrOut, "\n%s healthy; context %s, kubeconfig %s\n", c.SuccessIcon(), st.ContextName, st.KubeconfigPath)
	case len(st.Problems) > 0:
		// Each problem says its own fix; recreating would lose the work.
	default:
		fmt.Fprintf(io.ErrOut, "\n%s not healthy: recreate it with `ckalab lab down --provider %s && ckalab lab up --provider %s`\n", c.FailureIcon(), st.Provider, st.Provider)
	}
	return nil
}
