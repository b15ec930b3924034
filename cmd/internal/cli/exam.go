package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/ckalab/ckalab/exam"
	"github.com/spf13/cobra"
)

func (a *app) examCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "exam",
		Short: "A timed mock exam: start, status, task, flag, submit, review, history",
		Long: `A timed mock exam on the lab, drawn by the CKA's domain weights.

'ckalab exam start' sets every task up at once and starts the clock; 'exam task N' prints a
task with where to solve it; 'exam submit' grades the exam and prints the report by domain.
The exam's state is on disk: it survives a closed terminal, a crash and a reboot, and a
detached watcher grades the exam at its deadline even if no ckalab command runs then.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	for _, c := range []*cobra.Command{
		a.examStartCommand(), a.examStatusCommand(), a.examTaskCommand(), a.examFlagCommand(),
		a.examSubmitCommand(), a.examReviewCommand(), a.examWatchCommand(), a.examHistoryCommand(),
		a.examPromptCommand(), a.examShellCommand(),
	} {
		cmd.AddCommand(c)
	}
	return cmd
}

// examContext is the kubectl context the exam commands act on, read from
// the kubeconfig without reaching the lab: `exam prompt` runs at every
// shell prompt and `exam status` must work while the lab is down.
func (a *app) examContext() (string, error) {
	_, name, err := a.target().RawConfig()
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", &noLabErr{msg: "the kubeconfig has no current context: pass --context, or start a lab with `ckalab lab up`"}
	}
	return name, nil
}

// examStore is the state file of the exam on a context's lab: one exam
// per lab at a time.
func (a *app) examStore(contextName string) (exam.Store, error) {
	d, err := a.dirs()
	if err != nil {
		return exam.Store{}, err
	}
	return exam.Store{Path: examStatePath(d.State, contextName)}, nil
}

// examStatePath is the state file of the exam on a context's lab.
func examStatePath(state, contextName string) string {
	return filepath.Join(examDir(state), fileSafe(contextName)+".json")
}

// examDir holds the exams' state files and course folders.
func examDir(state string) string { return filepath.Join(state, "exams") }

// fileSafe turns a context name (which may hold '/' or ':', as EKS's do)
// into one path element.
func fileSafe(name string) string {
	return strings.NewReplacer("/", "_", string(filepath.Separator), "_", ":", "_").Replace(name)
}

// errNoExam is returned by exam commands when no exam runs on the lab.
var errNoExam = errors.New("no exam on this lab: `ckalab exam start` starts one")

// currentExam loads the exam of the selected context.
func (a *app) currentExam() (*exam.State, exam.Store, error) {
	name, err := a.examContext()
	if err != nil {
		return nil, exam.Store{}, err
	}
	store, err := a.examStore(name)
	if err != nil {
		return nil, store, err
	}
	st, err := store.Load()
	if errors.Is(err, exam.ErrNoExam) {
		return nil, store, fmt.Errorf("%w (context %s)", errNoExam, name)
	}
	return st, store, err
}

// clockText renders a time left as the exam's clock shows it: 1:59:07.
func clockText(d time.Duration) string {
	d = d.Round(time.Second)
	h := int(d / time.Hour)
	m := int(d % time.Hour / time.Minute)
	s := int(d % time.Minute / time.Second)
	return fmt.Sprintf("%d:%02d:%02d", h, m, s)
}
