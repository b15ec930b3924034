package runner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/steps"
)

// Stage is one step of a scenario test, with its verdict.
type Stage struct {
	Name    string         `json:"name"`
	OK      bool           `json:"ok"`
	Detail  string         `json:"detail,omitempty"`
	Report  *grader.Report `json:"report,omitempty"`
	Elapsed time.Duration  `json:"elapsedNanoseconds"`
}

// TestReport is the outcome of proving one scenario.
type TestReport struct {
	Scenario string `json:"scenario"`
	// Vars are the values of the scenario's vars this run proved.
	Vars   map[string]string `json:"vars,omitempty"`
	OK     bool              `json:"ok"`
	Stages []Stage           `json:"stages"`
}

// TestOptions tune the harness.
type TestOptions struct {
	// WrongSettle caps how long a wrong answer is given to reach full marks
	// (it must not); the checks' own timeouts may be longer.
	WrongSettle time.Duration
	// Progress is told about each stage as it starts (may be nil).
	Progress func(stage string)
	Now      func() time.Time
	// Settle caps how long the lab is given to stop changing (a rollout
	// finishing, old pods going) before grading twice; default 60s.
	Settle time.Duration
	// Sleep waits between settle checks (default time.Sleep).
	Sleep func(time.Duration)
}

// Test proves a scenario on the lab, as an instructor's CI would:
//  1. after setup, no check passes (no free points);
//  2. the reference solution earns full marks;
//  3. grading again gives the same result and changes no object;
//  4. every alternative earns full marks;
//  5. every wrong answer does not;
//  6. cleanup leaves nothing behind.
func (r *Runner) Test(ctx context.Context, s *scenarios.Scenario, opts TestOptions) (rep TestReport) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Settle <= 0 {
		opts.Settle = 60 * time.Second
	}
	if opts.Sleep == nil {
		opts.Sleep = time.Sleep
	}
	if opts.WrongSettle <= 0 {
		opts.WrongSettle = 10 * time.Second
	}
	rep = TestReport{Scenario: s.ID, Vars: s.Drawn, OK: true}
	stage := func(name string, fn func() (string, *grader.Report, error)) bool {
		if opts.Progress != nil {
			opts.Progress(name)
		}
		start := opts.Now()
		detail, report, err := fn()
		st := Stage{Name: name, OK: err == nil, Detail: detail, Report: report, Elapsed: opts.Now().Sub(start)}
		if err != nil {
			st.Detail = err.Error()
			rep.OK = false
		}
		rep.Stages = append(rep.Stages, st)
		return err == nil
	}
	setup := func() (string, *grader.Report, error) {
		_, err := r.Start(ctx, s)
		return "", nil, err
	}
	fullMarks := func(list []steps.Spec) func() (string, *grader.Report, error) {
		return func() (string, *grader.Report, error) {
			if _, err := r.Apply(ctx, s, list); err != nil {
				return "", nil, fmt.Errorf("apply: %w", err)
			}
			g := r.Grade(ctx, s, r.Grading)
			if !g.Passed {
				return "", &g, fmt.Errorf("%d/%d points, want full marks: %s", g.Earned, g.Total, failedChecks(g))
			}
			return fmt.Sprintf("%d/%d points", g.Earned, g.Total), &g, nil
		}
	}
	// A named result, so that the cleanup stage is in the report returned.
	defer func() {
		stage("cleanup", func() (string, *grader.Report, error) {
			_, err := r.Cleanup(context.WithoutCancel(ctx), s)
			return "", nil, err
		})
	}()

	if !stage("setup", setup) {
		return rep
	}
	stage("no check passes after setup", func() (string, *grader.Report, error) {
		o := r.Grading
		o.NoWait = true
		g := r.Grade(ctx, s, o)
		var free []string
		for _, res := range g.Results {
			if res.Passed {
				free = append(free, res.ID)
			}
		}
		if len(free) > 0 {
			return "", &g, fmt.Errorf("checks pass before any work (free points): %v", free)
		}
		return fmt.Sprintf("0/%d points", g.Total), &g, nil
	})
	if !stage("reference solution earns full marks", fullMarks(s.Solution.Steps)) {
		return rep
	}
	stage("grading twice gives the same result and changes nothing", func() (string, *grader.Report, error) {
		// Full marks can come while controllers still work (old pods of a
		// rollout terminating); only grading must not change the lab.
		before, err := r.settled(ctx, s, opts)
		if err != nil {
			return "", nil, err
		}
		g1 := r.Grade(ctx, s, r.Grading)
		g2 := r.Grade(ctx, s, r.Grading)
		after, err := r.snapshotUntil(ctx, s, opts, opts.Now().Add(opts.Settle))
		if err != nil {
			return "", nil, err
		}
		missed, err := r.missedByList(ctx, before, after)
		if err != nil {
			return "", nil, err
		}
		if d := before.diff(after); d != "" {
			return "", &g2, fmt.Errorf("grading changed the lab: %s", d)
		}
		if g1.Earned != g2.Earned || !sameVerdicts(g1, g2) {
			return "", &g2, fmt.Errorf("two gradings disagree: %d then %d points", g1.Earned, g2.Earned)
		}
		detail := fmt.Sprintf("%d objects and files unchanged", len(before))
		if len(missed) > 0 {
			detail += fmt.Sprintf(" (a list missed %s; a get found each unchanged)", strings.Join(missed, ", "))
		}
		return detail, nil, nil
	})
	for _, alt := range s.Alternatives {
		stage("alternative earns full marks: "+alt.Name, func() (string, *grader.Report, error) {
			if _, _, err := setup(); err != nil {
				return "", nil, err
			}
			return fullMarks(alt.Steps)()
		})
	}
	for _, w := range s.Wrong {
		stage("wrong answer does not earn full marks: "+w.Name, func() (string, *grader.Report, error) {
			if _, _, err := setup(); err != nil {
				return "", nil, err
			}
			if _, err := r.Apply(ctx, s, w.Steps); err != nil {
				return "", nil, fmt.Errorf("apply: %w", err)
			}
			o := r.Grading
			o.MaxTimeout = opts.WrongSettle
			g := r.Grade(ctx, s, o)
			if g.Passed {
				return "", &g, fmt.Errorf("a wrong answer earned full marks (%d/%d): the checks miss it", g.Earned, g.Total)
			}
			return fmt.Sprintf("%d/%d points, failing %s", g.Earned, g.Total, failedChecks(g)), &g, nil
		})
	}
	return rep
}

func failedChecks(g grader.Report) string {
	var ids []string
	for _, r := range g.Results {
		if !r.Passed {
			ids = append(ids, r.ID)
		}
	}
	return fmt.Sprint(ids)
}

func sameVerdicts(a, b grader.Report) bool {
	if len(a.Results) != len(b.Results) {
		return false
	}
	for i := range a.Results {
		if a.Results[i].Passed != b.Results[i].Passed {
			return false
		}
	}
	return true
}

// snapshotUntil takes a snapshot, trying again each second until deadline
// while the API server fails: right after a solution that restores etcd,
// the API server is still settling on the new data and drops connections
// (EOF), which says nothing about the scenario.
func (r *Runner) snapshotUntil(ctx context.Context, s *scenarios.Scenario, opts TestOptions, deadline time.Time) (snapshot, error) {
	for {
		snap, err := r.snapshot(ctx, s)
		if err == nil || ctx.Err() != nil || opts.Now().After(deadline) {
			return snap, err
		}
		opts.Sleep(time.Second)
	}
}

// settled waits until two snapshots a second apart agree, and returns the
// last one.
func (r *Runner) settled(ctx context.Context, s *scenarios.Scenario, opts TestOptions) (snapshot, error) {
	deadline := opts.Now().Add(opts.Settle)
	last, err := r.snapshotUntil(ctx, s, opts, deadline)
	if err != nil {
		return nil, err
	}
	for {
		opts.Sleep(time.Second)
		next, err := r.snapshotUntil(ctx, s, opts, deadline)
		if err != nil {
			return nil, err
		}
		d := last.diff(next)
		if d == "" {
			return next, nil
		}
		if opts.Now().After(deadline) {
			return nil, fmt.Errorf("the lab did not stop changing within %s after the solution: %s", opts.Settle, d)
		}
		last = next
	}
}
