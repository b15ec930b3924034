package exam

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"time"

	"github.com/ckalab/ckalab/exam/report"
	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/safefs"
)

// HistoryVersion is the version of the history file this ckalab writes and
// reads. A file of another version is refused by name rather than
// rewritten: a newer ckalab's entries would be lost.
const HistoryVersion = 1

// MaxHistory is how many entries the history keeps; appending more drops
// the oldest. 500 is months of daily practice, and `ckalab next` weighs
// old results so little (see decay) that dropping them changes nothing,
// while the file (read by every `ckalab next`) stays small.
const MaxHistory = 500

// ErrHistoryCorrupt: the history file cannot be read, or is of another
// version. It is never replaced silently: the error names it and how to
// recover.
var ErrHistoryCorrupt = errors.New("exam history file is unusable")

// EntryKind says what an Entry records.
type EntryKind string

const (
	// KindExam: a graded mock exam.
	KindExam EntryKind = "exam"
	// KindPractice: one `ckalab grade` of a practice scenario.
	KindPractice EntryKind = "practice"
)

// Entry is one graded exam or practice grade. Exactly one of Exam and
// Practice is set, as Kind says.
type Entry struct {
	Kind EntryKind `json:"kind"`
	// When is when it was graded.
	When     time.Time       `json:"when"`
	Exam     *ExamResult     `json:"exam,omitempty"`
	Practice *PracticeResult `json:"practice,omitempty"`
}

// ExamResult is what the history keeps of a graded exam: the scores, and
// which checks failed (not why: the report has that).
type ExamResult struct {
	ID       string         `json:"id"`
	Set      string         `json:"set"`
	Percent  float64        `json:"percent"`
	Passed   bool           `json:"passed"`
	PassMark int            `json:"passMark"`
	Domains  []DomainResult `json:"domains"`
	Tasks    []TaskResult   `json:"tasks"`
}

// DomainResult is one domain's part of an exam, as report.DomainScore.
type DomainResult struct {
	Name string `json:"name"`
	// Score and Max are in percent of the exam; Percent is Score of Max.
	Score   float64 `json:"score"`
	Max     float64 `json:"max"`
	Percent float64 `json:"percent"`
	Tasks   int     `json:"tasks"`
}

// TaskResult is one exam task's result.
type TaskResult struct {
	Scenario string `json:"scenario"`
	Domain   string `json:"domain"`
	// Earned and Total are the task's check points.
	Earned int `json:"earned"`
	Total  int `json:"total"`
	// Score and Max are in percent of the exam, as report.TaskScore's:
	// they carry the task's weight into its domain's strength.
	Score float64 `json:"score"`
	Max   float64 `json:"max"`
	// Failed are the ids of the checks that did not pass.
	Failed []string `json:"failed,omitempty"`
	// NotGraded: the task was not graded (its setup failed, say); it says
	// nothing about the learner's skill.
	NotGraded bool `json:"notGraded,omitempty"`
}

// PracticeResult is one practice grade of a scenario.
type PracticeResult struct {
	Scenario string   `json:"scenario"`
	Domain   string   `json:"domain"`
	Earned   int      `json:"earned"`
	Total    int      `json:"total"`
	Failed   []string `json:"failed,omitempty"`
}

// Full reports whether the task earned full marks.
func (t TaskResult) Full() bool { return !t.NotGraded && t.Total > 0 && t.Earned == t.Total }

// Full reports whether the grade was full marks.
func (p PracticeResult) Full() bool { return p.Total > 0 && p.Earned == p.Total }

// NewExamEntry is the history's entry of a graded exam of set.
func NewExamEntry(sum report.Summary, set string) Entry {
	r := &ExamResult{ID: sum.ID, Set: set, Percent: sum.Percent, Passed: sum.Passed, PassMark: sum.PassMark,
		Domains: []DomainResult{}, Tasks: []TaskResult{}}
	for _, d := range sum.Domains {
		r.Domains = append(r.Domains, DomainResult{Name: d.Name, Score: d.Score, Max: d.Max, Percent: d.Percent, Tasks: d.Tasks})
	}
	for _, t := range sum.Tasks {
		tr := TaskResult{Scenario: t.Scenario, Domain: t.Domain, Earned: t.Earned, Total: t.Total,
			Score: t.Score, Max: t.Max, NotGraded: t.Status == report.StatusNotGraded}
		for _, f := range t.Failed {
			tr.Failed = append(tr.Failed, f.ID)
		}
		r.Tasks = append(r.Tasks, tr)
	}
	return Entry{Kind: KindExam, When: sum.GradedAt.Round(0), Exam: r}
}

// NewPracticeEntry is the history's entry of a practice grade of a
// scenario of domain, graded at when.
func NewPracticeEntry(rep grader.Report, domain string, when time.Time) Entry {
	p := &PracticeResult{Scenario: rep.Scenario, Domain: domain, Earned: rep.Earned, Total: rep.Total}
	for _, r := range rep.Results {
		if !r.Passed {
			p.Failed = append(p.Failed, r.ID)
		}
	}
	return Entry{Kind: KindPractice, When: when.Round(0), Practice: p}
}

// check reports what makes a decoded entry unusable.
func (e Entry) check() error {
	switch {
	case e.Kind == KindExam && e.Exam == nil:
		return errors.New("an exam entry without its exam")
	case e.Kind == KindPractice && e.Practice == nil:
		return errors.New("a practice entry without its grade")
	case e.Kind != KindExam && e.Kind != KindPractice:
		return fmt.Errorf("an entry of unknown kind %q", e.Kind)
	case e.When.IsZero():
		return fmt.Errorf("an entry of kind %s without its time", e.Kind)
	}
	return nil
}

// historyFile is the file's JSON.
type historyFile struct {
	Version int     `json:"version"`
	Entries []Entry `json:"entries"`
}

// History keeps the learner's graded exams and practice grades in one
// JSON file, oldest first, for `ckalab exam history` and `ckalab next`.
// Several processes append to it (a grade in one terminal, the exam's
// deadline watcher in the background): as with Store, every append holds
// the lock and replaces the file by rename once the new one is complete on
// disk, so a reader never sees half a file and a crash loses nothing but
// the entry being written. Reads take no lock.
type History struct {
	Path string
}

// Load returns the entries, oldest first; no file is no entries.
func (h History) Load() ([]Entry, error) {
	data, err := os.ReadFile(h.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the exam history: %w", err)
	}
	var probe struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err == nil && probe.Version != nil && *probe.Version != HistoryVersion {
		return nil, fmt.Errorf("%w: %s is of version %d and this ckalab reads version %d: use a newer ckalab, or move the file away (mv %s %s.bad) to start a new history",
			ErrHistoryCorrupt, h.Path, *probe.Version, HistoryVersion, h.Path, h.Path)
	}
	var f historyFile
	if err := json.Unmarshal(data, &f); err != nil || probe.Version == nil {
		if err == nil {
			err = errors.New("no version")
		}
		return nil, h.corrupt(err)
	}
	for i, e := range f.Entries {
		if err := e.check(); err != nil {
			return nil, h.corrupt(fmt.Errorf("entry %d: %w", i+1, err))
		}
	}
	return f.Entries, nil
}

func (h History) corrupt(err error) error {
	return fmt.Errorf("%w: %s: %v\nIt only holds your past scores: move it away (mv %s %s.bad) and ckalab starts a new history",
		ErrHistoryCorrupt, h.Path, err, h.Path, h.Path)
}

// Append adds entries at the end, under the lock, keeping the newest
// MaxHistory. An unusable file is left as it is and its error returned:
// the learner's history is not thrown away to make room for one grade.
func (h History) Append(entries ...Entry) error {
	for _, e := range entries {
		if err := e.check(); err != nil {
			return fmt.Errorf("record in the exam history: %w", err)
		}
	}
	// The exam state's lock, on a file next to the history: one
	// implementation of the rules of locking (lock.go).
	unlock, err := Store{Path: h.Path}.lock()
	if err != nil {
		return fmt.Errorf("record in the exam history: %w", err)
	}
	defer unlock()
	all, err := h.Load()
	if err != nil {
		return err
	}
	all = append(all, entries...)
	if n := len(all) - MaxHistory; n > 0 {
		// Appended in the order they were graded: the front is the oldest.
		all = all[n:]
	}
	data, err := json.MarshalIndent(historyFile{Version: HistoryVersion, Entries: all}, "", "  ")
	if err != nil {
		return fmt.Errorf("record in the exam history: %w", err)
	}
	if err := safefs.WriteAtomic(h.Path, data); err != nil {
		return fmt.Errorf("record in the exam history: %w", err)
	}
	return nil
}

// Exams returns the exam entries of entries, in their order.
func Exams(entries []Entry) []Entry {
	var out []Entry
	for _, e := range entries {
		if e.Kind == KindExam && e.Exam != nil {
			out = append(out, e)
		}
	}
	return out
}

// HalfLife is how old a result is when it counts half as much as one of
// today. Recent results count more because `ckalab next` is about the
// learner as they are now: a domain failed a month ago and passed twice
// this week has been learned, and skills not exercised for weeks fade, so
// the old failure should not keep pointing at it. A half-life rather than
// a window of the last n results keeps the ranking smooth (no result drops
// out all at once) and lets many old results still outweigh one new one.
// Two weeks is about one phase of a CKA study plan.
const HalfLife = 14 * 24 * time.Hour

// decay is the weight of a result graded at when, seen at now. A result
// from the future (a clock set back) counts as of now.
func decay(when, now time.Time) float64 {
	age := max(now.Sub(when), 0)
	return math.Exp2(-float64(age) / float64(HalfLife))
}

// try is one go at a scenario as the strength and the failed checks see
// it: an exam task, or a practice attempt.
type try struct {
	scenario, domain string
	earned, total    int
	// score of max weigh the try in its domain, in tasks: a practice
	// attempt's max is 1, an exam task's its share of the exam divided by
	// the mean share of the exam's tasks, so that a task worth twice as
	// much as the others counts twice and a whole exam counts as many
	// practice attempts as it has tasks.
	score, max float64
	failed     []string
	when       time.Time
	// entry is the index of the entry it comes from.
	entry int
	exam  bool
}

func (t try) full() bool { return t.total > 0 && t.earned == t.total }

// attemptGap is the longest pause between two grades of one scenario in
// one practice attempt. A scenario is meant to take at most an hour (the
// scenario format's limit); a learner back at it hours later is trying
// again, and that try counts on its own.
const attemptGap = 2 * time.Hour

// tries turns entries into tries. A run of practice grades of one scenario
// with nothing in between and no pause longer than attemptGap is one
// attempt, and its last grade is its result: learners grade while they
// work (grade, fix, grade again), and counting every intermediate grade
// would mark as weak, and its checks as often failed, a scenario the
// learner went on to solve. Tasks not graded say nothing about the learner
// and are left out.
func tries(entries []Entry) []try {
	var out []try
	for i, e := range entries {
		switch e.Kind {
		case KindExam:
			sum, n := 0.0, 0
			for _, t := range e.Exam.Tasks {
				if !t.NotGraded && t.Max > 0 {
					sum += t.Max
					n++
				}
			}
			for _, t := range e.Exam.Tasks {
				if t.NotGraded || t.Max <= 0 {
					continue
				}
				mean := sum / float64(n)
				out = append(out, try{scenario: t.Scenario, domain: t.Domain, earned: t.Earned, total: t.Total,
					score: t.Score / mean, max: t.Max / mean, failed: t.Failed, when: e.When, entry: i, exam: true})
			}
		case KindPractice:
			p := e.Practice
			score := 0.0
			switch {
			case p.Total > 0:
				score = float64(p.Earned) / float64(p.Total)
			case len(p.Failed) == 0:
				score = 1 // no checks and nothing failed: the grader's full marks
			}
			t := try{scenario: p.Scenario, domain: p.Domain, earned: p.Earned, total: p.Total,
				score: score, max: 1, failed: p.Failed, when: e.When, entry: i}
			prev := Entry{}
			if i > 0 {
				prev = entries[i-1]
			}
			if prev.Kind == KindPractice && prev.Practice.Scenario == p.Scenario && e.When.Sub(prev.When) <= attemptGap && len(out) > 0 {
				out[len(out)-1] = t
			} else {
				out = append(out, t)
			}
		}
	}
	return out
}

// DomainStrength is how well the learner does in one domain lately.
type DomainStrength struct {
	Domain string `json:"domain"`
	// Percent is the recency-weighted score (see HalfLife), 0 to 100; 0
	// when the domain was never tried.
	Percent float64 `json:"percent"`
	// Tried: an exam task or a practice attempt of the domain was graded.
	// A domain never tried is the weakest there is.
	Tried bool `json:"tried"`
	// Exams and Practices count the exams and practice attempts behind
	// Percent.
	Exams     int `json:"exams"`
	Practices int `json:"practices"`
}

// DomainStrengths computes the strength of each of domains, in that order,
// from the exams and practice attempts of entries, seen at now: each
// exam task and practice attempt of a domain counts as one task (an exam
// task by its share of the exam: see try), weighed by its age.
func DomainStrengths(entries []Entry, domains []string, now time.Time) []DomainStrength {
	type acc struct {
		score, max float64      // weighted sums, in tasks
		exams      map[int]bool // by entry
		practices  int
	}
	accs := map[string]*acc{}
	for _, d := range domains {
		accs[d] = &acc{exams: map[int]bool{}}
	}
	for _, t := range tries(entries) {
		a := accs[t.domain]
		if a == nil {
			continue
		}
		if t.exam {
			a.exams[t.entry] = true
		} else {
			a.practices++
		}
		w := decay(t.when, now)
		a.score += w * t.score
		a.max += w * t.max
	}
	out := make([]DomainStrength, 0, len(domains))
	for _, d := range domains {
		a := accs[d]
		s := DomainStrength{Domain: d, Exams: len(a.exams), Practices: a.practices, Tried: len(a.exams)+a.practices > 0}
		if a.max > 0 {
			s.Percent = min(a.score/a.max*100, 100)
		}
		out = append(out, s)
	}
	return out
}

// CheckFailures is how often one check of a scenario failed.
type CheckFailures struct {
	Check string `json:"check"`
	// Count is how many exam tasks and practice attempts failed it.
	Count int       `json:"count"`
	Last  time.Time `json:"last"`
}

// ScenarioRecord is what the history says about one scenario.
type ScenarioRecord struct {
	Scenario string `json:"scenario"`
	// Tries counts its graded exam tasks and practice attempts.
	Tries int       `json:"tries"`
	Last  time.Time `json:"last"`
	// LastFull: the latest try earned full marks.
	LastFull bool `json:"lastFull"`
	// Failed are the checks that failed, the most often first (then the
	// most recently failed, then by id).
	Failed []CheckFailures `json:"failed,omitempty"`
	// FailWeight is the number of failed checks with each weighed by its
	// age (see HalfLife): how much the scenario has been failing lately.
	FailWeight float64 `json:"-"`
}

// ScenarioRecords returns, by scenario id, the record of every scenario
// the entries tried, seen at now: the most often failed checks of each,
// and how its last try went.
func ScenarioRecords(entries []Entry, now time.Time) map[string]*ScenarioRecord {
	out := map[string]*ScenarioRecord{}
	checks := map[string]map[string]*CheckFailures{}
	for _, t := range tries(entries) {
		r := out[t.scenario]
		if r == nil {
			r = &ScenarioRecord{Scenario: t.scenario}
			out[t.scenario] = r
			checks[t.scenario] = map[string]*CheckFailures{}
		}
		r.Tries++
		if !t.when.Before(r.Last) {
			r.Last, r.LastFull = t.when, t.full()
		}
		w := decay(t.when, now)
		for _, id := range t.failed {
			c := checks[t.scenario][id]
			if c == nil {
				c = &CheckFailures{Check: id}
				checks[t.scenario][id] = c
			}
			c.Count++
			if t.when.After(c.Last) {
				c.Last = t.when
			}
			r.FailWeight += w
		}
	}
	for id, r := range out {
		for _, c := range checks[id] {
			r.Failed = append(r.Failed, *c)
		}
		slices.SortFunc(r.Failed, func(a, b CheckFailures) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), b.Last.Compare(a.Last), cmp.Compare(a.Check, b.Check))
		})
	}
	return out
}
