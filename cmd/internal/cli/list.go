package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ckalab/ckalab/internal/cka"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/spf13/cobra"
)

// listEntry is one row of `ckalab list`.
type listEntry struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Domain     string   `json:"domain"`
	Competency string   `json:"competency"`
	Difficulty string   `json:"difficulty"`
	Minutes    int      `json:"minutes"`
	Points     int      `json:"points"`
	Needs      []string `json:"needs"`
	Lesson     string   `json:"lesson,omitempty"`
	// Runnable is set when a lab was reachable: whether it can run the scenario.
	Runnable *bool  `json:"runnable,omitempty"`
	Missing  string `json:"missing,omitempty"`
}

type listOptions struct {
	app *app
	// labInfo is the reachable lab (app.labInfo), nil without one.
	labInfo func(context.Context) *lab.Info

	Output   string
	Domain   string
	Coverage bool
}

func (a *app) listCommand() *cobra.Command {
	opts := &listOptions{app: a, labInfo: a.labInfo}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the scenarios, marking those the current lab cannot run",
		Long: `List the scenarios, marking those the current lab cannot run. --coverage lists instead
every line of the CKA curriculum with the scenarios that practise it, by domain, and how
many lines have none.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runList(cmd.Context(), opts) },
	}
	outputFlag(cmd, &opts.Output, "table", "json", "markdown")
	cmd.Flags().StringVar(&opts.Domain, "domain", "", "only this CKA domain")
	cmd.Flags().BoolVar(&opts.Coverage, "coverage", false, "the curriculum's lines and the scenarios for each")
	_ = cmd.RegisterFlagCompletionFunc("domain", cobra.FixedCompletions(cka.Names(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runList(ctx context.Context, opts *listOptions) error {
	if err := checkOutput(opts.Output, "table", "json", "markdown"); err != nil {
		return err
	}
	if opts.Output == "markdown" && !opts.Coverage {
		return usageError("--output markdown: only with --coverage (the README's catalog is made with it)")
	}
	a := opts.app
	all, err := a.allScenarios()
	if err != nil {
		return err
	}
	// The lab is optional here: without one, nothing is marked.
	info := opts.labInfo(ctx)
	if _, ok := scenarios.DomainWeights()[opts.Domain]; opts.Domain != "" && !ok {
		return usageError("--domain %q: want one of %s", opts.Domain, strings.Join(cka.Names(), ", "))
	}
	if opts.Coverage {
		return a.listCoverage(all, opts)
	}
	var entries []listEntry
	for _, s := range all {
		if opts.Domain != "" && s.Domain != opts.Domain {
			continue
		}
		e := listEntry{ID: s.ID, Title: s.Title, Domain: s.Domain, Competency: s.Competency, Difficulty: s.Difficulty,
			Minutes: s.Minutes, Points: s.Points(), Needs: s.File.Needs, Lesson: s.Lesson}
		if info != nil {
			missing := info.Missing(s.Needs())
			ok := len(missing) == 0
			e.Runnable = &ok
			e.Missing = lab.JoinCapabilities(missing)
		}
		entries = append(entries, e)
	}
	return a.render(opts.Output, entries, func() error { return a.printList(entries, info != nil) })
}

// printList is the table of `ckalab list`; withLab says whether the
// "this lab" column is known.
func (a *app) printList(entries []listEntry, withLab bool) error {
	c := a.env.IO.Colors()
	rows := make([][]string, 0, len(entries))
	for _, e := range entries {
		run := "?"
		if e.Runnable != nil {
			run = c.SuccessIcon()
			if !*e.Runnable {
				run = c.FailureIcon() + " needs " + e.Missing
			}
		}
		rows = append(rows, []string{e.ID, e.Domain, e.Difficulty, strconv.Itoa(e.Minutes) + "m", strconv.Itoa(e.Points), run, e.Title})
	}
	if err := table(a.env.IO.Out, []string{"id", "domain", "difficulty", "time", "points", "this lab", "title"}, rows); err != nil {
		return err
	}
	if !withLab {
		fmt.Fprintln(a.env.IO.ErrOut, c.Faint("(no lab reachable: 'this lab' is unknown; start one with `ckalab lab up`)"))
	}
	return nil
}

// listCoverage prints the curriculum's lines with their scenarios, and a
// summary: how many lines have none, or only one.
func (a *app) listCoverage(all []*scenarios.Scenario, opts *listOptions) error {
	var lines []scenarios.CoverageLine
	for _, l := range scenarios.Coverage(all) {
		if opts.Domain == "" || l.Domain == opts.Domain {
			lines = append(lines, l)
		}
	}
	if opts.Output == "markdown" {
		return writeCoverageMarkdown(a.env.IO.Out, lines)
	}
	return a.render(opts.Output, lines, func() error {
		io := a.env.IO
		c := io.Colors()
		rows := make([][]string, 0, len(lines))
		var uncovered, once, count int
		for _, l := range lines {
			n := len(l.Scenarios)
			mark := c.SuccessIcon()
			switch n {
			case 0:
				mark = c.FailureIcon()
				uncovered++
			case 1:
				once++
			}
			count += n
			rows = append(rows, []string{l.Domain, mark + " " + l.Competency, strconv.Itoa(n), strings.Join(l.Scenarios, ", ")})
		}
		if err := table(io.Out, []string{"domain", "curriculum line", "scenarios", "ids"}, rows); err != nil {
			return err
		}
		fmt.Fprintf(io.ErrOut, "%d of %d curriculum lines covered (%d by one scenario only); %d scenarios\n",
			len(lines)-uncovered, len(lines), once, count)
		return nil
	})
}

// writeCoverageMarkdown is the curriculum table of the README ("Catalog"),
// made from the catalog so that it stays true: make readme-catalog.
func writeCoverageMarkdown(w io.Writer, lines []scenarios.CoverageLine) error {
	var b strings.Builder
	b.WriteString("| domain | curriculum line | scenarios |\n|---|---|---|\n")
	covered, count := 0, 0
	for _, l := range lines {
		ids := make([]string, len(l.Scenarios))
		for i, id := range l.Scenarios {
			ids[i] = "`" + id + "`"
		}
		cell := strings.Join(ids, ", ")
		if cell == "" {
			cell = "(none yet)"
		} else {
			covered++
		}
		count += len(l.Scenarios)
		fmt.Fprintf(&b, "| %s | %s | %s |\n", l.Domain, l.Competency, cell)
	}
	fmt.Fprintf(&b, "\n%d of %d curriculum lines covered, by %d scenarios.\n", covered, len(lines), count)
	_, err := io.WriteString(w, b.String())
	return err
}
