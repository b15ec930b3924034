package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"github.com/spf13/cobra"
)

type imagesFillOptions struct {
	app *app

	// Verb is "pull" (from the registries) or "pack" (from Docker).
	Verb string
	// Images are images or scenario ids; none means every image of the
	// catalog.
	Images []string
}

// imagesFillCommand is `images pull` or `images pack`: both put images into
// the cache, from a registry or from Docker.
func (a *app) imagesFillCommand(verb string) *cobra.Command {
	opts := &imagesFillOptions{app: a, Verb: verb}
	short := map[string]string{
		"pull": "Pull images from their registries and cache them (default: every image the scenarios use)",
		"pack": "Cache images Docker already has (default: every image the scenarios use)",
	}[verb]
	return &cobra.Command{
		Use:   verb + " [<image>|<scenario>]...",
		Short: short,
		Long: short + `.
An argument is an image (busybox:1.36) or a scenario id, meaning the images it lists.`,
		ValidArgsFunction: a.completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Images = args
			return runImagesFill(cmd.Context(), opts)
		},
	}
}

func runImagesFill(ctx context.Context, opts *imagesFillOptions) error {
	a := opts.app
	cat, err := a.catalog()
	if err != nil {
		return err
	}
	refs, err := imageArgs(cat, opts.Images)
	if err != nil {
		return usageError("%v", err)
	}
	cache, err := a.imageCache()
	if err != nil {
		return err
	}
	fill := cache.Pack
	if opts.Verb == "pull" {
		fill = cache.Pull
	}
	return a.fillCache(ctx, refs, opts.Verb, fill)
}

func (a *app) fillCache(ctx context.Context, refs []string, verb string, fill func(context.Context, string) error) error {
	p := &progress{io: a.env.IO, now: a.env.Now}
	var failed []string
	for _, ref := range refs {
		if err := lab.Step(p, fmt.Sprintf("%s %s", strings.ToUpper(verb[:1])+verb[1:]+"ing", ref), func() error { return fill(ctx, ref) }); err != nil {
			fmt.Fprintf(a.env.IO.ErrOut, "  %v\n", err)
			failed = append(failed, ref)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d image(s) not cached: %s", len(failed), len(refs), strings.Join(failed, ", "))
	}
	fmt.Fprintf(a.env.IO.ErrOut, "%s %d image(s) cached; the kind lab loads them at `lab up` and `start`.\n", a.env.IO.Colors().SuccessIcon(), len(refs))
	return nil
}
