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

// SetComponentReadyz replaces a componentHealth check's /readyz request:
// the fake clientset's discovery has no REST client. It panics when c is
// not a componentHealth check.
func SetComponentReadyz(c grader.Check, readyz func(ctx context.Context, env *grader.Env) error) {
	c.(*componentHealthCheck).readyz = readyz
}
