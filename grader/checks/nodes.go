package checks

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/lab"
)

// nodeExecTimeout bounds one command on a node. The grader polls a check
// until the check's timeout, but nothing bounds a single look: a command
// that never ends (a follow, a blocking file) would hang the grade, and the
// node exec keeps all it prints in memory meanwhile.
const nodeExecTimeout = 10 * time.Second

// nodeAccess is the lab's node exec. A lab without one (the sim, whose
// nodes are kwok's and have no file system or services) gets an error that
// says which lab the check needs, rather than a failure that looks like the
// learner's.
func nodeAccess(env *grader.Env) (lab.Execer, error) {
	if env.Cluster != nil && env.Cluster.Exec != nil {
		return env.Cluster.Exec, nil
	}
	which := "this lab"
	if env.Cluster != nil && env.Cluster.Info.Provider != "" {
		which = "the " + env.Cluster.Info.Provider + " lab"
	}
	return nil, fmt.Errorf("this check needs a lab with node access (kind); %s has none", which)
}

// onNode is the lab's node exec (nodeAccess) and ctx bounded by
// nodeExecTimeout; cancel is never nil.
func onNode(ctx context.Context, env *grader.Env) (context.Context, lab.Execer, context.CancelFunc, error) {
	exec, err := nodeAccess(env)
	if err != nil {
		return ctx, nil, func() {}, err
	}
	ctx, cancel := context.WithTimeout(ctx, nodeExecTimeout)
	return ctx, exec, cancel, nil
}

// failedExpecting is failed with what the check wanted, so that a look
// that could not be made still says what it was for.
func failedExpecting(expected string, err error) grader.Observation {
	obs := failed(err)
	obs.Expected = expected
	return obs
}

// excerpt is output shortened for a report: trimmed, and cut to n bytes
// (at a rune boundary) with "…" when longer.
func excerpt(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
