package exam

import (
	"context"
	"fmt"
	"time"
)

// Clock is the time as the deadline watcher sees it; tests pass a fake
// one, so that no test sleeps.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the machine's clock.
type SystemClock struct{}

// Now is time.Now.
func (SystemClock) Now() time.Time { return time.Now() }

// After is time.After.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// LateAfter is how long after its due time an exam may be graded and still
// count as graded on time: a watcher wakes a little after the deadline,
// and grading itself takes a while.
const LateAfter = time.Minute

// GradeAt says whether the exam is due for grading at now, and when it is
// (or was) due: when it was submitted, or at the deadline, whichever came
// first. An exam already graded is not due; at is then when it was
// graded. Work done after the due time may show in a late grade (the
// grader reads the live cluster), which is why a late grade is reported
// as late (see Late).
func GradeAt(st *State, now time.Time) (due bool, at time.Time) {
	if st.Graded != nil {
		return false, *st.Graded
	}
	at = st.Deadline
	if st.Submitted != nil && st.Submitted.Before(at) {
		at = *st.Submitted
	}
	return !now.Round(0).Before(at), at
}

// Late is how long after its due time the exam was graded, or 0 when it
// was graded on time (within LateAfter) or not yet.
func (s *State) Late() time.Duration {
	if s.Graded == nil {
		return 0
	}
	due := s.Deadline
	if s.Submitted != nil && s.Submitted.Before(due) {
		due = *s.Submitted
	}
	return lateness(due, *s.Graded)
}

func lateness(due, at time.Time) time.Duration {
	if late := at.Sub(due); late > LateAfter {
		return late
	}
	return 0
}

// DefaultMaxSleep is how long a watcher sleeps at most before it looks at
// the clock again.
const DefaultMaxSleep = 30 * time.Second

// Watcher grades an exam at its deadline.
//
// It does not trust one long timer: Go's timers follow the monotonic
// clock, which stops while the machine is suspended, so a two-hour timer
// on a laptop that slept for an hour would fire an hour late. The watcher
// sleeps at most MaxSleep at a time and compares the wall clock with the
// deadline at each wake; when the machine slept through the deadline it
// grades on waking, however late, and says how late.
type Watcher struct {
	Deadline time.Time
	// MaxSleep bounds each sleep (0: DefaultMaxSleep).
	MaxSleep time.Duration
	// Done, if set, is asked at each wake whether the exam no longer
	// needs the watcher (submitted and graded by the CLI, or abandoned):
	// the watcher then returns without grading rather than sleep on.
	Done func() (bool, error)
}

// Timing is when an exam was due and when it was actually graded.
type Timing struct {
	Due, At time.Time
}

// Late is how long after Due the exam was graded, or 0 when on time
// (within LateAfter).
func (t Timing) Late() time.Duration { return lateness(t.Due, t.At) }

// Run sleeps until the deadline, then calls grade once and returns when
// it did so. The caller's grade records the actual time (State.Graded,
// under the store's lock, after checking GradeAt: a submit may have
// graded the exam already). Run returns ctx's error when ctx ends first,
// grade's error as it is, and a zero Timing when Done said the exam
// needs no grading.
func (w Watcher) Run(ctx context.Context, clock Clock, grade func(ctx context.Context) error) (Timing, error) {
	if w.Deadline.IsZero() {
		return Timing{}, fmt.Errorf("watch the exam: no deadline")
	}
	deadline := w.Deadline.Round(0)
	maxSleep := w.MaxSleep
	if maxSleep <= 0 {
		maxSleep = DefaultMaxSleep
	}
	for {
		if w.Done != nil {
			done, err := w.Done()
			if err != nil {
				return Timing{}, fmt.Errorf("watch the exam: %w", err)
			}
			if done {
				return Timing{}, nil
			}
		}
		now := clock.Now().Round(0) // wall clock: see the type's comment
		if !now.Before(deadline) {
			t := Timing{Due: deadline, At: now}
			return t, grade(ctx)
		}
		select {
		case <-ctx.Done():
			return Timing{}, ctx.Err()
		case <-clock.After(min(deadline.Sub(now), maxSleep)):
		}
	}
}
