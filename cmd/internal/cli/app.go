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
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/ckalab/ckalab/grader/checks"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/providers"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/spf13/cobra"
)

// Env is everything from the outside world a command may use.
type Env struct {
	IO     *IOStreams
	Getenv func(string) string
	Now    func() time.Time
	Rand   *rand.Rand
	// Detach starts ckalab with args as a process that outlives this one
	// (the exam's deadline watcher), its output to logPath, and returns
	// its pid; nil: no watcher is started (tests drive the watcher
	// themselves).
	Detach func(args []string, logPath string) (int, error)
	// Alive reports whether pid runs with every one of args on its
	// command line; nil: never.
	Alive func(pid int, args []string) bool
}

// app holds the global flags and lazily built dependencies.
//
// Every command is an options struct and a run function, in the file named
// after it (labup.go for `lab up`): its constructor (xCommand) only binds
// flags and arguments to the options' exported fields and calls runX, so
// that a test can call runX with options of its own. The unexported fields
// are what the command uses of the world: app, and, where a test may fake
// it, the lab (a sessionFunc, or labInfo). An optional argument or flag
// whose absence means something (the current attempt, $CKALAB_PROVIDER) is
// a *string, nil when not given.
type app struct {
	env          Env
	kubeconfig   string
	context      string
	scenarioDirs []string
	verbose      bool

	// cat is the catalog, built once per process (catalog()).
	cat    *scenarios.Catalog
	catErr error
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
	// Deferred so that it comes after the ERROR line.
	defer a.printTimeoutAdvice(cmd, err)
	if msg := err.Error(); msg != "" {
		fmt.Fprintf(env.IO.ErrOut, "%s %s\n", env.IO.Colors().Red("ERROR:"), msg)
	}
	code := exitCode(err)
	if code == ExitUsage {
		fmt.Fprintln(env.IO.ErrOut, "Run 'ckalab --help' for usage.")
	}
	return code
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
		// Runnable, so that cobra checks its arguments (an unknown
		// command) instead of printing the help.
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%v", err) })
	pf := root.PersistentFlags()
	pf.StringVar(&a.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	pf.StringVar(&a.context, "context", "", "kubeconfig context of the lab (default: the current context)")
	pf.StringArrayVar(&a.scenarioDirs, "scenarios", nil, "extra folder of scenario folders (repeatable; also $CKALAB_SCENARIOS, colon-separated)")
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "on errors, show details for scenario authors too (the condition a timed-out step waited for)")
	_ = root.RegisterFlagCompletionFunc("context", a.completeContexts)
	root.AddGroup(&cobra.Group{ID: "practice", Title: "Practice:"}, &cobra.Group{ID: "lab", Title: "Lab:"}, &cobra.Group{ID: "author", Title: "Authoring:"})
	for _, c := range []*cobra.Command{a.listCommand(), a.showCommand(), a.startCommand(), a.gradeCommand(), a.resetCommand(), a.hintCommand(), a.solutionCommand(), a.learnCommand(), a.nextCommand()} {
		c.GroupID = "practice"
		root.AddCommand(c)
	}
	examCmd := a.examCommand()
	examCmd.GroupID = "practice"
	root.AddCommand(examCmd)
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
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	usageArgs(root)
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
	ps, err := a.providers()
	if err != nil {
		return nil, err
	}
	c, err := lab.Connect(ctx, a.target(), ps)
	if err != nil {
		if errors.Is(err, lab.ErrNotALab) {
			return nil, err
		}
		// An answer that is not the marker: the API server is there but not
		// serving (etcd down or restarting, as after a restore task's edit
		// of etcd.yaml), not a missing lab.
		var st apierrors.APIStatus
		if errors.As(err, &st) {
			return nil, &noLabErr{msg: err.Error() + "\nThe lab's API server answers but cannot serve yet: after a change to etcd or a control-plane manifest it needs a minute or two. Try again then; `ckalab lab status` tells."}
		}
		return nil, &noLabErr{msg: err.Error() + "\nIs a lab running? `ckalab lab status` tells; `ckalab lab up` starts one (`--provider sim` without Docker). A control plane that restarts answers again within a minute or two."}
	}
	return c, nil
}

// labInfo is the marker of the selected lab, or nil when none is
// reachable: list and show work without a lab and only use one to say more.
func (a *app) labInfo(ctx context.Context) *lab.Info {
	c, err := lab.Connect(ctx, a.target(), lab.Providers{})
	if err != nil {
		return nil
	}
	return &c.Info
}

// catalog is the built-in scenarios plus the user's folders, read once
// per process.
func (a *app) catalog() (*scenarios.Catalog, error) {
	if a.cat == nil && a.catErr == nil {
		a.cat, a.catErr = a.readCatalog()
	}
	return a.cat, a.catErr
}

// allScenarios loads every scenario of the catalog, rendered without a lab.
func (a *app) allScenarios() ([]*scenarios.Scenario, error) {
	cat, err := a.catalog()
	if err != nil {
		return nil, err
	}
	return cat.LoadAll(scenarios.DefaultTemplateData())
}

func (a *app) readCatalog() (*scenarios.Catalog, error) {
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

func (a *app) loader() scenarios.Loader { return scenarios.Loader{CheckTypes: checks.All()} }

// providers are the lab providers this build knows (lab/providers), with
// ckalab's folders, clock and environment. A new lab preloads every image
// the catalog uses; the catalog is read only when a lab is made.
func (a *app) providers() (lab.Providers, error) {
	d, err := a.dirs()
	if err != nil {
		return lab.Providers{}, err
	}
	preload := func() []string {
		cat, err := a.catalog()
		if err != nil {
			return nil // `ckalab start` reports the catalog's problem
		}
		return catalogImages(cat)
	}
	return lab.Providers{Registry: providers.All(),
		Settings: lab.Settings{Dirs: d, Now: a.env.Now, Getenv: a.env.Getenv, Preload: preload}}, nil
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
