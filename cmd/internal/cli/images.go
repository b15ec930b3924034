package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/dockercli"
	"github.com/ckalab/ckalab/lab/images"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/spf13/cobra"
)

// imageUse is one image and the scenarios that use it.
type imageUse struct {
	Image     string   `json:"image"`
	Scenarios []string `json:"scenarios"`
	Cached    bool     `json:"cached"`
	Bytes     int64    `json:"bytes,omitempty"`
}

// catalogImageUses maps every image the catalog's scenarios list to them.
// A scenario that does not load is skipped here: `ckalab scenario validate`
// is where its problems are reported.
func catalogImageUses(cat *scenarios.Catalog) map[string][]string {
	uses := map[string][]string{}
	for _, id := range cat.IDs() {
		sc, err := cat.Load(id, scenarios.DefaultTemplateData())
		if err != nil {
			continue
		}
		refs, _ := images.NormalizeAll(sc.File.Images)
		for _, r := range refs {
			uses[r] = append(uses[r], id)
		}
	}
	return uses
}

// catalogImages lists, normalized and sorted, the images the catalog uses.
func catalogImages(cat *scenarios.Catalog) []string {
	return slices.Sorted(maps.Keys(catalogImageUses(cat)))
}

func (a *app) imageCache() (images.Cache, error) {
	d, err := a.dirs()
	if err != nil {
		return images.Cache{}, err
	}
	return images.Cache{Dir: images.DefaultDir(d), Docker: dockercli.CLI{}}, nil
}

func (a *app) imagesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "images",
		Short: "Keep the images scenarios use in a local cache, for labs without a registry",
		Long: `Scenarios list the container images their pods use. ckalab keeps them as archives in
$XDG_CACHE_HOME/ckalab/images and loads them into the kind lab's nodes (at 'lab up' and
'start'), so that a lab works with no network once the cache is filled.

  ckalab images pull     fetch the images from their registries into Docker, then cache them
  ckalab images pack     cache images Docker already has (built locally, or 'docker load'ed)`,
		GroupID: "lab",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.imagesListCommand(), a.imagesFillCommand("pull"), a.imagesFillCommand("pack"))
	return cmd
}

func (a *app) imagesListCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the images the scenarios use and whether each is cached",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, "table", "json"); err != nil {
				return err
			}
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
			if output == "json" {
				return writeJSON(a.env.IO.Out, list)
			}
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
			fmt.Fprintf(a.env.IO.ErrOut, "\nCache: %s\n", cache.Dir)
			if missing > 0 {
				fmt.Fprintf(a.env.IO.ErrOut, "%d missing: `ckalab images pull` fetches them (needs a registry); `ckalab images pack` caches what Docker has.\n", missing)
			}
			return nil
		},
	}
	outputFlag(cmd, &output, "table", "json")
	return cmd
}

// imagesFillCommand is `images pull` or `images pack`: both put images into
// the cache, from a registry or from Docker.
func (a *app) imagesFillCommand(verb string) *cobra.Command {
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
			cat, err := a.catalog()
			if err != nil {
				return err
			}
			refs, err := imageArgs(cat, args)
			if err != nil {
				return usageError("%v", err)
			}
			cache, err := a.imageCache()
			if err != nil {
				return err
			}
			fill := cache.Pack
			if verb == "pull" {
				fill = cache.Pull
			}
			return a.fillCache(cmd.Context(), refs, verb, fill)
		},
	}
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

// imageArgs turns arguments (images or scenario ids) into normalized image
// references; no argument means every image of the catalog.
func imageArgs(cat *scenarios.Catalog, args []string) ([]string, error) {
	if len(args) == 0 {
		return catalogImages(cat), nil
	}
	var names []string
	for _, arg := range args {
		if cat.Has(arg) {
			sc, err := cat.Load(arg, scenarios.DefaultTemplateData())
			if err != nil {
				return nil, err
			}
			names = append(names, sc.File.Images...)
			continue
		}
		names = append(names, arg)
	}
	refs, err := images.NormalizeAll(names)
	if err != nil {
		return nil, fmt.Errorf("%w (an argument is an image like busybox:1.36 or a scenario id)", err)
	}
	return refs, nil
}
