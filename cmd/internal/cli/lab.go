package cli

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/kind"
	"github.com/spf13/cobra"
)

// defaultProvider is kind: real nodes are what the exam has. The sim needs
// no Docker and serves API-level practice, CI and tests.
const defaultProvider = "kind"

func (a *app) labCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Create, inspect and remove the practice cluster",
		Long: `A lab is a practice cluster with nodes ckalab-control-plane, ckalab-worker and ckalab-worker2.

Providers:
  kind  one control plane and two workers as Docker containers (sigs.k8s.io/kind): real
        kubelets, containers, pod networking with NetworkPolicy, static pods, etcd, and a
        root shell on each node ('ckalab ssh'). Node image: ckalab/node:v1.37.2, built
        offline by 'make kind-image' (or --image kindest/node:v1.37.0 with a registry).
  sim   the real etcd, kube-apiserver, kube-controller-manager and kube-scheduler (v1.37.2)
        on loopback, with nodes simulated by kwok. No Docker. API-level practice:
        RBAC, admission, scheduling, controllers. Build it once with 'make sim'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.labUpCommand(), a.labDownCommand(), a.labStatusCommand(), a.labKubeconfigCommand(), a.labResetCommand())
	return cmd
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
	p, ok := ps[name]
	if !ok {
		return nil, usageError("%s %q: unknown provider (known: %s)", from, name, strings.Join(sortedNames(ps), ", "))
	}
	return p, nil
}

// providerOrRunning is the provider named by --provider or
// $CKALAB_PROVIDER; without either, that of the lab that runs (kind first),
// so that `lab status` and `lab down` find whichever lab the user started.
// With neither a name nor a running lab it returns nil.
func (a *app) providerOrRunning(cmd *cobra.Command, flag string) (lab.Provider, lab.Status, error) {
	if cmd.Flags().Changed("provider") || a.env.Getenv("CKALAB_PROVIDER") != "" {
		p, err := a.provider(cmd, flag)
		if err != nil {
			return nil, lab.Status{}, err
		}
		st, err := p.Status(cmd.Context())
		return p, st, err
	}
	ps, err := a.providers()
	if err != nil {
		return nil, lab.Status{}, err
	}
	for _, name := range []string{"kind", "sim"} {
		// A provider that cannot tell (no Docker for kind) has no lab.
		if st, err := ps[name].Status(cmd.Context()); err == nil && st.Exists {
			return ps[name], st, nil
		}
	}
	return nil, lab.Status{}, nil
}

// noLab is what lab commands say when no lab runs and none was named.
const noLab = "No lab is running. Start one with: ckalab lab up (kind), or ckalab lab up --provider sim"

func providerFlag(cmd *cobra.Command, target *string) {
	cmd.Flags().StringVar(target, "provider", defaultProvider, "lab provider: kind or sim (also $CKALAB_PROVIDER)")
	_ = cmd.RegisterFlagCompletionFunc("provider", cobra.FixedCompletions([]string{"kind", "sim"}, cobra.ShellCompDirectiveNoFileComp))
}

func (a *app) labUpCommand() *cobra.Command {
	var providerName, image string
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start a lab and point kubectl at it",
		Long: `Start a lab (kind unless --provider or $CKALAB_PROVIDER says otherwise). Its context
(kind-ckalab, ckalab-sim) is added to your kubeconfig
($KUBECONFIG or ~/.kube/config, or --kubeconfig) and made current, as kind does.
On a running lab (of any provider, when none is named) it says so and changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Without a provider named, a running lab of either kind is
			// "the lab": up then says it runs rather than making another.
			p, _, err := a.providerOrRunning(cmd, providerName)
			if err != nil {
				return err
			}
			if p == nil {
				if p, err = a.provider(cmd, providerName); err != nil {
					return err
				}
			}
			if k, ok := p.(*kind.Provider); ok && image != "" {
				k.Image = image
			} else if image != "" {
				return usageError("--image is for the kind provider")
			}
			return a.labUp(cmd.Context(), p)
		},
	}
	providerFlag(cmd, &providerName)
	cmd.Flags().StringVar(&image, "image", "", "kind node image (default "+kind.DefaultImage+"; also $CKALAB_KIND_IMAGE)")
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
	if res.AlreadyRunning {
		fmt.Fprintf(io.ErrOut, "The %s lab is already running (context %s); nothing changed.\n", p.Name(), res.ContextName)
		return nil
	}
	prev, err := lab.UserKubeconfig{Path: a.kubeconfig, Getenv: a.env.Getenv}.Merge(res.ContextName, res.Kubeconfig)
	if err != nil {
		return fmt.Errorf("the lab runs, but adding it to your kubeconfig failed: %w\nUse it directly: export KUBECONFIG=%s", err, res.KubeconfigPath)
	}
	fmt.Fprintf(io.ErrOut, "\n%s The %s lab is ready. kubectl now uses context %s.\n", c.SuccessIcon(), p.Name(), c.Bold(res.ContextName))
	if prev != "" && prev != res.ContextName {
		fmt.Fprintf(io.ErrOut, "  Switch back with: kubectl config use-context %s\n", prev)
	}
	fmt.Fprintf(io.ErrOut, "  Its own kubeconfig: %s\n  Next: ckalab list, then ckalab start <scenario>\n", res.KubeconfigPath)
	return nil
}

func (a *app) labDownCommand() *cobra.Command {
	var providerName string
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop the lab and remove all its processes and files",
		Args:  cobra.NoArgs,
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
			if err := p.Down(cmd.Context(), &progress{io: a.env.IO, now: a.env.Now}); err != nil {
				return err
			}
			if st.ContextName != "" {
				if err := (lab.UserKubeconfig{Path: a.kubeconfig, Getenv: a.env.Getenv}).Remove(st.ContextName); err != nil {
					return err
				}
				if err := a.forgetContext(st.ContextName); err != nil {
					return err
				}
			}
			fmt.Fprintf(a.env.IO.ErrOut, "%s The %s lab is gone.\n", a.env.IO.Colors().SuccessIcon(), p.Name())
			return nil
		},
	}
	providerFlag(cmd, &providerName)
	return cmd
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
				return err
			}
			if p == nil {
				st = lab.Status{Provider: "none"}
			}
			if output == "json" {
				if err := writeJSON(a.env.IO.Out, st); err != nil {
					return err
				}
			} else if err := a.printStatus(st); err != nil {
				return err
			}
			if !st.Exists || !st.Healthy {
				return silentExit(ExitNoLab)
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
		fmt.Fprintln(io.ErrOut, noLab)
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
	if err := table(io.Out, []string{"component", "state", "pid", "version", "detail"}, rows); err != nil {
		return err
	}
	for _, cs := range st.Components {
		if cs.LogTail != "" {
			fmt.Fprintf(io.Out, "\n%s died; the end of its log:\n%s\n", c.Bold(cs.Name), indent(cs.LogTail, "  "))
		}
	}
	if st.Healthy {
		fmt.Fprintf(io.ErrOut, "\n%s healthy; context %s, kubeconfig %s\n", c.SuccessIcon(), st.ContextName, st.KubeconfigPath)
	} else {
		fmt.Fprintf(io.ErrOut, "\n%s not healthy: recreate it with `ckalab lab down && ckalab lab up --provider %s`\n", c.FailureIcon(), st.Provider)
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
				return &exitError{code: ExitNoLab, msg: "no lab is running"}
			}
			if !st.Exists {
				return &exitError{code: ExitNoLab, msg: "no " + p.Name() + " lab is running"}
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

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
