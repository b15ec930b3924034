// Package runner plays scenarios on a lab: start (clean up, then set up),
// grade, reset, apply a solution, and the instructor's harness (Test).
package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/actions"
	"github.com/ckalab/ckalab/scenarios"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Runner plays scenarios on one lab.
type Runner struct {
	Cluster *lab.Cluster
	// AnswerRoot holds one answer folder per scenario.
	AnswerRoot string
	// Grading tunes grading (clock, intervals).
	Grading grader.Options
}

// AnswerDir is the scenario's answer folder.
func (r *Runner) AnswerDir(id string) string { return filepath.Join(r.AnswerRoot, id) }

// TemplateData is what the scenario's templates see on this lab.
func (r *Runner) TemplateData(id string, vars map[string]string) scenarios.TemplateData {
	return scenarios.TemplateData{Nodes: r.Cluster.Info.Names(), AnswerDir: r.AnswerDir(id), Vars: vars}
}

func (r *Runner) env(s *scenarios.Scenario) actions.Env {
	return actions.Env{Cluster: r.Cluster, Files: s.Dir, AnswerDir: r.AnswerDir(s.ID)}
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

// Start cleans up what an earlier attempt left, then runs the setup. It
// returns what it changed; on failure the error says what was changed.
func (r *Runner) Start(ctx context.Context, s *scenarios.Scenario) ([]string, error) {
	if err := r.CheckCapabilities(s); err != nil {
		return nil, err
	}
	changed, err := r.Cleanup(ctx, s)
	if err != nil {
		return changed, fmt.Errorf("clean up before setup: %w", err)
	}
	if err := os.MkdirAll(r.AnswerDir(s.ID), 0o700); err != nil {
		return changed, fmt.Errorf("answer folder: %w", err)
	}
	done, err := actions.RunAll(ctx, r.env(s), s.Setup)
	changed = append(changed, done...)
	if err != nil {
		return changed, fmt.Errorf("setup of %s failed at %w", s.ID, err)
	}
	return changed, nil
}

// Cleanup removes what the scenario and its solutions create: its
// namespaces (waiting until they are gone), what its cleanup steps name,
// and its answer folder.
func (r *Runner) Cleanup(ctx context.Context, s *scenarios.Scenario) ([]string, error) {
	var changed []string
	nsSteps := make([]actions.Spec, 0, len(s.Namespaces))
	for _, ns := range s.Namespaces {
		_, err := r.Cluster.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		// Pods would otherwise hold the namespace for their grace period
		// (30 s by default); a reset has no use for a graceful stop.
		zero := int64(0)
		if err := r.Cluster.Kube.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return changed, fmt.Errorf("delete pods of namespace %s: %w", ns, err)
		}
		nsSteps = append(nsSteps, actions.Spec{Delete: &actions.Delete{Ref: actions.Ref{APIVersion: "v1", Kind: "Namespace", Name: ns}}})
	}
	done, err := actions.RunAll(ctx, r.env(s), append(nsSteps, s.Cleanup...))
	changed = append(changed, done...)
	if err != nil {
		return changed, err
	}
	if err := os.RemoveAll(r.AnswerDir(s.ID)); err != nil {
		return changed, fmt.Errorf("remove answer folder: %w", err)
	}
	return changed, nil
}

// Apply runs solution steps (the reference, an alternative or a wrong answer).
func (r *Runner) Apply(ctx context.Context, s *scenarios.Scenario, steps []actions.Spec) ([]string, error) {
	return actions.RunAll(ctx, r.env(s), steps)
}

// Grade checks the scenario against the live lab.
func (r *Runner) Grade(ctx context.Context, s *scenarios.Scenario, opts grader.Options) grader.Report {
	env := &grader.Env{Cluster: r.Cluster, AnswerDir: r.AnswerDir(s.ID)}
	return grader.Grade(ctx, env, s.ID, s.Title, s.Checks, opts)
}
