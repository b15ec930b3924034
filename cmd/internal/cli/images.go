package cli

import (
	"fmt"
	"maps"
	"slices"

	"github.com/ckalab/ckalab/lab/dockercli"
	"github.com/ckalab/ckalab/lab/images"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/spf13/cobra"
)

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
