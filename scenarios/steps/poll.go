package steps

import (
	"context"
	"fmt"
	"time"
)

// The steps that wait wait this long unless they say otherwise.
const (
	defaultWait   = 60 * time.Second
	defaultDelete = 60 * time.Second
	pollInterval  = 100 * time.Millisecond
)

// or is d, or fallback when d is not set.
func or(d, fallback time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return fallback
}

// poll calls cond until it is true, it errors, or the timeout passes; the
// timeout is a *TimeoutError whose reason is the last one cond gave. When
// ctx itself ends first, that is the error: the step was stopped, it did
// not run out of time.
func poll(ctx context.Context, timeout time.Duration, cond func() (bool, string, error)) error {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ok, why, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-tctx.Done():
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("stopped waiting (%s): %w", why, err)
			}
			var reasons []string
			if why != "" {
				reasons = []string{why}
			}
			return &TimeoutError{After: timeout, Reasons: reasons}
		case <-time.After(pollInterval):
		}
	}
}
