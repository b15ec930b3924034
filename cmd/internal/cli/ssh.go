package cli

import (
	"errors"
	"fmt"
	"os/exec"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/kind"
	"github.com/spf13/cobra"
)

func (a *app) sshCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "ssh <node> [-- <command>...]",
		Short: "Open a root shell on a lab node, as the exam's ssh does",
		Long: `Open an interactive root shell on a node of the kind lab (ckalab-control-plane,
ckalab-worker, ckalab-worker2), as 'ssh <node>' then 'sudo -i' on the exam. Leave with 'exit'.
With a command after --, run it there instead and exit with its code.

This works while the API server is down: it goes through Docker, not Kubernetes.
The sim lab has no nodes to log into.`,
		Example: `  ckalab ssh ckalab-control-plane
  ckalab ssh ckalab-worker -- systemctl status kubelet`,
		GroupID: "lab",
		Args:    cobra.MinimumNArgs(1),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []string
			for _, n := range kind.Info().Nodes {
				names = append(names, n.Name)
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() > 1 || (cmd.ArgsLenAtDash() < 0 && len(args) > 1) {
				return usageError("one node, then the command after --: ckalab ssh <node> -- <command>...")
			}
			k, err := a.kindProvider()
			if err != nil {
				return err
			}
			st, err := k.Status(cmd.Context())
			if err != nil {
				return err
			}
			if !st.Exists {
				return &exitError{code: ExitNoLab, msg: "no kind lab is running: `ckalab lab up --provider kind` starts one (the sim lab has no nodes to log into)"}
			}
			io := a.env.IO
			sio := lab.ShellIO{
				TTY: io.inTTY && io.outTTY, Term: a.env.Getenv("TERM"),
				In: io.In, Out: io.Out, Err: io.ErrOut, Command: args[1:],
			}
			if len(sio.Command) == 0 {
				fmt.Fprintf(io.ErrOut, "Root shell on %s; `exit` returns here.\n", args[0])
			}
			err = k.Shell(cmd.Context(), args[0], sio)
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				// The remote command's own code, as ssh passes it on.
				return silentExit(exitErr.ExitCode())
			}
			return err
		},
	}
}
