package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/exam"
	"github.com/ckalab/ckalab/exam/report"
	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/scenarios/runner"
)

// gradeReport is the grader's report of scenario: the checks named in
// failed fail, the others pass, one point each.
func gradeReport(scenario string, checks []string, failed ...string) *grader.Report {
	rep := &grader.Report{Scenario: scenario}
	for _, id := range checks {
		r := grader.Result{ID: id, Points: 1, Passed: true, Earned: 1}
		for _, f := range failed {
			if f == id {
				r.Passed, r.Earned = false, 0
			}
		}
		rep.Results = append(rep.Results, r)
		rep.Total++
		rep.Earned += r.Earned
	}
	rep.Passed = rep.Earned == rep.Total
	return rep
}

// examReport is the report of an exam graded at graded with one task
// per domain of grades (domain → its task's grade), weighted as the CKA.
func examReport(graded time.Time, grades map[string]*grader.Report) report.Summary {
	weights := map[string]int{"cluster-architecture": 25, "workloads-and-scheduling": 15, "services-and-networking": 20, "storage": 10, "troubleshooting": 30}
	e := report.Exam{ID: "cka-sim-" + graded.Format("20060102-150405"), Title: "CKA", Started: graded.Add(-2 * time.Hour), Deadline: graded,
		GradedAt: graded, PassMark: 66}
	for _, d := range []string{"cluster-architecture", "workloads-and-scheduling", "services-and-networking", "storage", "troubleshooting"} {
		if g := grades[d]; g != nil {
			e.Tasks = append(e.Tasks, report.Task{N: len(e.Tasks) + 1, Scenario: g.Scenario, Domain: d, Weight: weights[d], Grade: g})
		}
	}
	return report.Build(e)
}

func TestRunExamHistory(t *testing.T) {
	ctx := context.Background()
	r := newRunApp(t)
	if err := runExamHistory(ctx, &examHistoryOptions{app: r.app, Output: "table"}); err != nil {
		t.Fatal(err)
	}
	if r.out.Len() != 0 || r.errOut.String() != "No exams yet: `ckalab exam start` starts one.\n" {
		t.Errorf("exam history without exams: stdout %q, stderr %q", r.out, r.errOut)
	}
	r.out.Reset()
	if err := runExamHistory(ctx, &examHistoryOptions{app: r.app, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	if r.out.String() != "[]\n" {
		t.Errorf("exam history -o json without exams: %q, want []", r.out)
	}

	now := r.env.Now()
	first, second := now.Add(-48*time.Hour), now.Add(-24*time.Hour)
	if err := r.recordExam(examReport(first, map[string]*grader.Report{
		"cluster-architecture": gradeReport("rbac-deployer", []string{"objects", "can-deploy"}),
		"troubleshooting":      gradeReport("kubelet-broken", []string{"a", "b", "kubelet-running", "d", "e"}, "kubelet-running", "d", "e"),
	}), "cka-sim"); err != nil {
		t.Fatal(err)
	}
	// Practice grades are in the history, not in the table.
	if err := r.recordPractice(*gradeReport("kubelet-broken", []string{"kubelet-running"}), "troubleshooting"); err != nil {
		t.Fatal(err)
	}
	if err := r.recordExam(examReport(second, map[string]*grader.Report{
		"cluster-architecture":     gradeReport("drain-worker", []string{"a"}),
		"workloads-and-scheduling": gradeReport("taint-toleration", []string{"a"}),
		"services-and-networking":  gradeReport("netpol-deny-ingress", []string{"a"}),
		"storage":                  gradeReport("local-storage", []string{"pv"}, "pv"),
		"troubleshooting":          gradeReport("node-notready", []string{"a"}),
	}), "cka-sim"); err != nil {
		t.Fatal(err)
	}

	r.out.Reset()
	r.errOut.Reset()
	if err := runExamHistory(ctx, &examHistoryOptions{app: r.app, Output: "table"}); err != nil {
		t.Fatal(err)
	}
	day := func(t time.Time) []string { return strings.Fields(t.Local().Format("2006-01-02 15:04")) }
	want := [][]string{
		{"DATE", "EXAM", "SCORE", "RESULT", "CLUSTER", "WORKLOADS", "SERVICES", "STORAGE", "TROUBLESHOOTING"},
		// 25 + 30·2/5 of 55; no task of three domains.
		append(day(first), "cka-sim", "67.2%", "pass", "100.0%", "-", "-", "-", "40.0%"),
		append(day(second), "cka-sim", "90.0%", "pass", "100.0%", "100.0%", "100.0%", "0.0%", "100.0%"),
	}
	lines := strings.Split(strings.TrimSuffix(r.out.String(), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("exam history: %d lines, want %d:\n%s", len(lines), len(want), r.out)
	}
	for i, l := range lines {
		if got := strings.Fields(l); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("exam history line %d: %q, want %q", i+1, got, want[i])
		}
	}
	if !strings.Contains(r.errOut.String(), "`ckalab next`") {
		t.Errorf("exam history: stderr %q", r.errOut)
	}

	r.out.Reset()
	if err := runExamHistory(ctx, &examHistoryOptions{app: r.app, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var got []examHistoryEntry
	decodeJSON(t, "exam history -o json", r.out.Bytes(), &got)
	if len(got) != 2 || !got[0].Graded.Equal(first) || got[0].Set != "cka-sim" || got[0].ID != "cka-sim-"+first.Format("20060102-150405") ||
		len(got[1].Domains) != 5 || got[1].Tasks[3].Scenario != "local-storage" || !reflect.DeepEqual(got[1].Tasks[3].Failed, []string{"pv"}) {
		t.Errorf("exam history -o json: %+v", got)
	}
	if !strings.Contains(r.out.String(), `"graded": "`) || !strings.Contains(r.out.String(), `"passMark": 66`) {
		t.Errorf("exam history -o json lacks its keys:\n%s", r.out)
	}

	err := runExamHistory(ctx, &examHistoryOptions{app: r.app, Output: "yaml"})
	wantExit(t, "exam history -o yaml", err, ExitUsage)
}

// TestRunExamHistoryCorrupt: an unusable history is an error naming the
// file and how to recover.
func TestRunExamHistoryCorrupt(t *testing.T) {
	r := newRunApp(t)
	h, err := r.history()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(h.Path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.Path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = runExamHistory(context.Background(), &examHistoryOptions{app: r.app, Output: "table"})
	if !errors.Is(err, exam.ErrHistoryCorrupt) || !strings.Contains(err.Error(), "mv "+h.Path) {
		t.Errorf("exam history of a corrupt file: %v", err)
	}
	err = runNext(context.Background(), &nextOptions{app: r.app, labInfo: fakeLab, Output: "text"})
	if !errors.Is(err, exam.ErrHistoryCorrupt) {
		t.Errorf("next with a corrupt history: %v", err)
	}
}

// TestRunNext: without a lab, from the whole catalog; with one, the
// heaviest domain's scenario the lab can run; then the check just failed.
func TestRunNext(t *testing.T) {
	ctx := context.Background()
	r := newRunApp(t)
	if err := runNext(ctx, &nextOptions{app: r.app, labInfo: noLabHere, Output: "text"}); err != nil {
		t.Fatal(err)
	}
	want := "admission-policy-denied: " + mustTitle(t, r, "admission-policy-denied") + " (troubleshooting)\n" +
		"You have not practised troubleshooting yet, and it is 30% of the exam; start with admission-policy-denied.\n\n" +
		"  ckalab start admission-policy-denied\n"
	if r.out.String() != want {
		t.Errorf("next without a lab:\n%s\nwant\n%s", r.out, want)
	}
	if r.errOut.String() != "(no lab reachable: chosen from the whole catalog; start a lab with `ckalab lab up`)\n" {
		t.Errorf("next without a lab: stderr %q", r.errOut)
	}

	// A lab with the API only: the first troubleshooting scenario that
	// runs there (admission-policy-denied, pod-pending and
	// service-no-endpoints do, controlplane-broken does not).
	r.out.Reset()
	r.errOut.Reset()
	if err := runNext(ctx, &nextOptions{app: r.app, labInfo: fakeLab, Output: "text"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.out.String(), "admission-policy-denied: ") || !strings.HasSuffix(r.out.String(), "start with admission-policy-denied.\n\n  ckalab start admission-policy-denied\n") {
		t.Errorf("next on a lab with the API only:\n%s", r.out)
	}
	if r.errOut.Len() != 0 {
		t.Errorf("next with a lab: stderr %q", r.errOut)
	}

	if err := r.recordPractice(*gradeReport("service-no-endpoints", []string{"endpoints"}, "endpoints"), "troubleshooting"); err != nil {
		t.Fatal(err)
	}
	r.out.Reset()
	if err := runNext(ctx, &nextOptions{app: r.app, labInfo: fakeLab, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var v nextView
	decodeJSON(t, "next -o json", r.out.Bytes(), &v)
	if v.Scenario != "service-no-endpoints" || v.Domain != "troubleshooting" || v.Command != "ckalab start service-no-endpoints" || !v.LabReachable ||
		v.Title != mustTitle(t, r, "service-no-endpoints") || len(v.FailedChecks) != 1 || v.FailedChecks[0].Check != "endpoints" || !v.Strength.Tried || v.Strength.Percent != 0 ||
		v.Reason != "Troubleshooting costs you the most exam points (0% over your last practice attempt, and it is 30% of the exam); you missed check 'endpoints' in service-no-endpoints once" {
		t.Errorf("next after failing a check of service-no-endpoints: %+v", v)
	}

	err := runNext(ctx, &nextOptions{app: r.app, labInfo: noLabHere, Output: "yaml"})
	wantExit(t, "next -o yaml", err, ExitUsage)
}

// mustTitle is a built-in scenario's title.
func mustTitle(t *testing.T, r runApp, id string) string {
	t.Helper()
	all, err := r.allScenarios()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.ID == id {
			return s.Title
		}
	}
	t.Fatalf("no scenario %s", id)
	return ""
}

// gradeSession is a session on a lab of client-go's fakes, empty: every
// check that looks for an object fails at once.
func (r runApp) gradeSession(t *testing.T) sessionFunc {
	t.Helper()
	cat, err := r.catalog()
	if err != nil {
		t.Fatal(err)
	}
	c := fakelab.New(t)
	c.Context, c.Info = "ckalab-test", *fakeLab(context.Background())
	s := &session{cluster: c, catalog: cat,
		runner: &runner.Runner{Cluster: c, AnswerRoot: t.TempDir(), Grading: grader.Options{NoWait: true}},
		store:  runner.Store{Path: filepath.Join(t.TempDir(), "attempts.json")}}
	return func(context.Context) (*session, error) { return s, nil }
}

// TestRunGradeRecordsPractice: a practice grade goes to the history; a
// history that cannot be written is a warning, and the exit code stays
// the grade's.
func TestRunGradeRecordsPractice(t *testing.T) {
	ctx := context.Background()
	r := newRunApp(t)
	open := r.gradeSession(t)
	err := runGrade(ctx, &gradeOptions{app: r.app, session: open, Scenario: new("rbac-deployer"), Output: "table"})
	wantExit(t, "grade rbac-deployer on an empty lab", err, ExitChecksFailed)
	h, err := r.history()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := h.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Kind != exam.KindPractice || !entries[0].When.Equal(r.env.Now()) {
		t.Fatalf("history after a grade: %+v", entries)
	}
	if p := entries[0].Practice; p.Scenario != "rbac-deployer" || p.Domain != "cluster-architecture" || p.Total == 0 || p.Earned == p.Total ||
		!strings.Contains(strings.Join(p.Failed, " "), "objects") {
		t.Errorf("practice entry %+v", p)
	}
	if r.errOut.Len() != 0 {
		t.Errorf("grade: stderr %q", r.errOut)
	}

	if err := os.WriteFile(h.Path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.out.Reset()
	err = runGrade(ctx, &gradeOptions{app: r.app, session: open, Scenario: new("rbac-deployer"), Output: "table"})
	wantExit(t, "grade with a corrupt history", err, ExitChecksFailed)
	if !strings.Contains(r.errOut.String(), "! the grade was not added to the history: exam history file is unusable: "+h.Path) {
		t.Errorf("grade with a corrupt history: stderr %q", r.errOut)
	}
	if !strings.Contains(r.out.String(), "rbac-deployer: ") {
		t.Errorf("grade with a corrupt history: no report:\n%s", r.out)
	}
}
