package cli

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"github.com/spf13/cobra"
)

type sshOptions struct {
	app *app

	Node string
	// Command is what runs on the node instead of a shell (after --).
	Command []string
}

func (a *app) sshCommand() *cobra.Command {
	opts := &sshOptions{app: a}
	return &cobra.Command{
		Use:   "ssh <node> [-- <command>...]",
		Short: "Open a root shell on a lab node, as the exam's ssh does",
		Long: `Open an interactive root shell on a node of the lab (ckalab-control-plane,
ckalab-worker, ckalab-worker2), as 'ssh <node>' then 'sudo -i' on the exam. Leave with 'exit'.
With a command after --, run it there instead and exit with its code.

This works while the API server is down: it goes through the provider (Docker for
kind), not Kubernetes. The sim lab has no nodes to log into.`,
		Example: `  ckalab ssh ckalab-control-plane
  ckalab ssh ckalab-worker -- systemctl status kubelet`,
		GroupID:           "lab",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: a.completeNodes,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Only -- tells the node from the command's own arguments.
			if cmd.ArgsLenAtDash() > 1 || (cmd.ArgsLenAtDash() < 0 && len(args) > 1) {
				return usageError("one node, then the command after --: ckalab ssh <node> -- <command>...")
			}
			opts.Node, opts.Command = args[0], args[1:]
			return runSSH(cmd.Context(), opts)
		},
	}
}

func (a *app) completeNodes(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	if p, _, err := a.shellLab(cmd.Context()); err == nil && p != nil {
		for _, n := range p.Info().Nodes {
			names = append(names, n.Name)
		}
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

func runSSH(ctx context.Context, opts *sshOptions) error {
	a := opts.app
	p, shell, err := a.shellLab(ctx)
	if err != nil {
		return err
	}
	if p == nil {
		return a.noShellLab(ctx)
	}
	io := a.env.IO
	sio := lab.ShellIO{
		TTY: io.inTTY && io.outTTY, Term: a.env.Getenv("TERM"),
		In: io.In, Out: io.Out, Err: io.ErrOut, Command: opts.Command,
	}
	if len(sio.Command) == 0 {
		fmt.Fprintf(io.ErrOut, "Root shell on %s; `exit` returns here.\n", opts.Node)
	}
	err = shell.Shell(ctx, opts.Node, sio)
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		// The remote command's own code, as ssh passes it on.
		return &remoteExitErr{code: exitErr.ExitCode()}
	}
	return err
}

// shellLab is the running lab whose provider opens shells in its nodes:
// the one $CKALAB_PROVIDER names, else the first running.
// Both are nil when none runs.
func (a *app) shellLab(ctx context.Context) (lab.Provider, lab.Shell, error) {
	if a.env.Getenv("CKALAB_PROVIDER") != "" {
		p, st, err := a.providerOrRunning(ctx, nil)
		if err != nil {
			return nil, nil, err
		}
		shell, ok := p.(lab.Shell)
		if !ok || !st.Exists {
			return nil, nil, nil
		}
		return p, shell, nil
	}
	p, _, err := a.running(ctx, func(p lab.Provider) bool { _, ok := p.(lab.Shell); return ok })
	if err != nil || p == nil {
		return nil, nil, err
	}
	return p, p.(lab.Shell), nil
}

// noShellLab says that no running lab has nodes to log into, naming the lab
// that runs (if one does) and how to start one that has.
func (a *app) noShellLab(ctx context.Context) error {
	ps, err := a.providers()
	if err != nil {
		return err
	}
	all, err := ps.All()
	if err != nil {
		return err
	}
	var starts []string
	for _, p := range all {
		if _, ok := p.(lab.Shell); ok {
			starts = append(starts, "ckalab lab up --provider "+p.Name())
		}
	}
	what := "no lab with nodes to log into is running"
	if p, st, err := a.providerOrRunning(ctx, nil); err == nil && p != nil && st.Exists {
		what = "the " + p.Name() + " lab has no nodes to log into"
	}
	return &noLabErr{msg: what + "; start a lab that has: " + strings.Join(starts, ", or ")}
}
