package exam_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ckalab/ckalab/exam"
	"github.com/ckalab/ckalab/exam/report"
	"github.com/ckalab/ckalab/grader"
)

// result is a grader result of a check.
func result(id string, points int, passed bool) grader.Result {
	r := grader.Result{ID: id, Title: "check " + id, Points: points, Passed: passed}
	if passed {
		r.Earned = points
	}
	return r
}

// gradeOf is the grader's report of scenario with results.
func gradeOf(scenario string, results ...grader.Result) grader.Report {
	r := grader.Report{Scenario: scenario, Results: results}
	for _, res := range results {
		r.Total += res.Points
		r.Earned += res.Earned
	}
	r.Passed = r.Earned == r.Total
	return r
}

// gradedExam is the report of an exam graded at t0 + 2h: kubelet-broken
// (troubleshooting, 30) fails one check of two, rbac-deployer
// (cluster-architecture, 25) passes, local-storage (storage, 10) is not
// graded.
func gradedExam() report.Summary {
	kubelet := gradeOf("kubelet-broken", result("kubelet-running", 3, false), result("node-ready", 2, true))
	rbac := gradeOf("rbac-deployer", result("sa", 1, true), result("binding", 1, true))
	return report.Build(report.Exam{ID: "cka-sim-20260314-090000", Title: "CKA", Started: t0, Deadline: t0.Add(2 * time.Hour),
		GradedAt: t0.Add(2 * time.Hour), PassMark: 66, Tasks: []report.Task{
			{N: 1, Scenario: "kubelet-broken", Domain: "troubleshooting", Weight: 30, Grade: &kubelet},
			{N: 2, Scenario: "rbac-deployer", Domain: "cluster-architecture", Weight: 25, Grade: &rbac},
			{N: 3, Scenario: "local-storage", Domain: "storage", Weight: 10, Note: "setup failed"},
		}})
}

func TestHistoryEntries(t *testing.T) {
	e := exam.NewExamEntry(gradedExam(), "cka-sim")
	if e.Kind != exam.KindExam || !e.When.Equal(t0.Add(2*time.Hour)) || e.Practice != nil || e.Exam == nil {
		t.Fatalf("exam entry: %+v", e)
	}
	x := e.Exam
	if x.ID != "cka-sim-20260314-090000" || x.Set != "cka-sim" || x.PassMark != 66 || x.Passed || len(x.Domains) != 3 || len(x.Tasks) != 3 {
		t.Errorf("exam entry: %+v", x)
	}
	// 30·2/5 + 25 of 65, floored.
	if want := 56.9; x.Percent != want {
		t.Errorf("exam percent %v, want about %v", x.Percent, want)
	}
	if d := x.Domains[len(x.Domains)-1]; d.Name != "troubleshooting" || d.Percent != 40 || d.Tasks != 1 {
		t.Errorf("troubleshooting: %+v", d)
	}
	k, l := x.Tasks[0], x.Tasks[2]
	if k.Scenario != "kubelet-broken" || k.Earned != 2 || k.Total != 5 || !reflect.DeepEqual(k.Failed, []string{"kubelet-running"}) || k.NotGraded || k.Full() {
		t.Errorf("kubelet-broken task: %+v", k)
	}
	if !x.Tasks[1].Full() || l.Scenario != "local-storage" || !l.NotGraded || l.Full() {
		t.Errorf("rbac-deployer %+v, local-storage %+v", x.Tasks[1], l)
	}

	p := exam.NewPracticeEntry(gradeOf("drain-worker", result("cordoned", 1, true), result("evicted", 2, false)), "cluster-architecture", t0)
	if p.Kind != exam.KindPractice || !p.When.Equal(t0) || p.Exam != nil ||
		!reflect.DeepEqual(*p.Practice, exam.PracticeResult{Scenario: "drain-worker", Domain: "cluster-architecture", Earned: 1, Total: 3, Failed: []string{"evicted"}}) {
		t.Errorf("practice entry: %+v %+v", p, p.Practice)
	}
}

func TestHistoryRoundTrip(t *testing.T) {
	h := exam.History{Path: filepath.Join(t.TempDir(), "state", "history.json")}
	got, err := h.Load()
	if err != nil || got != nil {
		t.Fatalf("Load() of no file = %v, %v; want nothing", got, err)
	}
	want := []exam.Entry{
		exam.NewPracticeEntry(gradeOf("drain-worker", result("evicted", 2, false)), "cluster-architecture", t0),
		exam.NewExamEntry(gradedExam(), "cka-sim"),
	}
	if err := h.Append(want[0]); err != nil {
		t.Fatal(err)
	}
	if err := h.Append(want[1]); err != nil {
		t.Fatal(err)
	}
	got, err = h.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load() after two appends:\n got %+v\nwant %+v", got, want)
	}
	if fi, err := os.Stat(h.Path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the history file: %v, %v; want mode 0600", fi, err)
	}
	if err := h.Append(exam.Entry{Kind: exam.KindPractice, When: t0}); err == nil {
		t.Error("Append of a practice entry without its grade: no error")
	}
}

// TestHistoryBound: the history keeps the newest MaxHistory entries.
func TestHistoryBound(t *testing.T) {
	h := exam.History{Path: filepath.Join(t.TempDir(), "history.json")}
	entry := func(i int) exam.Entry {
		return exam.NewPracticeEntry(gradeOf(fmt.Sprintf("s-%d", i), result("c", 1, true)), "storage", t0.Add(time.Duration(i)*time.Minute))
	}
	var batch []exam.Entry
	for i := range exam.MaxHistory - 1 {
		batch = append(batch, entry(i))
	}
	if err := h.Append(batch...); err != nil {
		t.Fatal(err)
	}
	for i := exam.MaxHistory - 1; i < exam.MaxHistory+10; i++ {
		if err := h.Append(entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := h.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != exam.MaxHistory || got[0].Practice.Scenario != "s-10" || got[len(got)-1].Practice.Scenario != fmt.Sprintf("s-%d", exam.MaxHistory+9) {
		t.Errorf("%d entries from %s to %s; want %d, s-10 to s-%d", len(got), got[0].Practice.Scenario, got[len(got)-1].Practice.Scenario,
			exam.MaxHistory, exam.MaxHistory+9)
	}
}

// TestHistoryUnusable: a broken file, or one of another version, is named
// with the fix, and never replaced by an append.
func TestHistoryUnusable(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"empty", "", "unexpected end of JSON input"},
		{"garbage", "{{", "invalid character"},
		{"null", "null", "no version"},
		{"a list", `[{"kind": "exam"}]`, "cannot unmarshal array"},
		{"no version", `{"entries": []}`, "no version"},
		{"an exam without its exam", `{"version": 1, "entries": [{"kind": "exam", "when": "2026-03-14T09:00:00Z"}]}`, "entry 1: an exam entry without its exam"},
		{"an unknown kind", `{"version": 1, "entries": [{"kind": "quiz", "when": "2026-03-14T09:00:00Z"}]}`, `entry 1: an entry of unknown kind "quiz"`},
		{"no time", `{"version": 1, "entries": [{"kind": "practice", "practice": {"scenario": "a"}}]}`, "entry 1: an entry of kind practice without its time"},
		{"newer", `{"version": 2, "entries": []}`, "is of version 2 and this ckalab reads version 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := exam.History{Path: filepath.Join(t.TempDir(), "history.json")}
			if err := os.WriteFile(h.Path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := h.Load()
			if !errors.Is(err, exam.ErrHistoryCorrupt) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "mv "+h.Path+" "+h.Path+".bad") {
				t.Errorf("Load() = %v, want ErrHistoryCorrupt with %q, naming the file and the fix", err, tc.want)
			}
			if err := h.Append(exam.NewPracticeEntry(gradeOf("a", result("c", 1, true)), "storage", t0)); !errors.Is(err, exam.ErrHistoryCorrupt) {
				t.Errorf("Append() = %v, want ErrHistoryCorrupt", err)
			}
			if data, _ := os.ReadFile(h.Path); string(data) != tc.content {
				t.Errorf("the file was replaced by %q", data)
			}
		})
	}
}

// TestHistoryConcurrent: appends from many goroutines (each with its own
// lock descriptor, as processes have) lose no entry and leave no
// temporary file.
func TestHistoryConcurrent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "history.json")
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*2)
	for w := range workers {
		wg.Go(func() {
			h := exam.History{Path: path}
			for i := range each {
				e := exam.NewPracticeEntry(gradeOf(fmt.Sprintf("w%d-%d", w, i), result("c", 1, i%2 == 0)), "storage", t0)
				if err := h.Append(e); err != nil {
					errs <- err
				}
				if _, err := h.Load(); err != nil { // reads take no lock
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := exam.History{Path: path}.Load()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range got {
		seen[e.Practice.Scenario] = true
	}
	if len(got) != workers*each || len(seen) != workers*each {
		t.Errorf("%d entries, %d different, want %d", len(got), len(seen), workers*each)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// practice is a practice entry of scenario graded at when: earned of
// total points, the failed checks named.
func practice(scenario, domain string, when time.Time, earned, total int, failed ...string) exam.Entry {
	return exam.Entry{Kind: exam.KindPractice, When: when, Practice: &exam.PracticeResult{
		Scenario: scenario, Domain: domain, Earned: earned, Total: total, Failed: failed}}
}

// examOf is an exam entry graded at when of equally weighted tasks.
func examOf(when time.Time, tasks ...exam.TaskResult) exam.Entry {
	x := &exam.ExamResult{ID: "e-" + when.Format("0102"), Set: "cka-sim"}
	for _, tk := range tasks {
		tk.Max = 100 / float64(len(tasks))
		if tk.Total > 0 {
			tk.Score = tk.Max * float64(tk.Earned) / float64(tk.Total)
		}
		x.Tasks = append(x.Tasks, tk)
	}
	return exam.Entry{Kind: exam.KindExam, When: when, Exam: x}
}

func task(scenario, domain string, earned, total int, failed ...string) exam.TaskResult {
	return exam.TaskResult{Scenario: scenario, Domain: domain, Earned: earned, Total: total, Failed: failed}
}

func TestDomainStrengths(t *testing.T) {
	now := t0.Add(60 * 24 * time.Hour)
	day := func(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }
	domains := []string{"storage", "troubleshooting", "cluster-architecture", "services-and-networking"}
	entries := []exam.Entry{
		// Storage: 0% four weeks ago (weight 1/4), 100% today (weight 1):
		// one after the other, but too far apart to be one attempt.
		practice("local-storage", "storage", day(28), 0, 4, "pv", "pvc"),
		practice("local-storage", "storage", day(0), 4, 4),
		// Troubleshooting: one exam of two tasks, 1/2 and 0/2; and a
		// setup that failed, which says nothing.
		examOf(day(0), task("kubelet-broken", "troubleshooting", 1, 2, "kubelet-running"), task("node-notready", "troubleshooting", 0, 2, "ready"),
			exam.TaskResult{Scenario: "static-pod", Domain: "cluster-architecture", NotGraded: true}),
		// Cluster architecture: graded three times in a row while the
		// learner worked: one attempt, the last grade counting.
		practice("etcd-backup", "cluster-architecture", day(1), 0, 2, "snapshot"),
		practice("etcd-backup", "cluster-architecture", day(1).Add(time.Hour), 1, 2, "snapshot"),
		practice("etcd-backup", "cluster-architecture", day(1).Add(2*time.Hour), 2, 2),
	}
	got := exam.DomainStrengths(entries, domains, now)
	want := []exam.DomainStrength{
		{Domain: "storage", Percent: 80, Tried: true, Practices: 2},
		{Domain: "troubleshooting", Percent: 25, Tried: true, Exams: 1},
		{Domain: "cluster-architecture", Percent: 100, Tried: true, Practices: 1},
		{Domain: "services-and-networking"},
	}
	if len(got) != len(want) {
		t.Fatalf("DomainStrengths: %+v", got)
	}
	for i := range want {
		g := got[i]
		if math.Abs(g.Percent-want[i].Percent) > 0.01 {
			t.Errorf("%s: %.2f%%, want %.2f%%", g.Domain, g.Percent, want[i].Percent)
		}
		g.Percent = want[i].Percent
		if g != want[i] {
			t.Errorf("strength %+v, want %+v", got[i], want[i])
		}
	}

	// An exam task of twice the weight counts twice.
	x := examOf(now, task("a", "storage", 0, 1, "c"), task("b", "storage", 1, 1))
	x.Exam.Tasks[0].Max, x.Exam.Tasks[1].Max, x.Exam.Tasks[1].Score = 20, 10, 10
	if s := exam.DomainStrengths([]exam.Entry{x}, []string{"storage"}, now); math.Abs(s[0].Percent-100.0/3) > 0.01 {
		t.Errorf("storage with a 0%% task of weight 2 and a 100%% task of weight 1: %.2f%%, want 33.33%%", s[0].Percent)
	}
}

func TestScenarioRecords(t *testing.T) {
	now := t0.Add(30 * 24 * time.Hour)
	entries := []exam.Entry{
		practice("kubelet-broken", "troubleshooting", t0, 0, 5, "kubelet-running", "node-ready"),
		examOf(t0.Add(time.Hour), task("kubelet-broken", "troubleshooting", 2, 5, "kubelet-running"), task("drain-worker", "cluster-architecture", 1, 1)),
		// Two grades in a row: one attempt; only the last one's failures count.
		practice("kubelet-broken", "troubleshooting", t0.Add(2*time.Hour), 0, 5, "kubelet-running", "node-ready", "config"),
		practice("kubelet-broken", "troubleshooting", t0.Add(3*time.Hour), 3, 5, "node-ready"),
		practice("drain-worker", "cluster-architecture", t0.Add(4*time.Hour), 1, 1),
	}
	got := exam.ScenarioRecords(entries, now)
	k := got["kubelet-broken"]
	if k == nil || k.Tries != 3 || !k.Last.Equal(t0.Add(3*time.Hour)) || k.LastFull {
		t.Fatalf("kubelet-broken: %+v", k)
	}
	var failed []string
	for _, f := range k.Failed {
		failed = append(failed, fmt.Sprintf("%s×%d", f.Check, f.Count))
	}
	// Both failed twice: node-ready most recently.
	if want := []string{"node-ready×2", "kubelet-running×2"}; !reflect.DeepEqual(failed, want) {
		t.Errorf("kubelet-broken's failed checks %v, want %v", failed, want)
	}
	if d := got["drain-worker"]; d == nil || d.Tries != 2 || !d.LastFull || len(d.Failed) != 0 || d.FailWeight != 0 {
		t.Errorf("drain-worker: %+v", d)
	}
	if len(got) != 2 {
		t.Errorf("records of %d scenarios, want 2", len(got))
	}
}
