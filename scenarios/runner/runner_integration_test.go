package runner_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/grader/checks"
	"github.com/ckalab/ckalab/internal/simtest"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/runner"
)

var sl *simtest.Lab

func TestMain(m *testing.M) { os.Exit(simtest.Main(m, &sl)) }

func newRunner(tb testing.TB, l *simtest.Lab) (*runner.Runner, *scenarios.Catalog) {
	tb.Helper()
	cat, err := scenarios.NewCatalog(scenarios.Loader{CheckTypes: checks.All()}, scenarios.Source{Name: "builtin", FS: scenarios.Builtin()})
	if err != nil {
		tb.Fatal(err)
	}
	return &runner.Runner{Cluster: l.Cluster, AnswerRoot: tb.TempDir(), Grading: grader.Options{}, Baseline: l.Baseline}, cat
}

// runnableIDs lists the built-in scenarios the sim lab can run: those
// that act inside nodes or need kubelets are proven by `make e2e` on kind.
func runnableIDs(tb testing.TB, r *runner.Runner, cat *scenarios.Catalog) []string {
	tb.Helper()
	var ids, skipped []string
	for _, id := range cat.IDs() {
		s, err := cat.Load(id, r.TemplateData(id, nil))
		if err != nil {
			tb.Fatal(err)
		}
		if err := r.CheckCapabilities(s); err != nil {
			skipped = append(skipped, id)
			continue
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		tb.Fatal("the sim lab can run none of the built-in scenarios")
	}
	if len(skipped) > 0 {
		tb.Logf("not on the sim (proven on kind by make e2e): %s", strings.Join(skipped, ", "))
	}
	return ids
}

// proofLabs is how many sim labs TestBuiltinScenariosProve proves the
// catalog on, side by side: a scenario test mostly waits (for controllers
// to settle, for wrong answers to fail), so two labs on two cores take
// about half the time of one.
const proofLabs = 2

// TestBuiltinScenariosProve runs `scenario test` on every built-in
// scenario the sim can run, for every combination of its vars: no free
// points after setup, the reference solution and every alternative earn
// full marks, every wrong answer does not, grading twice agrees and
// changes nothing, and cleanup succeeds. The runs are shared out over
// proofLabs labs (the shared one and fresh ones), each proving its share
// one run after another, as `scenario test` does on one lab.
func TestBuiltinScenariosProve(t *testing.T) {
	l := simtest.Need(t, sl)
	r, cat := newRunner(t, l)
	type run struct {
		name, id string
		vars     map[string]string
	}
	var runs []run
	for _, id := range runnableIDs(t, r, cat) {
		first, err := cat.Load(id, r.TemplateData(id, nil))
		if err != nil {
			t.Fatal(err)
		}
		combos, err := scenarios.VarCombinations(first.Vars, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, vars := range combos {
			name := id
			if len(vars) > 0 {
				name += "/" + scenarios.DescribeVars(vars)
			}
			runs = append(runs, run{name, id, vars})
		}
	}
	labs := []*simtest.Lab{l}
	for len(labs) < proofLabs {
		extra, err := simtest.Start()
		if err != nil {
			t.Fatalf("another sim lab for the proof: %v", err)
		}
		t.Cleanup(func() { _ = extra.Stop() })
		labs = append(labs, extra)
	}
	for i, lb := range labs {
		t.Run(fmt.Sprintf("lab%d", i), func(t *testing.T) {
			t.Parallel()
			r, cat := newRunner(t, lb)
			for j := i; j < len(runs); j += len(labs) {
				t.Run(runs[j].name, func(t *testing.T) { proveBuiltin(t, r, cat, runs[j].id, runs[j].vars) })
			}
		})
	}
}

func proveBuiltin(t *testing.T, r *runner.Runner, cat *scenarios.Catalog, id string, vars map[string]string) {
	s, err := cat.Load(id, r.TemplateData(id, vars))
	if err != nil {
		t.Fatal(err)
	}
	rep := r.Test(context.Background(), s, runner.TestOptions{})
	want := 4 + len(s.Alternatives) + len(s.Wrong) + 1 // setup, no free points, reference, twice; variants; cleanup
	if len(rep.Stages) != want {
		t.Errorf("%d stages, want %d", len(rep.Stages), want)
	}
	if last := rep.Stages[len(rep.Stages)-1]; last.Name != "cleanup" {
		t.Errorf("last stage %q, want cleanup", last.Name)
	}
	for _, st := range rep.Stages {
		if !st.OK {
			t.Errorf("stage %q failed: %s", st.Name, st.Detail)
		}
	}
	if !rep.OK {
		t.Errorf("scenario test of %s failed", id)
	}
}

// TestStartRecordsChangesAndReset checks that start reports what setup
// changed, that reset removes what the learner created, and that the answer
// folder is recreated.
func TestStartRecordsChangesAndReset(t *testing.T) {
	l := simtest.Need(t, sl)
	r, cat := newRunner(t, l)
	ctx := context.Background()
	s, err := cat.Load("rbac-deployer", r.TemplateData("rbac-deployer", nil))
	if err != nil {
		t.Fatal(err)
	}
	started, err := r.Start(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(started.Changed) != 1 || !strings.Contains(started.Changed[0], "Namespace team-a") {
		t.Errorf("start changed %v, want the team-a namespace applied", started.Changed)
	}
	if _, err := r.Apply(ctx, s, s.Solution.Steps); err != nil {
		t.Fatal(err)
	}
	if g := r.Grade(ctx, s, grader.Options{}); !g.Passed {
		t.Fatalf("solution: %d/%d", g.Earned, g.Total)
	}
	started, err = r.Start(ctx, s) // reset
	if err != nil {
		t.Fatal(err)
	}
	// The setup makes team-a again: it is kept, emptied of the three
	// objects the solution made.
	if got := strings.Join(started.Restored, ";"); got != "namespace team-a emptied (3 objects)" {
		t.Errorf("reset restored %q, want the namespace emptied first", got)
	}
	if g := r.Grade(ctx, s, grader.Options{NoWait: true}); g.Earned != 0 {
		t.Errorf("after reset %d points, want 0", g.Earned)
	}
	if _, err := os.Stat(r.AnswerDir(s.ID)); err != nil {
		t.Errorf("answer folder: %v", err)
	}
	if _, err := r.Cleanup(ctx, s); err != nil {
		t.Fatal(err)
	}
}

// TestFailedSetupSaysWhatChanged: a setup whose second step fails reports
// the first step's change.
func TestFailedSetupSaysWhatChanged(t *testing.T) {
	l := simtest.Need(t, sl)
	r, _ := newRunner(t, l)
	s, err := scenarios.Loader{CheckTypes: checks.All()}.Parse("broken.yaml", []byte(brokenSetup), nil, r.TemplateData("broken-setup", nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Start(context.Background(), s)
	if err == nil {
		t.Fatal("setup succeeded, want the patch to fail")
	}
	for _, want := range []string{"step 2 (patch)", "already changed: applied Namespace broken-setup"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := r.Cleanup(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkGradeSevenSolved measures grading the built-in scenarios the
// sim can run (seven when it was named, eight now) with their reference
// solutions applied (target: 0.3 s for all of them, "keeps running"
// windows aside).
// Some scenarios cannot share a lab (drain-worker cordons the node that
// taint-toleration pins its pod to), so each is set up and solved in turn,
// outside the timer, and graded b.N times; the metric is the sum of the
// per-scenario means.
func BenchmarkGradeSevenSolved(b *testing.B) {
	l := simtest.Need(b, sl)
	r, cat := newRunner(b, l)
	ctx := context.Background()
	var total time.Duration
	b.StopTimer()
	ids := runnableIDs(b, r, cat)
	for _, id := range ids {
		s, err := cat.Load(id, r.TemplateData(id, nil))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Start(ctx, s); err != nil {
			b.Fatal(err)
		}
		if _, err := r.Apply(ctx, s, s.Solution.Steps); err != nil {
			b.Fatal(err)
		}
		if g := r.Grade(ctx, s, grader.Options{}); !g.Passed { // settle
			b.Fatalf("%s: %d/%d before timing", s.ID, g.Earned, g.Total)
		}
		b.StartTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if g := r.Grade(ctx, s, grader.Options{}); !g.Passed {
				b.Fatalf("%s lost marks while benchmarking", s.ID)
			}
		}
		total += time.Since(start) / time.Duration(b.N)
		b.StopTimer()
		if _, err := r.Cleanup(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000, fmt.Sprintf("ms/%d-scenarios", len(ids)))
}
