package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"github.com/spf13/cobra"
)

type labUpOptions struct {
	app *app

	// Provider is nil when --provider was not given.
	Provider *string
	Image    string
}

func (a *app) labUpCommand() *cobra.Command {
	opts := &labUpOptions{app: a}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start a lab and point kubectl at it",
		Long: `Start a lab (the --provider default unless $CKALAB_PROVIDER says otherwise). Its context
(kind-ckalab, ckalab-sim) is added to your kubeconfig
($KUBECONFIG or ~/.kube/config, or --kubeconfig) and made current, as kind does.
On a running lab (of any provider, when none is named) it says so and changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLabUp(cmd.Context(), opts) },
	}
	providerFlag(cmd, &opts.Provider)
	cmd.Flags().StringVar(&opts.Image, "image", "", "node image, for providers whose nodes boot from one (see: ckalab lab --help)")
	return cmd
}

func runLabUp(ctx context.Context, opts *labUpOptions) error {
	a := opts.app
	// Without a provider named, a running lab of either kind is
	// "the lab": up then says it runs rather than making another.
	p, _, err := a.providerOrRunning(ctx, opts.Provider)
	if err != nil && p == nil {
		return err
	}
	// A lab whose status cannot be read (an interrupted `lab up`
	// left it) is the provider's Up to deal with.
	if p == nil {
		if p, err = a.provider(opts.Provider); err != nil {
			return err
		}
	}
	if opts.Image != "" {
		setter, ok := p.(lab.NodeImageSetter)
		if !ok {
			return usageError("--image: the %s provider's nodes do not boot from an image", p.Name())
		}
		setter.SetNodeImage(opts.Image)
	}
	return a.labUp(ctx, p)
}

// labUp starts p's lab, or finds it running, and points the user's
// kubeconfig at it.
func (a *app) labUp(ctx context.Context, p lab.Provider) error {
	io := a.env.IO
	c := io.Colors()
	if st, err := p.Status(ctx); err == nil && !st.Exists {
		fmt.Fprintf(io.ErrOut, "Creating the %s lab ...\n", p.Name())
	}
	res, err := p.Up(ctx, &progress{io: io, now: a.env.Now})
	if err != nil {
		return err
	}
	if res.Kubeconfig == nil {
		return a.nodesOnlyUp(p, res)
	}
	uk := a.userKubeconfig()
	if res.AlreadyRunning {
		// A scenario or a learner may have deleted the marker that makes
		// the cluster a lab; every practice command refuses it until then.
		restored, err := lab.RestoreMarker(ctx, res.Kubeconfig, res.Info)
		if err != nil {
			return fmt.Errorf("the %s lab runs, but its marker could not be checked: %w", p.Name(), err)
		}
		switch {
		case res.Found:
			fmt.Fprintf(io.ErrOut, "%s Found the cluster you built on the %s lab's nodes; it is now a ckalab lab.\n", c.SuccessIcon(), p.Name())
			restored = false // marked for the first time, and its context is new
		case restored:
			fmt.Fprintf(io.ErrOut, "%s The lab marker %s/%s was gone and is back: practice commands work again.\n", c.SuccessIcon(), lab.MarkerNamespace, lab.MarkerName)
		}
		// An earlier `lab up` may have been interrupted between making the
		// lab and adding its context; then it is added now. A cluster found
		// for the first time always replaces a context of its name: that
		// one reached an earlier cluster.
		if has, err := uk.Has(res.ContextName); !res.Found && (err != nil || has) {
			if restored {
				return nil
			}
			fmt.Fprintf(io.ErrOut, "The %s lab is already running (context %s); nothing changed.\n", p.Name(), res.ContextName)
			return nil
		}
	}
	merged, err := uk.Merge(res.ContextName, res.Kubeconfig)
	if err != nil {
		return fmt.Errorf("the lab runs, but adding it to your kubeconfig failed: %w\nUse it directly: export KUBECONFIG=%s", err, res.KubeconfigPath)
	}
	if merged.MadePrivate {
		fmt.Fprintf(io.ErrOut, "Made %s private (0600): it now holds the lab's admin key.\n", a.homePath(merged.Path))
	}
	prev := merged.Previous
	if prev == res.ContextName {
		prev = ""
	}
	if d, err := a.dirs(); err == nil && (prev != "" || !res.AlreadyRunning) {
		// `lab down` makes it current again.
		if err := lab.SavePreviousContext(d.Lab(p.Name()), prev); err != nil {
			fmt.Fprintf(io.ErrOut, "%s %v\n", c.Yellow("!"), err)
		}
	}
	switch {
	case res.Found:
		fmt.Fprintf(io.ErrOut, "kubectl now uses its context %s.\n", c.Bold(res.ContextName))
	case res.AlreadyRunning:
		fmt.Fprintf(io.ErrOut, "The %s lab is already running; its context %s was missing from your kubeconfig and is back. kubectl now uses it.\n", p.Name(), c.Bold(res.ContextName))
	default:
		fmt.Fprintf(io.ErrOut, "\n%s The %s lab is ready. kubectl now uses context %s.\n", c.SuccessIcon(), p.Name(), c.Bold(res.ContextName))
	}
	if prev != "" {
		fmt.Fprintf(io.ErrOut, "  Switch back with: kubectl config use-context %s\n", prev)
	}
	fmt.Fprintf(io.ErrOut, "  Its own kubeconfig: %s\n  Next: ckalab list, then ckalab start <scenario>\n", res.KubeconfigPath)
	return nil
}

// nodesOnlyUp reports a lab that has nodes and no cluster yet (kubeadm:
// the learner builds it), so there is no context to add.
func (a *app) nodesOnlyUp(p lab.Provider, res lab.UpResult) error {
	io := a.env.IO
	c := io.Colors()
	names := make([]string, len(res.Info.Nodes))
	for i, n := range res.Info.Nodes {
		names[i] = n.Name
	}
	if res.AlreadyRunning {
		fmt.Fprintf(io.ErrOut, "The %s lab is already running; nothing changed.\n", p.Name())
	} else {
		fmt.Fprintf(io.ErrOut, "\n%s The %s lab's nodes are ready, with no cluster on them yet: you build it.\n", c.SuccessIcon(), p.Name())
	}
	fmt.Fprintf(io.ErrOut, "  Nodes: %s\n  Next: ckalab ssh %s (README: \"Build a cluster yourself\"), or ckalab lab status\n", strings.Join(names, ", "), names[0])
	return nil
}
