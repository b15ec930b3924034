package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ckalab/ckalab/content"
	"github.com/spf13/cobra"
)

type learnOptions struct {
	app *app

	// Topic is nil to list the lessons.
	Topic  *string
	Output string
	// Lang is the lessons' language; "" picks it from the environment.
	Lang string
}

func (a *app) learnCommand() *cobra.Command {
	opts := &learnOptions{app: a}
	cmd := &cobra.Command{
		Use:   "learn [<topic>]",
		Short: "Read a short lesson (without a topic: list them)",
		Long: `Read a short lesson, or list them. Lessons are in English, some also in French: the
language comes from --lang, else from LC_ALL, LC_MESSAGES or LANG (fr_FR.UTF-8 gives
French); a lesson without a translation is shown in English. Task texts stay in
English, as on the exam.`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeLessons,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Topic = optionalArg(args)
			return runLearn(cmd.Context(), opts)
		},
	}
	outputFlag(cmd, &opts.Output, "text", "json")
	cmd.Flags().StringVar(&opts.Lang, "lang", "", "language of the lessons: "+strings.Join(content.Languages(), ", ")+" (default: from LC_ALL, LC_MESSAGES, LANG)")
	_ = cmd.RegisterFlagCompletionFunc("lang", cobra.FixedCompletions(content.Languages(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// lessonLanguage is the language lessons are shown in: --lang, else the
// first locale variable set (LC_ALL, LC_MESSAGES, LANG, as gettext reads
// them) when lessons exist in its language, else English.
func lessonLanguage(flag string, getenv func(string) string) (string, error) {
	if flag != "" {
		if !slices.Contains(content.Languages(), flag) {
			return "", usageError("--lang %q: lessons exist in %s", flag, strings.Join(content.Languages(), ", "))
		}
		return flag, nil
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		locale := getenv(v)
		if locale == "" {
			continue
		}
		lang, _, _ := strings.Cut(locale, "_")
		lang, _, _ = strings.Cut(lang, ".")
		lang, _, _ = strings.Cut(lang, "@")
		if slices.Contains(content.Languages(), strings.ToLower(lang)) {
			return strings.ToLower(lang), nil
		}
		return content.English, nil
	}
	return content.English, nil
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
	lang, err := lessonLanguage(opts.Lang, a.env.Getenv)
	if err != nil {
		return err
	}
	if opts.Topic != nil {
		l, err := content.GetIn(*opts.Topic, lang)
		if err != nil {
			return err
		}
		if l.Lang != lang {
			fmt.Fprintf(io.ErrOut, "No %s version of this lesson yet; here it is in English.\n", lang)
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
	ls, err := content.LessonsIn(lang)
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
