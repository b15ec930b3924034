package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestGolden in testdata")

// TestGolden renders each exam in every format and compares the bytes with
// testdata/<case>.<format>. `go test ./exam/report -run TestGolden -update`
// rewrites them; git diff shows what changed.
func TestGolden(t *testing.T) {
	cases := []struct {
		name string
		exam Exam
	}{
		{"pass", passingExam()},
		{"fail", failingExam()},
		{"weights", oddWeightsExam()},
	}
	type render struct {
		ext   string
		write func(*bytes.Buffer, Summary) error
	}
	renders := []render{
		{"txt", func(b *bytes.Buffer, s Summary) error { return WriteText(b, s, TextOptions{}) }},
		{"json", func(b *bytes.Buffer, s Summary) error { return WriteJSON(b, s) }},
		{"junit.xml", func(b *bytes.Buffer, s Summary) error { return WriteJUnit(b, s) }},
		{"html", func(b *bytes.Buffer, s Summary) error { return WriteHTML(b, s) }},
	}
	for _, c := range cases {
		for _, r := range renders {
			t.Run(c.name+"."+r.ext, func(t *testing.T) {
				var b bytes.Buffer
				if err := r.write(&b, Build(c.exam)); err != nil {
					t.Fatal(err)
				}
				golden(t, c.name+"."+r.ext, b.String())
			})
		}
	}
	// Colour on, and a narrow terminal.
	t.Run("fail.color.txt", func(t *testing.T) {
		var b bytes.Buffer
		if err := WriteText(&b, Build(failingExam()), TextOptions{Color: true, Width: 100}); err != nil {
			t.Fatal(err)
		}
		golden(t, "fail.color.txt", b.String())
	})
	t.Run("fail.narrow.txt", func(t *testing.T) {
		var b bytes.Buffer
		if err := WriteText(&b, Build(failingExam()), TextOptions{Width: 60}); err != nil {
			t.Fatal(err)
		}
		golden(t, "fail.narrow.txt", b.String())
	})
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./exam/report -run TestGolden -update writes it)", err)
	}
	if got != string(want) {
		g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(g) || i < len(w); i++ {
			var gl, wl string
			if i < len(g) {
				gl = g[i]
			}
			if i < len(w) {
				wl = w[i]
			}
			if gl != wl {
				t.Fatalf("%s differs at line %d:\n got: %q\nwant: %q\n(if the change is meant, -update rewrites the file)", path, i+1, gl, wl)
			}
		}
	}
}

func TestBuildScores(t *testing.T) {
	s := Build(passingExam())
	// Task 3: 2 of 5 check points of a weight of 20 is 8.
	if tk := s.Tasks[2]; tk.Score != 8 || tk.Max != 20 || tk.Status != StatusPartial || tk.Earned != 2 || tk.Total != 5 {
		t.Errorf("task 3: %+v", tk)
	}
	if s.Percent != 88 || !s.Passed {
		t.Errorf("percent %v passed %v, want 88 and a pass", s.Percent, s.Passed)
	}
	if s.TimeUsed != 97*time.Minute+30*time.Second || s.Duration != 2*time.Hour || s.Ending != EndedEarly {
		t.Errorf("time used %v of %v, %s", s.TimeUsed, s.Duration, s.Ending)
	}
	var names []string
	for _, d := range s.Domains {
		names = append(names, d.Name)
	}
	if got := strings.Join(names, ","); got != "cluster-architecture,workloads-and-scheduling,services-and-networking,storage,troubleshooting" {
		t.Errorf("domains not in curriculum order: %s", got)
	}
	if d := s.Domains[2]; d.Score != 8 || d.Max != 20 || d.Percent != 40 {
		t.Errorf("services-and-networking: %+v", d)
	}

	f := Build(failingExam())
	// 10 + 0 (not graded) + 15*2/5 + 20*1/4 + 0 + 30*2/4 = 36.
	if f.Percent != 36 || f.Passed || f.Ending != EndedLate || f.TimeUsed != 2*time.Hour {
		t.Errorf("failing exam: %v%% passed %v %s, time used %v", f.Percent, f.Passed, f.Ending, f.TimeUsed)
	}
	if tk := f.Tasks[1]; tk.Status != StatusNotGraded || tk.Score != 0 || tk.Max != 15 || tk.Note == "" {
		t.Errorf("task not graded: %+v", tk)
	}
	if tk := f.Tasks[4]; tk.Status != StatusNone || len(tk.Failed) != 1 {
		t.Errorf("task with no points: %+v", tk)
	}
	if d := f.Domains[0]; d.Name != "cluster-architecture" || d.Score != 10 || d.Max != 25 || d.Percent != 40 || d.Tasks != 2 {
		t.Errorf("cluster-architecture: %+v", d)
	}

	// Weights 4, 2, 1 (sum 7): 4/7*2/3 + 2/7 + 1/7*1/3 = 5/7 = 71.43%.
	w := Build(oddWeightsExam())
	if w.Percent != 71.4 || !w.Passed {
		t.Errorf("odd weights: %v%% passed %v", w.Percent, w.Passed)
	}
	if w.Tasks[0].N != 1 || w.Tasks[0].Max != 57.14 || w.Tasks[0].Score != 38.09 || w.Tasks[1].Domain != UnknownDomain {
		t.Errorf("odd weights tasks: %+v", w.Tasks)
	}
	if last := w.Domains[len(w.Domains)-1]; last.Name != UnknownDomain {
		t.Errorf("a domain the curriculum does not know comes last: %+v", w.Domains)
	}
}

// A score just under the pass mark is floored, never rounded up to it.
func TestBuildNeverRoundsUpToThePassMark(t *testing.T) {
	// Task 1 full (weight 6595), task 2 none (weight 3405): 65.95%.
	e := Exam{PassMark: 66, Started: t0, Deadline: t0.Add(time.Hour), GradedAt: t0.Add(time.Hour), Tasks: []Task{
		{N: 1, Domain: "storage", Weight: 6595, Grade: grade("a", check("x", "x", 1, true))},
		{N: 2, Domain: "storage", Weight: 3405, Grade: grade("b", check("x", "x", 1, false))},
	}}
	s := Build(e)
	if s.Percent != 65.9 || s.Passed {
		t.Errorf("65.95%%: got %v, passed %v", s.Percent, s.Passed)
	}
	e.Tasks[0].Weight, e.Tasks[1].Weight = 66, 34
	if s := Build(e); s.Percent != 66 || !s.Passed {
		t.Errorf("66%%: got %v, passed %v", s.Percent, s.Passed)
	}
	// Thirds add up to full marks exactly.
	e.Tasks = []Task{
		{N: 1, Weight: 1, Grade: grade("a", check("x", "x", 1, true))},
		{N: 2, Weight: 1, Grade: grade("b", check("x", "x", 1, true))},
		{N: 3, Weight: 1, Grade: grade("c", check("x", "x", 1, true))},
	}
	if s := Build(e); s.Percent != 100 || s.Tasks[0].Score != s.Tasks[0].Max {
		t.Errorf("thirds: %v%%, task 1 %v of %v", s.Percent, s.Tasks[0].Score, s.Tasks[0].Max)
	}
}

func TestBuildEdgeCases(t *testing.T) {
	// No weights at all: every task weighs the same.
	s := Build(Exam{Tasks: []Task{
		{N: 1, Grade: grade("a", check("x", "x", 1, true))},
		{N: 2, Grade: grade("b", check("x", "x", 1, false))},
	}})
	if s.Percent != 50 || s.Tasks[0].Max != 50 {
		t.Errorf("no weights: %v%%, %+v", s.Percent, s.Tasks)
	}
	// No tasks: 0%, and renderers cope.
	empty := Build(Exam{PassMark: 66})
	if empty.Percent != 0 || empty.Passed {
		t.Errorf("no tasks: %+v", empty)
	}
	var b bytes.Buffer
	for _, f := range []func() error{
		func() error { return WriteText(&b, empty, TextOptions{}) },
		func() error { return WriteJSON(&b, empty) },
		func() error { return WriteJUnit(&b, empty) },
		func() error { return WriteHTML(&b, empty) },
	} {
		if err := f(); err != nil {
			t.Error(err)
		}
	}
	// Graded before it started (a clock set back): no negative time.
	if s := Build(Exam{Started: t0, Deadline: t0.Add(time.Hour), GradedAt: t0.Add(-time.Minute)}); s.TimeUsed != 0 {
		t.Errorf("time used %v", s.TimeUsed)
	}
}

// hostileExam puts markup and terminal escapes where scenario text and
// cluster output go.
func hostileExam() Exam {
	e := failingExam()
	e.Title = `<script>alert("title")</script>`
	e.Tasks[0].Title = `<img src=x onerror=alert(1)> & "quotes"`
	e.Tasks[3].Grade.Results[1].Actual = "</pre><script>alert('actual')</script>\x1b[31mred\x1b]0;pwned\x07 ]]> end"
	e.Tasks[3].Grade.Results[1].Why = "<b>bold</b> https://example.com"
	return e
}

func TestHTMLIsSelfContainedAndEscapes(t *testing.T) {
	for _, e := range []Exam{passingExam(), failingExam(), oddWeightsExam()} {
		var b bytes.Buffer
		if err := WriteHTML(&b, Build(e)); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, bad := range []string{"http://", "https://", "<script", "<link", "<img", "src=", "url(", "@import", "ZgotmplZ"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s: the HTML holds %q", e.ID, bad)
			}
		}
		if !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, "<style>") {
			t.Errorf("%s: not a self-contained HTML document", e.ID)
		}
	}

	var b bytes.Buffer
	if err := WriteHTML(&b, Build(hostileExam())); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"<script", "<img", "<b>", "</pre><script"} {
		if strings.Contains(out, bad) {
			t.Errorf("untrusted text not escaped: the HTML holds %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;", "&lt;/pre&gt;&lt;script&gt;alert(&#39;actual&#39;)",
		"&lt;img src=x onerror=alert(1)&gt; &amp; &#34;quotes&#34;"} {
		if !strings.Contains(out, want) {
			t.Errorf("the HTML lacks the escaped %q", want)
		}
	}
}

func TestTextHasNoEscapesWithoutColorAndFitsTheWidth(t *testing.T) {
	for _, width := range []int{0, 60, 72, 100, 140} {
		for _, e := range []Exam{passingExam(), failingExam(), oddWeightsExam(), hostileExam()} {
			var b bytes.Buffer
			if err := WriteText(&b, Build(e), TextOptions{Width: width}); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if strings.ContainsAny(out, "\x1b\x07") {
				t.Errorf("width %d, %s: control characters without colour:\n%s", width, e.ID, out)
			}
			limit := width
			if limit == 0 {
				limit = defaultWidth
			}
			for _, l := range strings.Split(out, "\n") {
				if n := len([]rune(l)); n > limit {
					t.Errorf("width %d, %s: a line of %d columns: %q", width, e.ID, n, l)
				}
			}
		}
	}
	// Colour on: the hostile text's own escapes are still neutralised.
	var b bytes.Buffer
	if err := WriteText(&b, Build(hostileExam()), TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\x1b]") || strings.Contains(b.String(), "\x1b[31mred") {
		t.Errorf("scenario text's escapes reach the terminal:\n%q", b.String())
	}
	if !strings.Contains(b.String(), "\x1b[1m") {
		t.Error("no colour with Color")
	}
}

func TestLateAndEarlyHeaders(t *testing.T) {
	for _, c := range []struct {
		exam Exam
		want string
	}{
		{failingExam(), "Time used 2h00m of 2h00m, graded late, after the machine slept"},
		{oddWeightsExam(), "Time used 30m00s of 30m00s, graded at the deadline"},
		{passingExam(), "Time used 1h37m of 2h00m, graded before the deadline, 22m30s left"},
	} {
		var b bytes.Buffer
		if err := WriteText(&b, Build(c.exam), TextOptions{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), c.want+"\n") {
			t.Errorf("%s: no line %q in\n%s", c.exam.ID, c.want, b.String())
		}
	}
}

// The JUnit XML reads back with encoding/xml as CI tools read it.
func TestJUnitParsesBack(t *testing.T) {
	type failure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	type testcase struct {
		Classname string   `xml:"classname,attr"`
		Name      string   `xml:"name,attr"`
		Time      float64  `xml:"time,attr"`
		Failure   *failure `xml:"failure"`
	}
	type testsuite struct {
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Time     float64    `xml:"time,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	type testsuites struct {
		XMLName  xml.Name    `xml:"testsuites"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Time     float64     `xml:"time,attr"`
		Suites   []testsuite `xml:"testsuite"`
	}
	var b bytes.Buffer
	if err := WriteJUnit(&b, Build(hostileExam())); err != nil {
		t.Fatal(err)
	}
	var doc testsuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if doc.Tests != 6 || doc.Failures != 5 || len(doc.Suites) != 5 {
		t.Fatalf("tests %d failures %d suites %d, want 6, 5, 5", doc.Tests, doc.Failures, len(doc.Suites))
	}
	ca := doc.Suites[0]
	if ca.Name != "cluster-architecture" || ca.Tests != 2 || ca.Failures != 1 || len(ca.Cases) != 2 {
		t.Fatalf("first suite: %+v", ca)
	}
	if c := ca.Cases[0]; c.Classname != "cluster-architecture" || c.Name != `1. <img src=x onerror=alert(1)> & "quotes"` || c.Failure != nil {
		t.Errorf("full marks: %+v", c)
	}
	if c := ca.Cases[1]; c.Failure == nil || c.Failure.Type != "notGraded" || !strings.Contains(c.Failure.Message, "setup failed") {
		t.Errorf("not graded: %+v", c)
	}
	svc := doc.Suites[2].Cases[0]
	if svc.Name != "4. Fix the web service so that it has endpoints" || svc.Failure == nil ||
		!strings.Contains(svc.Failure.Text, "</pre><script>alert('actual')</script>") || !strings.Contains(svc.Failure.Text, " ]]> end") ||
		svc.Time != 5 {
		t.Errorf("failed checks: %+v", svc)
	}
	sum := 0.0
	for _, s := range doc.Suites {
		sum += s.Time
	}
	if doc.Time != sum {
		t.Errorf("time %v, suites add up to %v", doc.Time, sum)
	}
	// Control characters XML cannot hold are replaced, not written.
	if regexp.MustCompile("[\x00-\x08\x0b\x0c\x0e-\x1f]").Match(b.Bytes()) {
		t.Error("control characters in the XML")
	}
}

func TestJSONIsStable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, Build(failingExam())); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "title", "started", "deadline", "gradedAt", "ending", "durationNanoseconds",
		"timeUsedNanoseconds", "percent", "passMark", "passed", "domains", "tasks"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no key %q", k)
		}
	}
	task := m["tasks"].([]any)[3].(map[string]any)
	failed := task["failedChecks"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "title", "points", "why", "expected", "actual", "problems"} {
		if _, ok := failed[k]; !ok {
			t.Errorf("failed check: no key %q", k)
		}
	}
}

func TestWrap(t *testing.T) {
	got := wrap("one two three four five six seven eight nine ten", 20, "  why: ", "       ")
	want := []string{"one two three", "four five six", "seven eight", "nine ten"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q", got)
	}
	got = wrap("x abcdefghijklmnopqrstuvwxyz", 12, "", "  ")
	if strings.Join(got, "|") != "x|abcdefghij|klmnopqrst|uvwxyz" {
		t.Errorf("a long word: %q", got)
	}
	got = wrap("line one\nline two", 80, "> ", "  ")
	if strings.Join(got, "|") != "line one|line two" {
		t.Errorf("line breaks: %q", got)
	}
	got = wrap("spec:\n  replicas: 3\n  selector: app=web tier=frontend", 24, "", "")
	if strings.Join(got, "|") != "spec:|  replicas: 3|  selector: app=web|  tier=frontend" {
		t.Errorf("indentation: %q", got)
	}
	if got = wrap("", 80, "> ", "  "); len(got) != 1 || got[0] != "" {
		t.Errorf("empty: %q", got)
	}
}
