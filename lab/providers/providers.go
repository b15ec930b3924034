// Package providers is the list of lab providers this build knows. To add
// a provider, write its package under lab/ (implementing lab.Provider, and
// whichever optional interfaces lab/provider.go lists) with a
// Registration function, and add one line to All.
package providers

import (
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/kind"
	"github.com/ckalab/ckalab/lab/kubeadm"
	"github.com/ckalab/ckalab/lab/sim"
)

// All returns every provider; the first is the default of `lab up`, and
// the order is the one in which a running lab is looked for.
func All() lab.Registry {
	return lab.Registry{
		kind.Registration(),
		sim.Registration(),
		kubeadm.Registration(),
	}
}
