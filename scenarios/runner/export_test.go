package runner

import (
	"context"

	"github.com/ckalab/ckalab/scenarios"
)

// Snapshot, SnapshotOf and MissedByList let the integration tests read
// the lab as the "grading changes nothing" stage does.
type Snapshot = snapshot

func (r *Runner) SnapshotOf(ctx context.Context, s *scenarios.Scenario) (Snapshot, error) {
	return r.snapshot(ctx, s)
}

func (r *Runner) MissedByList(ctx context.Context, before, after Snapshot) ([]string, error) {
	return r.missedByList(ctx, before, after)
}

func (s Snapshot) Diff(after Snapshot) string { return s.diff(after) }
