package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ckalab/ckalab/exam"
	"github.com/spf13/cobra"
)

type examPromptOptions struct {
	app *app
}

func (a *app) examPromptCommand() *cobra.Command {
	opts := &examPromptOptions{app: a}
	return &cobra.Command{
		Use:   "prompt",
		Short: "Print the exam's time left for a shell prompt (nothing when no exam runs)",
		Long: `Print a short line for a shell prompt: 'exam 1:23:45' while the exam runs (with
', 2 flagged' when tasks are flagged), 'exam over' once the deadline has passed or the exam
was handed in, 'exam ?' when the exam's state file is unusable ('ckalab exam status' says
why), and nothing at all when no exam runs on the lab.

It reads the exam's state file only (never the cluster), never prints an error and always
exits 0, so that a prompt stays quiet and fast. 'ckalab exam shell' puts it in its prompt;
for a shell of your own, put it in PS1.`,
		Example: `  PS1='$(ckalab exam prompt) \$ '`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runExamPrompt(cmd.Context(), opts) },
	}
}

// runExamPrompt never fails: a prompt that printed errors (or made the
// shell exit non-zero) at every command line would be worse than none.
func runExamPrompt(_ context.Context, opts *examPromptOptions) error {
	if text := examPromptText(opts.app); text != "" {
		fmt.Fprintln(opts.app.env.IO.Out, text)
	}
	return nil
}

// examPromptText is the prompt's line for the selected lab's exam, "" when
// there is none to speak of.
func examPromptText(a *app) string {
	// With --context (as `exam shell` passes it) the kubeconfig is not
	// read at all: finding the state file needs only the context's name,
	// and a kubeconfig that a task broke must not blank the clock.
	name := a.context
	if name == "" {
		var err error
		if name, err = a.examContext(); err != nil {
			return "" // no kubeconfig or no current context: no lab, so no exam
		}
	}
	store, err := a.examStore(name)
	if err != nil {
		return "" // no HOME to find ckalab's state folder in
	}
	st, err := store.Load()
	switch {
	case errors.Is(err, exam.ErrNoExam):
		return ""
	case err != nil:
		return "exam ?" // corrupt, of another version or unreadable
	}
	return promptLine(st, a.env.Now())
}

// promptLine is plain ASCII without colour: the prompt must read right with
// NO_COLOR, in a terminal that cannot show symbols, and inside PS1, where
// colour codes from a command would need bash's \[ \] to keep the line's
// length right.
func promptLine(st *exam.State, now time.Time) string {
	if examOver(st, now) {
		return "exam over"
	}
	line := "exam " + clockText(st.TimeLeft(now))
	flagged := 0
	for _, t := range st.Tasks {
		if t.Flagged {
			flagged++
		}
	}
	if flagged > 0 {
		line += fmt.Sprintf(", %d flagged", flagged)
	}
	return line
}

// examOver reports whether the learner can no longer work on the exam: it
// was handed in or graded, or its time is up (the watcher may not have
// graded it yet).
func examOver(st *exam.State, now time.Time) bool {
	return st.Graded != nil || st.Submitted != nil || st.Expired(now)
}
