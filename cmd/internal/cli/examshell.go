package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ckalab/ckalab/exam"
	"github.com/ckalab/ckalab/internal/safefs"
	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

type examShellOptions struct {
	app *app

	// executable is the path of the running ckalab, which the shell's
	// prompt calls for the clock (os.Executable; a test names a binary of
	// its own).
	executable func() (string, error)
	// environ is the environment the shell inherits, KUBECONFIG aside
	// (os.Environ; a test passes its own).
	environ func() []string
}

func (a *app) examShellCommand() *cobra.Command {
	opts := &examShellOptions{app: a, executable: os.Executable, environ: os.Environ}
	return &cobra.Command{
		Use:   "shell",
		Short: "Open the exam's terminal: bash on the exam's lab, with k, completion and the clock",
		Long: `Open the exam's terminal: an interactive bash in which kubectl works on the exam's lab,
'k' is kubectl (with kubectl's completion for both), and the prompt shows the time left.

KUBECONFIG points to a kubeconfig of the exam's context alone, written beside the exam's
state; your own kubeconfig is not changed. Your ~/.bashrc is read first, then the exam's
settings. 'exit' leaves the shell and exits with its status; the exam goes on until it is
submitted or its time is up. The shell needs bash on PATH, and completion the
bash-completion package.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runExamShell(cmd.Context(), opts) },
	}
}

// shellStopDelay is how long the shell has to exit on the SIGHUP it gets
// when ckalab is stopped, before it is killed: less than StopGrace, so
// that ckalab never exits with its shell still on the terminal.
const shellStopDelay = 500 * time.Millisecond

func runExamShell(ctx context.Context, opts *examShellOptions) error {
	a := opts.app
	st, store, err := a.currentExam()
	if err != nil {
		return err
	}
	now := a.env.Now()
	if examOver(st, now) {
		return fmt.Errorf("exam %s is over: `ckalab exam review` shows its report", st.ID)
	}
	kubeconfig, rcfile := examShellFiles(store)
	if err := a.writeExamKubeconfig(st.Context, kubeconfig); err != nil {
		return err
	}
	self, err := opts.executable()
	if err != nil {
		return fmt.Errorf("find the ckalab binary for the shell's prompt: %w", err)
	}
	if err := safefs.WriteAtomic(rcfile, []byte(examShellRC(st, self, kubeconfig))); err != nil {
		return fmt.Errorf("write the exam shell's rcfile: %w", err)
	}
	bash, err := lookPath(a.env.Getenv("PATH"), "bash")
	if err != nil {
		// The files are written: say how to get most of the exam's
		// terminal in the shell the learner has.
		return fmt.Errorf("`exam shell` runs bash, and there is no bash on PATH: in your own shell, "+
			"`export KUBECONFIG=%s` works on the exam's lab and PS1='$(ckalab exam prompt) \\$ ' shows the clock", kubeconfig)
	}
	fmt.Fprintf(a.env.IO.ErrOut, "Exam %s: %s left; kubectl and k work on context %s. `exit` leaves this shell (the clock goes on).\n",
		st.ID, clockText(st.TimeLeft(now)), st.Context)

	// An interactive bash on a terminal makes itself the terminal's
	// foreground process group, so Ctrl-C at its prompt reaches bash and
	// not ckalab, and hands the terminal back when it exits. ckalab being
	// stopped (SIGTERM) hangs the shell up, as a closed terminal would.
	cmd := exec.CommandContext(ctx, bash, "--rcfile", rcfile, "-i")
	cmd.Env = withEnv(opts.environ(), "KUBECONFIG", kubeconfig)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.env.IO.In, a.env.IO.Out, a.env.IO.ErrOut
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGHUP) }
	cmd.WaitDelay = shellStopDelay
	return shellExit(cmd.Run())
}

// examShellFiles are the exam shell's kubeconfig and rcfile, beside the
// exam's state file (in ckalab's private state folder) and named after it:
// one pair per lab, rewritten at each `exam shell`, so that shells open at
// the same time share them and none has to clean up after itself.
func examShellFiles(store exam.Store) (kubeconfig, rcfile string) {
	base := strings.TrimSuffix(store.Path, filepath.Ext(store.Path))
	return base + ".kubeconfig", base + ".bashrc"
}

// writeExamKubeconfig writes a kubeconfig that holds the exam's context
// alone, as current context, with its cluster and user: what `kubectl
// config view --minify --flatten` prints for it. Alone, so that kubectl in
// the exam's terminal cannot drift to another cluster; flattened (the
// certificate files inlined), so that it is one self-contained file like
// the exam's own. It holds the lab's credentials: the file is 0600 in a
// 0700 folder.
func (a *app) writeExamKubeconfig(contextName, path string) error {
	cfg, _, err := a.target().RawConfig()
	if err != nil {
		return err
	}
	if _, ok := cfg.Contexts[contextName]; !ok {
		return &noLabErr{msg: fmt.Sprintf("the kubeconfig has no context %q, the exam's lab: is the lab still up? (`ckalab lab status`)", contextName)}
	}
	cfg.CurrentContext = contextName
	if err := clientcmdapi.MinifyConfig(cfg); err != nil {
		return fmt.Errorf("the exam shell's kubeconfig: %w", err)
	}
	if err := clientcmdapi.FlattenConfig(cfg); err != nil {
		return fmt.Errorf("the exam shell's kubeconfig: %w", err)
	}
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return fmt.Errorf("the exam shell's kubeconfig: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("the exam shell's kubeconfig: %w", err)
	}
	if err := safefs.WriteAtomic(path, data); err != nil {
		return fmt.Errorf("write the exam shell's kubeconfig: %w", err)
	}
	return nil
}

// examShellRC is the shell's rcfile. The learner's ~/.bashrc comes first,
// so that what the exam needs wins over it: a KUBECONFIG or an alias k of
// their own, a prompt. kubectl's completion script calls the
// bash-completion package's functions (even its fallback does): the
// package is loaded when ~/.bashrc did not, and without it the shell
// says so once rather than print an error at every Tab. The script is
// read with eval: source <(...) reads nothing in macOS's bash 3.2. The
// prompt calls self with --context, so that the clock stays right
// whatever kubectl's current context becomes in the shell. A prompt framework that rebuilds PS1 before every prompt (through
// PROMPT_COMMAND, as starship does) would drop the clock: a hook after
// it puts the clock back.
func examShellRC(st *exam.State, self, kubeconfig string) string {
	return `# The rcfile of ` + "`ckalab exam shell`" + ` for exam ` + st.ID + `; ckalab rewrites it at each start.

if [ -f ~/.bashrc ]; then
  . ~/.bashrc
fi

export KUBECONFIG=` + shellQuote(kubeconfig) + `

alias k=kubectl
if ! declare -F _get_comp_words_by_ref >/dev/null; then
  for f in /usr/share/bash-completion/bash_completion /etc/bash_completion \
    /opt/homebrew/etc/profile.d/bash_completion.sh /usr/local/etc/profile.d/bash_completion.sh; do
    if [ -r "$f" ]; then
      . "$f"
      break
    fi
  done
fi
if command -v kubectl >/dev/null 2>&1; then
  if declare -F _get_comp_words_by_ref >/dev/null; then
    eval "$(kubectl completion bash)"
    complete -o default -F __start_kubectl k
  else
    echo "(No completion for kubectl and k: it needs the bash-completion package.)" >&2
  fi
fi

__ckalab_exam_ps1() {
  local line
  line=$(` + shellQuote(self) + ` --context ` + shellQuote(st.Context) + ` exam prompt 2>/dev/null)
  if [ -n "$line" ]; then
    printf '[%s] ' "$line"
  fi
}
__ckalab_exam_keep_ps1() {
  case "$PS1" in
    *'$(__ckalab_exam_ps1)'*) ;;
    *) PS1='$(__ckalab_exam_ps1)'"$PS1" ;;
  esac
}
__ckalab_exam_keep_ps1
PROMPT_COMMAND="${PROMPT_COMMAND:+$PROMPT_COMMAND
}__ckalab_exam_keep_ps1"
`
}

// shellQuote makes s one word for bash, taken literally.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// withEnv is env with name set to value, replacing any setting of its own.
func withEnv(env []string, name, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return append(out, name+"="+value)
}

// lookPath finds an executable in the folders of path, as exec.LookPath
// does with the process's PATH. Relative folders (an empty entry is the
// current one) are skipped: the exam shell is never a bash that happens
// to lie in the current folder.
func lookPath(path, name string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w", name, exec.ErrNotFound)
}

// shellExit passes the shell's exit status on as ckalab's, as a shell
// does: the code it exited with, or 128 plus the signal that killed it.
func shellExit(err error) error {
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		if err != nil {
			return fmt.Errorf("run the exam shell: %w", err)
		}
		return nil
	}
	code := exitErr.ExitCode()
	if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	return &remoteExitErr{code: code}
}
