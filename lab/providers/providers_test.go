package providers_test

import (
	"slices"
	"testing"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/doctor"
	kindlab "github.com/ckalab/ckalab/lab/kind"
	"github.com/ckalab/ckalab/lab/providers"
)

// TestRegistered: every provider is built from settings alone, names
// itself as registered, describes its labs, and offers what its labs can
// do: node access for a lab with nodes (CapNode).
func TestRegistered(t *testing.T) {
	reg := providers.All()
	if got := reg.Names(); reg.Default() != "kind" || !slices.Contains(got, "sim") || len(slices.Compact(slices.Sorted(slices.Values(got)))) != len(got) {
		t.Errorf("providers = %q, want kind first (the default), the sim, no name twice", got)
	}
	env := map[string]string{"CKALAB_SIM_BIN": "/opt/sim", "CKALAB_KIND_IMAGE": "example/node:1", "CKALAB_KIND_CLUSTER": "other"}
	ps := lab.Providers{Registry: reg, Settings: lab.Settings{Dirs: lab.Dirs{State: t.TempDir(), Cache: t.TempDir()}, Getenv: func(k string) string { return env[k] }}}
	for _, r := range reg {
		p, err := ps.New(r.Name)
		if err != nil {
			t.Fatalf("%s: %v", r.Name, err)
		}
		info := p.Info()
		if p.Name() != r.Name || info.Provider != r.Name {
			t.Errorf("%s: Name %q, Info().Provider %q", r.Name, p.Name(), info.Provider)
		}
		if r.Summary == "" || r.Runs == "" || len(info.Nodes) == 0 {
			t.Errorf("%s: summary %q, runs %q, nodes %v: all are needed", r.Name, r.Summary, r.Runs, info.Nodes)
		}
		_, exec := p.(lab.Execer)
		_, shell := p.(lab.Shell)
		if exec != info.Can(lab.CapNode) || shell != info.Can(lab.CapNode) {
			t.Errorf("%s: node exec %v, shell %v, but CapNode %v", r.Name, exec, shell, info.Can(lab.CapNode))
		}
	}

	kind, _ := ps.New("kind")
	if _, ok := kind.(lab.ImageLoader); !ok {
		t.Error("kind loads images into its nodes")
	}
	if kind.Info().Nodes[0].Name != "other-control-plane" {
		t.Errorf("kind with CKALAB_KIND_CLUSTER=other: nodes %v", kind.Info().Nodes)
	}
	setter, ok := kind.(lab.NodeImageSetter)
	if !ok {
		t.Fatal("kind nodes boot from an image (--image)")
	}
	if got := kind.(*kindlab.Provider).Image; got != "example/node:1" {
		t.Errorf("kind image = %q, want $CKALAB_KIND_IMAGE", got)
	}
	setter.SetNodeImage("example/node:2")
	if got := kind.(*kindlab.Provider).Image; got != "example/node:2" {
		t.Errorf("kind image after --image = %q", got)
	}

	sim, _ := ps.New("sim")
	c, ok := sim.(doctor.Contributor)
	if !ok {
		t.Fatal("the sim tells the doctor where its binaries are")
	}
	var opts doctor.Options
	c.DoctorOptions(&opts)
	if opts.SimBinDir != "/opt/sim" || opts.DefaultSimBinDir == "/opt/sim" || len(opts.SimBinaries) == 0 || opts.SimKubernetesVersion == "" {
		t.Errorf("sim doctor options = %+v; want $CKALAB_SIM_BIN, the make sim folder, the binaries and the version", opts)
	}
	if _, ok := sim.(lab.NodeImageSetter); ok {
		t.Error("the sim has no node image")
	}
}
