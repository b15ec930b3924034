package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/ckalab/ckalab/lab"
	"github.com/spf13/cobra"
)

// resetReport is `lab reset -o json`.
type resetReport struct {
	Context string `json:"context"`
	// Differences between the lab and its baseline, in words; undone
	// unless DryRun.
	Differences []string `json:"differences"`
	DryRun      bool     `json:"dryRun,omitempty"`
}

type labResetOptions struct {
	app     *app
	session sessionFunc

	DryRun bool
	Output string
}

func (a *app) labResetCommand() *cobra.Command {
	opts := &labResetOptions{app: a, session: a.session}
	cmd := &cobra.Command{
		Use:   "reset",
		Short: "Bring the whole lab back to how it was new, without recreating it",
		Long: `Bring the lab back to the baseline recorded by 'lab up': delete every namespace and
object made since (wherever it is, with what it owns), put node labels, taints and
schedulability back, restore changed or deleted system objects (the default StorageClass,
kube-system ConfigMaps and Deployments, RBAC) and, on kind, static pod manifests, kubelet
and containerd configuration. The current task is forgotten. --dry-run only lists the
differences.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLabReset(cmd.Context(), opts) },
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "only list what differs from the baseline")
	outputFlag(cmd, &opts.Output, "text", "json")
	return cmd
}

func runLabReset(ctx context.Context, opts *labResetOptions) error {
	if err := checkOutput(opts.Output, "text", "json"); err != nil {
		return err
	}
	a := opts.app
	s, err := opts.session(ctx)
	if err != nil {
		return err
	}
	if err := s.refuseDuringExam("lab reset"); err != nil {
		return err
	}
	if err := s.store.Check(); err != nil {
		return err
	}
	rep := resetReport{Context: s.cluster.Context, DryRun: opts.DryRun}
	if opts.DryRun {
		rep.Differences, err = s.runner.Compare(ctx)
	} else {
		p := &progress{io: a.env.IO, now: a.env.Now}
		err = lab.Step(p, "Bringing the lab back to its baseline", func() error {
			rep.Differences, err = s.runner.RestoreBaseline(ctx, nil, true)
			return err
		})
	}
	if err != nil {
		return a.labAdvice(s, err)
	}
	if !opts.DryRun {
		if err := s.store.Forget(s.cluster.Context); err != nil {
			return err
		}
		if err := os.RemoveAll(s.runner.AnswerRoot); err != nil {
			return fmt.Errorf("remove answer folders: %w", err)
		}
	}
	if rep.Differences == nil {
		rep.Differences = []string{}
	}
	return a.render(opts.Output, rep, func() error {
		a.printResetReport(rep)
		return nil
	})
}

// printResetReport lists the differences on stdout and sums them up on
// stderr.
func (a *app) printResetReport(rep resetReport) {
	io := a.env.IO
	for _, d := range rep.Differences {
		fmt.Fprintln(io.Out, d)
	}
	c := io.Colors()
	switch {
	case len(rep.Differences) == 0:
		fmt.Fprintf(io.ErrOut, "%s The lab is as new: nothing differs from its baseline.\n", c.SuccessIcon())
	case rep.DryRun:
		fmt.Fprintf(io.ErrOut, "%d difference(s) from the baseline; `ckalab lab reset` undoes them.\n", len(rep.Differences))
	default:
		fmt.Fprintf(io.ErrOut, "%s The lab is as new (%d difference(s) undone).\n", c.SuccessIcon(), len(rep.Differences))
	}
}
