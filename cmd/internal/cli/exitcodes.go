package cli

import (
	"errors"
	"fmt"

	"github.com/ckalab/ckalab/lab"
	"github.com/spf13/cobra"
)

// Exit codes, documented in README.md and `ckalab --help`. Commands never
// pick a code: they return one of the typed errors below, and exitCode maps
// it, here and nowhere else.
const (
	ExitOK           = 0 // success; grade: full marks
	ExitError        = 1 // something went wrong (message on stderr)
	ExitUsage        = 2 // bad command line
	ExitChecksFailed = 3 // grade: not full marks; exam submit: below the pass mark; scenario test: a stage failed
	ExitNoLab        = 4 // no lab running, or it is unhealthy
	// ExitInterrupted (130) is in signals.go.
)

// usageErr is a bad command line: a wrong argument or flag, of cobra's or
// ours.
type usageErr struct{ msg string }

func (e *usageErr) Error() string { return e.msg }

// usageError is a bad command line.
func usageError(format string, args ...any) error {
	return &usageErr{msg: fmt.Sprintf(format, args...)}
}

// noLabErr is a command that needs a lab and found none running, or one
// that is unhealthy. An empty message: the command already said so.
type noLabErr struct{ msg string }

func (e *noLabErr) Error() string { return e.msg }

// checksFailedErr is a verdict, not a failure: grade without full marks, a
// failed stage of scenario test, a failed doctor check. The command has
// printed its report; msg, when set, sums it up.
type checksFailedErr struct{ msg string }

func (e *checksFailedErr) Error() string { return e.msg }

// errChecksFailed ends a command whose report says what failed.
var errChecksFailed error = &checksFailedErr{}

// remoteExitErr passes on the exit code of a command run in a lab node,
// as ssh does.
type remoteExitErr struct{ code int }

func (e *remoteExitErr) Error() string { return "" }

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	var (
		usage  *usageErr
		noLab  *noLabErr
		failed *checksFailedErr
		remote *remoteExitErr
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &usage):
		return ExitUsage
	case errors.As(err, &noLab), errors.Is(err, lab.ErrNotALab):
		return ExitNoLab
	case errors.As(err, &failed):
		return ExitChecksFailed
	case errors.As(err, &remote):
		return remote.code
	}
	return ExitError
}

// usageArgs makes cobra's argument validators' errors usage errors, so
// that no message text has to be recognised. A command with subcommands
// takes no arguments of its own: an argument is an unknown command, with
// cobra's suggestions. A leaf without a validator takes any arguments, as
// in cobra. Call it once the tree is complete, cobra's help and
// completion commands included.
func usageArgs(cmd *cobra.Command) {
	validate := cmd.Args
	switch {
	case cmd.HasSubCommands():
		validate = unknownSubcommand
	case validate == nil:
		validate = cobra.ArbitraryArgs
	}
	cmd.Args = func(c *cobra.Command, args []string) error {
		if err := validate(c, args); err != nil {
			return &usageErr{msg: err.Error()}
		}
		return nil
	}
	for _, sub := range cmd.Commands() {
		usageArgs(sub)
	}
}

// unknownSubcommand refuses arguments to a command that only has
// subcommands, suggesting the closest as cobra does.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default, set where it suggests itself
	}
	if suggestions := cmd.SuggestionsFor(args[0]); len(suggestions) > 0 {
		msg += "\n\nDid you mean this?"
		for _, s := range suggestions {
			msg += "\n\t" + s
		}
	}
	return errors.New(msg)
}
