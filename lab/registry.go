package lab

import (
	"fmt"
	"strings"
	"time"
)

// Settings are what every provider is built from: ckalab's folders, the
// clock, the environment (each provider reads its own variables, such as
// CKALAB_SIM_BIN or CKALAB_KIND_IMAGE, through Getenv) and the images a
// new lab should hold.
type Settings struct {
	Dirs   Dirs
	Now    func() time.Time
	Getenv func(string) string
	// Preload names the images a new lab loads into its nodes, when it has
	// nodes. It is called only when a lab is made: it reads the catalog.
	Preload func() []string
}

// Registration is one provider as the registry (lab/providers) lists it.
type Registration struct {
	Name string
	// Summary is one paragraph for `ckalab lab --help`.
	Summary string
	// Runs says what its labs run, for `ckalab version` ("Kubernetes
	// v1.37.2, kwok v0.8.0").
	Runs string
	New  func(Settings) (Provider, error)
}

// Registry is every provider this build knows, in the order `lab status`
// and `lab down` look for a running lab; the first is the default.
type Registry []Registration

// Names lists the providers' names in registry order.
func (r Registry) Names() []string {
	out := make([]string, len(r))
	for i, reg := range r {
		out[i] = reg.Name
	}
	return out
}

// Default is the provider `lab up` uses when none is named.
func (r Registry) Default() string {
	if len(r) == 0 {
		return ""
	}
	return r[0].Name
}

// UnknownProviderError is a provider name the registry does not know.
type UnknownProviderError struct {
	Name  string
	Known []string
}

func (e *UnknownProviderError) Error() string {
	return fmt.Sprintf("%q: unknown provider (known: %s)", e.Name, strings.Join(e.Known, ", "))
}

// Providers builds the registry's providers with one set of settings.
type Providers struct {
	Registry Registry
	Settings Settings
}

// New builds the provider called name.
func (ps Providers) New(name string) (Provider, error) {
	for _, reg := range ps.Registry {
		if reg.Name == name {
			p, err := reg.New(ps.Settings)
			if err != nil {
				return nil, fmt.Errorf("provider %s: %w", name, err)
			}
			return p, nil
		}
	}
	return nil, &UnknownProviderError{Name: name, Known: ps.Registry.Names()}
}

// All builds every provider, in registry order.
func (ps Providers) All() ([]Provider, error) {
	out := make([]Provider, 0, len(ps.Registry))
	for _, reg := range ps.Registry {
		p, err := ps.New(reg.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
