package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ckalab/ckalab/exam"
	"github.com/spf13/cobra"
)

type examWatchOptions struct {
	app     *app
	session sessionFunc
	clock   exam.Clock
	// Retry is how long the watcher keeps trying to reach a lab that is
	// down at the deadline (a laptop waking, Docker starting) before it
	// gives up and leaves grading to the next exam command.
	Retry    time.Duration
	MaxSleep time.Duration
}

// examWatchCommand is the deadline watcher that `exam start` detaches: it
// sleeps until the deadline, grades the exam as it stands, and exits.
// Hidden: nobody runs it by hand.
func (a *app) examWatchCommand() *cobra.Command {
	opts := &examWatchOptions{app: a, session: a.session, clock: envClock{now: a.env.Now}, Retry: 10 * time.Minute}
	cmd := &cobra.Command{
		Use:    "watch",
		Short:  "Grade the exam at its deadline (started by exam start)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE:   func(cmd *cobra.Command, _ []string) error { return runExamWatch(cmd.Context(), opts) },
	}
	cmd.Flags().DurationVar(&opts.MaxSleep, "max-sleep", exam.DefaultMaxSleep, "longest sleep between two looks at the clock")
	return cmd
}

// envClock is the app's clock for the watcher: its time is Env.Now (a
// test's clock can jump past a deadline), its sleeps are real.
type envClock struct{ now func() time.Time }

func (c envClock) Now() time.Time                         { return c.now() }
func (c envClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func runExamWatch(ctx context.Context, opts *examWatchOptions) error {
	a := opts.app
	st, store, err := a.currentExam()
	if err != nil {
		return err
	}
	id := st.ID
	w := exam.Watcher{Deadline: st.Deadline, MaxSleep: opts.MaxSleep, Done: func() (bool, error) {
		cur, err := store.Load()
		if errors.Is(err, exam.ErrNoExam) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		return cur.ID != id || cur.Graded != nil, nil
	}}
	timing, err := w.Run(ctx, opts.clock, func(ctx context.Context) error {
		for {
			_, err := a.gradeExam(ctx, opts.session, store, id)
			if err == nil || errors.Is(err, errExamChanged) || opts.clock.Now().Sub(st.Deadline) > opts.Retry {
				return err
			}
			fmt.Fprintf(a.env.IO.ErrOut, "%s: grading failed, retrying in 30s: %v\n", opts.clock.Now().Format(time.RFC3339), err)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-opts.clock.After(30 * time.Second):
			}
		}
	})
	if err != nil {
		return fmt.Errorf("exam %s: %w", id, err)
	}
	if !timing.At.IsZero() {
		fmt.Fprintf(a.env.IO.ErrOut, "%s: exam %s graded (due %s, %s late)\n", timing.At.Format(time.RFC3339), id,
			timing.Due.Format(time.RFC3339), timing.Late())
	}
	return nil
}
