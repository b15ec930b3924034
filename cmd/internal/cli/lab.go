package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/providers"
	"github.com/spf13/cobra"
)

func (a *app) labCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Create, inspect and remove the practice cluster",
		Long:  "A lab is a practice cluster with nodes ckalab-control-plane, ckalab-worker and ckalab-worker2.\n\n" + providersHelp(providers.All()),
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.labUpCommand(), a.labDownCommand(), a.labStatusCommand(), a.labKubeconfigCommand(), a.labResetCommand())
	return cmd
}

// providersHelp lists the registered providers for --help, the default
// first.
func providersHelp(reg lab.Registry) string {
	width := 0
	for _, r := range reg {
		width = max(width, len(r.Name))
	}
	var b strings.Builder
	b.WriteString("Providers:")
	for _, r := range reg {
		for i, line := range strings.Split(r.Summary, "\n") {
			name := ""
			if i == 0 {
				name = r.Name
			}
			fmt.Fprintf(&b, "\n  %-*s  %s", width, name, line)
		}
	}
	return b.String()
}

// providerFlag adds --provider. *target stays nil unless the command line
// names a provider: then $CKALAB_PROVIDER, else the running lab or the
// default, decides. --help shows the default as for a string flag.
func providerFlag(cmd *cobra.Command, target **string) {
	reg := providers.All()
	cmd.Flags().Var(&providerValue{target: target, def: reg.Default()}, "provider", "lab provider: "+joinOr(reg.Names())+" (also $CKALAB_PROVIDER)")
	_ = cmd.RegisterFlagCompletionFunc("provider", cobra.FixedCompletions(reg.Names(), cobra.ShellCompDirectiveNoFileComp))
}

// providerValue is the pflag.Value of --provider: unlike a string flag it
// tells a name given on the command line, even "", from none.
type providerValue struct {
	target **string
	def    string
}

func (v *providerValue) Set(name string) error { *v.target = &name; return nil }
func (v *providerValue) Type() string          { return "string" }
func (v *providerValue) String() string {
	if *v.target != nil {
		return **v.target
	}
	return v.def
}

// provider picks the provider named (by --provider), else by
// $CKALAB_PROVIDER, else the default.
func (a *app) provider(named *string) (lab.Provider, error) {
	ps, err := a.providers()
	if err != nil {
		return nil, err
	}
	name, from := ps.Registry.Default(), "--provider"
	if named != nil {
		name = *named
	} else if env := a.env.Getenv("CKALAB_PROVIDER"); env != "" {
		name, from = env, "$CKALAB_PROVIDER"
	}
	p, err := ps.New(name)
	var unknown *lab.UnknownProviderError
	if errors.As(err, &unknown) {
		return nil, usageError("%s %v", from, err)
	}
	return p, err
}

// providerOrRunning is the provider named by --provider or
// $CKALAB_PROVIDER; without either, that of the lab that runs (in registry
// order), so that `lab status` and `lab down` find whichever lab the user
// started. With neither a name nor a running lab it returns nil.
func (a *app) providerOrRunning(ctx context.Context, named *string) (lab.Provider, lab.Status, error) {
	if named != nil || a.env.Getenv("CKALAB_PROVIDER") != "" {
		p, err := a.provider(named)
		if err != nil {
			return nil, lab.Status{}, err
		}
		st, err := p.Status(ctx)
		return p, st, err
	}
	p, st, err := a.running(ctx, func(lab.Provider) bool { return true })
	if err != nil {
		return nil, lab.Status{}, err
	}
	return p, st, nil
}

// running is the provider that has a lab running and passes keep: the
// only one, or, when several do (a kind lab and a sim lab side by side),
// the one whose context is the kubeconfig's current one (or --context).
// Several and none current is an error: guessing could stop another
// person's lab (a kind lab is Docker's, not a user's).
func (a *app) running(ctx context.Context, keep func(lab.Provider) bool) (lab.Provider, lab.Status, error) {
	ps, err := a.providers()
	if err != nil {
		return nil, lab.Status{}, err
	}
	all, err := ps.All()
	if err != nil {
		return nil, lab.Status{}, err
	}
	var found []lab.Provider
	var statuses []lab.Status
	for _, p := range all {
		if !keep(p) {
			continue
		}
		// A provider that cannot tell (no Docker for kind) has no lab.
		if st, err := p.Status(ctx); err == nil && st.Exists {
			found, statuses = append(found, p), append(statuses, st)
		}
	}
	if len(found) == 0 {
		return nil, lab.Status{}, nil
	}
	current := ""
	if _, name, err := a.target().RawConfig(); err == nil {
		current = name
	}
	i, err := pickRunning(statuses, current)
	if err != nil {
		return nil, lab.Status{}, err
	}
	return found[i], statuses[i], nil
}

// pickRunning is which of the running labs (at least one) a command that
// names none means: the only one, or the one whose context is current.
func pickRunning(running []lab.Status, current string) (int, error) {
	if len(running) == 1 {
		return 0, nil
	}
	var names []string
	for i, st := range running {
		if current != "" && st.ContextName == current {
			return i, nil
		}
		names = append(names, st.Provider)
	}
	return 0, usageError("%s labs run, and the current context (%q) is none of theirs: name one with --provider",
		strings.Join(names, " and "), current)
}

// noLab is what lab commands say when no lab runs and none was named.
func noLab() string {
	var starts []string
	for _, r := range providers.All() {
		starts = append(starts, "ckalab lab up --provider "+r.Name)
	}
	return "No lab is running. Start one with: " + strings.Join(starts, ", or ")
}

// userKubeconfig is the kubeconfig lab up and lab down edit.
func (a *app) userKubeconfig() lab.UserKubeconfig {
	return lab.UserKubeconfig{Path: a.kubeconfig, Getenv: a.env.Getenv}
}

// homePath writes a path under $HOME as ~/...
func (a *app) homePath(path string) string {
	home := a.env.Getenv("HOME")
	if rel, err := filepath.Rel(home, path); home != "" && err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
		return filepath.Join("~", rel)
	}
	return path
}
