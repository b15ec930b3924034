package exam_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ckalab/ckalab/exam"
)

// t0 is the start of the exams of these tests: a fixed clock.
var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

func newState(t *testing.T) *exam.State {
	t.Helper()
	set := &exam.Set{ID: "cka-sim", Duration: 2 * time.Hour, PassMark: 66}
	r := draw(t, pool(plenty()), exam.DrawOptions{Count: 16, Seed: 11})
	return exam.NewState(set, r, 11, "kind-ckalab", "kind", t0)
}

func TestNewState(t *testing.T) {
	st := newState(t)
	if st.Version != exam.StateVersion || st.ID != "cka-sim-20260314-090000" || st.Set != "cka-sim" || st.Seed != 11 ||
		!st.Deadline.Equal(t0.Add(2*time.Hour)) || st.PassMark != 66 || len(st.Tasks) != 16 || st.Context != "kind-ckalab" {
		t.Errorf("got %+v", st)
	}
	// The monotonic reading of a real clock is dropped: a deadline is
	// wall-clock time, which goes on while the machine sleeps.
	if st := exam.NewState(&exam.Set{Duration: time.Hour}, exam.DrawResult{}, 0, "", "", time.Now()); st.Deadline != st.Deadline.Round(0) {
		t.Error("the deadline keeps the monotonic clock reading")
	}
}

// TestStateClock: time left and expiry against a fixed clock.
func TestStateClock(t *testing.T) {
	st := newState(t)
	for _, tc := range []struct {
		now     time.Time
		left    time.Duration
		expired bool
	}{
		{t0, 2 * time.Hour, false},
		{t0.Add(119*time.Minute + 59*time.Second), time.Second, false},
		{t0.Add(2 * time.Hour), 0, true},
		{t0.Add(5 * time.Hour), 0, true},
	} {
		if left, exp := st.TimeLeft(tc.now), st.Expired(tc.now); left != tc.left || exp != tc.expired {
			t.Errorf("at %s: %s left, expired %v; want %s, %v", tc.now.Sub(t0), left, exp, tc.left, tc.expired)
		}
	}
}

func TestStateFlag(t *testing.T) {
	st := newState(t)
	if err := st.Flag(3, true); err != nil {
		t.Fatal(err)
	}
	if task, _ := st.Task(3); !task.Flagged {
		t.Error("task 3 not flagged")
	}
	if err := st.Flag(3, false); err != nil {
		t.Fatal(err)
	}
	if task, _ := st.Task(3); task.Flagged {
		t.Error("task 3 still flagged")
	}
	for _, n := range []int{0, 17, -1} {
		if err := st.Flag(n, true); err == nil || err.Error() != fmt.Sprintf("no task %d: the exam has tasks 1 to 16", n) {
			t.Errorf("Flag(%d) = %v", n, err)
		}
	}
}

// TestStoreReload: a saved exam, its process killed (the state dropped)
// and the file read again, has the same deadline, tasks and flags.
func TestStoreReload(t *testing.T) {
	s := exam.Store{Path: filepath.Join(t.TempDir(), "exam", "exam.json")}
	st := newState(t)
	st.Flag(5, true)
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !got.Deadline.Equal(st.Deadline) || !got.Started.Equal(st.Started) || got.Duration != st.Duration || len(got.Tasks) != 16 {
		t.Errorf("reloaded %+v, saved %+v", got, st)
	}
	if task, _ := got.Task(5); !task.Flagged || task.Scenario != st.Tasks[4].Scenario || task.Weight != st.Tasks[4].Weight {
		t.Errorf("task 5 reloaded as %+v, saved %+v", task, st.Tasks[4])
	}
	if got.TimeLeft(t0.Add(time.Hour)) != time.Hour {
		t.Errorf("an hour in, %s left after reload", got.TimeLeft(t0.Add(time.Hour)))
	}
	info, err := os.Stat(s.Path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v (%v), want 0600", info.Mode().Perm(), err)
	}
}

func TestStoreUpdate(t *testing.T) {
	s := exam.Store{Path: filepath.Join(t.TempDir(), "exam.json")}
	if err := s.Save(newState(t)); err != nil {
		t.Fatal(err)
	}
	graded := t0.Add(2*time.Hour + 3*time.Second)
	if err := s.Update(func(st *exam.State) error { st.Graded = &graded; return nil }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := s.Update(func(st *exam.State) error { st.Tasks = nil; return boom }); err != boom {
		t.Errorf("Update returned %v, want change's error as it is", err)
	}
	st, err := s.Load()
	if err != nil || st.Graded == nil || !st.Graded.Equal(graded) || len(st.Tasks) != 16 {
		t.Errorf("after updates: %+v, %v; want graded, the failed change not written", st, err)
	}
	if err := s.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(); !errors.Is(err, exam.ErrNoExam) {
		t.Errorf("after Remove, Load = %v, want ErrNoExam", err)
	}
	if err := s.Remove(); err != nil {
		t.Errorf("second Remove: %v", err)
	}
	if err := s.Update(func(*exam.State) error { return nil }); !errors.Is(err, exam.ErrNoExam) {
		t.Errorf("Update with no exam = %v, want ErrNoExam", err)
	}
}

// TestStoreConcurrent: the CLI and a watcher writing at once (goroutines
// here, each with its own lock descriptor as processes have) leave a
// valid file that holds every update, and no temporary file.
func TestStoreConcurrent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "exam.json")
	fresh := newState(t)
	if err := (exam.Store{Path: path}).Save(fresh); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := range 8 {
		wg.Go(func() {
			s := exam.Store{Path: path}
			for i := range 12 {
				var err error
				if i%3 == 0 {
					err = s.Save(fresh) // a whole state, as a new exam writes it
				} else {
					n := 1 + (w*12+i)%16
					err = s.Update(func(st *exam.State) error { return st.Flag(n, true) })
				}
				if err != nil {
					errs <- err
				}
				if _, err := s.Load(); err != nil { // reads take no lock
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
	if _, err := (exam.Store{Path: path}).Load(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// TestStoreUnusable: a broken file, or one of another version, is named
// with the fix, and never replaced by a write.
func TestStoreUnusable(t *testing.T) {
	valid, err := json.Marshal(newState(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, content, want string
	}{
		{"empty", "", "unexpected end of JSON input"},
		{"garbage", "}}\n}", "invalid character"},
		{"null", "null", "no version"},
		{"no version", `{"deadline": "2026-03-14T11:00:00Z"}`, "no version"},
		{"no tasks", `{"version": 1, "deadline": "2026-03-14T11:00:00Z"}`, "no tasks"},
		{"newer", strings.Replace(string(valid), `"version":1`, `"version":2`, 1), "is of version 2 and this ckalab reads version 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := exam.Store{Path: filepath.Join(t.TempDir(), "exam.json")}
			if err := os.WriteFile(s.Path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := s.Load()
			if !errors.Is(err, exam.ErrCorrupt) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "mv "+s.Path+" "+s.Path+".bad") {
				t.Errorf("Load() = %v, want ErrCorrupt with %q, naming the file and the fix", err, tc.want)
			}
			if err := s.Update(func(*exam.State) error { return nil }); !errors.Is(err, exam.ErrCorrupt) {
				t.Errorf("Update() = %v, want ErrCorrupt", err)
			}
			if data, _ := os.ReadFile(s.Path); string(data) != tc.content {
				t.Errorf("the file was replaced by %q", data)
			}
		})
	}
}
