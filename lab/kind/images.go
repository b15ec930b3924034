package kind

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/images"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
)

// NodeImages lists the image references each node's containerd holds.
func (p *Provider) NodeImages(ctx context.Context) (map[string][]string, error) {
	ns, err := p.nodes()
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(ns))
	for name := range ns {
		stdout, stderr, code, err := p.Exec(ctx, name, []string{"ctr", "--namespace=k8s.io", "images", "list", "--quiet"}, nil)
		if err != nil {
			return nil, err
		}
		if code != 0 {
			return nil, fmt.Errorf("list images on %s: ctr exited %d: %s", name, code, strings.TrimSpace(string(stderr)))
		}
		out[name] = strings.Fields(string(stdout))
	}
	return out, nil
}

// LoadImages implements lab.ImageLoader: every node gets each of refs
// (normalized), the missing ones loaded from the image cache. An image
// neither on the nodes nor in the cache is an error naming it and the
// command that fixes it; nothing is loaded then, so a start fails before
// it changes the lab.
func (p *Provider) LoadImages(ctx context.Context, refs []string, progress lab.Progress) error {
	cache := p.Cache
	have, err := p.NodeImages(ctx)
	if err != nil {
		return err
	}
	ns, err := p.nodes()
	if err != nil {
		return err
	}
	type load struct{ ref, node string }
	var plan []load
	var missing []error
	for _, ref := range refs {
		for _, node := range slices.Sorted(maps.Keys(have)) {
			if slices.Contains(have[node], ref) {
				continue
			}
			if cache.Size(ref) < 0 {
				missing = append(missing, &images.MissingError{Ref: ref, Dir: cache.Dir})
				break
			}
			plan = append(plan, load{ref, node})
		}
	}
	if len(missing) > 0 {
		return errors.Join(missing...)
	}
	for _, l := range plan {
		err := lab.Step(progress, fmt.Sprintf("Loading %s into %s 📦", l.ref, l.node), func() error {
			f, err := cache.Open(l.ref)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := nodeutils.LoadImageArchive(ns[l.node], f); err != nil {
				return fmt.Errorf("load %s into %s: %w", l.ref, l.node, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
