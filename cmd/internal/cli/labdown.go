package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"github.com/spf13/cobra"
)

type labDownOptions struct {
	app *app

	// Provider is nil when --provider was not given.
	Provider *string
}

func (a *app) labDownCommand() *cobra.Command {
	opts := &labDownOptions{app: a}
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop the lab and remove all its processes and files",
		Long: `Stop the lab and remove all its processes and files, and its context from your
kubeconfig. When that context was current, the one that was current before the lab's
'lab up' is made current again (if your kubeconfig still has it).
Without --provider (or $CKALAB_PROVIDER) it removes the lab that runs; when several run (a kind lab
and a sim lab), the one of the current context, and none if none is current.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLabDown(cmd.Context(), opts) },
	}
	providerFlag(cmd, &opts.Provider)
	return cmd
}

func runLabDown(ctx context.Context, opts *labDownOptions) error {
	a := opts.app
	p, st, err := a.providerOrRunning(ctx, opts.Provider)
	if p == nil {
		if err != nil {
			return err
		}
		fmt.Fprintln(a.env.IO.ErrOut, "No lab is running; nothing to do.")
		return nil
	}
	if err == nil && !st.Exists {
		fmt.Fprintf(a.env.IO.ErrOut, "No %s lab is running; nothing to do.\n", p.Name())
		return nil
	}
	// Read before Down removes the lab's folder.
	previous := ""
	if d, err := a.dirs(); err == nil {
		previous = lab.PreviousContext(d.Lab(p.Name()))
	}
	if err := p.Down(ctx, &progress{io: a.env.IO, now: a.env.Now}); err != nil {
		return err
	}
	if st.ContextName != "" {
		removed, err := a.userKubeconfig().Remove(st.ContextName, previous)
		if err != nil {
			return err
		}
		if err := a.forgetContext(st.ContextName); err != nil {
			return err
		}
		// The answer folders may hold copies of the lab's keys
		// (a kubeconfig task); they go with the lab.
		if d, err := a.dirs(); err == nil {
			if err := os.RemoveAll(d.Answers(st.ContextName)); err != nil {
				return fmt.Errorf("remove the lab's answer folders: %w", err)
			}
		}
		a.sayContextAfterDown(previous, removed)
	}
	fmt.Fprintf(a.env.IO.ErrOut, "%s The %s lab is gone.\n", a.env.IO.Colors().SuccessIcon(), p.Name())
	return nil
}

// sayContextAfterDown tells where kubectl points once the lab's context is gone.
func (a *app) sayContextAfterDown(previous string, removed lab.RemoveResult) {
	w := a.env.IO.ErrOut
	switch {
	case !removed.WasCurrent:
		// The user had switched elsewhere; that stays.
	case removed.Restored != "":
		fmt.Fprintf(w, "kubectl context is now %s (it was current before this lab).\n", removed.Restored)
	case len(removed.Contexts) == 0:
		fmt.Fprintln(w, "Your kubeconfig has no contexts left.")
	default:
		why := ""
		if previous != "" {
			why = fmt.Sprintf(" (%s, current before this lab, is no longer in your kubeconfig)", previous)
		}
		fmt.Fprintf(w, "kubectl has no current context now%s; pick one with `kubectl config use-context` (contexts: %s).\n", why, strings.Join(removed.Contexts, ", "))
	}
}
