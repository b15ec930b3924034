package grader_test

// Unit tests of the grader's polling loop and report: fake checks (scripted
// observations) and an injected clock, so the timing is exact and nothing
// sleeps. The check kinds themselves are unit-tested against client-go's
// fakes in grader/checks (*_unit_test.go; the table is in
// fakes_unit_test.go) and integration-tested against the sim lab
// (grader/checks/grade_test.go drives Grade against real checks).

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ckalab/ckalab/grader"
)

// fakeClock is a clock whose Sleep advances time at once. Grade runs
// checks concurrently, so it is safe for concurrent use; tests that assert
// elapsed times grade one check at a time.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
}

func (c *fakeClock) slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

func (c *fakeClock) options(interval time.Duration) grader.Options {
	return grader.Options{Now: c.Now, Sleep: c.Sleep, Interval: interval}
}

// scripted is a fake check: its n-th look (from 1) returns look(n).
type scripted struct {
	mu    sync.Mutex
	looks int
	look  func(ctx context.Context, n int) grader.Observation
}

func (s *scripted) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	s.mu.Lock()
	s.looks++
	n := s.looks
	s.mu.Unlock()
	return s.look(ctx, n)
}

func (s *scripted) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.looks
}

// failing never passes; each look reports what it saw that time.
func failing() *scripted {
	return &scripted{look: func(_ context.Context, n int) grader.Observation {
		return grader.Observation{Expected: "ConfigMap cfg with mode=wanted", Actual: fmt.Sprintf("mode=look%d", n),
			Problems: []string{fmt.Sprintf(`data.mode: want "wanted", got "look%d"`, n)}}
	}}
}

// passesOn fails until look k, then passes.
func passesOn(k int) *scripted {
	return &scripted{look: func(_ context.Context, n int) grader.Observation {
		if n < k {
			return grader.Observation{Expected: "ready", Actual: fmt.Sprintf("not yet (look %d)", n), Problems: []string{"not Ready"}}
		}
		return grader.Observation{Passed: true, Expected: "ready", Actual: fmt.Sprintf("ready at look %d", n)}
	}}
}

func passing() *scripted { return passesOn(1) }

func TestGradeRetriesFailingCheckUntilTimeout(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	chk := failing()
	rep := grader.Grade(context.Background(), &grader.Env{}, "sc", "Scenario", []grader.Spec{
		{ID: "mode", Title: "mode is wanted", Why: "the app reads mode", Points: 2, Timeout: time.Second, Type: "match", Check: chk},
	}, clk.options(200*time.Millisecond))

	// Looks at 0, 200, 400, 600 and 800ms; a sixth at 1000ms would be at
	// the deadline, so the loop stops.
	if n := chk.count(); n != 5 {
		t.Errorf("%d looks, want 5 within the 1s timeout every 200ms", n)
	}
	for _, d := range clk.slept() {
		if d != 200*time.Millisecond {
			t.Errorf("slept %s, want the 200ms interval", d)
		}
	}
	if len(rep.Results) != 1 {
		t.Fatalf("%d results", len(rep.Results))
	}
	r := rep.Results[0]
	if r.Passed || r.Earned != 0 || r.Points != 2 || rep.Passed || rep.Earned != 0 || rep.Total != 2 {
		t.Errorf("result %+v, report %d/%d passed %v: want failed 0/2", r, rep.Earned, rep.Total, rep.Passed)
	}
	// The last look is what the report explains.
	if r.Actual != "mode=look5" || len(r.Problems) != 1 || r.Problems[0] != `data.mode: want "wanted", got "look5"` {
		t.Errorf("actual %q, problems %q: want the last (fifth) look", r.Actual, r.Problems)
	}
	if r.Expected != "ConfigMap cfg with mode=wanted" || r.Why != "the app reads mode" {
		t.Errorf("expected %q, why %q", r.Expected, r.Why)
	}
	if r.ID != "mode" || r.Title != "mode is wanted" || r.Type != "match" || rep.Scenario != "sc" || rep.Title != "Scenario" {
		t.Errorf("identity: %+v in %q %q", r, rep.Scenario, rep.Title)
	}
	if r.Elapsed != 800*time.Millisecond {
		t.Errorf("elapsed %s by the injected clock, want 800ms", r.Elapsed)
	}
}

func TestGradePassesOnThirdLook(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	chk := passesOn(3)
	rep := grader.Grade(context.Background(), &grader.Env{}, "sc", "", []grader.Spec{
		{ID: "ready", Points: 4, Timeout: time.Minute, Type: "ready", Check: chk},
	}, clk.options(250*time.Millisecond))
	if n := chk.count(); n != 3 {
		t.Errorf("%d looks, want 3 (no more once it passes)", n)
	}
	r := rep.Results[0]
	if !r.Passed || r.Earned != 4 || !rep.Passed || rep.Earned != 4 || rep.Total != 4 {
		t.Errorf("result %+v, report %d/%d: want passed 4/4", r, rep.Earned, rep.Total)
	}
	if r.Actual != "ready at look 3" || len(r.Problems) != 0 {
		t.Errorf("actual %q, problems %q: want the passing look, without the earlier problems", r.Actual, r.Problems)
	}
	if r.Elapsed != 500*time.Millisecond || len(clk.slept()) != 2 {
		t.Errorf("elapsed %s after sleeps %v, want 500ms (two intervals)", r.Elapsed, clk.slept())
	}
}

func TestGradeSumsPointsAndPartialCredit(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	specs := []grader.Spec{
		{ID: "a", Title: "first", Points: 3, Timeout: time.Second, Type: "match", Check: passing()},
		{ID: "b", Title: "second", Why: "because", Points: 2, Timeout: time.Second, Type: "canI", Check: failing()},
		// The clock is shared by concurrent checks: the failing ones move it
		// on by up to 2s, so this one's timeout is long enough for a retry.
		{ID: "c", Title: "third", Points: 5, Timeout: time.Hour, Type: "ready", Check: passesOn(2)},
		{ID: "d", Title: "fourth", Points: 1, Timeout: time.Second, Type: "absent", Check: failing()},
	}
	rep := grader.Grade(context.Background(), &grader.Env{}, "sc", "T", specs, clk.options(100*time.Millisecond))
	if rep.Earned != 8 || rep.Total != 11 || rep.Passed {
		t.Errorf("report %d/%d passed %v, want 8/11 (partial credit) and not passed", rep.Earned, rep.Total, rep.Passed)
	}
	if len(rep.Results) != len(specs) {
		t.Fatalf("%d results for %d checks", len(rep.Results), len(specs))
	}
	wantEarned := []int{3, 0, 5, 0}
	for i, r := range rep.Results {
		// Checks run concurrently, results keep the scenario's order.
		if r.ID != specs[i].ID || r.Title != specs[i].Title || r.Type != specs[i].Type || r.Points != specs[i].Points {
			t.Errorf("result %d is %+v, want spec %s", i, r, specs[i].ID)
		}
		if r.Earned != wantEarned[i] || r.Passed != (wantEarned[i] > 0) {
			t.Errorf("result %s earned %d passed %v, want %d", r.ID, r.Earned, r.Passed, wantEarned[i])
		}
	}

	// The report explains every failure: expected vs actual, why, problems.
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		Earned, Total int
		Passed        bool
		Checks        []map[string]any `json:"checks"`
	}
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	b := decoded.Checks[1]
	for _, key := range []string{"id", "title", "kind", "passed", "points", "earned", "why", "expected", "actual", "problems", "elapsedNanoseconds"} {
		if _, ok := b[key]; !ok {
			t.Errorf("failed check's JSON lacks %q: %s", key, data)
		}
	}
	if b["why"] != "because" || b["expected"] != "ConfigMap cfg with mode=wanted" {
		t.Errorf("failed check's JSON %v", b)
	}
	if _, ok := decoded.Checks[0]["problems"]; ok {
		t.Errorf("a passed check reports problems: %v", decoded.Checks[0])
	}
	if decoded.Earned != 8 || decoded.Total != 11 || decoded.Passed {
		t.Errorf("JSON totals %d/%d passed %v", decoded.Earned, decoded.Total, decoded.Passed)
	}

	// Full marks pass; so does a scenario without checks (0 of 0).
	rep = grader.Grade(context.Background(), &grader.Env{}, "sc", "", specs[:1], clk.options(0))
	if !rep.Passed || rep.Earned != 3 || rep.Total != 3 {
		t.Errorf("full marks: %d/%d passed %v", rep.Earned, rep.Total, rep.Passed)
	}
	rep = grader.Grade(context.Background(), &grader.Env{}, "sc", "", nil, clk.options(0))
	if !rep.Passed || rep.Total != 0 || len(rep.Results) != 0 {
		t.Errorf("no checks: %+v", rep)
	}
}

func TestGradeNoWaitAndMaxTimeout(t *testing.T) {
	t.Parallel()
	t.Run("NoWait looks once", func(t *testing.T) {
		clk := newFakeClock()
		chk := failing()
		opts := clk.options(100 * time.Millisecond)
		opts.NoWait = true
		rep := grader.Grade(context.Background(), &grader.Env{}, "sc", "", []grader.Spec{
			{ID: "a", Points: 1, Timeout: time.Hour, Check: chk},
		}, opts)
		if n := chk.count(); n != 1 || len(clk.slept()) != 0 {
			t.Errorf("%d looks, sleeps %v; want one look and no sleep", n, clk.slept())
		}
		if r := rep.Results[0]; r.Passed || r.Actual != "mode=look1" || r.Elapsed != 0 {
			t.Errorf("result %+v", r)
		}
	})
	t.Run("MaxTimeout caps a check's timeout", func(t *testing.T) {
		clk := newFakeClock()
		chk := failing()
		opts := clk.options(100 * time.Millisecond)
		opts.MaxTimeout = 450 * time.Millisecond
		rep := grader.Grade(context.Background(), &grader.Env{}, "sc", "", []grader.Spec{
			{ID: "a", Points: 1, Timeout: time.Hour, Check: chk},
		}, opts)
		// Looks at 0..400ms; 500ms is past the capped deadline.
		if n := chk.count(); n != 5 {
			t.Errorf("%d looks, want 5", n)
		}
		if e := rep.Results[0].Elapsed; e != 400*time.Millisecond {
			t.Errorf("elapsed %s, want 400ms", e)
		}
	})
	t.Run("a timeout shorter than the interval looks once", func(t *testing.T) {
		clk := newFakeClock()
		chk := failing()
		grader.Grade(context.Background(), &grader.Env{}, "sc", "", []grader.Spec{
			{ID: "a", Points: 1, Timeout: 50 * time.Millisecond, Check: chk},
		}, clk.options(100*time.Millisecond))
		if n := chk.count(); n != 1 {
			t.Errorf("%d looks, want 1", n)
		}
	})
}

func TestGradeRunsChecksConcurrently(t *testing.T) {
	t.Parallel()
	// Each check's first look waits until both have started: graded one
	// after the other, neither would pass.
	var started sync.WaitGroup
	started.Add(2)
	meet := func(ctx context.Context, n int) grader.Observation {
		if n == 1 {
			started.Done()
		}
		done := make(chan struct{})
		go func() { started.Wait(); close(done) }()
		select {
		case <-done:
			return grader.Observation{Passed: true, Actual: "met"}
		case <-time.After(5 * time.Second):
			return grader.Observation{Actual: "alone", Problems: []string{"the other check never started"}}
		}
	}
	clk := newFakeClock()
	rep := grader.Grade(context.Background(), &grader.Env{}, "sc", "", []grader.Spec{
		{ID: "a", Points: 1, Timeout: time.Second, Check: &scripted{look: meet}},
		{ID: "b", Points: 1, Timeout: time.Second, Check: &scripted{look: meet}},
	}, clk.options(100*time.Millisecond))
	if !rep.Passed {
		t.Errorf("checks were not observed concurrently: %+v", rep.Results)
	}
}

func TestGradeStopsPromptlyWhenCancelled(t *testing.T) {
	t.Parallel()
	t.Run("cancelled between looks", func(t *testing.T) {
		// The injected clock would let this check poll for an hour of fake
		// time; the context is cancelled on the third look and nothing
		// more is observed.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		chk := &scripted{look: func(_ context.Context, n int) grader.Observation {
			if n == 3 {
				cancel()
			}
			return grader.Observation{Actual: fmt.Sprintf("look %d", n), Problems: []string{"not yet"}}
		}}
		clk := newFakeClock()
		rep := grader.Grade(ctx, &grader.Env{}, "sc", "", []grader.Spec{
			{ID: "a", Points: 2, Timeout: time.Hour, Check: chk},
		}, clk.options(time.Second))
		if n := chk.count(); n != 3 {
			t.Errorf("%d looks, want polling to stop at the cancelled third", n)
		}
		if r := rep.Results[0]; r.Passed || r.Earned != 0 || r.Actual != "look 3" {
			t.Errorf("result %+v, want the last look, failed", r)
		}
	})
	t.Run("cancelled while sleeping (default Sleep)", func(t *testing.T) {
		// Real time, the default Sleep: an hour's interval must end as
		// soon as the context does.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		looked := make(chan struct{})
		var once sync.Once
		chk := &scripted{look: func(ctx context.Context, n int) grader.Observation {
			once.Do(func() { close(looked) })
			if ctx.Err() != nil {
				return grader.Observation{Actual: "error: " + ctx.Err().Error(), Problems: []string{ctx.Err().Error()}}
			}
			return grader.Observation{Actual: "not yet", Problems: []string{"not yet"}}
		}}
		go func() {
			<-looked
			time.Sleep(20 * time.Millisecond) // into the sleep
			cancel()
		}()
		start := time.Now()
		rep := grader.Grade(ctx, &grader.Env{}, "sc", "", []grader.Spec{
			{ID: "a", Points: 2, Timeout: 2 * time.Hour, Check: chk},
		}, grader.Options{Interval: time.Hour})
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Grade took %s after cancellation", d)
		}
		if n := chk.count(); n > 2 {
			t.Errorf("%d looks after cancellation, want at most one more", n)
		}
		if r := rep.Results[0]; r.Passed || r.Earned != 0 || rep.Passed {
			t.Errorf("result %+v, want failed", r)
		}
	})
}
