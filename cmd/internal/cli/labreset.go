package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios/runner"
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

func (a *app) labResetCommand() *cobra.Command {
	var dryRun bool
	var output string
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			s, err := a.session(cmd.Context())
			if err != nil {
				return err
			}
			if err := s.store.Check(); err != nil {
				return err
			}
			rep := resetReport{Context: s.cluster.Context, DryRun: dryRun}
			if dryRun {
				rep.Differences, err = s.runner.Compare(cmd.Context())
			} else {
				p := &progress{io: a.env.IO, now: a.env.Now}
				err = lab.Step(p, "Bringing the lab back to its baseline", func() error {
					rep.Differences, err = s.runner.RestoreBaseline(cmd.Context(), nil, true)
					return err
				})
			}
			if err != nil {
				return a.labAdvice(s, err)
			}
			if !dryRun {
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
			if output == "json" {
				return writeJSON(a.env.IO.Out, rep)
			}
			for _, d := range rep.Differences {
				fmt.Fprintln(a.env.IO.Out, d)
			}
			c := a.env.IO.Colors()
			switch {
			case len(rep.Differences) == 0:
				fmt.Fprintf(a.env.IO.ErrOut, "%s The lab is as new: nothing differs from its baseline.\n", c.SuccessIcon())
			case dryRun:
				fmt.Fprintf(a.env.IO.ErrOut, "%d difference(s) from the baseline; `ckalab lab reset` undoes them.\n", len(rep.Differences))
			default:
				fmt.Fprintf(a.env.IO.ErrOut, "%s The lab is as new (%d difference(s) undone).\n", c.SuccessIcon(), len(rep.Differences))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "only list what differs from the baseline")
	outputFlag(cmd, &output, "text", "json")
	return cmd
}

// maxRestoredShown bounds the "restored:" line; `lab reset --dry-run`
// lists everything.
const maxRestoredShown = 6

// printRestored says in one line what an earlier attempt had left and
// start or reset undid.
func (a *app) printRestored(lines []string) {
	if len(lines) == 0 {
		return
	}
	shown := lines
	if len(shown) > maxRestoredShown {
		shown = append(shown[:maxRestoredShown:maxRestoredShown], fmt.Sprintf("and %d more", len(lines)-maxRestoredShown))
	}
	fmt.Fprintf(a.env.IO.ErrOut, "%s\n", a.env.IO.Colors().Faint("restored: "+strings.Join(shown, "; ")))
}

// labAdvice adds what to do to errors about the lab's baseline.
func (a *app) labAdvice(s *session, err error) error {
	if errors.Is(err, runner.ErrNoBaseline) {
		provider := s.cluster.Info.Provider
		return fmt.Errorf("%w\nThis lab was made by an older ckalab, or its state folder (%s) is gone; make it anew: ckalab lab down --provider %s && ckalab lab up --provider %s",
			err, s.labDir, provider, provider)
	}
	return err
}
