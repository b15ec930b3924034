package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ckalab/ckalab/cmd/internal/cli"
	"github.com/ckalab/ckalab/exam/report"
	"github.com/ckalab/ckalab/grader/checks"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/steps"
)

// examSet is an instructor's 3-task exam with fixed shares, so that the
// report's numbers can be computed by hand: solving the daemonset task
// alone is 40%, a fail against the pass mark of 66%.
const examSet = `apiVersion: ckalab.dev/v1alpha1
kind: Exam
id: three-tasks
title: Three tasks
duration: 30m
passMark: 66
tasks:
  - scenario: daemonset-everywhere
    points: 40
  - scenario: quota-vs-limitrange
    points: 30
  - scenario: rbac-deployer
    points: 30
`

// examClock is the harness's clock: the real time from a fixed instant,
// plus a jump the test makes to pass the deadline without waiting.
type examClock struct {
	mu    sync.Mutex
	start time.Time
	base  time.Time
	jump  time.Duration
}

func (c *examClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(time.Since(c.start) + c.jump)
}

func (c *examClock) skip(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.jump += d
}

// examStatus is the part of `exam status -o json` the test reads.
type examStatus struct {
	ID          string `json:"id"`
	LeftSeconds int64  `json:"timeLeftSeconds"`
	Over        bool   `json:"over"`
	Tasks       []struct {
		N        int     `json:"n"`
		Scenario string  `json:"scenario"`
		Weight   float64 `json:"weight"`
		Flagged  bool    `json:"flagged"`
	} `json:"tasks"`
}

func (s examStatus) task(t *testing.T, scenario string) int {
	t.Helper()
	for _, x := range s.Tasks {
		if x.Scenario == scenario {
			return x.N
		}
	}
	t.Fatalf("no task for %s in %+v", scenario, s.Tasks)
	return 0
}

// TestSimExamEndToEnd runs two timed exams one after the other on one sim
// lab, as a learner does: the first handed in early after solving one
// task; the second left to run out while work goes on, graded by the
// watcher at the deadline, work after it ignored.
func TestSimExamEndToEnd(t *testing.T) {
	bin := needSimBinaries(t)
	h := newHarness(t)
	h.vars["CKALAB_SIM_BIN"] = bin
	clock := &examClock{start: time.Now(), base: time.Now().Truncate(time.Hour)}
	h.now = clock.now
	t.Cleanup(func() {
		if r := h.run("lab", "down"); r.code != cli.ExitOK {
			t.Errorf("cleanup: lab down: %s", r)
		}
	})
	h.expect(cli.ExitOK, "lab", "up", "--provider", "sim")
	setFile := filepath.Join(h.dir, "three.yaml")
	if err := os.WriteFile(setFile, []byte(examSet), 0o600); err != nil {
		t.Fatal(err)
	}

	// No exam yet.
	r := h.expect(cli.ExitError, "exam", "status")
	contains(t, "status before", r.stderr, "no exam on this lab")

	// Exam 1: start, look around, solve one task, submit early.
	began := time.Now()
	r = h.expect(cli.ExitOK, "exam", "start", "--set", setFile)
	t.Logf("exam start (3 tasks) took %s", time.Since(began).Round(time.Millisecond))
	contains(t, "exam start", r.stderr, "Setting up 3 tasks", "Three tasks: 3 tasks, 30m, pass mark 66%")
	contains(t, "exam start", r.stdout, "Time left: 0:30:00", "A node agent on every node", "40%")
	st := readExamStatus(t, h)
	if len(st.Tasks) != 3 || st.LeftSeconds < 29*60 || st.LeftSeconds > 30*60 || st.Over {
		t.Fatalf("status after start: %+v", st)
	}
	ds := st.task(t, "daemonset-everywhere")
	r = h.expect(cli.ExitOK, "exam", "task", itoa(ds))
	contains(t, "exam task", r.stdout, "Task "+itoa(ds)+" of 3", "Solve this task on context ckalab-sim", "kubectl config use-context ckalab-sim", "DaemonSet")

	// A second start while the exam runs is refused, the exam untouched.
	r = h.expect(cli.ExitError, "exam", "start", "--set", setFile)
	contains(t, "second start", r.stderr, "is still running on this lab", "exam submit")
	if again := readExamStatus(t, h); again.ID != st.ID {
		t.Fatalf("a refused start replaced exam %s by %s", st.ID, again.ID)
	}
	// Solutions stay hidden while the clock runs.
	r = h.expect(cli.ExitUsage, "exam", "review")
	contains(t, "review before submit", r.stderr, "solutions show once the exam is graded")

	h.expect(cli.ExitOK, "exam", "flag", "3")
	if got := readExamStatus(t, h); !got.Tasks[2].Flagged {
		t.Errorf("flag 3: not flagged: %+v", got.Tasks)
	}
	solveWithKubectl(t, h, bin, "daemonset-everywhere")

	// Without a terminal, submit wants --yes.
	r = h.expect(cli.ExitUsage, "exam", "submit")
	contains(t, "submit without --yes", r.stderr, "pass --yes")
	htmlFile := filepath.Join(h.dir, "report.html")
	began = time.Now()
	r = h.expect(cli.ExitChecksFailed, "exam", "submit", "--yes", "-o", "json", "--html", htmlFile, "--junit", filepath.Join(h.dir, "exam.xml"))
	t.Logf("exam submit (3 tasks) took %s", time.Since(began).Round(time.Millisecond))
	sum := decodeSummary(t, r.stdout)
	if sum.Percent != 40 || sum.Passed || sum.Ending != report.EndedEarly {
		t.Errorf("exam 1: %.1f%%, passed %v, ending %s; want 40%%, a fail, ended early", sum.Percent, sum.Passed, sum.Ending)
	}
	for _, ts := range sum.Tasks {
		want := report.StatusNone
		if ts.Scenario == "daemonset-everywhere" {
			want = report.StatusFull
		}
		if ts.Status != want {
			t.Errorf("exam 1 task %d (%s): %s, want %s (failed: %+v)", ts.N, ts.Scenario, ts.Status, want, ts.Failed)
		}
	}
	html := string(readFile(t, htmlFile))
	contains(t, "HTML report", html, "<html", "Three tasks", "40")
	// Submitting again shows the same report: nothing is graded twice.
	r = h.expect(cli.ExitChecksFailed, "exam", "submit", "--yes", "-o", "json")
	if again := decodeSummary(t, r.stdout); again.GradedAt != sum.GradedAt || again.Percent != sum.Percent {
		t.Errorf("second submit graded again: %v %.1f%%, first %v %.1f%%", again.GradedAt, again.Percent, sum.GradedAt, sum.Percent)
	}
	r = h.expect(cli.ExitOK, "exam", "review", itoa(ds))
	contains(t, "review", r.stdout, "Solution:", "toleration")

	// Exam 2 on the same lab: the setup of exam 1 and its solution are gone.
	h.expect(cli.ExitOK, "exam", "start", "--set", setFile, "--duration", "10m")
	st = readExamStatus(t, h)
	if st.ID == sum.ID {
		t.Fatalf("exam 2 has exam 1's id %s", st.ID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	watched := make(chan result, 1)
	go func() { watched <- h.runCtx(ctx, "exam", "watch", "--max-sleep", "50ms") }()

	// Work before the deadline counts; the clock then jumps past it.
	solveWithKubectl(t, h, bin, "rbac-deployer")
	clock.skip(10 * time.Minute)
	select {
	case w := <-watched:
		if w.code != cli.ExitOK {
			t.Fatalf("exam watch: %s", w)
		}
		contains(t, "exam watch", w.stderr, "graded")
	case <-ctx.Done():
		t.Fatal("the watcher did not grade the exam at its deadline")
	}
	// Work after the deadline does not.
	solveWithKubectl(t, h, bin, "daemonset-everywhere")
	r = h.expect(cli.ExitChecksFailed, "exam", "submit", "-o", "json")
	sum = decodeSummary(t, r.stdout)
	if sum.Percent != 30 || sum.Ending != report.EndedAtDeadline {
		t.Errorf("exam 2: %.1f%%, ending %s; want 30%% (rbac only) graded at the deadline", sum.Percent, sum.Ending)
	}
	r = h.expect(cli.ExitOK, "exam", "status")
	contains(t, "status after the deadline", r.stdout, "Over: 30.0%")
}

func itoa(n int) string { return strconv.Itoa(n) }

func readExamStatus(t *testing.T, h *harness) examStatus {
	t.Helper()
	r := h.expect(cli.ExitOK, "exam", "status", "-o", "json")
	var st examStatus
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("exam status -o json: %v\n%s", err, r.stdout)
	}
	return st
}

func decodeSummary(t *testing.T, out string) report.Summary {
	t.Helper()
	var s report.Summary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("exam submit -o json: %v\n%s", err, out)
	}
	return s
}

// solveWithKubectl applies a scenario's reference solution as a learner
// would, with the sim's own kubectl: the exam's tasks are the catalog's,
// and these have no vars.
func solveWithKubectl(t *testing.T, h *harness, bin, id string) {
	t.Helper()
	cat, err := scenarios.NewCatalog(scenarios.Loader{CheckTypes: checks.All()}, scenarios.Source{Name: "builtin", FS: scenarios.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := cat.Load(id, scenarios.DefaultTemplateData())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sc.Solution.Steps {
		apply, ok := st.Action.(*steps.Apply)
		if !ok || apply.Manifest == "" {
			t.Fatalf("%s: solution step %s is not a manifest to apply", id, st.Name())
		}
		cmd := exec.Command(filepath.Join(bin, "kubectl"), "--kubeconfig", h.kubeconfig(), "apply", "-f", "-")
		cmd.Stdin = strings.NewReader(apply.Manifest)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: kubectl apply: %v\n%s", id, err, out)
		}
	}
	// An exam is graded as it stands: wait, as a learner would, until
	// the workload runs before handing in.
	if wait, ok := settled[id]; ok {
		cmd := exec.Command(filepath.Join(bin, "kubectl"), append([]string{"--kubeconfig", h.kubeconfig()}, wait...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: kubectl %v: %v\n%s", id, wait, err, out)
		}
	}
}

// settled are the kubectl commands that wait until a solution's workload
// runs.
var settled = map[string][]string{
	"daemonset-everywhere": {"rollout", "status", "daemonset/node-agent", "-n", "monitoring", "--timeout", "2m"},
}
