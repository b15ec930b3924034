package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// The JUnit XML shape that CI tools read (Jenkins, GitLab, GitHub
// actions' reporters): testsuites > testsuite > testcase > failure.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	// CDATA keeps the lines of the explanation readable in the file.
	Text string `xml:",cdata"`
}

// WriteJUnit writes the report as JUnit XML: one testsuite per domain, one
// testcase per task (classname the domain, name "N. title"), and a failure
// for each task short of full marks, listing its failed checks (a task not
// graded fails with type "notGraded" and its note). Times are the grading
// times in seconds; each suite carries its domain's score, max and percent
// as properties.
func WriteJUnit(w io.Writer, s Summary) error {
	doc := junitSuites{Name: s.Title}
	if doc.Name == "" {
		doc.Name = s.ID
	}
	var total time.Duration
	for _, d := range s.Domains {
		suite := junitSuite{Name: d.Name, Properties: []junitProperty{
			{"score", strconv.FormatFloat(d.Score, 'f', 2, 64)},
			{"max", strconv.FormatFloat(d.Max, 'f', 2, 64)},
			{"percent", strconv.FormatFloat(d.Percent, 'f', 1, 64)},
		}}
		if !s.GradedAt.IsZero() {
			suite.Timestamp = s.GradedAt.UTC().Format("2006-01-02T15:04:05")
		}
		var elapsed time.Duration
		for _, ts := range s.Tasks {
			if ts.Domain != d.Name {
				continue
			}
			tc := junitCase{Classname: d.Name, Name: fmt.Sprintf("%d. %s", ts.N, oneLine(ts.Title)),
				Time: seconds(ts.Elapsed), Failure: junitFailureOf(ts)}
			suite.Tests++
			if tc.Failure != nil {
				suite.Failures++
			}
			elapsed += ts.Elapsed
			suite.Cases = append(suite.Cases, tc)
		}
		suite.Time = seconds(elapsed)
		total += elapsed
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Suites = append(doc.Suites, suite)
	}
	doc.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("exam report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("exam report: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("exam report: %w", err)
	}
	return nil
}

func junitFailureOf(ts TaskScore) *junitFailure {
	switch ts.Status {
	case StatusFull:
		return nil
	case StatusNotGraded:
		msg := "not graded"
		if ts.Note != "" {
			msg += ": " + oneLine(ts.Note)
		}
		return &junitFailure{Message: msg, Type: string(StatusNotGraded), Text: xmlText(ts.Note)}
	}
	f := &junitFailure{Type: "checks",
		Message: fmt.Sprintf("scored %s of %s (percent of the exam): %s check points, %s failed", decimal(ts.Score, ts.Max),
			decimal(ts.Max, ts.Max), checks(ts), plural(len(ts.Failed), "check"))}
	var b strings.Builder
	if ts.Note != "" {
		b.WriteString(ts.Note + "\n\n")
	}
	for i, c := range ts.Failed {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "✗ %s: %s (%s)\n", c.ID, c.Title, plural(c.Points, "point"))
		if c.Why != "" {
			fmt.Fprintf(&b, "  why: %s\n", c.Why)
		}
		fmt.Fprintf(&b, "  expected: %s\n  actual:   %s\n", c.Expected, c.Actual)
		for _, p := range c.Problems {
			fmt.Fprintf(&b, "   - %s\n", p)
		}
	}
	f.Text = xmlText(b.String())
	return f
}

// xmlText replaces the characters XML cannot hold (terminal escapes in a
// check's actual value, say) with U+FFFD: encoding/xml does so for
// attributes and character data, not for CDATA.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r >= 0xd800 && r <= 0xdfff, r == 0xfffe, r == 0xffff, r > 0x10ffff:
			return '\uFFFD'
		}
		return r
	}, s)
}

// seconds renders a duration as JUnit does: seconds with milliseconds.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}
