package exam_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ckalab/ckalab/exam"
)

// fakeClock moves on by itself: each After advances it by the duration
// asked for (plus, for the nth sleep, any suspend[n]: the machine asleep)
// and fires at once, so that no test sleeps.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	naps    []time.Duration
	suspend map[int]time.Duration
	never   bool // After never fires (to test cancellation)
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.naps = append(c.naps, d)
	ch := make(chan time.Time, 1)
	if c.never {
		return ch
	}
	c.now = c.now.Add(d + c.suspend[len(c.naps)])
	ch <- c.now
	return ch
}

type gradeCounter struct {
	calls int
	at    []time.Time
	clock *fakeClock
	err   error
}

func (g *gradeCounter) grade(context.Context) error {
	g.calls++
	g.at = append(g.at, g.clock.Now())
	return g.err
}

// TestWatcherOnTime: the watcher sleeps in naps of at most MaxSleep until
// the deadline, then grades once, on time.
func TestWatcherOnTime(t *testing.T) {
	clock := &fakeClock{now: t0}
	g := &gradeCounter{clock: clock}
	deadline := t0.Add(2 * time.Hour)
	timing, err := exam.Watcher{Deadline: deadline, MaxSleep: time.Minute}.Run(context.Background(), clock, g.grade)
	if err != nil {
		t.Fatal(err)
	}
	if g.calls != 1 || !g.at[0].Equal(deadline) {
		t.Errorf("graded %d times at %v, want once at the deadline", g.calls, g.at)
	}
	if !timing.Due.Equal(deadline) || !timing.At.Equal(deadline) || timing.Late() != 0 {
		t.Errorf("timing %+v, late %s; want on time", timing, timing.Late())
	}
	if len(clock.naps) != 120 {
		t.Errorf("%d naps, want 120 of a minute", len(clock.naps))
	}
	for _, d := range clock.naps {
		if d > time.Minute || d <= 0 {
			t.Errorf("a nap of %s, want at most a minute", d)
		}
	}
}

// TestWatcherMachineSlept: the machine sleeps through the deadline during
// a nap; on waking the watcher grades at once, and says how late.
func TestWatcherMachineSlept(t *testing.T) {
	clock := &fakeClock{now: t0, suspend: map[int]time.Duration{3: 3 * time.Hour}}
	g := &gradeCounter{clock: clock}
	deadline := t0.Add(2 * time.Hour)
	timing, err := exam.Watcher{Deadline: deadline}.Run(context.Background(), clock, g.grade)
	if err != nil {
		t.Fatal(err)
	}
	wantAt := t0.Add(3*exam.DefaultMaxSleep + 3*time.Hour)
	if g.calls != 1 || len(clock.naps) != 3 || !timing.At.Equal(wantAt) || !timing.Due.Equal(deadline) {
		t.Errorf("graded %d times after %d naps, timing %+v; want once after 3 naps, at %v", g.calls, len(clock.naps), timing, wantAt)
	}
	if want := wantAt.Sub(deadline); timing.Late() != want {
		t.Errorf("late %s, want %s", timing.Late(), want)
	}
}

// TestWatcherPastDeadline: started long after the deadline (the watcher
// process came back after a reboot), it grades at once, late.
func TestWatcherPastDeadline(t *testing.T) {
	clock := &fakeClock{now: t0.Add(10 * time.Hour)}
	g := &gradeCounter{clock: clock}
	timing, err := exam.Watcher{Deadline: t0.Add(2 * time.Hour)}.Run(context.Background(), clock, g.grade)
	if err != nil || g.calls != 1 || len(clock.naps) != 0 || timing.Late() != 8*time.Hour {
		t.Errorf("err %v, %d grades, %d naps, late %s; want one grade at once, 8h late", err, g.calls, len(clock.naps), timing.Late())
	}
}

// TestWatcherStops: a cancelled context, or an exam already done, ends the
// watcher without grading; a grade's error is returned as it is.
func TestWatcherStops(t *testing.T) {
	deadline := t0.Add(2 * time.Hour)
	t.Run("cancelled", func(t *testing.T) {
		clock := &fakeClock{now: t0, never: true}
		g := &gradeCounter{clock: clock}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := (exam.Watcher{Deadline: deadline}).Run(ctx, clock, g.grade); !errors.Is(err, context.Canceled) || g.calls != 0 {
			t.Errorf("err %v, %d grades; want context.Canceled and none", err, g.calls)
		}
	})
	t.Run("done", func(t *testing.T) {
		clock := &fakeClock{now: t0}
		g := &gradeCounter{clock: clock}
		asked := 0
		done := func() (bool, error) { asked++; return asked > 2, nil } // submitted during the second nap
		timing, err := exam.Watcher{Deadline: deadline, Done: done}.Run(context.Background(), clock, g.grade)
		if err != nil || g.calls != 0 || timing != (exam.Timing{}) || len(clock.naps) != 2 {
			t.Errorf("err %v, %d grades, %d naps, timing %+v; want no grade after 2 naps", err, g.calls, len(clock.naps), timing)
		}
	})
	t.Run("done fails", func(t *testing.T) {
		clock := &fakeClock{now: t0}
		g := &gradeCounter{clock: clock}
		boom := errors.New("boom")
		_, err := exam.Watcher{Deadline: deadline, Done: func() (bool, error) { return false, boom }}.Run(context.Background(), clock, g.grade)
		if !errors.Is(err, boom) || g.calls != 0 {
			t.Errorf("err %v, %d grades", err, g.calls)
		}
	})
	t.Run("grade fails", func(t *testing.T) {
		clock := &fakeClock{now: deadline}
		boom := errors.New("boom")
		g := &gradeCounter{clock: clock, err: boom}
		if _, err := (exam.Watcher{Deadline: deadline}).Run(context.Background(), clock, g.grade); err != boom || g.calls != 1 {
			t.Errorf("err %v, %d grades; want boom, once", err, g.calls)
		}
	})
	t.Run("no deadline", func(t *testing.T) {
		clock := &fakeClock{now: t0}
		if _, err := (exam.Watcher{}).Run(context.Background(), clock, (&gradeCounter{clock: clock}).grade); err == nil {
			t.Error("no error")
		}
	})
}

func TestGradeAt(t *testing.T) {
	deadline := t0.Add(2 * time.Hour)
	early := t0.Add(time.Hour)
	after := deadline.Add(time.Minute)
	graded := t0.Add(time.Hour + 30*time.Second)
	tests := []struct {
		name              string
		submitted, graded *time.Time
		now               time.Time
		due               bool
		at                time.Time
	}{
		{"running", nil, nil, t0.Add(time.Minute), false, deadline},
		{"at the deadline", nil, nil, deadline, true, deadline},
		{"long after", nil, nil, deadline.Add(9 * time.Hour), true, deadline},
		{"submitted", &early, nil, early, true, early},
		{"submitted after the deadline", &after, nil, after, true, deadline},
		{"graded", &early, &graded, deadline.Add(time.Hour), false, graded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := &exam.State{Deadline: deadline, Submitted: tc.submitted, Graded: tc.graded}
			due, at := exam.GradeAt(st, tc.now)
			if due != tc.due || !at.Equal(tc.at) {
				t.Errorf("GradeAt = %v, %v; want %v, %v", due, at, tc.due, tc.at)
			}
		})
	}
}

// TestStateLate: a grade within LateAfter of its due time is on time; one
// after the machine slept is late by the whole gap.
func TestStateLate(t *testing.T) {
	deadline := t0.Add(2 * time.Hour)
	submitted := t0.Add(time.Hour)
	for _, tc := range []struct {
		submitted *time.Time
		graded    time.Time
		late      time.Duration
	}{
		{nil, deadline.Add(40 * time.Second), 0},
		{nil, deadline.Add(3 * time.Hour), 3 * time.Hour},
		{&submitted, submitted.Add(10 * time.Second), 0},
		{&submitted, submitted.Add(90 * time.Minute), 90 * time.Minute},
	} {
		st := &exam.State{Deadline: deadline, Submitted: tc.submitted, Graded: &tc.graded}
		if got := st.Late(); got != tc.late {
			t.Errorf("graded at %v: late %s, want %s", tc.graded.Sub(t0), got, tc.late)
		}
	}
	if (&exam.State{Deadline: deadline}).Late() != 0 {
		t.Error("an exam not graded is late")
	}
}
