package cli

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/ckalab/ckalab/exam"
	"github.com/ckalab/ckalab/exam/report"
)

// errExamChanged: the exam was replaced while it was being graded.
var errExamChanged = errors.New("the exam was replaced while it was graded")

// gradeExam grades the exam id as the lab stands now, once: when another
// process (the watcher, a second submit) recorded a grade first, that one
// stands and is returned. The grade is observed once per check, without
// waiting for checks to pass: an exam is graded on the state at its end,
// and a 16-task exam grades in about a second.
func (a *app) gradeExam(ctx context.Context, session sessionFunc, store exam.Store, id string) (*exam.State, error) {
	st, err := store.Load()
	if err != nil {
		return nil, err
	}
	if st.ID != id {
		return nil, errExamChanged
	}
	if st.Graded != nil {
		return st, nil
	}
	observed := a.env.Now()
	grades, err := a.observeExam(ctx, session, store, st)
	if err != nil {
		return nil, err
	}
	var recorded *exam.State
	err = store.Update(func(cur *exam.State) error {
		if cur.ID != id {
			return errExamChanged
		}
		if cur.Graded == nil {
			at := observed.Round(0)
			cur.Graded, cur.Grades = &at, grades
		}
		recorded = cur
		return nil
	})
	if err != nil {
		return nil, err
	}
	if recorded.Graded.Equal(observed.Round(0)) {
		// This process graded it: it alone records it in the history.
		if err := a.recordExam(examSummary(recorded), recorded.Set); err != nil {
			fmt.Fprintf(a.env.IO.ErrOut, "%s the exam was graded but not added to the history: %v\n", a.env.IO.Colors().Yellow("!"), err)
		}
	}
	return recorded, nil
}

// observeExam grades every task of st concurrently.
func (a *app) observeExam(ctx context.Context, session sessionFunc, store exam.Store, st *exam.State) ([]exam.TaskGrade, error) {
	s, err := session(ctx)
	if err != nil {
		return nil, fmt.Errorf("grade the exam: %w", err)
	}
	if s.cluster.Context != st.Context {
		return nil, fmt.Errorf("grade the exam: it runs on context %s, not %s", st.Context, s.cluster.Context)
	}
	tasks, err := a.loadExamTasks(s, store, st)
	if err != nil {
		return nil, fmt.Errorf("grade the exam: %w", err)
	}
	opts := s.runner.Grading
	opts.NoWait = true
	grades := make([]exam.TaskGrade, len(tasks))
	var wg sync.WaitGroup
	for i, sc := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep := s.runner.Grade(ctx, sc, opts)
			grades[i] = exam.TaskGrade{N: st.Tasks[i].N, Report: &rep}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		// Checks cut short would read as failures.
		return nil, err
	}
	return grades, nil
}

// examSummary is the report of a graded exam.
func examSummary(st *exam.State) report.Summary {
	e := report.Exam{ID: st.ID, Title: st.Title, Started: st.Started, Deadline: st.Deadline,
		GradedLate: st.Late() > 0, PassMark: st.PassMark}
	if st.Graded != nil {
		e.GradedAt = *st.Graded
	}
	grades := map[int]exam.TaskGrade{}
	for _, g := range st.Grades {
		grades[g.N] = g
	}
	for _, t := range st.Tasks {
		g := grades[t.N]
		e.Tasks = append(e.Tasks, report.Task{N: t.N, Scenario: t.Scenario, Title: t.Title, Domain: t.Domain,
			// The report takes integer weights: hundredths of a percent
			// keep a set's 6.25% tasks exact.
			Weight: int(math.Round(t.Weight * 100)), Flagged: t.Flagged, Grade: g.Report, Note: g.Note})
	}
	return report.Build(e)
}

// settleExam grades an exam whose time is up and that nobody graded (the
// watcher died, or the machine slept through the deadline): whatever
// command comes first after the deadline grades it, and the report says
// how late. A lab it cannot reach leaves the exam ungraded, to grade
// later, rather than graded as zero.
func (a *app) settleExam(ctx context.Context, session sessionFunc, store exam.Store, st *exam.State) (*exam.State, error) {
	if due, _ := exam.GradeAt(st, a.env.Now()); !due {
		return st, nil
	}
	return a.gradeExam(ctx, session, store, st.ID)
}

// lateNote says how late an exam was graded, or nothing.
func lateNote(st *exam.State) string {
	late := st.Late()
	if late <= 0 {
		return ""
	}
	return fmt.Sprintf("graded %s after its end (no ckalab process ran at the deadline, or the machine slept): work done in between counts", late.Round(time.Second))
}
