package exam_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/exam"
	"github.com/ckalab/ckalab/internal/cka"
)

func parseTestdata(t *testing.T, name string) (*exam.Set, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return exam.ParseSet("testdata/"+name, data)
}

func loadError(t *testing.T, err error) *exam.LoadError {
	t.Helper()
	var le *exam.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("error %T %v, want a *exam.LoadError", err, err)
	}
	return le
}

// TestParseSetDefaults: a set that says only what it must gets the CKA's
// pass mark, task count and weights, and draws its whole exam.
func TestParseSetDefaults(t *testing.T) {
	s, err := exam.ParseSet("min.yaml", []byte("apiVersion: ckalab.dev/v1alpha1\nkind: Exam\nid: min\ntitle: Minimal\nduration: 2h\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Duration != 2*time.Hour || s.PassMark != 66 || s.Count != 16 || s.Draw == nil || len(s.Tasks) != 0 {
		t.Errorf("got %+v, want 2h, 66%%, 16 tasks, all drawn", s)
	}
	if !reflect.DeepEqual(s.Weights, cka.Weights()) {
		t.Errorf("weights %v, want the CKA's %v", s.Weights, cka.Weights())
	}
}

// TestParseSetFixed: a set of named tasks with points and no draw is
// exactly those tasks, and says so in its options.
func TestParseSetFixed(t *testing.T) {
	s, err := parseTestdata(t, "valid-fixed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Count != 3 || s.Draw != nil || s.PassMark != 75 || s.Duration != 30*time.Minute {
		t.Errorf("got %+v, want 3 tasks, no draw, 75%%, 30m", s)
	}
	o := s.Options(7)
	want := exam.DrawOptions{Count: 3, Weights: cka.Weights(), Seed: 7, NoDraw: true,
		Fixed:  []string{"rbac-deployer", "drain-worker", "local-storage"},
		Points: map[string]int{"rbac-deployer": 40, "drain-worker": 35, "local-storage": 25}}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("Options = %+v, want %+v", o, want)
	}
}

// TestParseSetMixed: weights that leave a domain out weigh it 0; the
// draw's rules reach the options.
func TestParseSetMixed(t *testing.T) {
	s, err := parseTestdata(t, "valid-mixed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Weights["storage"] != 0 || s.Weights["cluster-architecture"] != 30 || s.Count != 12 {
		t.Errorf("got %+v", s)
	}
	o := s.Options(1)
	if o.NoDraw || !reflect.DeepEqual(o.Needs, []string{"api", "kubelet"}) || !reflect.DeepEqual(o.Exclude, []string{"metrics-server"}) ||
		!reflect.DeepEqual(o.Points, map[string]int{"kubeconfig-context": 10}) {
		t.Errorf("Options = %+v", o)
	}
}

// TestParseSetProblems: every problem at once, each with its line and
// field, in the scenarios' file:line: field: problem form.
func TestParseSetProblems(t *testing.T) {
	_, err := parseTestdata(t, "invalid-many.yaml")
	want := []string{
		`testdata/invalid-many.yaml:1: apiVersion: got "ckalab.dev/v1", want "ckalab.dev/v1alpha1"`,
		`testdata/invalid-many.yaml:2: kind: got "Scenario", want "Exam"`,
		`testdata/invalid-many.yaml:3: id: got "Bad_ID", want lower-case letters, digits and dashes`,
		`testdata/invalid-many.yaml:4: title: required`,
		`testdata/invalid-many.yaml:5: duration: got 2s, want 1m to 12h`,
		`testdata/invalid-many.yaml:6: passMark: got 0, want a percentage from 1 to 100`,
		`testdata/invalid-many.yaml:7: count: got 3, fewer than the 4 tasks listed`,
		`testdata/invalid-many.yaml:9: weights.troubleshoting: unknown domain (did you mean troubleshooting?); the CKA's: cluster-architecture, workloads-and-scheduling, services-and-networking, storage, troubleshooting`,
		`testdata/invalid-many.yaml:10: weights.storage: got 110, want a percentage from 0 to 100`,
		`testdata/invalid-many.yaml:13: tasks[0].points: got 0, want a percentage of the exam from 1 to 100`,
		`testdata/invalid-many.yaml:14: tasks[1].scenario: required: a scenario id`,
		`testdata/invalid-many.yaml:15: tasks[2].scenario: rbac-deployer is already tasks[0]: a scenario appears at most once in an exam`,
		`testdata/invalid-many.yaml:16: tasks[3].scenario: got "Not An Id", want a scenario id`,
		`testdata/invalid-many.yaml:18: draw.needs[1]: unknown capability "gpu" (want one of api, kubelet, network, node)`,
		`testdata/invalid-many.yaml:19: draw.exclude[0]: rbac-deployer is also listed in tasks: a set cannot both include and exclude it`,
		`testdata/invalid-many.yaml:20: draw.excludes: unknown field (did you mean "exclude"?)`,
		`testdata/invalid-many.yaml:21: colour: unknown field`,
	}
	if got := strings.Split(loadError(t, err).Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestParseSetSmallProblems: one problem each, as an author meets them.
func TestParseSetSmallProblems(t *testing.T) {
	head := "apiVersion: ckalab.dev/v1alpha1\nkind: Exam\nid: x\ntitle: X\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "x.yaml: the file is empty"},
		{"no duration", head, "x.yaml:1: duration: required: how long the exam lasts, such as 2h"},
		{"bad duration", head + "duration: soon\n", `x.yaml:5: duration: got "soon", want a duration such as 30s or 2m`},
		{"weights sum", head + "duration: 1h\nweights: {storage: 50, troubleshooting: 40}\n", "x.yaml:6: weights: add up to 90, want 100 (percent of the tasks)"},
		{"count range", head + "duration: 1h\ncount: 41\n", "x.yaml:6: count: got 41, want 1 to 40 tasks"},
		{"fixed count", head + "duration: 1h\ncount: 5\ntasks: [{scenario: a}]\n", "x.yaml:6: count: got 5, but the set lists 1 tasks and draws none: add `draw: {}` to draw the rest"},
		{"points not 100", head + "duration: 1h\ntasks: [{scenario: a, points: 50}, {scenario: b, points: 40}]\n", "x.yaml:6: tasks: points add up to 90, want 100 (percent of the exam)"},
		{"points leave nothing", head + "duration: 1h\ntasks: [{scenario: a, points: 100}]\ndraw: {}\n", "x.yaml:6: tasks: points add up to 100, which leaves nothing for the tasks without points or drawn: want less than 100"},
		{"wrong type", head + "duration: 1h\ncount: many\n", "x.yaml:6: count: got the string `many`, want an integer"},
		{"list", "- a\n", "x.yaml:1: got a list, want a mapping"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := exam.ParseSet("x.yaml", []byte(tc.yaml))
			if got := loadError(t, err).Error(); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestParseSetSyntax: a YAML syntax error is one problem, with yaml.v3's
// line.
func TestParseSetSyntax(t *testing.T) {
	_, err := exam.ParseSet("x.yaml", []byte("apiVersion: ckalab.dev/v1alpha1\nkind: Exam\nduration: [2h\n"))
	if got := loadError(t, err).Error(); !strings.HasPrefix(got, "x.yaml:") || !strings.Contains(got, ": YAML syntax: ") || strings.Contains(got, "\n") {
		t.Errorf("got %q, want one x.yaml:line: YAML syntax: problem", got)
	}
}

// TestParseSetTooLarge: a huge file is refused before it is decoded.
func TestParseSetTooLarge(t *testing.T) {
	_, err := exam.ParseSet("big.yaml", make([]byte, exam.MaxSetSize+1))
	if !strings.Contains(loadError(t, err).Error(), "more than the") {
		t.Errorf("got %v", err)
	}
}

// TestCheck: the ids a catalog does not know, with their lines.
func TestCheck(t *testing.T) {
	s, err := parseTestdata(t, "valid-mixed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	known := func(id string) bool { return id == "kubeconfig-context" }
	want := "testdata/valid-mixed.yaml:17: tasks[1].scenario: unknown scenario \"service-no-endpoints\"\n" +
		"testdata/valid-mixed.yaml:20: draw.exclude[0]: unknown scenario \"metrics-server\""
	if got := loadError(t, exam.Check(s, known)).Error(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if err := exam.Check(s, func(string) bool { return true }); err != nil {
		t.Errorf("all known: %v", err)
	}
}
