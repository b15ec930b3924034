package runner_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/grader/checks"
	"github.com/ckalab/ckalab/internal/simtest"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/runner"
)

// examIDs are sim scenarios that own nothing in common: an exam's worth.
var examIDs = []string{"daemonset-everywhere", "quota-vs-limitrange", "rbac-deployer", "local-storage", "kubeconfig-context", "service-no-endpoints"}

func loadAll(tb testing.TB, r *runner.Runner, cat *scenarios.Catalog, ids []string) []*scenarios.Scenario {
	tb.Helper()
	var out []*scenarios.Scenario
	for _, id := range ids {
		s, err := cat.Load(id, r.TemplateData(id, nil))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, s)
	}
	if c := scenarios.Conflicts(out); len(c) > 0 {
		tb.Fatalf("the exam's scenarios conflict: %+v", c)
	}
	return out
}

// TestStartAllSetsEveryTaskUp: after StartAll every task is set up (no
// check passes yet, as after its own start), and each task's reference
// solution then earns full marks with the others still in place.
func TestStartAllSetsEveryTaskUp(t *testing.T) {
	l := simtest.Need(t, sl)
	r, cat := newRunner(t, l)
	ctx := context.Background()
	list := loadAll(t, r, cat, examIDs)
	var calls atomic.Int32
	st, err := r.StartAll(ctx, list, runner.StartAllOptions{Parallel: 3, Done: func(done, total int) {
		calls.Add(1)
		if total != len(list) || done < 1 || done > total {
			t.Errorf("progress %d/%d", done, total)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := r.RestoreBaseline(context.Background(), nil, false); err != nil {
			t.Error(err)
		}
	})
	if int(calls.Load()) != len(list) {
		t.Errorf("progress called %d times, want %d", calls.Load(), len(list))
	}
	if len(st.Changed) == 0 {
		t.Error("StartAll reports no change")
	}
	for _, s := range list {
		if rep := r.Grade(ctx, s, grader.Options{NoWait: true}); rep.Earned != 0 {
			t.Errorf("%s: %d points right after setup", s.ID, rep.Earned)
		}
	}
	for _, s := range list {
		if _, err := r.Apply(ctx, s, s.Solution.Steps); err != nil {
			t.Fatalf("%s: solution: %v", s.ID, err)
		}
	}
	for _, s := range list {
		if rep := r.Grade(ctx, s, grader.Options{}); !rep.Passed {
			t.Errorf("%s: %d/%d after its solution, beside the other tasks", s.ID, rep.Earned, rep.Total)
		}
	}
}

// TestStartAllUndoesEverythingWhenOneSetupFails: a failing setup stops
// the others and leaves the lab at its baseline.
func TestStartAllUndoesEverythingWhenOneSetupFails(t *testing.T) {
	l := simtest.Need(t, sl)
	r, cat := newRunner(t, l)
	ctx := context.Background()
	list := loadAll(t, r, cat, examIDs[:3])
	broken, err := scenarios.Loader{CheckTypes: checks.All()}.Parse("broken.yaml", []byte(brokenSetup), nil, r.TemplateData("broken-setup", nil))
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.StartAll(ctx, append(list, broken), runner.StartAllOptions{Parallel: 4})
	if err == nil {
		t.Fatal("StartAll succeeded, want the broken setup to fail")
	}
	if !strings.Contains(err.Error(), "setup of broken-setup failed at step 2 (patch)") {
		t.Errorf("error %q does not say which setup failed", err)
	}
	if len(st.Undone) == 0 {
		t.Error("nothing undone after the failure")
	}
	left, err := r.Compare(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Namespaces being deleted are still listed until they are gone.
	simtest.WaitFor(t, 2*time.Minute, "the lab back at its baseline", func() (bool, string) {
		left, err = r.Compare(ctx)
		return err == nil && len(left) == 0, strings.Join(left, "; ")
	})
}

const brokenSetup = `apiVersion: ckalab.dev/v1alpha1
kind: Scenario
id: broken-setup
title: Broken setup
domain: storage
competency: Manage persistent volumes and persistent volume claims
difficulty: easy
minutes: 1
needs: [api]
namespaces: [broken-setup]
task: nothing
setup:
- apply:
    manifest: |
      apiVersion: v1
      kind: Namespace
      metadata: {name: broken-setup}
- patch:
    apiVersion: v1
    kind: ConfigMap
    namespace: broken-setup
    name: does-not-exist
    patch: {data: {a: b}}
checks:
- id: x
  title: x
  points: 1
  absent: {apiVersion: v1, kind: ConfigMap, namespace: broken-setup, name: x}
solution:
  explain: none
  steps:
  - delete: {apiVersion: v1, kind: ConfigMap, namespace: broken-setup, name: x}
`

// BenchmarkExamStart measures an exam's start on the sim: the baseline
// restore that undoes the previous exam, then every setup side by side
// (issue 11's target: a 16-task exam ready in 30 s; the sim catalog has
// six tasks that can share a lab).
func BenchmarkExamStart(b *testing.B) {
	l := simtest.Need(b, sl)
	r, cat := newRunner(b, l)
	ctx := context.Background()
	list := loadAll(b, r, cat, examIDs)
	for b.Loop() {
		if _, err := r.StartAll(ctx, list, runner.StartAllOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if _, err := r.RestoreBaseline(ctx, nil, true); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkExamGrade measures grading a whole exam as submit does, every
// task solved and settled (the steadiness windows of its ready checks
// behind it): every task observed once, concurrently (target: 1 s for 16
// tasks).
func BenchmarkExamGrade(b *testing.B) {
	l := simtest.Need(b, sl)
	r, cat := newRunner(b, l)
	ctx := context.Background()
	list := loadAll(b, r, cat, examIDs)
	if _, err := r.StartAll(ctx, list, runner.StartAllOptions{}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _, _ = r.RestoreBaseline(context.Background(), nil, true) })
	for _, s := range list {
		if _, err := r.Apply(ctx, s, s.Solution.Steps); err != nil {
			b.Fatal(err)
		}
	}
	for _, s := range list {
		if rep := r.Grade(ctx, s, grader.Options{}); !rep.Passed {
			b.Fatalf("%s: %d/%d after its solution", s.ID, rep.Earned, rep.Total)
		}
	}
	time.Sleep(7 * time.Second) // longer than every steadyFor (5s) and its slack
	for b.Loop() {
		done := make(chan grader.Report, len(list))
		for _, s := range list {
			go func() { done <- r.Grade(ctx, s, grader.Options{NoWait: true}) }()
		}
		for range list {
			if rep := <-done; !rep.Passed {
				b.Fatalf("%s lost marks: %d/%d", rep.Scenario, rep.Earned, rep.Total)
			}
		}
	}
}
