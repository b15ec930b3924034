package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/ckalab/ckalab/content"
	"github.com/spf13/cobra"
)

type learnOptions struct {
	app *app

	// Topic is nil to list the lessons.
	Topic  *string
	Output string
}

func (a *app) learnCommand() *cobra.Command {
	opts := &learnOptions{app: a}
	cmd := &cobra.Command{
		Use:               "learn [<topic>]",
		Short:             "Read a short lesson (without a topic: list them)",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeLessons,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Topic = optionalArg(args)
			return runLearn(cmd.Context(), opts)
		},
	}
	outputFlag(cmd, &opts.Output, "text", "json")
	return cmd
}

func completeLessons(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	ls, err := content.Lessons()
	if err != nil || len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var slugs []string
	for _, l := range ls {
		slugs = append(slugs, l.Slug+"\t"+l.Title)
	}
	return slugs, cobra.ShellCompDirectiveNoFileComp
}

// runLearn prints a lesson, or the table of lessons. The lessons are
// embedded: it takes a context only to be called like every command.
func runLearn(_ context.Context, opts *learnOptions) error {
	if err := checkOutput(opts.Output, "text", "json"); err != nil {
		return err
	}
	a := opts.app
	io := a.env.IO
	if opts.Topic != nil {
		l, err := content.Get(*opts.Topic)
		if err != nil {
			return err
		}
		return a.render(opts.Output, l, func() error {
			// Lesson bodies open with their own "# Title" heading; print it once.
			body := strings.TrimSpace(l.Body)
			if first, rest, _ := strings.Cut(body, "\n"); strings.HasPrefix(first, "# ") {
				body = strings.TrimSpace(rest)
			}
			fmt.Fprintf(io.Out, "%s\n\n%s\n", io.Colors().Bold("# "+l.Title), body)
			if len(l.Scenarios) > 0 {
				fmt.Fprintf(io.Out, "\nPractise: ckalab start %s\n", strings.Join(l.Scenarios, " | ckalab start "))
			}
			return nil
		})
	}
	ls, err := content.Lessons()
	if err != nil {
		return err
	}
	return a.render(opts.Output, ls, func() error {
		rows := make([][]string, 0, len(ls))
		for _, l := range ls {
			rows = append(rows, []string{l.Slug, l.Domain, l.Summary})
		}
		return table(io.Out, []string{"topic", "domain", "summary"}, rows)
	})
}
