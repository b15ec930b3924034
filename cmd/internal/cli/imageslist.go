package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// imageUse is one image and the scenarios that use it.
type imageUse struct {
	Image     string   `json:"image"`
	Scenarios []string `json:"scenarios"`
	Cached    bool     `json:"cached"`
	Bytes     int64    `json:"bytes,omitempty"`
}

type imagesListOptions struct {
	app *app

	Output string
}

func (a *app) imagesListCommand() *cobra.Command {
	opts := &imagesListOptions{app: a}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the images the scenarios use and whether each is cached",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runImagesList(cmd.Context(), opts) },
	}
	outputFlag(cmd, &opts.Output, "table", "json")
	return cmd
}

// runImagesList reads only the cache's folder: it takes a context only to
// be called like every command.
func runImagesList(_ context.Context, opts *imagesListOptions) error {
	if err := checkOutput(opts.Output, "table", "json"); err != nil {
		return err
	}
	a := opts.app
	cat, err := a.catalog()
	if err != nil {
		return err
	}
	cache, err := a.imageCache()
	if err != nil {
		return err
	}
	uses := catalogImageUses(cat)
	var list []imageUse
	for _, ref := range slices.Sorted(maps.Keys(uses)) {
		u := imageUse{Image: ref, Scenarios: uses[ref]}
		if size := cache.Size(ref); size >= 0 {
			u.Cached, u.Bytes = true, size
		}
		list = append(list, u)
	}
	return a.render(opts.Output, list, func() error { return a.printImages(list, cache.Dir) })
}

// printImages is the table of `images list`, then where the cache is and
// how to fill it.
func (a *app) printImages(list []imageUse, cacheDir string) error {
	c := a.env.IO.Colors()
	rows := make([][]string, 0, len(list))
	missing := 0
	for _, u := range list {
		state := c.Green(fmt.Sprintf("cached (%.1f MB)", float64(u.Bytes)/1e6))
		if !u.Cached {
			state = c.Yellow("missing")
			missing++
		}
		rows = append(rows, []string{u.Image, state, strings.Join(u.Scenarios, ", ")})
	}
	if err := table(a.env.IO.Out, []string{"image", "cache", "scenarios"}, rows); err != nil {
		return err
	}
	fmt.Fprintf(a.env.IO.ErrOut, "\nCache: %s\n", cacheDir)
	if missing > 0 {
		fmt.Fprintf(a.env.IO.ErrOut, "%d missing: `ckalab images pull` fetches them (needs a registry); `ckalab images pack` caches what Docker has.\n", missing)
	}
	return nil
}
