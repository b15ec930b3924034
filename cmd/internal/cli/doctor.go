package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/ckalab/ckalab/lab/doctor"
	"github.com/spf13/cobra"
)

const doctorLong = `Check that this machine can run ckalab's labs: Docker (needed for the kind
lab; the sim does not need it), available memory, inotify limits, the cgroup
version, the capability bounding set (kind's privileged node containers need
every capability), loopback ports, kubectl and its version skew, and the
sim's binaries.

Every check that is not ok prints what it measured and the command or step
that fixes it. Warnings (! warn) do not stop the sim; a failure (✗ fail)
keeps a lab from working.

Exit codes:
  0  no check failed (warnings allowed)
  1  error
  2  bad command line
  3  at least one check failed`

// doctorResult is the -o json document.
type doctorResult struct {
	OK     bool            `json:"ok"`
	Checks []doctor.Result `json:"checks"`
}

type doctorOptions struct {
	app *app

	Output string
}

func (a *app) doctorCommand() *cobra.Command {
	opts := &doctorOptions{app: a}
	cmd := &cobra.Command{
		Use:     "doctor",
		Short:   "Check that this machine can run a lab, and say how to fix what is missing",
		Long:    doctorLong,
		GroupID: "lab",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runDoctor(cmd.Context(), opts) },
	}
	outputFlag(cmd, &opts.Output, "table", "json")
	return cmd
}

// runDoctor runs the host checks, with what each provider adds to them; a
// failed check is errChecksFailed after the report.
func runDoctor(ctx context.Context, opts *doctorOptions) error {
	if err := checkOutput(opts.Output, "table", "json"); err != nil {
		return err
	}
	a := opts.app
	ps, err := a.providers()
	if err != nil {
		return err
	}
	all, err := ps.All()
	if err != nil {
		return err
	}
	var dopts doctor.Options
	for _, p := range all {
		if c, ok := p.(doctor.Contributor); ok {
			c.DoctorOptions(&dopts)
		}
	}
	results := doctor.New(doctor.Host(a.env.Getenv), dopts).Run(ctx)
	failed := doctor.Failed(results)
	if err := a.render(opts.Output, doctorResult{OK: !failed, Checks: results}, func() error { return a.printDoctor(results) }); err != nil {
		return err
	}
	if failed {
		return errChecksFailed
	}
	return nil
}

func (a *app) printDoctor(results []doctor.Result) error {
	io := a.env.IO
	c := io.Colors()
	rows := make([][]string, 0, len(results))
	counts := map[doctor.Status]int{}
	for _, r := range results {
		counts[r.Status]++
		rows = append(rows, []string{statusCell(c, r.Status), r.Name, r.Detail})
	}
	if err := table(io.Out, []string{"status", "check", "detail"}, rows); err != nil {
		return err
	}
	for _, r := range results {
		if r.Status == doctor.StatusOK || r.Fix == "" {
			continue
		}
		fmt.Fprintf(io.Out, "\n%s %s\n", statusIcon(c, r.Status), c.Bold(r.Name))
		for i, line := range strings.Split(strings.TrimRight(r.Fix, "\n"), "\n") {
			prefix := "  fix: "
			if i > 0 {
				prefix = "       "
			}
			fmt.Fprintf(io.Out, "%s%s\n", prefix, line)
		}
	}
	summary := fmt.Sprintf("%d ok, %d warning(s), %d failed", counts[doctor.StatusOK], counts[doctor.StatusWarn], counts[doctor.StatusFail])
	if counts[doctor.StatusSkip] > 0 {
		summary += fmt.Sprintf(", %d skipped", counts[doctor.StatusSkip])
	}
	if counts[doctor.StatusFail] > 0 {
		fmt.Fprintf(io.ErrOut, "\n%s %s\n", c.FailureIcon(), summary)
	} else {
		fmt.Fprintf(io.ErrOut, "\n%s %s\n", c.SuccessIcon(), summary)
	}
	return nil
}

func statusIcon(c Colors, s doctor.Status) string {
	switch s {
	case doctor.StatusOK:
		return c.SuccessIcon()
	case doctor.StatusWarn:
		return c.Yellow("!")
	case doctor.StatusFail:
		return c.FailureIcon()
	}
	return c.Faint("-")
}

func statusCell(c Colors, s doctor.Status) string {
	word := string(s)
	switch s {
	case doctor.StatusWarn:
		word = c.Yellow(word)
	case doctor.StatusFail:
		word = c.Red(word)
	case doctor.StatusSkip:
		word = c.Faint(word)
	}
	return statusIcon(c, s) + " " + word
}
