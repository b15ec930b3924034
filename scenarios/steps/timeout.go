package steps

import (
	"context"
	"errors"
	"strings"
	"time"
)

// TimeoutError is a step that ran out of time. Reasons are read from the
// cluster when it gave up, in words a learner can act on ("pod shop/web is
// Pending: 0/3 nodes are available: ..."); Detail is what the step itself
// saw last (the CEL expression that stayed false, an evaluation error), for
// the scenario's author rather than the learner.
type TimeoutError struct {
	What    string // what was waited for: "Pod shop/web", "deletion of PersistentVolume pv-logs"
	After   time.Duration
	Reasons []string
	Detail  string
}

func (e *TimeoutError) Error() string {
	msg := "still waiting after " + e.After.String()
	if e.What != "" {
		msg += " for " + e.What
	}
	switch len(e.Reasons) {
	case 0:
		return msg
	case 1:
		return msg + ": " + e.Reasons[0]
	}
	return msg + ":\n  - " + strings.Join(e.Reasons, "\n  - ")
}

// explainBudget bounds the reads that explain a timeout: a slow API server
// must not hold the learner much longer than the step's own timeout.
const explainBudget = 10 * time.Second

// explainTimeout turns a poll's timeout into the learner's reasons: the
// raw reason the step saw last becomes the detail.
func explainTimeout(ctx context.Context, err error, what string, explain func(context.Context) ([]string, error)) error {
	var te *TimeoutError
	if !errors.As(err, &te) {
		return err
	}
	te.What = what
	te.Detail = strings.Join(te.Reasons, "; ")
	ctx, cancel := context.WithTimeout(ctx, explainBudget)
	defer cancel()
	reasons, xerr := explain(ctx)
	if xerr != nil {
		reasons = append(reasons, "(could not read more: "+xerr.Error()+")")
	}
	te.Reasons = reasons
	return te
}
