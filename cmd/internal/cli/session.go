package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ckalab/ckalab/exam"
	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/baseline"
	"github.com/ckalab/ckalab/lab/images"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/runner"
	"github.com/spf13/cobra"
)

// session is a connected lab with its runner and attempt store.
type session struct {
	cluster *lab.Cluster
	// images loads container images into the lab's nodes; nil when its
	// provider has no nodes to load into.
	images  lab.ImageLoader
	runner  *runner.Runner
	store   runner.Store
	catalog *scenarios.Catalog
	// labDir is the lab's state folder (its baseline).
	labDir string
	// exam is the state file of the lab's exam.
	exam exam.Store
}

// refuseDuringExam stops the practice commands while an exam runs on the
// lab: a grade, a hint or a solution would answer the exam's tasks, and
// a start or a reset would wipe them.
func (s *session) refuseDuringExam(command string) error {
	st, err := s.exam.Load()
	if errors.Is(err, exam.ErrNoExam) || err == nil && st.Graded != nil {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("exam %s is running on this lab: `ckalab %s` waits until it is handed in (`ckalab exam submit`)", st.ID, command)
}

// sessionFunc opens a session on the selected lab: app.session, or a fake
// lab in a test of a command's run function.
type sessionFunc func(context.Context) (*session, error)

func (a *app) session(ctx context.Context) (*session, error) {
	cat, err := a.catalog()
	if err != nil {
		return nil, err
	}
	c, err := a.connect(ctx)
	if err != nil {
		return nil, err
	}
	d, err := a.dirs()
	if err != nil {
		return nil, err
	}
	var loader lab.ImageLoader
	if ps, err := a.providers(); err == nil {
		if p, err := ps.New(c.Info.Provider); err == nil {
			loader, _ = p.(lab.ImageLoader)
		}
	}
	// A lab made by an older ckalab has no baseline: commands that need it
	// (start, reset) say so through the runner; the others work.
	labDir := d.Lab(c.Info.Provider)
	base, err := baseline.Load(filepath.Join(labDir, baseline.FileName))
	if err != nil && !errors.Is(err, baseline.ErrNoBaseline) {
		return nil, err
	}
	return &session{
		images:  loader,
		cluster: c,
		runner: &runner.Runner{Cluster: c, AnswerRoot: d.Answers(c.Context),
			Grading: grader.Options{Now: a.env.Now}, Baseline: base},
		store:   runner.Store{Path: filepath.Join(d.State, "attempts.json")},
		catalog: cat,
		labDir:  labDir,
		exam:    exam.Store{Path: examStatePath(d.State, c.Context)},
	}, nil
}

// ensureImages loads the images a scenario lists into the lab's nodes
// from the image cache, before setup changes anything.
func (a *app) ensureImages(ctx context.Context, s *session, sc *scenarios.Scenario) error {
	if s.images == nil || len(sc.File.Images) == 0 {
		return nil
	}
	refs, err := images.NormalizeAll(sc.File.Images)
	if err != nil {
		return fmt.Errorf("scenario %s: %w", sc.ID, err)
	}
	return s.images.LoadImages(ctx, refs, &progress{io: a.env.IO, now: a.env.Now})
}

// forgetContext drops the attempts of a lab that went away.
func (a *app) forgetContext(contextName string) error {
	d, err := a.dirs()
	if err != nil {
		return err
	}
	// The exam shell's kubeconfig holds the lab's admin key, and the
	// course folder the answers: both go with the lab. The exam's state
	// stays, so that `exam status` can say its lab is gone.
	store := exam.Store{Path: examStatePath(d.State, contextName)}
	kubeconfig, rcfile := examShellFiles(store)
	for _, p := range []string{kubeconfig, rcfile, examCourseDir(store)} {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("remove the exam's files of the lab: %w", err)
		}
	}
	return runner.Store{Path: filepath.Join(d.State, "attempts.json")}.Forget(contextName)
}

// optionalArg is the optional argument of a command that takes at most
// one: nil when none was given. An empty argument is not "none": `ckalab
// grade ""` names no scenario and fails, rather than grading the current one.
func optionalArg(args []string) *string {
	if len(args) == 0 {
		return nil
	}
	return &args[0]
}

// attempt resolves the scenario a command is about: id, else (nil) the
// lab's current attempt. It loads the scenario with the attempt's values.
func (s *session) attempt(id *string) (*scenarios.Scenario, *runner.Attempt, error) {
	var att *runner.Attempt
	var err error
	if id != nil {
		att, err = s.store.Get(s.cluster.Context, *id)
		if err == nil && att == nil {
			att = &runner.Attempt{Scenario: *id}
		}
	} else {
		att, err = s.store.Current(s.cluster.Context)
		if err == nil && att == nil {
			return nil, nil, usageError("no scenario started on this lab; name one, or run `ckalab start <scenario>` first")
		}
	}
	if err != nil {
		return nil, nil, err
	}
	sc, err := s.catalog.Load(att.Scenario, s.runner.TemplateData(att.Scenario, att.Vars))
	if err != nil {
		return nil, nil, err
	}
	return sc, att, nil
}

// openAttempt starts the commands about one scenario attempt ("grade
// [<scenario>]", "hint", ...): it opens a session and resolves the scenario
// (id, else the lab's current attempt).
func openAttempt(ctx context.Context, open sessionFunc, id *string, command string) (*session, *scenarios.Scenario, *runner.Attempt, error) {
	s, err := open(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := s.refuseDuringExam(command); err != nil {
		return nil, nil, nil, err
	}
	sc, att, err := s.attempt(id)
	if err != nil {
		return nil, nil, nil, err
	}
	return s, sc, att, nil
}

func (a *app) completeScenarios(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	cat, err := a.catalog()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	return cat.IDs(), cobra.ShellCompDirectiveNoFileComp
}

// maxRestoredShown bounds the "restored:" line; `lab reset --dry-run`
// lists everything.
const maxRestoredShown = 6

// printRestored says in one line what an earlier attempt had left and
// start or reset undid.
func (a *app) printRestored(lines []string) {
	if len(lines) == 0 {
		return
	}
	shown := lines
	if len(shown) > maxRestoredShown {
		shown = append(shown[:maxRestoredShown:maxRestoredShown], fmt.Sprintf("and %d more", len(lines)-maxRestoredShown))
	}
	fmt.Fprintf(a.env.IO.ErrOut, "%s\n", a.env.IO.Colors().Faint("restored: "+strings.Join(shown, "; ")))
}

// labAdvice adds what to do to errors about the lab's baseline.
func (a *app) labAdvice(s *session, err error) error {
	if errors.Is(err, runner.ErrNoBaseline) {
		provider := s.cluster.Info.Provider
		return fmt.Errorf("%w\nThis lab was made by an older ckalab, or its state folder (%s) is gone; make it anew: ckalab lab down --provider %s && ckalab lab up --provider %s",
			err, s.labDir, provider, provider)
	}
	return err
}
