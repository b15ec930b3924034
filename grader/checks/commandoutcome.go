package checks

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// commandOutcome is what nodeCommand and podExec want of a command they
// run: its exit code (default 0) and what its stdout contains and
// matches. Both kinds inline it, so authors write the same fields.
type commandOutcome struct {
	ExitCode       *int   `yaml:"exitCode"`
	StdoutContains string `yaml:"stdoutContains"`
	StdoutMatches  string `yaml:"stdoutMatches"`

	re *regexp.Regexp
}

// validate checks the exit code's range and compiles stdoutMatches.
func (o *commandOutcome) validate(body *yaml.Node, p string, ps *yamlx.Problems) {
	if e := o.ExitCode; e != nil && (*e < 0 || *e > 255) {
		ps.Add(valueOf(body, "exitCode"), yamlx.Join(p, "exitCode"), "got %d, want 0 to 255", *e)
	}
	o.re = compileRegexp(valueOf(body, "stdoutMatches"), p, "stdoutMatches", o.StdoutMatches, ps)
}

func (o *commandOutcome) wantCode() int {
	if o.ExitCode == nil {
		return 0
	}
	return *o.ExitCode
}

// expected renders the command and the outcome: "`argv` WHERE exits 0,
// stdout containing ...".
func (o *commandOutcome) expected(argv []string, where string) string {
	parts := []string{fmt.Sprintf("`%s` %s exits %d", strings.Join(argv, " "), where, o.wantCode())}
	if o.StdoutContains != "" {
		parts = append(parts, fmt.Sprintf("stdout containing %q", o.StdoutContains))
	}
	if o.re != nil {
		parts = append(parts, "stdout matching /"+o.StdoutMatches+"/")
	}
	return strings.Join(parts, ", ")
}

// judge renders what the command did (exit code and an excerpt of stdout)
// and lists how it differs from the outcome wanted.
func (o *commandOutcome) judge(stdout, stderr []byte, code int) (actual string, problems []string) {
	actual = fmt.Sprintf("exit %d", code)
	if out := excerpt(stdout, 300); out != "" {
		actual += ", stdout: " + out
	}
	if code != o.wantCode() {
		p := fmt.Sprintf("exit code %d, want %d", code, o.wantCode())
		if e := excerpt(stderr, 300); e != "" {
			p += " (stderr: " + e + ")"
		}
		problems = append(problems, p)
	}
	if o.StdoutContains != "" && !strings.Contains(string(stdout), o.StdoutContains) {
		problems = append(problems, fmt.Sprintf("stdout does not contain %q", o.StdoutContains))
	}
	if o.re != nil && !o.re.Match(stdout) {
		problems = append(problems, fmt.Sprintf("stdout does not match /%s/", o.StdoutMatches))
	}
	return actual, problems
}
