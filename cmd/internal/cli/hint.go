package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

type hintOptions struct {
	app     *app
	session sessionFunc

	// Scenario is nil for the lab's current attempt.
	Scenario *string
	All      bool
}

func (a *app) hintCommand() *cobra.Command {
	opts := &hintOptions{app: a, session: a.session}
	cmd := &cobra.Command{
		Use:               "hint [<scenario>]",
		Short:             "Show the next hint (--all for every hint)",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: a.completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Scenario = optionalArg(args)
			return runHint(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "show every hint")
	return cmd
}

// runHint prints the hints seen so far and one more; the attempt
// remembers how many were shown.
func runHint(ctx context.Context, opts *hintOptions) error {
	s, sc, att, err := openAttempt(ctx, opts.session, opts.Scenario, "hint")
	if err != nil {
		return err
	}
	io := opts.app.env.IO
	if len(sc.Hints) == 0 {
		fmt.Fprintln(io.Out, "This scenario has no hints.")
		return nil
	}
	n := att.HintsShown + 1
	if opts.All || n > len(sc.Hints) {
		n = len(sc.Hints)
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(io.Out, "Hint %d/%d: %s\n", i+1, len(sc.Hints), strings.TrimSpace(sc.Hints[i]))
	}
	if n < len(sc.Hints) {
		fmt.Fprintln(io.ErrOut, io.Colors().Faint("Run `ckalab hint` again for the next one."))
	}
	att.HintsShown = n
	return s.store.Put(s.cluster.Context, att)
}
