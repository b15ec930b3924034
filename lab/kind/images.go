package kind

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/images"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
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
	var plan []imageLoad
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
			plan = append(plan, imageLoad{ref, node})
		}
	}
	if len(missing) > 0 {
		return errors.Join(missing...)
	}
	if len(plan) == 0 {
		return nil
	}
	byNode := map[string][]string{}
	distinct := map[string]bool{}
	for _, l := range plan {
		byNode[l.node] = append(byNode[l.node], l.ref)
		distinct[l.ref] = true
	}
	title := fmt.Sprintf("Loading %d image(s) into %s 📦", len(distinct), strings.Join(slices.Sorted(maps.Keys(byNode)), ", "))
	return lab.Step(progress, title, func() error {
		// One loader per node, side by side: each node's containerd
		// imports on its own, and loading three nodes one after another
		// tripled the wait.
		errs := make([]error, 0, len(byNode))
		var mu sync.Mutex
		var wg sync.WaitGroup
		for node, refs := range byNode {
			wg.Go(func() {
				for _, ref := range refs {
					if err := loadArchive(ctx, cache, ns[node], ref); err != nil {
						mu.Lock()
						errs = append(errs, fmt.Errorf("load %s into %s: %w", ref, node, err))
						mu.Unlock()
						return
					}
				}
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	})
}

// imageLoad is one image archive to load into one node.
type imageLoad struct{ ref, node string }

// loadArchive streams one cached image archive into a node's containerd.
func loadArchive(ctx context.Context, cache images.Cache, node nodes.Node, ref string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := cache.Open(ref)
	if err != nil {
		return err
	}
	defer f.Close()
	return nodeutils.LoadImageArchive(node, f)
}
