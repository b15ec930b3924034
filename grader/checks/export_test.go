package checks

import (
	"context"
	"time"

	"github.com/ckalab/ckalab/grader"
)

// SetReadyWait replaces a ready check's steadiness wait (its clock) for the
// external tests: they run the window instantly, changing the fake cluster
// in between the two looks. It panics when c is not a ready check.
func SetReadyWait(c grader.Check, wait func(ctx context.Context, d time.Duration) error) {
	c.(*readyCheck).wait = wait
}
