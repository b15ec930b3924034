// Package runner plays scenarios on a lab: start (clean up, then set up),
// grade, reset, apply a solution, and the instructor's harness (Test).
package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/baseline"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/steps"
)

// Runner plays scenarios on one lab.
type Runner struct {
	Cluster *lab.Cluster
	// AnswerRoot holds one answer folder per scenario.
	AnswerRoot string
	// Grading tunes grading (clock, intervals).
	Grading grader.Options
	// Baseline is the lab as it was new: Start and Cleanup bring the lab
	// back to it, whatever earlier attempts (of any scenario) left.
	Baseline *baseline.Baseline
	// Restore tunes bringing the lab back to its baseline.
	Restore baseline.ApplyOptions
	// Folders, when it names a scenario, gives it other answer folders
	// than its own: an exam numbers its tasks' folders.
	Folders map[string]Folders
}

// Folders are where a task's answers go.
type Folders struct {
	// Answers is the answer folder on this machine (answerFile checks).
	Answers string
	// Course is the folder on the lab's nodes (nodeFile checks).
	Course string
}

// AnswerDir is the scenario's answer folder.
func (r *Runner) AnswerDir(id string) string {
	if f, ok := r.Folders[id]; ok {
		return f.Answers
	}
	return filepath.Join(r.AnswerRoot, id)
}

// CourseDir is the scenario's folder on the lab's nodes.
func (r *Runner) CourseDir(id string) string {
	if f, ok := r.Folders[id]; ok {
		return f.Course
	}
	return lab.CourseRoot + "/" + id
}

// TemplateData is what the scenario's templates see on this lab.
func (r *Runner) TemplateData(id string, vars map[string]string) scenarios.TemplateData {
	return scenarios.TemplateData{Nodes: r.Cluster.Info.Names(), AnswerDir: r.AnswerDir(id), Course: r.CourseDir(id), Vars: vars}
}

func (r *Runner) env(s *scenarios.Scenario) steps.Env {
	return steps.Env{Cluster: r.Cluster, Files: s.Dir, AnswerDir: r.AnswerDir(s.ID)}
}

// ErrCannotRun is returned for a scenario the lab lacks capabilities for.
var ErrCannotRun = errors.New("this lab cannot run the scenario")

// CheckCapabilities refuses a scenario whose needs the lab does not meet.
func (r *Runner) CheckCapabilities(s *scenarios.Scenario) error {
	if missing := r.Cluster.Info.Missing(s.Needs()); len(missing) > 0 {
		return fmt.Errorf("%w: %s needs %s, which the %s lab does not offer (try `ckalab lab up --provider kind`)",
			ErrCannotRun, s.ID, lab.JoinCapabilities(missing), r.Cluster.Info.Provider)
	}
	return nil
}

// Started says what Start did.
type Started struct {
	// Restored are the differences from the baseline that were undone
	// first (what earlier attempts left), in words.
	Restored []string
	// Changed is what the setup did.
	Changed []string
	// Undone is what StartAll undid after a setup failed.
	Undone []string
}

// Start brings the lab back to its baseline, then runs the setup. On
// failure the error says what was changed.
func (r *Runner) Start(ctx context.Context, s *scenarios.Scenario) (Started, error) {
	var st Started
	if err := r.CheckCapabilities(s); err != nil {
		return st, err
	}
	// Validation refuses these; a scenario built in code is checked again,
	// since a reset empties the namespaces a scenario lists.
	for _, ns := range s.Namespaces {
		if lab.IsSystemNamespace(ns) {
			return st, fmt.Errorf("%s lists namespace %s, which belongs to the lab: refused", s.ID, ns)
		}
	}
	restored, err := r.RestoreBaseline(ctx, SetupNamespaces(s), false)
	st.Restored = restored
	if err != nil {
		return st, fmt.Errorf("clean up before setup: %w", err)
	}
	if err := os.RemoveAll(r.AnswerDir(s.ID)); err != nil {
		return st, fmt.Errorf("remove answer folder: %w", err)
	}
	if err := os.MkdirAll(r.AnswerDir(s.ID), 0o700); err != nil {
		return st, fmt.Errorf("answer folder: %w", err)
	}
	st.Changed, err = steps.RunAll(ctx, r.env(s), s.Setup)
	if err != nil {
		return st, fmt.Errorf("setup of %s failed at %w", s.ID, err)
	}
	return st, nil
}

// ErrNoBaseline: the runner has no baseline to bring the lab back to.
var ErrNoBaseline = baseline.ErrNoBaseline

// RestoreBaseline undoes every difference between the lab and its
// baseline, wherever it is, and says what it undid. Namespaces in keep
// (made again right after) are emptied rather than deleted; with
// waitNamespaces, deleted namespaces are waited for until they are gone.
func (r *Runner) RestoreBaseline(ctx context.Context, keep []string, waitNamespaces bool) ([]string, error) {
	if r.Baseline == nil {
		return nil, ErrNoBaseline
	}
	plan, err := baseline.Compare(ctx, r.Cluster, r.Baseline, baseline.CompareOptions{Keep: keep, Exec: r.Cluster.Exec})
	if err != nil {
		return nil, err
	}
	lines := plan.Describe()
	opts := r.Restore
	opts.Exec = r.Cluster.Exec
	opts.WaitNamespaces = waitNamespaces
	if err := plan.Apply(ctx, r.Cluster, opts); err != nil {
		return lines, err
	}
	return lines, nil
}

// Compare lists how the lab differs from its baseline (empty: as new).
func (r *Runner) Compare(ctx context.Context) ([]string, error) {
	if r.Baseline == nil {
		return nil, ErrNoBaseline
	}
	plan, err := baseline.Compare(ctx, r.Cluster, r.Baseline, baseline.CompareOptions{Exec: r.Cluster.Exec})
	if err != nil {
		return nil, err
	}
	return plan.Describe(), nil
}

// Cleanup removes what the scenario and its solutions made: its cleanup
// steps, then every difference from the baseline, and its answer folder.
// Deleted namespaces finish terminating in the background.
func (r *Runner) Cleanup(ctx context.Context, s *scenarios.Scenario) ([]string, error) {
	changed, err := steps.RunAll(ctx, r.env(s), s.Cleanup)
	if err != nil {
		return changed, err
	}
	restored, err := r.RestoreBaseline(ctx, nil, false)
	changed = append(changed, restored...)
	if err != nil {
		return changed, err
	}
	if err := os.RemoveAll(r.AnswerDir(s.ID)); err != nil {
		return changed, fmt.Errorf("remove answer folder: %w", err)
	}
	return changed, nil
}

// SetupNamespaces are the namespaces a scenario's setup makes: a reset
// keeps them (emptied) instead of deleting and making them again, which
// would cost the namespace controller's fixed deletion delay.
func SetupNamespaces(s *scenarios.Scenario) []string {
	var out []string
	for _, st := range s.Setup {
		// Unreadable manifests change nothing: validation reports them.
		for _, c := range st.Changes(s.Dir) {
			if c.Verb == steps.VerbApply && c.Object.APIVersion == "v1" && c.Object.Kind == "Namespace" {
				out = append(out, c.Object.Name)
			}
		}
	}
	return out
}

// Apply runs solution steps (the reference, an alternative or a wrong answer).
// It first waits for the scenario's namespaces that a reset is still
// deleting.
func (r *Runner) Apply(ctx context.Context, s *scenarios.Scenario, list []steps.Spec) ([]string, error) {
	if err := baseline.WaitNamespaces(ctx, r.Cluster, s.Namespaces, time.Minute, 100*time.Millisecond); err != nil {
		return nil, err
	}
	return steps.RunAll(ctx, r.env(s), list)
}

// Grade checks the scenario against the live lab.
func (r *Runner) Grade(ctx context.Context, s *scenarios.Scenario, opts grader.Options) grader.Report {
	env := &grader.Env{Cluster: r.Cluster, AnswerDir: r.AnswerDir(s.ID)}
	return grader.Grade(ctx, env, s.ID, s.Title, s.Checks, opts)
}

// StartAllOptions tune StartAll.
type StartAllOptions struct {
	// Parallel is how many setups run at once (0: 4). Setups wait on the
	// API server and the nodes far more than on this machine's CPU.
	Parallel int
	// Done is called after each setup that finished, with how many are
	// done (for a progress bar); it may be called from several goroutines
	// but never twice at once.
	Done func(done, total int)
}

// StartAll brings the lab back to its baseline once, then sets up every
// scenario side by side: an exam's tasks, which own nothing in common
// (scenarios.Conflicts). When one setup fails, the others are stopped and
// the lab is brought back to its baseline again, so that a failed start
// leaves no half-made exam; the error says what failed and what was
// undone.
func (r *Runner) StartAll(ctx context.Context, list []*scenarios.Scenario, opts StartAllOptions) (Started, error) {
	var st Started
	var keep []string
	for _, s := range list {
		if err := r.CheckCapabilities(s); err != nil {
			return st, err
		}
		for _, ns := range s.Namespaces {
			if lab.IsSystemNamespace(ns) {
				return st, fmt.Errorf("%s lists namespace %s, which belongs to the lab: refused", s.ID, ns)
			}
		}
		keep = append(keep, SetupNamespaces(s)...)
	}
	// Deleted namespaces are waited for: the learner works on every task
	// at once, right away, and a namespace a solution makes again
	// (monitoring, say) must not still be terminating then.
	restored, err := r.RestoreBaseline(ctx, keep, true)
	st.Restored = restored
	if err != nil {
		return st, fmt.Errorf("clean up before setup: %w", err)
	}
	for _, s := range list {
		if err := os.RemoveAll(r.AnswerDir(s.ID)); err != nil {
			return st, fmt.Errorf("remove answer folder: %w", err)
		}
		if err := os.MkdirAll(r.AnswerDir(s.ID), 0o700); err != nil {
			return st, fmt.Errorf("answer folder: %w", err)
		}
	}
	parallel := opts.Parallel
	if parallel <= 0 {
		parallel = 4
	}
	setupCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu      sync.Mutex
		done    int
		changed = make([][]string, len(list))
		errs    = make([]error, len(list))
		wg      sync.WaitGroup
		slots   = make(chan struct{}, parallel)
	)
	setup := func(i int, s *scenarios.Scenario) {
		defer wg.Done()
		select {
		case slots <- struct{}{}:
		case <-setupCtx.Done():
			return
		}
		defer func() { <-slots }()
		if setupCtx.Err() != nil {
			return
		}
		changed[i], errs[i] = steps.RunAll(setupCtx, r.env(s), s.Setup)
		if errs[i] != nil {
			errs[i] = fmt.Errorf("setup of %s failed at %w", s.ID, errs[i])
			cancel(errs[i])
			return
		}
		mu.Lock()
		defer mu.Unlock()
		done++
		if opts.Done != nil {
			opts.Done(done, len(list))
		}
	}
	// Tasks that own a node (stop its kubelet, taint, drain it) are set
	// up once the others are: the others' pods must not land on a node
	// that is about to break, nor wait for one that just did.
	for _, nodeOwners := range []bool{false, true} {
		for i, s := range list {
			if (len(s.Owns.Nodes) > 0) == nodeOwners {
				wg.Add(1)
				go setup(i, s)
			}
		}
		wg.Wait()
	}
	for _, c := range changed {
		st.Changed = append(st.Changed, c...)
	}
	// The first failure is the cause; the others are setups it stopped.
	failed := context.Cause(setupCtx)
	if failed == nil || errors.Is(failed, context.Canceled) && ctx.Err() == nil {
		failed = errors.Join(errs...)
	}
	if failed == nil {
		return st, nil
	}
	// Undo with the caller's context: a setup stopped by Ctrl-C still
	// leaves the lab to clean (and a second Ctrl-C exits anyway).
	undone, err := r.RestoreBaseline(context.WithoutCancel(ctx), nil, false)
	if err != nil {
		return st, fmt.Errorf("%w; undoing the other setups failed too: %v (`ckalab lab reset` brings the lab back)", failed, err)
	}
	st.Undone = undone
	return st, failed
}
