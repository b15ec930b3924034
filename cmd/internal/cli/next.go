package cli

import (
	"context"
	"fmt"

	"github.com/ckalab/ckalab/exam"
	"github.com/ckalab/ckalab/internal/cka"
	"github.com/ckalab/ckalab/lab"
	"github.com/spf13/cobra"
)

type nextOptions struct {
	app *app
	// labInfo is the reachable lab (app.labInfo), nil without one.
	labInfo func(context.Context) *lab.Info

	Output string
}

func (a *app) nextCommand() *cobra.Command {
	opts := &nextOptions{app: a, labInfo: a.labInfo}
	cmd := &cobra.Command{
		Use:   "next",
		Short: "Pick the scenario to practise now from your exams and grades",
		Long: `Recommend the scenario to practise now, from your exams and practice grades ('ckalab exam
history'; every 'ckalab grade' counts): the domain where you stand to lose the most exam
points (its CKA weight times what your recent scores lack; a domain never tried loses it
all), and in it a scenario whose checks you keep failing, else one you have not tried.
Recent results count more than old ones. Only scenarios the lab can run are picked; with no
lab reachable, the whole catalog.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runNext(cmd.Context(), opts) },
	}
	outputFlag(cmd, &opts.Output, "text", "json")
	return cmd
}

// nextView is `ckalab next -o json`.
type nextView struct {
	exam.Recommendation
	// Command starts the scenario.
	Command string `json:"command"`
	// LabReachable is false when no lab was reachable: the scenario was
	// chosen from the whole catalog, and the lab may not run it.
	LabReachable bool `json:"labReachable"`
}

func runNext(ctx context.Context, opts *nextOptions) error {
	if err := checkOutput(opts.Output, "text", "json"); err != nil {
		return err
	}
	a := opts.app
	all, err := a.allScenarios()
	if err != nil {
		return err
	}
	entries, err := a.historyEntries()
	if err != nil {
		return err
	}
	info := opts.labInfo(ctx)
	var cands []exam.Candidate
	for _, s := range all {
		if info != nil && len(info.Missing(s.Needs())) > 0 {
			continue
		}
		cands = append(cands, exam.Candidate{ID: s.ID, Title: s.Title, Domain: s.Domain, Runnable: true})
	}
	if info != nil && len(cands) == 0 {
		return fmt.Errorf("the lab (%s) can run none of the %d scenarios: `ckalab list` shows what each needs", info.Provider, len(all))
	}
	rec, err := exam.Recommend(entries, cands, cka.Weights(), a.env.Now())
	if err != nil {
		return err
	}
	view := nextView{Recommendation: rec, Command: "ckalab start " + rec.Scenario, LabReachable: info != nil}
	return a.render(opts.Output, view, func() error { return a.printNext(view) })
}

func (a *app) printNext(v nextView) error {
	io := a.env.IO
	c := io.Colors()
	fmt.Fprintf(io.Out, "%s: %s (%s)\n%s.\n\n  %s\n", c.Bold(v.Scenario), v.Title, v.Domain, v.Reason, v.Command)
	if !v.LabReachable {
		fmt.Fprintln(io.ErrOut, c.Faint("(no lab reachable: chosen from the whole catalog; start a lab with `ckalab lab up`)"))
	}
	return nil
}
