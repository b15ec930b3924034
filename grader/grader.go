// Package grader checks live cluster state against a scenario's checks and
// explains each result. The grader only observes: checks read objects and
// ask the API server for authorization decisions; they never change the lab.
package grader

import (
	"context"
	"sync"
	"time"

	"github.com/ckalab/ckalab/lab"
)

// Env is what checks observe.
type Env struct {
	Cluster *lab.Cluster
	// AnswerDir is the scenario's answer folder on the user's machine.
	AnswerDir string
}

// Observation is what one look at the cluster found.
type Observation struct {
	Passed bool
	// Expected and Actual are short renderings for --explain.
	Expected string
	Actual   string
	// Problems are specific differences, with field paths where they apply.
	Problems []string
}

// Check is one typed check kind, built from its YAML spec and validated at
// load time.
type Check interface {
	// Observe looks at the cluster once.
	Observe(ctx context.Context, env *Env) Observation
}

// Spec is a check with its scoring and explanation.
type Spec struct {
	ID      string
	Title   string
	Why     string
	Points  int
	Timeout time.Duration
	Type    string
	Check   Check
}

// Result is the outcome of one check.
type Result struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Type is the check's type; JSON keeps the key "kind" of earlier
	// reports.
	Type     string        `json:"kind"`
	Passed   bool          `json:"passed"`
	Points   int           `json:"points"`
	Earned   int           `json:"earned"`
	Why      string        `json:"why,omitempty"`
	Expected string        `json:"expected,omitempty"`
	Actual   string        `json:"actual,omitempty"`
	Problems []string      `json:"problems,omitempty"`
	Elapsed  time.Duration `json:"elapsedNanoseconds"`
}

// Report is the outcome of grading one scenario.
type Report struct {
	Scenario string   `json:"scenario"`
	Title    string   `json:"title,omitempty"`
	Earned   int      `json:"earned"`
	Total    int      `json:"total"`
	Passed   bool     `json:"passed"`
	Results  []Result `json:"checks"`
}

// Options tune a grading run.
type Options struct {
	// Now and Sleep are the clock; tests replace them.
	Now   func() time.Time
	Sleep func(context.Context, time.Duration)
	// Interval between observations of a failing check.
	Interval time.Duration
	// MaxTimeout caps every check's timeout (0: no cap).
	MaxTimeout time.Duration
	// NoWait observes each check once (scenario test's "nothing passes
	// after setup" does not need to wait for checks to time out).
	NoWait bool
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = func(ctx context.Context, d time.Duration) {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
	}
	if o.Interval <= 0 {
		o.Interval = 200 * time.Millisecond
	}
	return o
}

// Grade runs every check concurrently. A failing check is observed again
// until its timeout and reports the last state it saw.
func Grade(ctx context.Context, env *Env, scenario, title string, specs []Spec, opts Options) Report {
	opts = opts.withDefaults()
	results := make([]Result, len(specs))
	var wg sync.WaitGroup
	for i, s := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = run(ctx, env, s, opts)
		}()
	}
	wg.Wait()
	r := Report{Scenario: scenario, Title: title, Results: results}
	for _, res := range results {
		r.Total += res.Points
		r.Earned += res.Earned
	}
	r.Passed = r.Earned == r.Total
	return r
}

func run(ctx context.Context, env *Env, s Spec, opts Options) Result {
	start := opts.Now()
	timeout := s.Timeout
	if opts.MaxTimeout > 0 && timeout > opts.MaxTimeout {
		timeout = opts.MaxTimeout
	}
	deadline := start.Add(timeout)
	var obs Observation
	for {
		obs = s.Check.Observe(ctx, env)
		if obs.Passed || opts.NoWait || ctx.Err() != nil || !opts.Now().Add(opts.Interval).Before(deadline) {
			break
		}
		opts.Sleep(ctx, opts.Interval)
	}
	res := Result{ID: s.ID, Title: s.Title, Type: s.Type, Passed: obs.Passed, Points: s.Points, Why: s.Why,
		Expected: obs.Expected, Actual: obs.Actual, Problems: obs.Problems, Elapsed: opts.Now().Sub(start)}
	if obs.Passed {
		res.Earned = s.Points
	}
	return res
}
