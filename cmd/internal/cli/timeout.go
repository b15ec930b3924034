package cli

import (
	"errors"
	"fmt"

	"github.com/ckalab/ckalab/scenarios/steps"
	"github.com/spf13/cobra"
)

// resetAdvice follows a setup or cleanup step that timed out: the usual
// cause is what an earlier attempt left in the lab.
const resetAdvice = "The lab may hold leftovers of an earlier attempt: `ckalab lab reset` brings it back to its fresh state."

// printTimeoutAdvice completes the error of a scenario step that timed
// out: with --verbose the raw condition the step waited for (the learner's
// message says why in words; the author wants the expression), then the
// fix. cmd is the command that failed (nil when none was found).
func (a *app) printTimeoutAdvice(cmd *cobra.Command, err error) {
	var te *steps.TimeoutError
	if !errors.As(err, &te) {
		return
	}
	w := a.env.IO.ErrOut
	if a.verbose && te.Detail != "" {
		fmt.Fprintln(w, a.env.IO.Colors().Faint("detail: "+te.Detail))
	}
	// Advising `lab reset` when it is the command that failed helps no one.
	if cmd == nil || cmd.CommandPath() != "ckalab lab reset" {
		fmt.Fprintln(w, resetAdvice)
	}
}
