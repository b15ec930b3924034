package lab

import (
	"context"
	"errors"
	"testing"
)

// apiOnly is a provider without node access.
type apiOnly struct{ name string }

func (p apiOnly) Name() string                                 { return p.name }
func (apiOnly) Up(context.Context, Progress) (UpResult, error) { return UpResult{}, nil }
func (apiOnly) Down(context.Context, Progress) error           { return nil }
func (apiOnly) Status(context.Context) (Status, error)         { return Status{}, nil }
func (p apiOnly) Info() Info                                   { return Info{Provider: p.name} }

// withNodes is a provider that reaches into its nodes.
type withNodes struct{ apiOnly }

func (withNodes) Exec(context.Context, string, []string, []byte) ([]byte, []byte, int, error) {
	return []byte("ran"), nil, 0, nil
}

func testRegistry(built *[]Settings) Registry {
	reg := func(name string, p Provider) Registration {
		return Registration{Name: name, New: func(s Settings) (Provider, error) {
			*built = append(*built, s)
			return p, nil
		}}
	}
	return Registry{
		reg("nodes", withNodes{apiOnly{"nodes"}}),
		reg("api", apiOnly{"api"}),
		{Name: "broken", New: func(Settings) (Provider, error) { return nil, errors.New("no Docker") }},
	}
}

func TestRegistry(t *testing.T) {
	var built []Settings
	ps := Providers{Registry: testRegistry(&built), Settings: Settings{Dirs: Dirs{State: "/state"}}}
	if got := ps.Registry.Default(); got != "nodes" {
		t.Errorf("Default = %q, want the first, nodes", got)
	}
	if got := ps.Registry.Names(); len(got) != 3 || got[1] != "api" {
		t.Errorf("Names = %q, want registry order", got)
	}
	p, err := ps.New("api")
	if err != nil || p.Name() != "api" {
		t.Fatalf("New(api) = %v, %v", p, err)
	}
	if len(built) != 1 || built[0].Dirs.State != "/state" {
		t.Errorf("providers were built with %+v, want the Providers' settings", built)
	}
	_, err = ps.New("kubeadm")
	var unknown *UnknownProviderError
	if !errors.As(err, &unknown) || err.Error() != `"kubeadm": unknown provider (known: nodes, api, broken)` {
		t.Errorf("New(kubeadm) = %v, want an UnknownProviderError listing the known ones", err)
	}
	if _, err := ps.New("broken"); err == nil || err.Error() != "provider broken: no Docker" {
		t.Errorf("New(broken) = %v, want its error with its name", err)
	}
	if _, err := ps.All(); err == nil {
		t.Error("All: a provider that cannot be built is an error")
	}
	if (Registry{}).Default() != "" {
		t.Error("an empty registry has no default")
	}
}

// TestNodeExecFromMarker: Connect gives a lab the node access of the
// provider its marker names, and none otherwise.
func TestNodeExecFromMarker(t *testing.T) {
	var built []Settings
	ps := Providers{Registry: testRegistry(&built)}
	exec, err := nodeExec(ps, Info{Provider: "nodes"})
	if err != nil || exec == nil {
		t.Fatalf("nodes: exec %v, %v; want the provider's Execer", exec, err)
	}
	if out, _, _, _ := exec.Exec(t.Context(), "n", []string{"true"}, nil); string(out) != "ran" {
		t.Errorf("exec ran %q, want the provider's own", out)
	}
	for _, name := range []string{"api", "from-a-newer-ckalab"} {
		if exec, err := nodeExec(ps, Info{Provider: name}); err != nil || exec != nil {
			t.Errorf("%s: exec %v, %v; want none and no error", name, exec, err)
		}
	}
	if _, err := nodeExec(Providers{}, Info{Provider: "nodes"}); err != nil {
		t.Errorf("no providers (API-only use): %v", err)
	}
	if _, err := nodeExec(ps, Info{Provider: "broken"}); err == nil {
		t.Error("broken: a provider that cannot be built is an error")
	}
}
