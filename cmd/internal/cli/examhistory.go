package cli

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ckalab/ckalab/exam"
	"github.com/ckalab/ckalab/exam/report"
	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/cka"
	"github.com/spf13/cobra"
)

type examHistoryOptions struct {
	app *app

	Output string
}

func (a *app) examHistoryCommand() *cobra.Command {
	opts := &examHistoryOptions{app: a}
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Your past exams: score, pass or fail, and each domain's score",
		Long: fmt.Sprintf(`List every graded exam, the newest last: when it was graded, its set, its score, pass or
fail, and the score of each CKA domain in percent ("-": no task of the domain). The history
keeps your last %d exams and practice grades; 'ckalab next' picks what to practise from it.`, exam.MaxHistory),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runExamHistory(cmd.Context(), opts) },
	}
	outputFlag(cmd, &opts.Output, "table", "json")
	return cmd
}

// examHistoryEntry is one exam of `exam history -o json`.
type examHistoryEntry struct {
	Graded time.Time `json:"graded"`
	exam.ExamResult
}

func runExamHistory(_ context.Context, opts *examHistoryOptions) error {
	if err := checkOutput(opts.Output, "table", "json"); err != nil {
		return err
	}
	a := opts.app
	entries, err := a.historyEntries()
	if err != nil {
		return err
	}
	exams := []examHistoryEntry{} // JSON: [] rather than null
	for _, e := range exam.Exams(entries) {
		exams = append(exams, examHistoryEntry{Graded: e.When, ExamResult: *e.Exam})
	}
	return a.render(opts.Output, exams, func() error { return a.printExamHistory(exams) })
}

// printExamHistory is the table of `exam history`: one row per exam, one
// column per domain that any exam had.
func (a *app) printExamHistory(exams []examHistoryEntry) error {
	io := a.env.IO
	c := io.Colors()
	if len(exams) == 0 {
		fmt.Fprintln(io.ErrOut, "No exams yet: `ckalab exam start` starts one.")
		return nil
	}
	domains := historyDomains(exams)
	headers := []string{"date", "exam", "score", "result"}
	for _, d := range domains {
		headers = append(headers, domainColumn(d, domains))
	}
	rows := make([][]string, 0, len(exams))
	for _, e := range exams {
		result := c.Red("fail")
		if e.Passed {
			result = c.Green("pass")
		}
		row := []string{e.Graded.Local().Format("2006-01-02 15:04"), cmp.Or(e.Set, e.ID), percentText(e.Percent), result}
		for _, d := range domains {
			cell := "-"
			for _, ds := range e.Domains {
				if ds.Name == d {
					cell = percentText(ds.Percent)
				}
			}
			row = append(row, cell)
		}
		rows = append(rows, row)
	}
	if err := table(io.Out, headers, rows); err != nil {
		return err
	}
	fmt.Fprintln(io.ErrOut, c.Faint("`ckalab next` picks what to practise from these and your practice grades."))
	return nil
}

// historyDomains are the domains of the exams: the curriculum's in its
// order, then any other in alphabetical order (as the exam's report).
func historyDomains(exams []examHistoryEntry) []string {
	seen := map[string]bool{}
	for _, e := range exams {
		for _, d := range e.Domains {
			seen[d.Name] = true
		}
	}
	var out []string
	for _, n := range cka.Names() {
		if seen[n] {
			out = append(out, n)
			delete(seen, n)
		}
	}
	var other []string
	for n := range seen {
		other = append(other, n)
	}
	slices.Sort(other)
	return append(out, other...)
}

// domainColumn is the heading of domain d's column: the first word of its
// name ("cluster" for cluster-architecture), so that five domains fit a
// terminal's width, unless another domain of the table shares that word.
func domainColumn(d string, all []string) string {
	first, _, _ := strings.Cut(d, "-")
	for _, o := range all {
		if o2, _, _ := strings.Cut(o, "-"); o != d && o2 == first {
			return d
		}
	}
	return first
}

// percentText renders a percent with one decimal, as the exam's report.
func percentText(p float64) string { return strconv.FormatFloat(p, 'f', 1, 64) + "%" }

// history is the learner's exam and practice history file.
func (a *app) history() (exam.History, error) {
	d, err := a.dirs()
	if err != nil {
		return exam.History{}, err
	}
	return exam.History{Path: filepath.Join(d.State, "history.json")}, nil
}

// historyEntries reads the history (exam history, next).
func (a *app) historyEntries() ([]exam.Entry, error) {
	h, err := a.history()
	if err != nil {
		return nil, err
	}
	return h.Load()
}

// recordExam adds a graded exam of set to the history.
func (a *app) recordExam(sum report.Summary, set string) error {
	h, err := a.history()
	if err != nil {
		return err
	}
	return h.Append(exam.NewExamEntry(sum, set))
}

// recordPractice adds a practice grade of a scenario of domain to the
// history, graded now.
func (a *app) recordPractice(rep grader.Report, domain string) error {
	h, err := a.history()
	if err != nil {
		return err
	}
	return h.Append(exam.NewPracticeEntry(rep, domain, a.env.Now()))
}
