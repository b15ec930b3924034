package sim

import (
	"slices"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/doctor"
)

// Registration is the sim in the provider registry (lab/providers).
func Registration() lab.Registration {
	return lab.Registration{
		Name: providerName,
		Summary: `the real etcd, kube-apiserver, kube-controller-manager and kube-scheduler (` + KubernetesVersion + `)
on loopback, with nodes simulated by kwok. No Docker. API-level practice:
RBAC, admission, scheduling, controllers. Build it once with 'make sim'.`,
		Runs: "Kubernetes " + KubernetesVersion + ", kwok " + KwokVersion,
		New:  func(s lab.Settings) (lab.Provider, error) { return FromSettings(s), nil },
	}
}

// FromSettings is the sim with ckalab's folders; $CKALAB_SIM_BIN points
// at the upstream binaries when they are not where `make sim` puts them.
func FromSettings(s lab.Settings) *Provider {
	p := New(s.Dirs, s.Now)
	p.defaultBinDir = p.BinDir
	if s.Getenv != nil {
		if bin := s.Getenv("CKALAB_SIM_BIN"); bin != "" {
			p.BinDir = bin
		}
	}
	return p
}

// Info implements lab.Provider.
func (p *Provider) Info() lab.Info { return Info() }

// DoctorOptions implements doctor.Contributor: the doctor looks for the
// sim's binaries, and for a kubectl close to its version.
func (p *Provider) DoctorOptions(o *doctor.Options) {
	o.SimBinDir = p.BinDir
	o.DefaultSimBinDir = p.defaultBinDir
	if o.DefaultSimBinDir == "" {
		o.DefaultSimBinDir = p.BinDir
	}
	o.SimKubernetesVersion = KubernetesVersion
	o.SimBinaries = slices.Clone(binaries)
}
