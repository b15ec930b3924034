package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
	var b strings.Builder
	b.WriteString("Providers:")
	for _, r := range reg {
		for i, line := range strings.Split(r.Summary, "\n") {
			name := ""
			if i == 0 {
				name = r.Name
			}
			fmt.Fprintf(&b, "\n  %-6s%s", name, line)
		}
	}
	return b.String()
}

// provider picks the provider by flag, else $CKALAB_PROVIDER, else the default.
func (a *app) provider(cmd *cobra.Command, flag string) (lab.Provider, error) {
	name, from := flag, "--provider"
	if !cmd.Flags().Changed("provider") {
		if env := a.env.Getenv("CKALAB_PROVIDER"); env != "" {
			name, from = env, "$CKALAB_PROVIDER"
		}
	}
	ps, err := a.providers()
	if err != nil {
		return nil, err
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
func (a *app) providerOrRunning(cmd *cobra.Command, flag string) (lab.Provider, lab.Status, error) {
	if cmd.Flags().Changed("provider") || a.env.Getenv("CKALAB_PROVIDER") != "" {
		p, err := a.provider(cmd, flag)
		if err != nil {
			return nil, lab.Status{}, err
		}
		st, err := p.Status(cmd.Context())
		return p, st, err
	}
	p, st, err := a.running(cmd.Context(), func(lab.Provider) bool { return true })
	if err != nil {
		return nil, lab.Status{}, err
	}
	return p, st, nil
}

// running is the first provider, in registry order, that has a lab
// running and passes keep.
func (a *app) running(ctx context.Context, keep func(lab.Provider) bool) (lab.Provider, lab.Status, error) {
	ps, err := a.providers()
	if err != nil {
		return nil, lab.Status{}, err
	}
	all, err := ps.All()
	if err != nil {
		return nil, lab.Status{}, err
	}
	for _, p := range all {
		if !keep(p) {
			continue
		}
		// A provider that cannot tell (no Docker for kind) has no lab.
		if st, err := p.Status(ctx); err == nil && st.Exists {
			return p, st, nil
		}
	}
	return nil, lab.Status{}, nil
}

// noLab is what lab commands say when no lab runs and none was named.
func noLab() string {
	var starts []string
	for _, r := range providers.All() {
		starts = append(starts, "ckalab lab up --provider "+r.Name)
	}
	return "No lab is running. Start one with: " + strings.Join(starts, ", or ")
}

func providerFlag(cmd *cobra.Command, target *string) {
	reg := providers.All()
	cmd.Flags().StringVar(target, "provider", reg.Default(), "lab provider: "+strings.Join(reg.Names(), " or ")+" (also $CKALAB_PROVIDER)")
	_ = cmd.RegisterFlagCompletionFunc("provider", cobra.FixedCompletions(reg.Names(), cobra.ShellCompDirectiveNoFileComp))
}

func (a *app) labUpCommand() *cobra.Command {
	var providerName, image string
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start a lab and point kubectl at it",
		Long: `Start a lab (the --provider default unless $CKALAB_PROVIDER says otherwise). Its context
(kind-ckalab, ckalab-sim) is added to your kubeconfig
($KUBECONFIG or ~/.kube/config, or --kubeconfig) and made current, as kind does.
On a running lab (of any provider, when none is named) it says so and changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Without a provider named, a running lab of either kind is
			// "the lab": up then says it runs rather than making another.
			p, _, err := a.providerOrRunning(cmd, providerName)
			if err != nil && p == nil {
				return err
			}
			// A lab whose status cannot be read (an interrupted `lab up`
			// left it) is the provider's Up to deal with.
			if p == nil {
				if p, err = a.provider(cmd, providerName); err != nil {
					return err
				}
			}
			if image != "" {
				setter, ok := p.(lab.NodeImageSetter)
				if !ok {
					return usageError("--image: the %s provider's nodes do not boot from an image", p.Name())
				}
				setter.SetNodeImage(image)
			}
			return a.labUp(cmd.Context(), p)
		},
	}
	providerFlag(cmd, &providerName)
	cmd.Flags().StringVar(&image, "image", "", "node image, for providers whose nodes boot from one (see `ckalab lab --help`)")
	return cmd
}

func (a *app) labUp(ctx context.Context, p lab.Provider) error {
	io := a.env.IO
	c := io.Colors()
	if st, err := p.Status(ctx); err == nil && !st.Exists {
		fmt.Fprintf(io.ErrOut, "Creating the %s lab ...\n", p.Name())
	}
	res, err := p.Up(ctx, &progress{io: io, now: a.env.Now})
	if err != nil {
		return err
	}
	uk := a.userKubeconfig()
	if res.AlreadyRunning {
		// A scenario or a learner may have deleted the marker that makes
		// the cluster a lab; every practice command refuses it until then.
		restored, err := lab.RestoreMarker(ctx, res.Kubeconfig, res.Info)
		if err != nil {
			return fmt.Errorf("the %s lab runs, but its marker could not be checked: %w", p.Name(), err)
		}
		if restored {
			fmt.Fprintf(io.ErrOut, "%s The lab marker %s/%s was gone and is back: practice commands work again.\n", c.SuccessIcon(), lab.MarkerNamespace, lab.MarkerName)
		}
		// An earlier `lab up` may have been interrupted between making the
		// lab and adding its context; then it is added now.
		if has, err := uk.Has(res.ContextName); err != nil || has {
			if restored {
				return nil
			}
			fmt.Fprintf(io.ErrOut, "The %s lab is already running (context %s); nothing changed.\n", p.Name(), res.ContextName)
			return nil
		}
	}
	merged, err := uk.Merge(res.ContextName, res.Kubeconfig)
	if err != nil {
		return fmt.Errorf("the lab runs, but adding it to your kubeconfig failed: %w\nUse it directly: export KUBECONFIG=%s", err, res.KubeconfigPath)
	}
	if merged.MadePrivate {
		fmt.Fprintf(io.ErrOut, "Made %s private (0600): it now holds the lab's admin key.\n", a.homePath(merged.Path))
	}
	prev := merged.Previous
	if prev == res.ContextName {
		prev = ""
	}
	if d, err := a.dirs(); err == nil && (prev != "" || !res.AlreadyRunning) {
		// `lab down` makes it current again.
		if err := lab.SavePreviousContext(d.Lab(p.Name()), prev); err != nil {
			fmt.Fprintf(io.ErrOut, "%s %v\n", c.Yellow("!"), err)
		}
	}
	if res.AlreadyRunning {
		fmt.Fprintf(io.ErrOut, "The %s lab is already running; its context %s was missing from your kubeconfig and is back. kubectl now uses it.\n", p.Name(), c.Bold(res.ContextName))
	} else {
		fmt.Fprintf(io.ErrOut, "\n%s The %s lab is ready. kubectl now uses context %s.\n", c.SuccessIcon(), p.Name(), c.Bold(res.ContextName))
	}
	if prev != "" {
		fmt.Fprintf(io.ErrOut, "  Switch back with: kubectl config use-context %s\n", prev)
	}
	fmt.Fprintf(io.ErrOut, "  Its own kubeconfig: %s\n  Next: ckalab list, then ckalab start <scenario>\n", res.KubeconfigPath)
	return nil
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

func (a *app) labDownCommand() *cobra.Command {
	var providerName string
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop the lab and remove all its processes and files",
		Long: `Stop the lab and remove all its processes and files, and its context from your
kubeconfig. When that context was current, the one that was current before the lab's
'lab up' is made current again (if your kubeconfig still has it).
Without --provider (or $CKALAB_PROVIDER) it removes the lab that runs (providers in the order 'ckalab lab --help' lists them).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, st, err := a.providerOrRunning(cmd, providerName)
			if p == nil {
				if err != nil {
					return err
				}
				fmt.Fprintln(a.env.IO.ErrOut, "No lab is running; nothing to do.")
				return nil
			}
			if err == nil && !st.Exists {
				fmt.Fprintf(a.env.IO.ErrOut, "No %s lab is running; nothing to do.\n", p.Name())
				return nil
			}
			// Read before Down removes the lab's folder.
			previous := ""
			if d, err := a.dirs(); err == nil {
				previous = lab.PreviousContext(d.Lab(p.Name()))
			}
			if err := p.Down(cmd.Context(), &progress{io: a.env.IO, now: a.env.Now}); err != nil {
				return err
			}
			if st.ContextName != "" {
				removed, err := a.userKubeconfig().Remove(st.ContextName, previous)
				if err != nil {
					return err
				}
				if err := a.forgetContext(st.ContextName); err != nil {
					return err
				}
				// The answer folders may hold copies of the lab's keys
				// (a kubeconfig task); they go with the lab.
				if d, err := a.dirs(); err == nil {
					if err := os.RemoveAll(d.Answers(st.ContextName)); err != nil {
						return fmt.Errorf("remove the lab's answer folders: %w", err)
					}
				}
				a.sayContextAfterDown(previous, removed)
			}
			fmt.Fprintf(a.env.IO.ErrOut, "%s The %s lab is gone.\n", a.env.IO.Colors().SuccessIcon(), p.Name())
			return nil
		},
	}
	providerFlag(cmd, &providerName)
	return cmd
}

// sayContextAfterDown tells where kubectl points once the lab's context is gone.
func (a *app) sayContextAfterDown(previous string, removed lab.RemoveResult) {
	w := a.env.IO.ErrOut
	switch {
	case !removed.WasCurrent:
		// The user had switched elsewhere; that stays.
	case removed.Restored != "":
		fmt.Fprintf(w, "kubectl context is now %s (it was current before this lab).\n", removed.Restored)
	case len(removed.Contexts) == 0:
		fmt.Fprintln(w, "Your kubeconfig has no contexts left.")
	default:
		why := ""
		if previous != "" {
			why = fmt.Sprintf(" (%s, current before this lab, is no longer in your kubeconfig)", previous)
		}
		fmt.Fprintf(w, "kubectl has no current context now%s; pick one with `kubectl config use-context` (contexts: %s).\n", why, strings.Join(removed.Contexts, ", "))
	}
}

func (a *app) labStatusCommand() *cobra.Command {
	var providerName, output string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the lab's components; exit 4 when it is not running or not healthy",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, "table", "json"); err != nil {
				return err
			}
			p, st, err := a.providerOrRunning(cmd, providerName)
			if err != nil {
				if p != nil && st.Exists {
					return &noLabErr{msg: fmt.Sprintf("%v\nRemove what is left of the %s lab with `ckalab lab down --provider %s`", err, p.Name(), p.Name())}
				}
				return err
			}
			if p == nil {
				st = lab.Status{Provider: "none"}
			}
			if st.Exists && st.Healthy && st.KubeconfigPath != "" {
				if err := lab.CheckMarker(cmd.Context(), st.KubeconfigPath); err != nil {
					st.Healthy = false
					st.Problems = append(st.Problems, fmt.Sprintf("%v: `ckalab lab up --provider %s` writes it back", err, st.Provider))
				}
			}
			if output == "json" {
				if err := writeJSON(a.env.IO.Out, st); err != nil {
					return err
				}
			} else if err := a.printStatus(st); err != nil {
				return err
			}
			if !st.Exists || !st.Healthy {
				return &noLabErr{}
			}
			return nil
		},
	}
	providerFlag(cmd, &providerName)
	outputFlag(cmd, &output, "table", "json")
	return cmd
}

func (a *app) printStatus(st lab.Status) error {
	io := a.env.IO
	c := io.Colors()
	if st.Provider == "none" {
		fmt.Fprintln(io.ErrOut, noLab())
		return nil
	}
	if !st.Exists {
		fmt.Fprintf(io.ErrOut, "No %s lab. Start one with: ckalab lab up --provider %s\n", st.Provider, st.Provider)
		return nil
	}
	rows := make([][]string, 0, len(st.Components))
	for _, cs := range st.Components {
		state := c.Green("running")
		if !cs.Running {
			state = c.Red("dead")
		}
		pid := ""
		if cs.PID > 0 {
			pid = strconv.Itoa(cs.PID)
		}
		rows = append(rows, []string{cs.Name, state, pid, cs.Version, cs.Detail})
	}
	if len(rows) == 0 {
		fmt.Fprintf(io.ErrOut, "The %s lab has no running components.\n", st.Provider)
	} else if err := table(io.Out, []string{"component", "state", "pid", "version", "detail"}, rows); err != nil {
		return err
	}
	for _, cs := range st.Components {
		if cs.LogTail != "" {
			fmt.Fprintf(io.Out, "\n%s died; the end of its log:\n%s\n", c.Bold(cs.Name), indent(cs.LogTail, "  "))
		}
	}
	for _, problem := range st.Problems {
		fmt.Fprintf(io.ErrOut, "\n%s %s\n", c.FailureIcon(), problem)
	}
	switch {
	case st.Healthy:
		fmt.Fprintf(io.ErrOut, "\n%s healthy; context %s, kubeconfig %s\n", c.SuccessIcon(), st.ContextName, st.KubeconfigPath)
	case len(st.Problems) > 0:
		// Each problem says its own fix; recreating would lose the work.
	default:
		fmt.Fprintf(io.ErrOut, "\n%s not healthy: recreate it with `ckalab lab down --provider %s && ckalab lab up --provider %s`\n", c.FailureIcon(), st.Provider, st.Provider)
	}
	return nil
}

func (a *app) labKubeconfigCommand() *cobra.Command {
	var providerName string
	cmd := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Print the path of the lab's own kubeconfig (export KUBECONFIG=$(ckalab lab kubeconfig))",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, st, err := a.providerOrRunning(cmd, providerName)
			if err != nil {
				return err
			}
			if p == nil {
				return &noLabErr{msg: "no lab is running"}
			}
			if !st.Exists {
				return &noLabErr{msg: "no " + p.Name() + " lab is running"}
			}
			if _, err := os.Stat(st.KubeconfigPath); err != nil {
				return err
			}
			fmt.Fprintln(a.env.IO.Out, st.KubeconfigPath)
			return nil
		},
	}
	providerFlag(cmd, &providerName)
	return cmd
}
