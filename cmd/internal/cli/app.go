// Package cli is ckalab's command line: cobra commands, flags, output and
// exit codes. The work is done by the library packages; this package only
// wires them to a terminal.
package cli

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ckalab/ckalab/grader/checks"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/kind"
	"github.com/ckalab/ckalab/lab/sim"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/spf13/cobra"
)

// Exit codes, documented in README.md and `ckalab --help`.
const (
	ExitOK           = 0 // success; grade: full marks
	ExitError        = 1 // something went wrong (message on stderr)
	ExitUsage        = 2 // bad command line
	ExitChecksFailed = 3 // grade: not full marks; scenario test: a stage failed
	ExitNoLab        = 4 // no lab running, or it is unhealthy
)

// Version is set at build time (-ldflags "-X .../cli.Version=v0.1.0").
var Version = "dev"

// exitError carries an exit code with an optional message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// silentExit ends with a code after the command printed what it had to say.
func silentExit(code int) error { return &exitError{code: code} }

// usageError is a bad command line.
func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, msg: fmt.Sprintf(format, args...)}
}

// Env is everything from the outside world a command may use.
type Env struct {
	IO     *IOStreams
	Getenv func(string) string
	Now    func() time.Time
	Rand   *rand.Rand
}

// app holds the global flags and lazily built dependencies.
type app struct {
	env          Env
	kubeconfig   string
	context      string
	scenarioDirs []string
	verbose      bool
}

// Main runs ckalab and returns its exit code.
func Main(ctx context.Context, args []string, env Env) int {
	a := &app{env: env}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(env.IO.In)
	root.SetOut(env.IO.Out)
	root.SetErr(env.IO.ErrOut)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	// A command stopped by a signal fails with whatever its step saw
	// ("context canceled"); say what was stopped instead.
	var intr Interrupt
	if errors.As(context.Cause(ctx), &intr) {
		fmt.Fprintf(env.IO.ErrOut, "\n%s\n", stoppedMessage(intr, env.IO.activity.get()))
		return ExitInterrupted
	}
	// Deferred so that it comes after the ERROR line, whichever branch
	// below prints it.
	defer a.printTimeoutAdvice(cmd, err)
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(env.IO.ErrOut, "%s %s\n", env.IO.Colors().Red("ERROR:"), ee.msg)
		}
		if ee.code == ExitUsage {
			fmt.Fprintln(env.IO.ErrOut, "Run 'ckalab --help' for usage.")
		}
		return ee.code
	}
	if isUsage(err) {
		fmt.Fprintf(env.IO.ErrOut, "%s %v\nRun 'ckalab --help' for usage.\n", env.IO.Colors().Red("ERROR:"), err)
		return ExitUsage
	}
	fmt.Fprintf(env.IO.ErrOut, "%s %v\n", env.IO.Colors().Red("ERROR:"), err)
	if errors.Is(err, lab.ErrNotALab) {
		return ExitNoLab
	}
	return ExitError
}

// isUsage recognises cobra's own argument and flag errors.
func isUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

const rootLong = `ckalab turns your machine into a CKA practice lab and exam simulator.

  ckalab lab up                    start a kind lab (kubectl is pointed at it);
                                   --provider sim for one without Docker
  ckalab list                      the scenarios
  ckalab start taint-toleration    set up a task and print it; solve it with kubectl
  ckalab grade --explain           check your work, with reasons

Cluster selection follows kubectl: --kubeconfig, KUBECONFIG, --context.

Exit codes:
  0  success (grade: full marks)
  1  error
  2  bad command line
  3  grade: not full marks; scenario test: a failure; doctor: a check failed
  4  no lab running, or the selected context is not a ckalab lab
  130  stopped by Ctrl-C or SIGTERM (a second Ctrl-C exits at once)`

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "ckalab",
		Short:         "A CKA practice lab and exam simulator",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%v", err) })
	pf := root.PersistentFlags()
	pf.StringVar(&a.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	pf.StringVar(&a.context, "context", "", "kubeconfig context of the lab (default: the current context)")
	pf.StringArrayVar(&a.scenarioDirs, "scenarios", nil, "extra folder of scenario folders (repeatable; also $CKALAB_SCENARIOS, colon-separated)")
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "on errors, show details for scenario authors too (the condition a timed-out step waited for)")
	_ = root.RegisterFlagCompletionFunc("context", a.completeContexts)
	root.AddGroup(&cobra.Group{ID: "practice", Title: "Practice:"}, &cobra.Group{ID: "lab", Title: "Lab:"}, &cobra.Group{ID: "author", Title: "Authoring:"})
	for _, c := range []*cobra.Command{a.listCommand(), a.showCommand(), a.startCommand(), a.gradeCommand(), a.resetCommand(), a.hintCommand(), a.solutionCommand(), a.learnCommand()} {
		c.GroupID = "practice"
		root.AddCommand(c)
	}
	labCmd := a.labCommand()
	labCmd.GroupID = "lab"
	root.AddCommand(labCmd)
	root.AddCommand(a.doctorCommand()) // GroupID "lab"
	root.AddCommand(a.sshCommand())    // GroupID "lab"
	root.AddCommand(a.imagesCommand()) // GroupID "lab"
	sc := a.scenarioCommand()
	sc.GroupID = "author"
	root.AddCommand(sc)
	root.AddCommand(a.versionCommand())
	return root
}

// dirs resolves the XDG directories.
func (a *app) dirs() (lab.Dirs, error) { return lab.DirsFromEnv(a.env.Getenv) }

// target is the kubectl-style cluster selection.
func (a *app) target() lab.Target {
	return lab.Target{Kubeconfig: a.kubeconfig, Context: a.context, Getenv: a.env.Getenv}
}

// connect reaches the selected lab.
func (a *app) connect(ctx context.Context) (*lab.Cluster, error) {
	c, err := lab.Connect(ctx, a.target())
	if err != nil {
		if errors.Is(err, lab.ErrNotALab) {
			return nil, err
		}
		return nil, &exitError{code: ExitNoLab, msg: err.Error() + "\nIs a lab running? `ckalab lab status` tells; `ckalab lab up` starts one (`--provider sim` without Docker)."}
	}
	return c, nil
}

// catalog is the built-in scenarios plus the user's folders.
func (a *app) catalog() (*scenarios.Catalog, error) {
	sources := []scenarios.Source{{Name: "builtin", FS: scenarios.Builtin()}}
	dirs := append([]string(nil), a.scenarioDirs...)
	if env := a.env.Getenv("CKALAB_SCENARIOS"); env != "" {
		dirs = append(dirs, filepath.SplitList(env)...)
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); err != nil {
			return nil, fmt.Errorf("scenario folder: %w", err)
		}
		sources = append(sources, scenarios.DirSource(d))
	}
	return scenarios.NewCatalog(a.loader(), sources...)
}

func (a *app) loader() scenarios.Loader { return scenarios.Loader{Kinds: checks.All()} }

// providers are the lab kinds this build knows, by name.
func (a *app) providers() (map[string]lab.Provider, error) {
	d, err := a.dirs()
	if err != nil {
		return nil, err
	}
	p := sim.New(d, a.env.Now)
	if bin := a.env.Getenv("CKALAB_SIM_BIN"); bin != "" {
		p.BinDir = bin
	}
	k, err := a.kindProvider()
	if err != nil {
		return nil, err
	}
	return map[string]lab.Provider{"sim": p, "kind": k}, nil
}

// kindProvider is the kind lab, with its node image from $CKALAB_KIND_IMAGE
// and every image the catalog uses preloaded from the image cache.
func (a *app) kindProvider() (*kind.Provider, error) {
	d, err := a.dirs()
	if err != nil {
		return nil, err
	}
	k := kind.New(d)
	if img := a.env.Getenv("CKALAB_KIND_IMAGE"); img != "" {
		k.Image = img
	}
	if name := a.env.Getenv("CKALAB_KIND_CLUSTER"); name != "" {
		// Another kind cluster name gives other node names too; tests use
		// one of their own so that they never see or touch the user's lab.
		k.KindCluster = name
	}
	if cat, err := a.catalog(); err == nil {
		k.Preload = catalogImages(cat)
	}
	return k, nil
}

func (a *app) completeContexts(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	cfg, _, err := lab.Target{Kubeconfig: a.kubeconfig, Getenv: a.env.Getenv}.RawConfig()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for n := range cfg.Contexts {
		names = append(names, n)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}
