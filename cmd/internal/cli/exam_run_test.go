package cli

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/exam"
	"github.com/ckalab/ckalab/grader"
)

// examApp is a runApp whose kubeconfig selects the exam's context.
func examApp(t *testing.T) runApp {
	t.Helper()
	r := newRunApp(t)
	writeUserKubeconfig(t, r.vars["KUBECONFIG"], examContextName)
	return r
}

func TestRunExamCommandsWithoutAnExam(t *testing.T) {
	r := examApp(t)
	for name, run := range map[string]func() error{
		"status": func() error {
			return runExamStatus(context.Background(), &examStatusOptions{app: r.app, session: noSession(t), Output: "table"})
		},
		"task": func() error {
			return runExamTask(context.Background(), &examTaskOptions{app: r.app, session: noSession(t), N: 1})
		},
		"flag": func() error { return runExamFlag(&examFlagOptions{app: r.app, N: 1}) },
		"submit": func() error {
			return runExamSubmit(context.Background(), &examSubmitOptions{app: r.app, session: noSession(t), Yes: true, Output: "text"})
		},
		"review": func() error {
			return runExamReview(context.Background(), &examReviewOptions{app: r.app, session: noSession(t)})
		},
	} {
		err := run()
		wantExit(t, name, err, ExitError)
		if err == nil || !strings.Contains(err.Error(), "no exam on this lab") || !strings.Contains(err.Error(), examContextName) {
			t.Errorf("%s: %v, want no exam on context %s", name, err, examContextName)
		}
	}
}

func TestRunExamFlag(t *testing.T) {
	r := examApp(t)
	store := saveExam(t, r.app, nil)
	if err := runExamFlag(&examFlagOptions{app: r.app, N: 2}); err != nil {
		t.Fatal(err)
	}
	st, err := store.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !st.Tasks[1].Flagged || st.Tasks[0].Flagged {
		t.Errorf("after flag 2: %+v", st.Tasks)
	}
	if err := runExamFlag(&examFlagOptions{app: r.app, N: 2, Clear: true}); err != nil {
		t.Fatal(err)
	}
	if st, _ = store.Load(); st.Tasks[1].Flagged {
		t.Error("flag --clear left task 2 flagged")
	}
	err = runExamFlag(&examFlagOptions{app: r.app, N: 9})
	wantExit(t, "flag 9", err, ExitUsage)
	if err == nil || !strings.Contains(err.Error(), "no task 9: the exam has tasks 1 to 4") {
		t.Errorf("flag 9: %v", err)
	}
}

func TestRunExamStatusJSON(t *testing.T) {
	r := examApp(t)
	saveExam(t, r.app, func(st *exam.State) { st.Tasks[3].Flagged = true })
	// The lab is not reachable: status still shows the exam, and warns.
	r.app.kubeconfig = r.vars["KUBECONFIG"]
	if err := runExamStatus(context.Background(), &examStatusOptions{app: r.app, session: noSession(t), Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var view struct {
		ID          string `json:"id"`
		LeftSeconds int64  `json:"timeLeftSeconds"`
		Over        bool   `json:"over"`
		Flagged     []int  `json:"flagged"`
		Tasks       []exam.Task
	}
	decodeJSON(t, "exam status -o json", r.out.Bytes(), &view)
	if view.ID != "cka-mock-1-20260314-144315" || view.LeftSeconds != 5025 || view.Over || !slices.Equal(view.Flagged, []int{4}) || len(view.Tasks) != 4 {
		t.Errorf("status: %+v", view)
	}
	if !strings.Contains(r.errOut.String(), "cannot be reached") {
		t.Errorf("stderr does not report the unreachable lab:\n%s", r.errOut)
	}
}

func TestRunExamReviewHidesSolutionsWhileTheClockRuns(t *testing.T) {
	r := examApp(t)
	saveExam(t, r.app, nil)
	err := runExamReview(context.Background(), &examReviewOptions{app: r.app, session: noSession(t)})
	wantExit(t, "review", err, ExitUsage)
	if err == nil || !strings.Contains(err.Error(), "1:23:45 left") {
		t.Errorf("review: %v", err)
	}
}

func TestRunExamSubmitAsksOrWantsYes(t *testing.T) {
	r := examApp(t)
	store := saveExam(t, r.app, nil)
	err := runExamSubmit(context.Background(), &examSubmitOptions{app: r.app, session: noSession(t), Output: "text"})
	wantExit(t, "submit without --yes", err, ExitUsage)
	if st, _ := store.Load(); st.Submitted != nil {
		t.Error("a refused submit recorded a submission")
	}
	err = runExamSubmit(context.Background(), &examSubmitOptions{app: r.app, session: noSession(t), Output: "yaml"})
	wantExit(t, "submit -o yaml", err, ExitUsage)
}

// TestRunExamSubmitShowsTheRecordedGrade: a graded exam is never graded
// again (the lab is not even looked for): work after the grade does not
// count, and the exit code says pass or fail.
func TestRunExamSubmitShowsTheRecordedGrade(t *testing.T) {
	r := examApp(t)
	now := r.app.env.Now()
	saveExam(t, r.app, func(st *exam.State) {
		graded := now.Add(-time.Minute)
		st.Graded = &graded
		for _, task := range st.Tasks {
			rep := &grader.Report{Scenario: task.Scenario, Earned: 1, Total: 1, Passed: true}
			if task.N == 4 {
				rep = &grader.Report{Scenario: task.Scenario, Earned: 1, Total: 2,
					Results: []grader.Result{{ID: "a", Title: "first", Points: 1, Earned: 1, Passed: true}, {ID: "b", Title: "second", Points: 1, Why: "because"}}}
			}
			st.Grades = append(st.Grades, exam.TaskGrade{N: task.N, Report: rep})
		}
	})
	err := runExamSubmit(context.Background(), &examSubmitOptions{app: r.app, session: noSession(t), Output: "text",
		HTML: filepath.Join(t.TempDir(), "r.html")})
	if err != nil {
		t.Fatalf("submit: %v (87.5%% passes 66%%)", err)
	}
	for _, want := range []string{"87.5", "PASS", "second", "because"} {
		if !strings.Contains(r.out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, r.out)
		}
	}
}

// TestStartWatcher: exam start detaches one watcher and records its pid;
// a command finding it alive starts none, one finding it dead starts
// another.
func TestStartWatcher(t *testing.T) {
	r := examApp(t)
	store := saveExam(t, r.app, nil)
	var started [][]string
	alive := map[int]bool{}
	r.app.env.Detach = func(args []string, logPath string) (int, error) {
		if !strings.HasSuffix(logPath, ".watch.log") {
			t.Errorf("watcher log %s", logPath)
		}
		started = append(started, args)
		alive[100+len(started)] = true
		return 100 + len(started), nil
	}
	r.app.env.Alive = func(pid int, args []string) bool {
		if !slices.Equal(args, []string{"exam", "watch", "--context", examContextName}) {
			t.Errorf("Alive asked about %v", args)
		}
		return alive[pid]
	}
	load := func() *exam.State {
		st, err := store.Load()
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	r.app.startWatcher(store, load())
	if len(started) != 1 || load().Watcher != 101 {
		t.Fatalf("first start: %v, pid %d", started, load().Watcher)
	}
	r.app.startWatcher(store, load())
	if len(started) != 1 {
		t.Fatalf("a live watcher was started again: %v", started)
	}
	alive[101] = false // kill -9
	r.app.startWatcher(store, load())
	if len(started) != 2 || load().Watcher != 102 {
		t.Fatalf("a dead watcher was not replaced: %v, pid %d", started, load().Watcher)
	}
}

// TestPracticeCommandsRefuseDuringAnExam: grade, hint, solution, start,
// reset, lab reset and scenario test would answer or wipe the exam.
func TestPracticeCommandsRefuseDuringAnExam(t *testing.T) {
	r := examApp(t)
	store := saveExam(t, r.app, nil)
	s := &session{exam: store}
	err := s.refuseDuringExam("hint")
	wantExit(t, "hint during an exam", err, ExitError)
	if err == nil || !strings.Contains(err.Error(), "`ckalab hint` waits until it is handed in") {
		t.Errorf("hint during an exam: %v", err)
	}
	if err := store.Update(func(st *exam.State) error {
		now := r.app.env.Now()
		st.Graded = &now
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.refuseDuringExam("hint"); err != nil {
		t.Errorf("after grading: %v", err)
	}
	if err := (&session{exam: exam.Store{Path: filepath.Join(t.TempDir(), "none.json")}}).refuseDuringExam("hint"); err != nil {
		t.Errorf("no exam: %v", err)
	}
}

func TestClockText(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0:00:00", 2 * time.Hour: "2:00:00", 83*time.Minute + 45*time.Second + 400*time.Millisecond: "1:23:45"} {
		if got := clockText(d); got != want {
			t.Errorf("clockText(%s) = %s, want %s", d, got, want)
		}
	}
}

// TestForgetContextRemovesTheExamsLabFiles: `lab down` removes the exam
// shell's kubeconfig (the lab's admin key) and the answers with the lab,
// and keeps the exam's state, so that `exam status` can say the lab is
// gone.
func TestForgetContextRemovesTheExamsLabFiles(t *testing.T) {
	r := examApp(t)
	store := saveExam(t, r.app, nil)
	kubeconfig, rcfile := examShellFiles(store)
	answers := filepath.Join(examCourseDir(store), "1")
	for _, p := range []string{kubeconfig, rcfile, filepath.Join(answers, "answer.txt")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.app.forgetContext(examContextName); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{kubeconfig, rcfile, examCourseDir(store)} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is still there (%v)", p, err)
		}
	}
	if _, err := store.Load(); err != nil {
		t.Errorf("the exam's state went with the lab: %v", err)
	}
}
