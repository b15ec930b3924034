package kind

import (
	"github.com/ckalab/ckalab/lab"
)

// Registration is the kind lab in the provider registry (lab/providers).
func Registration() lab.Registration {
	return lab.Registration{
		Name: ProviderName,
		Summary: `one control plane and two workers as Docker containers (sigs.k8s.io/kind): real
kubelets, containers, pod networking with NetworkPolicy, static pods, etcd, and a
root shell on each node ('ckalab ssh'). Node image: ` + DefaultImage + `, built
offline by 'make kind-image' (or --image kindest/node:v1.37.0 with a registry).`,
		Runs: "Kubernetes " + KubernetesVersion + ", node image " + DefaultImage,
		New:  func(s lab.Settings) (lab.Provider, error) { return FromSettings(s), nil },
	}
}

// FromSettings is the kind lab with ckalab's folders, its node image from
// $CKALAB_KIND_IMAGE, and the settings' images preloaded.
// $CKALAB_KIND_CLUSTER names another kind cluster, which gives other node
// names too: tests use one of their own so that they never see or touch
// the user's lab.
func FromSettings(s lab.Settings) *Provider {
	p := New(s.Dirs)
	if s.Getenv != nil {
		if img := s.Getenv("CKALAB_KIND_IMAGE"); img != "" {
			p.Image = img
		}
		if name := s.Getenv("CKALAB_KIND_CLUSTER"); name != "" {
			p.KindCluster = name
		}
	}
	p.Preload = s.Preload
	return p
}

// Info implements lab.Provider.
func (p *Provider) Info() lab.Info { return infoFor(p.cluster()) }

// SetNodeImage implements lab.NodeImageSetter.
func (p *Provider) SetNodeImage(ref string) { p.Image = ref }

var (
	_ lab.ImageLoader     = (*Provider)(nil)
	_ lab.NodeImageSetter = (*Provider)(nil)
	_ lab.Shell           = (*Provider)(nil)
)
