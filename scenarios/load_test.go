package scenarios_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ckalab/ckalab/grader/checks"
	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/steps"
)

func loader() scenarios.Loader { return scenarios.Loader{CheckTypes: checks.All()} }

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// parseTestdata parses testdata/name with testdata as the scenario folder.
func parseTestdata(t *testing.T, name string, td scenarios.TemplateData) (*scenarios.Scenario, error) {
	t.Helper()
	return loader().Parse("testdata/"+name, readTestdata(t, name), os.DirFS("testdata"), td)
}

func loadError(t *testing.T, err error) *scenarios.LoadError {
	t.Helper()
	if err == nil {
		t.Fatal("parsed, want a *LoadError")
	}
	var le *scenarios.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("error %T %q, want a *LoadError", err, err)
	}
	return le
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		file   string
		id     string
		title  string
		needs  []lab.Capability
		kinds  []string
		points int
		// timeouts of the checks, in order
		timeouts []time.Duration
	}{
		{
			file: "valid-minimal.yaml", id: "minimal", title: "A namespace exists",
			needs: []lab.Capability{lab.CapAPI}, kinds: []string{"match"}, points: 1,
			timeouts: []time.Duration{5 * time.Second}, // the kind's default
		},
		{
			file: "valid-full.yaml", id: "everything", title: "Every check kind in blue",
			needs:  []lab.Capability{lab.CapAPI, lab.CapKubelet},
			kinds:  []string{"match", "absent", "canI", "ready", "tolerates", "answerFile"},
			points: 8,
			// the scenario's 7s, except where the check sets its own
			timeouts: []time.Duration{7 * time.Second, 7 * time.Second, 7 * time.Second, 45 * time.Second, 7 * time.Second, 7 * time.Second},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			s, err := parseTestdata(t, tc.file, scenarios.DefaultTemplateData())
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if s.ID != tc.id || s.Title != tc.title {
				t.Errorf("id %q title %q, want %q %q", s.ID, s.Title, tc.id, tc.title)
			}
			if s.Path != "testdata/"+tc.file || s.Dir == nil {
				t.Errorf("Path %q Dir %v", s.Path, s.Dir)
			}
			if !reflect.DeepEqual(s.Needs(), tc.needs) {
				t.Errorf("Needs() = %v, want %v", s.Needs(), tc.needs)
			}
			var kinds []string
			var timeouts []time.Duration
			for _, c := range s.Checks {
				kinds = append(kinds, c.Type)
				timeouts = append(timeouts, c.Timeout)
				if c.Check == nil || c.ID == "" || c.Title == "" || c.Points < 1 {
					t.Errorf("check %+v is incomplete", c)
				}
			}
			if !reflect.DeepEqual(kinds, tc.kinds) {
				t.Errorf("check kinds %v, want %v", kinds, tc.kinds)
			}
			if !reflect.DeepEqual(timeouts, tc.timeouts) {
				t.Errorf("check timeouts %v, want %v", timeouts, tc.timeouts)
			}
			if s.Points() != tc.points {
				t.Errorf("Points() = %d, want %d", s.Points(), tc.points)
			}
		})
	}
}

func TestParseValidFullDetails(t *testing.T) {
	td := scenarios.TemplateData{
		Nodes:     lab.NodeNames{ControlPlane: "cp-1", Worker: "node-a", Worker2: "node-b"},
		AnswerDir: "/home/me/answers",
	}
	s, err := parseTestdata(t, "valid-full.yaml", td)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Node `node-a` is tainted", "`/home/me/answers/answer.txt`", "Run 2 replicas", "namespace `blue`"} {
		if !strings.Contains(s.Task, want) {
			t.Errorf("task %q does not contain %q", s.Task, want)
		}
	}
	if s.Timeout.Duration != 7*time.Second {
		t.Errorf("timeout %v", s.Timeout.Duration)
	}
	taint := func(st steps.Spec) *steps.Taint { return st.Action.(*steps.Taint) }
	drain := s.Solution.Steps[1].Action.(*steps.Drain)
	if got := []string{taint(s.Setup[1]).Node, drain.Node, taint(s.Wrong[0].Steps[0]).Node}; !reflect.DeepEqual(got, []string{"node-a", "node-a", "node-a"}) {
		t.Errorf("node names in steps: %v", got)
	}
	if wait := s.Setup[3].Action.(*steps.Wait); drain.Timeout.Duration != 2*time.Minute || wait.Timeout.Duration != time.Minute {
		t.Errorf("step timeouts: drain %v, wait %v", drain.Timeout.Duration, wait.Timeout.Duration)
	}
	if apply, write := s.Setup[0].Action.(*steps.Apply), s.Setup[5].Action.(*steps.WriteFile); apply.File != "files/app.yaml" || write.From != "files/answer.txt" {
		t.Errorf("file references: %+v %+v", apply, write)
	}
	if !reflect.DeepEqual(s.Namespaces, []string{"team-a", "blue"}) {
		t.Errorf("namespaces %v", s.Namespaces)
	}
	if !reflect.DeepEqual(s.Vars, map[string][]string{"ns": {"blue", "green"}, "replicas": {"2", "3"}}) {
		t.Errorf("vars %v", s.Vars)
	}
	if len(s.Hints) != 2 || !strings.Contains(s.Hints[0], "node-a") {
		t.Errorf("hints %q", s.Hints)
	}
	if len(s.Alternatives) != 1 || len(s.Wrong) != 2 || s.Wrong[1].Name != "do nothing" {
		t.Errorf("alternatives %+v wrong %+v", s.Alternatives, s.Wrong)
	}
}

func TestParseVars(t *testing.T) {
	tests := []struct {
		name      string
		vars      map[string]string
		wantTitle string
		wantCheck string
	}{
		{"first choices without values", nil, "Every check kind in blue", "Deployment app has 2 replicas"},
		{"the given values", map[string]string{"ns": "green", "replicas": "3"}, "Every check kind in green", "Deployment app has 3 replicas"},
		{"a value for one var, the first choice for the other", map[string]string{"replicas": "3"}, "Every check kind in blue", "Deployment app has 3 replicas"},
		{"values for undeclared vars are ignored", map[string]string{"other": "x"}, "Every check kind in blue", "Deployment app has 2 replicas"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			td := scenarios.DefaultTemplateData()
			td.Vars = tc.vars
			s, err := parseTestdata(t, "valid-full.yaml", td)
			if err != nil {
				t.Fatal(err)
			}
			if s.Title != tc.wantTitle {
				t.Errorf("title %q, want %q", s.Title, tc.wantTitle)
			}
			if s.Checks[0].Title != tc.wantCheck {
				t.Errorf("first check title %q, want %q", s.Checks[0].Title, tc.wantCheck)
			}
		})
	}
}

// wantLines compares a LoadError's lines with want; a want line ending in
// "..." matches as a prefix.
func wantLines(t *testing.T, err error, want []string) {
	t.Helper()
	le := loadError(t, err)
	got := strings.Split(le.Error(), "\n")
	if len(got) != len(le.Problems) {
		t.Errorf("%d lines for %d problems:\n%s", len(got), len(le.Problems), le)
	}
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		if prefix, cut := strings.CutSuffix(want[i], "..."); cut {
			ok = strings.HasPrefix(got[i], prefix)
		} else {
			ok = got[i] == want[i]
		}
	}
	if !ok {
		t.Errorf("got:\n%s\nwant:\n%s", le, strings.Join(want, "\n"))
	}
}

// TestParseReportsEveryMistake: one file, many mistakes of every stage
// (unknown fields, types, durations, validation of the scenario, its
// checks and its steps), all reported at once, in line order.
func TestParseReportsEveryMistake(t *testing.T) {
	_, err := parseTestdata(t, "invalid-many.yaml", scenarios.DefaultTemplateData())
	const f = "testdata/invalid-many.yaml:"
	wantLines(t, err, []string{
		f + `6: domain: got "networking", want one of cluster-architecture, workloads-and-scheduling, services-and-networking, storage, troubleshooting`,
		// a field of the wrong type is not also reported as out of range
		f + "9: minutes: got the string `ten`, want an integer",
		f + `10: needs[1]: unknown capability "gpu" (want one of api, kubelet, network, node)`,
		f + `11: lessson: unknown field (did you mean "lesson"?)`,
		f + `12: timeout: got "5 minutes", want a duration such as 30s or 2m`,
		f + `17: setup[0].apply: set exactly one of manifest and file`,
		f + `22: setup[1].writeFile.path: "../outside.txt" must be a relative path inside its folder (no leading /, no ..)`,
		f + `23: setup[2].wait.for: ERROR: <input>:1:21: Syntax error: ...`,
		f + `32: checks[0].match.nmae: unknown field (did you mean "name"?)`,
		f + `36: checks[1].absent.expr[0]: ERROR: <input>:1:32: Syntax error: mismatched input '<EOF>'...`,
		f + `41: checks[2].absent: a check has one kind; match is already given`,
		// the check with a bad timeout is still there, and keeps its index
		f + `45: checks[3].timeout: got "soon", want a duration such as 30s or 2m`,
		f + `50: hints: duplicate field (first given at line 48)`,
		f + `56: solution.steps[0].apply.file: "../x.yaml" must be a relative path inside its folder (no leading /, no ..)`,
		// a node changed without being declared: exams could not tell the conflict
		f + `61: alternatives[0].steps[0].drain: changes node ckalab-worker, which owns.nodes does not list`,
		f + `66: wrong[0].steps[0].taint.effect: got "Sometimes", want NoSchedule, PreferNoSchedule or NoExecute`,
	})
}

// TestParseProblemsAreStructured checks the problems themselves, not only
// their rendering: a line, a field path and a message each.
func TestParseProblemsAreStructured(t *testing.T) {
	_, err := parseTestdata(t, "invalid-many.yaml", scenarios.DefaultTemplateData())
	le := loadError(t, err)
	if le.Path != "testdata/invalid-many.yaml" {
		t.Errorf("Path = %q", le.Path)
	}
	want := map[string]int{
		"lessson": 11, "timeout": 12, "domain": 6, "setup[0].apply": 17, "setup[1].writeFile.path": 22,
		"solution.steps[0].apply.file": 56, "checks[0].match.nmae": 32, "checks[1].absent.expr[0]": 36,
		"checks[2].absent": 41, "checks[3].timeout": 45,
	}
	for _, p := range le.Problems {
		if p.Line <= 0 || p.Path == "" || p.Msg == "" {
			t.Errorf("problem without a line, a field or a message: %+v", p)
		}
		if line, ok := want[p.Path]; ok {
			if p.Line != line {
				t.Errorf("%s: line %d, want %d", p.Path, p.Line, line)
			}
			delete(want, p.Path)
		}
	}
	for path := range want {
		t.Errorf("no problem for %s", path)
	}
}

func TestParseInvalidFiles(t *testing.T) {
	tests := []struct {
		file string
		want []string // without the "testdata/FILE:" prefix
	}{
		{"invalid-required.yaml", []string{
			`1: apiVersion: got "ckalab.dev/v1beta1", want "ckalab.dev/v1alpha1"`,
			`1: checks: required: at least one check`,
			`2: kind: got "Scenaria", want "Scenario"`,
			`3: id: got "Not_An_ID", want lower-case letters, digits and dashes`,
			`4: title: required`,
			`6: competency: got "Do storage things", want a line of the storage curriculum: Implement storage classes and dynamic volume provisioning | Configure volume types, access modes and reclaim policies | Manage persistent volumes and persistent volume claims`,
			`7: difficulty: got "impossible", want one of easy, medium, hard`,
			`8: minutes: got 90, want 1 to 60`,
			`9: needs: required: list what the lab must offer (api, kubelet, network, node)`,
			`10: lesson: lesson "no-such-lesson" not found...`,
			`11: namespaces[1]: "Bad_NS" is not a valid namespace name`,
			`13: vars.empty: list at least one value`,
			`14: task: required`,
			`15: solution.explain: required: say why the answer is right`,
			`15: solution.steps: required: the runnable reference solution`,
		}},
		{"invalid-checks.yaml", []string{
			`16: checks[1].id: duplicate id "ok"`,
			`20: checks[2].id: got "Bad_Id", want lower-case letters, digits and dashes`,
			`20: checks[2].points: got 0, want 1 or more`,
			`20: checks[2].title: required: one line saying what is checked`,
			`23: checks[3]: no check kind: want one of absent, admits, answerFile, canI, componentHealth, etcdSnapshot, match, metrics, nodeCommand, nodeFile, podExec, podLogs, ready, staticPod, tolerates, traffic`,
			`23: checks[3].id: required`,
			`28: checks[4].exists: unknown field (check kinds: absent, admits, answerFile, canI, componentHealth, etcdSnapshot, match, metrics, nodeCommand, nodeFile, podExec, podLogs, ready, staticPod, tolerates, traffic)`,
			"31: checks[5].points: got the string `seven`, want an integer",
			`32: checks[5].ready: select the pods with exactly one of workload, labels and name`,
			`36: checks[6].answerFile.format: got "toml", want yaml, json, kubeconfig or text`,
			"36: checks[6].answerFile.matches: error parsing regexp: missing closing ): `(`",
			`36: checks[6].answerFile.path: want a relative path inside the answer folder, got "/etc/passwd"`,
			`40: checks[7].tolerates.taint.effect: got "Always", want NoSchedule, PreferNoSchedule or NoExecute`,
			`40: checks[7].tolerates.taint.key: required`,
			`44: checks[8].canI.as: required (a user, or system:serviceaccount:NAMESPACE:NAME), unless groups is set`,
			`44: checks[8].canI.denied[0]: "get": want "verb resource[.group][/subresource] [name]"`,
			// the file's one real step uses an image it does not list
			`48: solution.steps[0].apply: image nginx:1.27 is not listed in images (offline labs load only the listed images)`,
			// and makes an object in a namespace it does not declare
			`48: solution.steps[0].apply: changes Deployment team-a/app (outside the scenario's namespaces), which owns.objects does not list`,
		}},
		{"invalid-steps.yaml", []string{
			`12: setup[0]: no action: want one of apply, patch, delete, wait, drain, taint, writeFile, nodeFile, nodeService, nodeCommand`,
			`13: setup[1]: more than one action in one step; split them into separate steps`,
			`15: setup[2].patch.name: required`,
			`15: setup[2].patch.patch: required`,
			`15: setup[2].patch.type: got "yaml", want strategic, merge or json`,
			`16: setup[3].delete.apiVersion: required`,
			`16: setup[3].delete.name: required`,
			`17: setup[4].wait.for: required: a CEL expression over object (or objects, with labels)`,
			`18: setup[5].drain.node: required`,
			`19: setup[6].taint.effect: required: NoSchedule, PreferNoSchedule or NoExecute`,
			`20: setup[7].writeFile: set exactly one of content and from`,
			`20: setup[7].writeFile.path: "/abs.txt" must be a relative path inside its folder (no leading /, no ..)`,
			`21: setup[8].writeFile.from: read files/missing.txt: open files/missing.txt: ...`,
			`22: setup[9].apply.file: read files/missing.yaml: open files/missing.yaml: ...`,
			`23: setup[10].apply.file: document 1: missing apiVersion, kind, metadata.name`,
			`25: setup[11].apply.manifest: document 1: missing metadata.name`,
			`28: setup[12].delete: changes Pod default/x (outside the scenario's namespaces), which owns.objects does not list`,
			`28: setup[12].delete.timeout: got "later", want a duration such as 30s or 2m`,
			`35: solution.steps: required: the runnable reference solution`,
			`38: alternatives[0].name: required`,
			`38: alternatives[0].steps: required`,
			`40: alternatives[1].name: required`,
			`42: alternatives[1].steps[0]: no action: want one of apply, patch, delete, wait, drain, taint, writeFile, nodeFile, nodeService, nodeCommand`,
			`42: alternatives[1].steps[0].aply: unknown field (did you mean "apply"?)`,
		}},
		{"invalid-list.yaml", []string{`1: got a list, want a mapping`}},
		// Problems without a line print as file:problem.
		{"invalid-empty.yaml", []string{` the file is empty`}},
		{"invalid-template-parse.yaml", []string{`6: template: unexpected "}" in operand`}},
		{"invalid-template-field.yaml", []string{`5: template: executing "scenario" at <.Nodes.Worker3>: can't evaluate field Worker3 in type lab.NodeNames`}},
		// vars declared are known; others are errors, not empty strings
		{"invalid-template-exec.yaml", []string{`9: template: executing "scenario" at <.Vars.undeclared>: map has no entry for key "undeclared"`}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			_, err := parseTestdata(t, tc.file, scenarios.DefaultTemplateData())
			want := make([]string, len(tc.want))
			for i, w := range tc.want {
				want[i] = "testdata/" + tc.file + ":" + w
			}
			wantLines(t, err, want)
		})
	}
}

var syntaxLine = regexp.MustCompile(`^testdata/[^:]+:(\d+): YAML syntax: `)

// yaml.v3 reports a syntax error on the line where the construct it was
// parsing starts (for parser errors, counted from 0): at or a little before
// the mistake.
func TestParseYAMLSyntaxErrors(t *testing.T) {
	tests := []struct {
		file    string
		badLine int
		msg     string
	}{
		{"invalid-syntax.yaml", 7, "did not find expected '-' indicator"},
		{"invalid-syntax-tab.yaml", 5, "found a tab character where an indentation space is expected"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			_, err := parseTestdata(t, tc.file, scenarios.DefaultTemplateData())
			le := loadError(t, err)
			if len(le.Problems) != 1 {
				t.Fatalf("problems:\n%s", le)
			}
			m := syntaxLine.FindStringSubmatch(le.Error())
			if m == nil {
				t.Fatalf("%q is not file:line: YAML syntax: ...", le)
			}
			line, _ := strconv.Atoi(m[1])
			if line < tc.badLine-2 || line > tc.badLine {
				t.Errorf("line %d, want near %d", line, tc.badLine)
			}
			if !strings.HasSuffix(le.Error(), tc.msg) {
				t.Errorf("%q does not end with %q", le, tc.msg)
			}
		})
	}
}

// The duplicate of a check's kind is a duplicate key, and the check keeps
// the first one.
func TestParseCheckOddities(t *testing.T) {
	base := string(readTestdata(t, "valid-minimal.yaml"))
	tests := []struct {
		name string
		from string
		to   string
		want []string
	}{
		{"the same kind twice", "  match: {apiVersion: v1, kind: Namespace, name: demo}\n",
			"  match: {apiVersion: v1, kind: Namespace, name: demo}\n  match: {apiVersion: v1, kind: Namespace, name: other}\n",
			[]string{`m.yaml:17: checks[0].match: duplicate field (first given at line 16)`}},
		{"a check that is a list", "- id: ns\n", "- [a, b]\n- id: ns\n",
			[]string{`m.yaml:13: checks[0]: got a list, want a mapping`}},
		{"a check that is a string", "- id: ns\n", "- just a string\n- id: ns\n",
			[]string{`m.yaml:13: checks[0]: got "just a string", want a mapping`}},
		{"a kind body that is a string", "  match: {apiVersion: v1, kind: Namespace, name: demo}\n", "  match: everything\n",
			[]string{"m.yaml:16: checks[0].match: got the string `everything`, want a mapping",
				`m.yaml:16: checks[0].match.apiVersion: required`, `m.yaml:16: checks[0].match.kind: required`}},
		{"a type error in a kind body", "name: demo}", "name: demo, expr: notAList}",
			[]string{"m.yaml:16: checks[0].match.expr: got the string `notAList`, want a list"}},
		{"a null kind body", "  match: {apiVersion: v1, kind: Namespace, name: demo}\n", "  match:\n",
			[]string{`m.yaml:16: checks[0].match.apiVersion: required`, `m.yaml:16: checks[0].match.kind: required`}},
		{"a title of the wrong type is not also missing", "  title: Namespace demo exists\n", "  title: [a, b]\n",
			[]string{`m.yaml:14: checks[0].title: got a list, want a string`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(base, tc.from) {
				t.Fatalf("%q not in the file", tc.from)
			}
			data := strings.Replace(base, tc.from, tc.to, 1)
			_, err := loader().Parse("m.yaml", []byte(data), nil, scenarios.DefaultTemplateData())
			wantLines(t, err, tc.want)
		})
	}
}

// A wrong top-level value explains the problems under it, which are not
// reported again; other problems still are.
func TestParseTypeErrorsDoNotCascade(t *testing.T) {
	base := string(readTestdata(t, "valid-minimal.yaml"))
	tests := []struct {
		name string
		from string
		to   string
		want []string
	}{
		{"solution of the wrong kind", "solution:\n", "solution: [a]\nignored:\n",
			[]string{`m.yaml:18: ignored: unknown field`, `m.yaml:17: solution: got a list, want a mapping`}},
		{"checks of the wrong kind", "checks:\n", "checks: none\nx:\n",
			[]string{`m.yaml:12: checks: got the string ` + "`none`" + `, want a list`, `m.yaml:13: x: unknown field`}},
		{"a step of the wrong kind", "  steps:\n", "  steps:\n  - 42\n",
			[]string{"m.yaml:20: solution.steps[0]: got `42`, want a mapping"}},
		{"images that are not references", "needs: [api]\n", "needs: [api]\nimages: [busybox:1.36, Nginx, \"redis 7\"]\n",
			[]string{`m.yaml:11: images[1]: image "Nginx": repository names are lower case`, `m.yaml:11: images[2]: image "redis 7": not an image reference`}},
		{"an image a step uses but images does not list", "        kind: Namespace\n        metadata: {name: demo}\n",
			"        kind: Pod\n        metadata: {name: demo, namespace: demo}\n        spec: {containers: [{name: c, image: nginx:1.27}]}\n",
			[]string{`m.yaml:21: solution.steps[0].apply: image nginx:1.27 is not listed in images (offline labs load only the listed images)`}},
		{"a need of the wrong kind, and another mistake", "needs: [api]", "needs: [[api]]\nminutes: 0",
			[]string{`m.yaml:11: minutes: duplicate field (first given at line 9)`, `m.yaml:10: needs[0]: got a list, want a string`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(base, tc.from) {
				t.Fatalf("%q not in the file", tc.from)
			}
			data := strings.Replace(base, tc.from, tc.to, 1)
			_, err := loader().Parse("m.yaml", []byte(data), nil, scenarios.DefaultTemplateData())
			le := loadError(t, err)
			got := strings.Split(le.Error(), "\n")
			if len(got) != len(tc.want) {
				t.Fatalf("got:\n%s\nwant %d problems", le, len(tc.want))
			}
			for _, w := range tc.want {
				found := false
				for _, g := range got {
					found = found || strings.HasPrefix(g, w)
				}
				if !found {
					t.Errorf("no %q in:\n%s", w, le)
				}
			}
		})
	}
}

func TestLoadErrorFormat(t *testing.T) {
	le := &scenarios.LoadError{Path: "x/scenario.yaml", Problems: yamlx.Problems{
		{Line: 9, Path: "checks[0].id", Msg: "required"},
		{Line: 2, Path: "kind", Msg: `got "S", want "Scenario"`},
		{Line: 0, Path: "id", Msg: "no line"},
		{Line: 2, Path: "apiVersion", Msg: "wrong"},
	}}
	want := strings.Join([]string{
		`x/scenario.yaml: id: no line`,
		`x/scenario.yaml:2: apiVersion: wrong`,
		`x/scenario.yaml:2: kind: got "S", want "Scenario"`,
		`x/scenario.yaml:9: checks[0].id: required`,
	}, "\n")
	if got := le.Error(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestParseFileReferences(t *testing.T) {
	app := readTestdata(t, "files/app.yaml")
	answer := readTestdata(t, "files/answer.txt")
	full := readTestdata(t, "valid-full.yaml")
	withRef := func(ref string) []byte {
		return []byte(strings.Replace(string(full), "    file: files/app.yaml\n", "    file: "+ref+"\n", 1))
	}
	outside := fstest.MapFS{
		"outside.yaml":              {Data: app},
		"scenario/files/app.yaml":   {Data: app},
		"scenario/files/answer.txt": {Data: answer},
	}
	sub, err := fs.Sub(outside, "scenario")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		dir  fs.FS
		want []string // problems; none: it loads
	}{
		{"resolved in a MapFS", full, fstest.MapFS{"files/app.yaml": {Data: app}, "files/answer.txt": {Data: answer}}, nil},
		{"resolved in a sub-folder", full, sub, nil},
		{"a missing file", full, fstest.MapFS{"files/answer.txt": {Data: answer}},
			[]string{"s.yaml:26: setup[0].apply.file: read files/app.yaml: open files/app.yaml: file does not exist",
				"s.yaml:132: alternatives[0].steps[0].apply.file: read files/app.yaml: open files/app.yaml: file does not exist"}},
		{"no folder", full, nil,
			[]string{"s.yaml:26: setup[0].apply.file: files/app.yaml: the scenario has no folder",
				"s.yaml:43: setup[5].writeFile.from: files/answer.txt: the scenario has no folder",
				"s.yaml:132: alternatives[0].steps[0].apply.file: files/app.yaml: the scenario has no folder"}},
		{"the parent folder, though the file is there", withRef("../outside.yaml"), sub,
			[]string{`s.yaml:26: setup[0].apply.file: "../outside.yaml" must be a relative path inside its folder (no leading /, no ..)`}},
		{"up and down again", withRef("files/../../outside.yaml"), sub,
			[]string{`s.yaml:26: setup[0].apply.file: "files/../../outside.yaml" must be a relative path inside its folder (no leading /, no ..)`}},
		{"a dot-dot inside the folder", withRef("files/../files/app.yaml"), sub,
			[]string{`s.yaml:26: setup[0].apply.file: "files/../files/app.yaml" must be a relative path inside its folder (no leading /, no ..)`}},
		{"an absolute path", withRef("/etc/hosts"), sub,
			[]string{`s.yaml:26: setup[0].apply.file: "/etc/hosts" must be a relative path inside its folder (no leading /, no ..)`}},
		{"a backslash", withRef(`'..\outside.yaml'`), sub,
			[]string{`s.yaml:26: setup[0].apply.file: "..\\outside.yaml" must be a relative path inside its folder (no leading /, no ..)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := loader().Parse("s.yaml", tc.data, tc.dir, scenarios.DefaultTemplateData())
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if _, err := fs.Stat(s.Dir, "files/app.yaml"); err != nil {
					t.Errorf("Dir is not the given folder: %v", err)
				}
				return
			}
			wantLines(t, err, tc.want)
		})
	}
}

func TestParseFile(t *testing.T) {
	s, err := loader().ParseFile(filepath.Join("testdata", "valid-full.yaml"), scenarios.DefaultTemplateData())
	if err != nil {
		t.Fatalf("ParseFile: %v", err)
	}
	if s.Path != filepath.Join("testdata", "valid-full.yaml") {
		t.Errorf("Path = %q", s.Path)
	}
	// the file's folder is the scenario's folder
	if _, err := fs.Stat(s.Dir, "files/app.yaml"); err != nil {
		t.Errorf("Dir: %v", err)
	}
	if _, err := loader().ParseFile(filepath.Join("testdata", "no-such-file.yaml"), scenarios.DefaultTemplateData()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
}
