package exam

import (
	"fmt"
	"time"

	"github.com/ckalab/ckalab/grader"
)

// StateVersion is the version of the exam state file this ckalab writes
// and reads. A file of another version is refused by name, never guessed
// at: the deadline and the tasks of a running exam must not be misread.
const StateVersion = 1

// State is an exam in progress or finished: what a later `ckalab`
// process (or the deadline watcher) needs to know about it. It is kept in
// a file (see Store), so that an exam survives a closed terminal, a
// crash and a reboot with the same deadline.
type State struct {
	Version  int       `json:"version"`
	ID       string    `json:"id"`
	Set      string    `json:"set"`
	Title    string    `json:"title"`    // the set's, for the report
	Context  string    `json:"context"`  // the kubectl context of the lab
	Provider string    `json:"provider"` // the lab's provider
	Started  time.Time `json:"started"`
	Deadline time.Time `json:"deadline"`
	// Duration is the set's, in nanoseconds as encoding/json writes a
	// time.Duration; the deadline, not Started+Duration, is what counts.
	Duration time.Duration `json:"duration"`
	PassMark int           `json:"passMark"` // percent
	Seed     uint64        `json:"seed"`     // of the draw: the exam can be drawn again
	Tasks    []Task        `json:"tasks"`
	// Submitted is when the learner handed the exam in (nil: not yet).
	Submitted *time.Time `json:"submitted,omitempty"`
	// Graded is when the exam was actually graded, by a submit or by the
	// deadline watcher (nil: not yet). It may be long after the deadline
	// when the machine slept: the report says so (see Late).
	Graded *time.Time `json:"graded,omitempty"`
	// Grades are the tasks' grades, recorded with Graded in the same
	// write: a report is always of one grading, as it stood then.
	Grades []TaskGrade `json:"grades,omitempty"`
	// Watcher is the process id of the deadline watcher (0: none
	// started), so that a command can tell it died and start another.
	Watcher int `json:"watcher,omitempty"`
}

// TaskGrade is one task's grade.
type TaskGrade struct {
	N      int            `json:"n"`
	Report *grader.Report `json:"report,omitempty"`
	// Note says why a task has no report (its lab was gone, say).
	Note string `json:"note,omitempty"`
}

// Task is one task of an exam.
type Task struct {
	N        int               `json:"n"` // its number, from 1
	Scenario string            `json:"scenario"`
	Title    string            `json:"title"`
	Domain   string            `json:"domain"`
	Weight   float64           `json:"weight"` // percent of the exam
	Vars     map[string]string `json:"vars,omitempty"`
	Flagged  bool              `json:"flagged,omitempty"` // marked by the learner to come back to
}

// NewState makes the state of an exam of set, drawn with seed, starting
// now on the lab of context. The clock's monotonic reading is dropped:
// a deadline must be wall-clock time, which goes on while the machine
// sleeps and means the same in every process.
func NewState(set *Set, draw DrawResult, seed uint64, context, provider string, now time.Time) *State {
	started := now.Round(0)
	st := &State{
		Version: StateVersion, ID: set.ID + "-" + started.UTC().Format("20060102-150405"),
		Set: set.ID, Title: set.Title, Context: context, Provider: provider,
		Started: started, Deadline: started.Add(set.Duration), Duration: set.Duration,
		PassMark: set.PassMark, Seed: seed,
	}
	for _, t := range draw.Tasks {
		st.Tasks = append(st.Tasks, Task{N: t.N, Scenario: t.ID, Title: t.Title, Domain: t.Domain, Weight: t.Weight, Vars: t.Vars})
	}
	return st
}

// TimeLeft is the time until the deadline, never less than zero.
func (s *State) TimeLeft(now time.Time) time.Duration {
	return max(s.Deadline.Sub(now.Round(0)), 0)
}

// Expired reports whether the deadline has come.
func (s *State) Expired(now time.Time) bool {
	return !now.Round(0).Before(s.Deadline)
}

// Task returns task n.
func (s *State) Task(n int) (*Task, error) {
	for i := range s.Tasks {
		if s.Tasks[i].N == n {
			return &s.Tasks[i], nil
		}
	}
	return nil, fmt.Errorf("no task %d: the exam has tasks 1 to %d", n, len(s.Tasks))
}

// Flag marks task n to come back to (on) or clears the mark.
func (s *State) Flag(n int, on bool) error {
	t, err := s.Task(n)
	if err != nil {
		return err
	}
	t.Flagged = on
	return nil
}

// check reports what makes a decoded state unusable.
func (s *State) check() error {
	switch {
	case s.Deadline.IsZero():
		return fmt.Errorf("no deadline")
	case len(s.Tasks) == 0:
		return fmt.Errorf("no tasks")
	}
	for i, t := range s.Tasks {
		if t.N != i+1 || t.Scenario == "" {
			return fmt.Errorf("task %d is numbered %d (scenario %q), want %d", i+1, t.N, t.Scenario, i+1)
		}
	}
	return nil
}
