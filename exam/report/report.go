// Package report turns a graded exam into its report: the scores per task
// and per CKA domain, pass or fail, the time used and every failed check,
// rendered as terminal text, JSON, JUnit XML or one self-contained HTML
// file. It never prints: each renderer writes to the io.Writer it is given,
// and the same Summary always renders to the same bytes.
//
// Scores follow the CKA's grading: a task's weight is its share of the
// exam, and a task earns that share in proportion to the check points it
// passed (partial credit per check). Weights need not add up to 100: the
// report normalises them, so that every score is in percent of the exam.
package report

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/cka"
)

// Exam is a graded exam: what the exam's state hands to Build.
type Exam struct {
	ID, Title string
	// Started is when the clock started, Deadline when it runs out and
	// GradedAt when the tasks were graded.
	Started, Deadline, GradedAt time.Time
	// GradedLate is set when grading happened after the deadline because
	// the machine slept (or the process was not running) at the deadline.
	GradedLate bool
	// PassMark is the score in percent that passes.
	PassMark int
	Tasks    []Task
}

// Task is one exam task and its grade.
type Task struct {
	N                       int
	Scenario, Title, Domain string
	// Weight is the task's share of the exam's points, in any unit: the
	// report divides it by the sum of the weights.
	Weight  int
	Flagged bool
	// Grade is nil when the task was not graded; Note says why (a setup
	// that failed, say).
	Grade *grader.Report
	Note  string
}

// Ending says how an exam's grading relates to its deadline.
type Ending string

const (
	// EndedEarly: the learner asked for grading before the deadline.
	EndedEarly Ending = "early"
	// EndedAtDeadline: graded when the time ran out.
	EndedAtDeadline Ending = "deadline"
	// EndedLate: graded after the deadline because the machine slept.
	EndedLate Ending = "late"
)

// Status is how much of a task's share was earned.
type Status string

const (
	StatusFull      Status = "full"
	StatusPartial   Status = "partial"
	StatusNone      Status = "none"
	StatusNotGraded Status = "notGraded"
)

// Summary is the exam's report, ready to render. Scores and maxima are in
// percent of the exam, floored to two decimals (a score shows its maximum
// only when it is full); percents are floored to one decimal, so that a
// report never rounds a fail up to the pass mark.
type Summary struct {
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	Started  time.Time `json:"started"`
	Deadline time.Time `json:"deadline"`
	GradedAt time.Time `json:"gradedAt"`
	Ending   Ending    `json:"ending"`
	// Duration is the exam's length; TimeUsed is the time from the start
	// to grading, at most Duration.
	Duration time.Duration `json:"durationNanoseconds"`
	TimeUsed time.Duration `json:"timeUsedNanoseconds"`
	// Percent is the exam's score in percent, one decimal.
	Percent  float64 `json:"percent"`
	PassMark int     `json:"passMark"`
	Passed   bool    `json:"passed"`
	// Domains are in curriculum order, those of no task left out; a domain
	// the curriculum does not know follows, in alphabetical order.
	Domains []DomainScore `json:"domains"`
	// Tasks are in task number order.
	Tasks []TaskScore `json:"tasks"`
}

// DomainScore is one domain's part of the exam.
type DomainScore struct {
	Name string `json:"name"`
	// Score and Max are in percent of the exam; Percent is Score of Max.
	Score   float64 `json:"score"`
	Max     float64 `json:"max"`
	Percent float64 `json:"percent"`
	Tasks   int     `json:"tasks"`
}

// TaskScore is one task's result.
type TaskScore struct {
	N        int    `json:"n"`
	Scenario string `json:"scenario"`
	Title    string `json:"title"`
	Domain   string `json:"domain"`
	Weight   int    `json:"weight"`
	Flagged  bool   `json:"flagged"`
	Status   Status `json:"status"`
	Note     string `json:"note,omitempty"`
	// Earned and Total are the task's check points.
	Earned int `json:"earned"`
	Total  int `json:"total"`
	// Score and Max are in percent of the exam.
	Score float64 `json:"score"`
	Max   float64 `json:"max"`
	// Elapsed is how long grading the task took.
	Elapsed time.Duration `json:"gradingNanoseconds"`
	// Failed are the checks that did not pass, in the grader's order.
	Failed []FailedCheck `json:"failedChecks"`
}

// FailedCheck is a check that did not pass, with its explanation.
type FailedCheck struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Points   int      `json:"points"`
	Why      string   `json:"why,omitempty"`
	Expected string   `json:"expected,omitempty"`
	Actual   string   `json:"actual,omitempty"`
	Problems []string `json:"problems,omitempty"`
}

// UnknownDomain names the domain of a task that has none.
const UnknownDomain = "unspecified"

// Build computes the report of a graded exam. A task that was not graded
// earns nothing; a negative weight counts as 0; when no task has a weight,
// every task weighs the same.
func Build(e Exam) Summary {
	s := Summary{ID: e.ID, Title: e.Title, Started: e.Started, Deadline: e.Deadline, GradedAt: e.GradedAt,
		PassMark: e.PassMark}

	s.Duration = max(e.Deadline.Sub(e.Started), 0)
	s.TimeUsed = min(max(e.GradedAt.Sub(e.Started), 0), s.Duration)
	switch {
	case e.GradedLate:
		s.Ending = EndedLate
	case e.GradedAt.Before(e.Deadline):
		s.Ending = EndedEarly
	default:
		s.Ending = EndedAtDeadline
	}

	tasks := slices.Clone(e.Tasks)
	slices.SortStableFunc(tasks, func(a, b Task) int { return cmp.Compare(a.N, b.N) })
	weights := make([]float64, len(tasks))
	sum := 0.0
	for i, t := range tasks {
		weights[i] = float64(max(t.Weight, 0))
		sum += weights[i]
	}
	if sum == 0 {
		for i := range weights {
			weights[i] = 1
		}
		sum = float64(len(weights))
	}

	type acc struct{ score, max float64 }
	domains := map[string]*acc{}
	counts := map[string]int{}
	total := 0.0
	for i, t := range tasks {
		ts := TaskScore{N: t.N, Scenario: t.Scenario, Title: t.Title, Domain: t.Domain, Weight: t.Weight,
			Flagged: t.Flagged, Note: t.Note, Failed: []FailedCheck{}}
		if ts.Domain == "" {
			ts.Domain = UnknownDomain
		}
		maxPct := weights[i] / sum * 100
		score := 0.0
		switch g := t.Grade; {
		case g == nil:
			ts.Status = StatusNotGraded
			if ts.Title == "" {
				ts.Title = t.Scenario
			}
		default:
			if ts.Title == "" {
				ts.Title = cmp.Or(g.Title, t.Scenario)
			}
			ts.Earned, ts.Total = g.Earned, g.Total
			if g.Total > 0 {
				score = maxPct * float64(g.Earned) / float64(g.Total)
			} else if g.Passed {
				// No checks, nothing failed: the grader's full marks.
				score = maxPct
			}
			for _, r := range g.Results {
				ts.Elapsed = max(ts.Elapsed, r.Elapsed)
				if r.Passed {
					continue
				}
				ts.Failed = append(ts.Failed, FailedCheck{ID: r.ID, Title: r.Title, Points: r.Points, Why: r.Why,
					Expected: r.Expected, Actual: r.Actual, Problems: r.Problems})
			}
			switch {
			case nearly(score, maxPct) && len(ts.Failed) == 0:
				ts.Status = StatusFull
			case score > 0:
				ts.Status = StatusPartial
			default:
				ts.Status = StatusNone
			}
		}
		ts.Score, ts.Max = floorScore(score, maxPct, 2), round(maxPct, 2)
		s.Tasks = append(s.Tasks, ts)

		d := domains[ts.Domain]
		if d == nil {
			d = &acc{}
			domains[ts.Domain] = d
		}
		d.score += score
		d.max += maxPct
		counts[ts.Domain]++
		total += score
	}

	var names []string
	for _, n := range cka.Names() {
		if domains[n] != nil {
			names = append(names, n)
		}
	}
	var other []string
	for n := range domains {
		if !slices.Contains(names, n) {
			other = append(other, n)
		}
	}
	slices.Sort(other)
	for _, n := range append(names, other...) {
		d := domains[n]
		ds := DomainScore{Name: n, Score: floorScore(d.score, d.max, 2), Max: round(d.max, 2), Tasks: counts[n]}
		if d.max > 0 {
			ds.Percent = floorScore(d.score/d.max*100, 100, 1)
		}
		s.Domains = append(s.Domains, ds)
	}
	if len(tasks) > 0 {
		s.Percent = floorScore(total, 100, 1)
	}
	s.Passed = s.Percent >= float64(e.PassMark)
	return s
}

// nearly reports whether a and b differ only by floating point error.
func nearly(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// floorScore renders a score of max with the given decimals: floored, so
// that only a full score reaches max.
func floorScore(score, max float64, decimals int) float64 {
	if nearly(score, max) {
		return round(max, decimals)
	}
	p := math.Pow(10, float64(decimals))
	// The epsilon keeps 0.3 = 0.1+0.2 from flooring to 0.29.
	return math.Floor(score*p+1e-6) / p
}

func round(x float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(x*p) / p
}
