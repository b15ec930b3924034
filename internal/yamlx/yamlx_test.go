package yamlx_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// Types shaped like the scenario format and the check kinds.

type ref struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
}

// target is unexported and embedded inline, as grader/checks does.
type target struct {
	Name      string `yaml:"name"`
	Namespace string `yaml:"namespace"`
}

type Common struct {
	Why string `yaml:"why"`
}

type body struct {
	target  `yaml:",inline"`
	*Common `yaml:",inline"`
	Ref     ref            `yaml:"ref"`
	Expect  map[string]any `yaml:"expect"`
	Count   int            `yaml:"count"`
}

type item struct {
	ID      string         `yaml:"id"`
	Points  int            `yaml:"points"`
	Enabled bool           `yaml:"enabled"`
	Timeout yamlx.Duration `yaml:"timeout"`
	Body    *body          `yaml:"body"`
}

type doc struct {
	Title    string              `yaml:"title"`
	Minutes  int                 `yaml:"minutes"`
	Needs    []string            `yaml:"needs"`
	Vars     map[string][]string `yaml:"vars"`
	Timeout  yamlx.Duration      `yaml:"timeout"`
	Items    []item              `yaml:"items"`
	ByName   map[string]item     `yaml:"byName"`
	Raw      yaml.Node           `yaml:"raw"`
	Any      any                 `yaml:"any"`
	Ignored  string              `yaml:"-"`
	Untagged string
}

func parse(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatalf("YAML: %v", err)
	}
	return &n
}

// want is one expected problem; Msg is matched as a substring.
type want struct {
	Line int
	Path string
	Msg  string
}

func checkProblems(t *testing.T, got yamlx.Problems, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Errorf("got %d problems, want %d:\n%s", len(got), len(wants), render(got))
	}
	used := make([]bool, len(got))
	for _, w := range wants {
		found := false
		for i, p := range got {
			if !used[i] && p.Line == w.Line && p.Path == w.Path && strings.Contains(p.Msg, w.Msg) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("missing problem %d: %s: %s; got:\n%s", w.Line, w.Path, w.Msg, render(got))
		}
	}
}

func render(ps yamlx.Problems) string {
	var b strings.Builder
	for _, p := range ps.Sorted() {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

func TestDecodeValid(t *testing.T) {
	src := `title: Hello
minutes: 5
needs: [api, node]
vars:
  ns: [a, b]
timeout: 2m
items:
- id: one
  points: 2
  enabled: true
  timeout: 30s
  body:
    name: db
    namespace: sched
    why: because
    ref: {apiVersion: v1, kind: Pod}
    expect: {spec: {anything: [1, 2]}, whatever: {nested: true}}
    count: 3
byName:
  x: {id: x}
raw: {free: form, nmae: fine}
any: {free: form}
untagged: yes
`
	var d doc
	ps := yamlx.Decode(parse(t, src), "", &d)
	if len(ps) > 0 {
		t.Fatalf("problems:\n%s", render(ps))
	}
	if d.Title != "Hello" || d.Minutes != 5 || !reflect.DeepEqual(d.Needs, []string{"api", "node"}) {
		t.Errorf("decoded %+v", d)
	}
	if d.Timeout.Duration != 2*time.Minute {
		t.Errorf("timeout = %v, want 2m", d.Timeout.Duration)
	}
	if !reflect.DeepEqual(d.Vars, map[string][]string{"ns": {"a", "b"}}) {
		t.Errorf("vars = %v", d.Vars)
	}
	if d.Untagged != "yes" {
		t.Errorf("untagged field = %q, want yes (yaml.v3 lower-cases the field name)", d.Untagged)
	}
	if len(d.Items) != 1 || d.Items[0].Body == nil {
		t.Fatalf("items = %+v", d.Items)
	}
	it := d.Items[0]
	if it.ID != "one" || it.Points != 2 || !it.Enabled || it.Timeout.Duration != 30*time.Second {
		t.Errorf("item = %+v", it)
	}
	b := it.Body
	if b.Name != "db" || b.Namespace != "sched" || b.Common == nil || b.Why != "because" || b.Ref.Kind != "Pod" || b.Count != 3 {
		t.Errorf("body = %+v", b)
	}
	if d.ByName["x"].ID != "x" {
		t.Errorf("byName = %+v", d.ByName)
	}
}

func TestDecodeUnknownFields(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		path  string
		wants []want
	}{
		{
			name:  "top level with a suggestion",
			src:   "title: x\ntitel: y\n",
			wants: []want{{2, "titel", `unknown field (did you mean "title"?)`}},
		},
		{
			name:  "no suggestion for a far name",
			src:   "title: x\ncompletelyDifferent: y\n",
			wants: []want{{2, "completelyDifferent", "unknown field"}},
		},
		{
			name:  "inside a list",
			src:   "items:\n- id: a\n- id: b\n  pionts: 3\n",
			wants: []want{{4, "items[1].pionts", `unknown field (did you mean "points"?)`}},
		},
		{
			name: "nested struct in a list",
			src: `items:
- id: a
  body:
    ref:
      apiVersion: v1
      kidn: Pod
`,
			wants: []want{{6, "items[0].body.ref.kidn", `(did you mean "kind"?)`}},
		},
		{
			name: "unexported embedded inline struct",
			src: `items:
- body:
    name: a
    nmae: b
    namespace: c
    namespce: d
`,
			wants: []want{
				{4, "items[0].body.nmae", `(did you mean "name"?)`},
				{6, "items[0].body.namespce", `(did you mean "namespace"?)`},
			},
		},
		{
			name:  "exported embedded inline pointer struct",
			src:   "items:\n- body:\n    why: a\n    whyy: b\n",
			wants: []want{{4, "items[0].body.whyy", `(did you mean "why"?)`}},
		},
		{
			name:  "map of structs",
			src:   "byName:\n  first:\n    id: a\n    idd: b\n",
			wants: []want{{4, "byName.first.idd", `(did you mean "id"?)`}},
		},
		{
			name:  "a field tagged - is not a YAML field",
			src:   "ignored: x\n",
			wants: []want{{1, "ignored", "unknown field"}},
		},
		{
			name:  "the Go field name is not the YAML name",
			src:   "Title: x\n",
			wants: []want{{1, "Title", `(did you mean "title"?)`}},
		},
		{
			name:  "under a base path",
			src:   "count: 1\ncuont: 2\n",
			path:  "checks[2].match",
			wants: []want{{2, "checks[2].match.cuont", "unknown field"}},
		},
		{
			name: "several at once",
			src: `titel: a
minuts: 3
items:
- id: a
  pointz: 1
  body: {nam: x, ref: {kin: Pod}}
byName:
  z: {idd: 1}
`,
			wants: []want{
				{1, "titel", `"title"`},
				{2, "minuts", `"minutes"`},
				{5, "items[0].pointz", `"points"`},
				{6, "items[0].body.nam", `"name"`},
				{6, "items[0].body.ref.kin", `"kind"`},
				{8, "byName.z.idd", `"id"`},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v any = &doc{}
			if tc.path != "" {
				v = &body{}
			}
			checkProblems(t, yamlx.Decode(parse(t, tc.src), tc.path, v), tc.wants)
		})
	}
}

// Fields whose type decodes itself, yaml.Node fields and free-form maps are
// not checked for unknown keys.
func TestDecodeOpaqueValues(t *testing.T) {
	src := "raw: {anything: 1}\nany: {whatever: 2}\nitems:\n- body:\n    expect: {spec: {nmae: x}}\n"
	var d doc
	if ps := yamlx.Decode(parse(t, src), "", &d); len(ps) > 0 {
		t.Errorf("problems:\n%s", render(ps))
	}
}

func TestDecodeSuggestionTieIsDeterministic(t *testing.T) {
	type two struct {
		Ab string `yaml:"ab"`
		Ac string `yaml:"ac"`
	}
	for range 20 {
		var v two
		ps := yamlx.Decode(parse(t, "ad: 1\n"), "", &v)
		if len(ps) != 1 || !strings.Contains(ps[0].Msg, `did you mean "ab"?`) {
			t.Fatalf("problems: %v, want one suggesting the alphabetically first of two equally close names", ps)
		}
	}
}

func TestDecodeDuplicateKeys(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		wants []want
		check func(t *testing.T, d doc)
	}{
		{
			name:  "top level",
			src:   "title: a\nminutes: 3\ntitle: b\n",
			wants: []want{{3, "title", "duplicate field (first given at line 1)"}},
			check: func(t *testing.T, d doc) {
				if d.Title != "a" || d.Minutes != 3 {
					t.Errorf("decoded %q %d, want the first title and the other fields", d.Title, d.Minutes)
				}
			},
		},
		{
			name:  "in a list element",
			src:   "items:\n- id: a\n  points: 1\n  points: 2\n",
			wants: []want{{4, "items[0].points", "duplicate field (first given at line 3)"}},
			check: func(t *testing.T, d doc) {
				if len(d.Items) != 1 || d.Items[0].ID != "a" || d.Items[0].Points != 1 {
					t.Errorf("items = %+v", d.Items)
				}
			},
		},
		{
			name:  "in a free-form map",
			src:   "items:\n- body:\n    expect:\n      spec: 1\n      spec: 2\n",
			wants: []want{{5, "items[0].body.expect.spec", "duplicate field (first given at line 4)"}},
		},
		{
			name:  "in a map of lists",
			src:   "vars:\n  ns: [a]\n  ns: [b]\n",
			wants: []want{{3, "vars.ns", "duplicate field"}},
		},
		{
			name: "three times, with an unknown field",
			src:  "title: a\ntitle: b\ntitle: c\ntitel: d\n",
			wants: []want{
				{2, "title", "(first given at line 1)"},
				{3, "title", "(first given at line 1)"},
				{4, "titel", "unknown field"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := parse(t, tc.src)
			var d doc
			checkProblems(t, yamlx.Decode(n, "", &d), tc.wants)
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func TestDecodeDoesNotModifyNode(t *testing.T) {
	n := parse(t, "title: a\ntitle: b\nitems:\n- {id: x, id: y}\n")
	before, _ := yaml.Marshal(n)
	var d doc
	yamlx.Decode(n, "", &d)
	after, _ := yaml.Marshal(n)
	if string(before) != string(after) {
		t.Errorf("Decode changed its node:\n%s\nbecame\n%s", before, after)
	}
}

func TestDecodeTypeMismatches(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		wants []want
	}{
		{"list for a string", "title: [a, b]\n", []want{{1, "title", "got a list, want a string"}}},
		{"block list for a string", "minutes: 2\ntitle:\n- a\n", []want{{3, "title", "got a list, want a string"}}},
		{"mapping for a string", "title: {a: b}\n", []want{{1, "title", "got a mapping, want a string"}}},
		{"string for an integer", "minutes: five\n", []want{{1, "minutes", "got the string `five`, want an integer"}}},
		{"bool for an integer", "minutes: true\n", []want{{1, "minutes", "got `true`, want an integer"}}},
		{"mapping for a string, nested on its line", "title: {a: {b: c}}\n", []want{{1, "title", "got a mapping, want a string"}}},
		{"the same value twice on a line, the right key", "items:\n- {id: x, points: x}\n", []want{{2, "items[0].points", "got the string `x`, want an integer"}}},
		{"list element of the wrong kind", "needs:\n- [a]\n- b\n", []want{{2, "needs[0]", "got a list, want a string"}}},
		{"string for a bool", "items:\n- enabled: maybe\n", []want{{2, "items[0].enabled", "got the string `maybe`, want true or false"}}},
		{"string for a list", "needs: api\n", []want{{1, "needs", "got the string `api`, want a list"}}},
		{"list for a map", "vars: [a]\n", []want{{1, "vars", "got a list, want a mapping"}}},
		{"string for a struct", "items:\n- body: yes\n", []want{{2, "items[0].body", "got the string `yes`, want a mapping"}}},
		{"long string is shortened", "minutes: averyverylongvalue\n", []want{{1, "minutes", "got the string `averyve...`, want an integer"}}},
		{"in a flow mapping, the right key", "items:\n- {id: a, points: lots, enabled: true}\n", []want{{2, "items[0].points", "`lots`"}}},
		{
			name: "several, with unknown fields, all with lines",
			src:  "title: [x]\nminutes: many\nneeds: {a: b}\nitems:\n- id: a\n  points: x\n  extra: 1\n",
			wants: []want{
				{1, "title", "got a list, want a string"},
				{2, "minutes", "got the string `many`, want an integer"},
				{3, "needs", "got a mapping, want a list"},
				{6, "items[0].points", "want an integer"},
				{7, "items[0].extra", "unknown field"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			checkProblems(t, yamlx.Decode(parse(t, tc.src), "", &d), tc.wants)
		})
	}
}

// selfDecoding decodes itself, as scenarios.CheckSpec does: errors of its
// inner decoding are located below it.
type selfDecoding struct {
	N    int    `yaml:"n"`
	Name string `yaml:"name"`
}

func (s *selfDecoding) UnmarshalYAML(n *yaml.Node) error {
	type plain selfDecoding
	var p plain
	err := n.Decode(&p)
	*s = selfDecoding(p)
	return err
}

func TestDecodeTypeErrorsInsideSelfDecodingTypes(t *testing.T) {
	var v struct {
		List []selfDecoding `yaml:"list"`
	}
	src := "list:\n- name: a\n  n: lots\n- {name: b, n: [1]}\n"
	checkProblems(t, yamlx.Decode(parse(t, src), "", &v), []want{
		{3, "list[0].n", "got the string `lots`, want an integer"},
		{4, "list[1].n", "got a list, want an integer"},
	})
	// yaml.v3 leaves out a list element whose UnmarshalYAML fails (which is
	// why scenarios.CheckSpec does not return its field errors).
	if len(v.List) != 0 {
		t.Errorf("decoded %+v, want yaml.v3 to leave out both elements", v.List)
	}
}

func TestDecodeManyTypeErrors(t *testing.T) {
	const n = 3000
	var b strings.Builder
	b.WriteString("needs:\n")
	for range n {
		b.WriteString("- [x]\n")
	}
	start := time.Now()
	var d doc
	ps := yamlx.Decode(parse(t, b.String()), "", &d)
	if len(ps) != n {
		t.Fatalf("%d problems, want %d", len(ps), n)
	}
	for i, p := range ps.Sorted() {
		if p.Line != i+2 || p.Path != yamlx.Index("needs", i) || p.Msg != "got a list, want a string" {
			t.Fatalf("problem %d: %+v", i, p)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestDecodeGoesOnAfterTypeErrors(t *testing.T) {
	var d doc
	ps := yamlx.Decode(parse(t, "title: [x]\nminutes: 7\nitems:\n- id: a\n  points: x\n  enabled: true\n"), "", &d)
	if len(ps) != 2 {
		t.Fatalf("problems:\n%s", render(ps))
	}
	if d.Minutes != 7 || len(d.Items) != 1 || d.Items[0].ID != "a" || !d.Items[0].Enabled {
		t.Errorf("the good fields were not decoded: %+v", d)
	}
}

func TestDuration(t *testing.T) {
	good := []struct {
		src  string
		want time.Duration
	}{
		{"30s", 30 * time.Second},
		{"2m", 2 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"1.5s", 1500 * time.Millisecond},
		{"0s", 0},
		{"0", 0},
		{"250ms", 250 * time.Millisecond},
	}
	for _, tc := range good {
		t.Run("good "+tc.src, func(t *testing.T) {
			var d doc
			if ps := yamlx.Decode(parse(t, "timeout: "+tc.src+"\n"), "", &d); len(ps) > 0 {
				t.Fatalf("problems:\n%s", render(ps))
			}
			if d.Timeout.Duration != tc.want {
				t.Errorf("got %v, want %v", d.Timeout.Duration, tc.want)
			}
		})
	}
	bad := []struct {
		name string
		src  string
		msg  string
	}{
		{"word", "abc", `got "abc", want a duration such as 30s or 2m`},
		{"no unit", "30", `got "30", want a duration`},
		{"negative", "-5s", `got "-5s", want a duration`},
		{"empty string", `""`, `got "", want a duration`},
		{"list", "[30s]", "got a list, want a duration"},
		{"mapping", "{s: 30}", "got a mapping, want a duration"},
	}
	for _, tc := range bad {
		t.Run("bad "+tc.name, func(t *testing.T) {
			var d doc
			src := "title: before\ntimeout: " + tc.src + "\nminutes: 4\nitems:\n- id: a\n  timeout: 5x\n"
			ps := yamlx.Decode(parse(t, src), "", &d)
			checkProblems(t, ps, []want{{2, "timeout", tc.msg}, {6, "items[0].timeout", `got "5x", want a duration`}})
			if d.Title != "before" || d.Minutes != 4 || len(d.Items) != 1 || d.Items[0].ID != "a" {
				t.Errorf("a bad duration stopped the decoding: %+v", d)
			}
		})
	}
}

func TestDurationMarshal(t *testing.T) {
	out, err := yaml.Marshal(struct {
		T yamlx.Duration `yaml:"t"`
	}{yamlx.Duration{Duration: 90 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "t: 1m30s\n" {
		t.Errorf("got %q", out)
	}
}

func TestMergeKeys(t *testing.T) {
	src := `items:
- id: a
  body: &b
    name: db
    namespace: sched
- id: b
  body:
    <<: *b
    name: web
`
	var d doc
	if ps := yamlx.Decode(parse(t, src), "", &d); len(ps) > 0 {
		t.Fatalf("a YAML merge key is reported:\n%s", render(ps))
	}
	if len(d.Items) != 2 || d.Items[1].Body == nil || d.Items[1].Body.Name != "web" || d.Items[1].Body.Namespace != "sched" {
		t.Errorf("merge not applied: %+v", d.Items)
	}
}

func TestDecodeNil(t *testing.T) {
	var d doc
	if ps := yamlx.Decode(nil, "x", &d); len(ps) != 0 {
		t.Errorf("Decode(nil) = %v, want no problems", ps)
	}
}

func TestProblemsAdd(t *testing.T) {
	var ps yamlx.Problems
	ps.Add(&yaml.Node{Line: 7}, "a.b", "got %d, want %s", 3, "more")
	ps.Add(nil, "c", "no line")
	want := yamlx.Problems{{Line: 7, Path: "a.b", Msg: "got 3, want more"}, {Line: 0, Path: "c", Msg: "no line"}}
	if !reflect.DeepEqual(ps, want) {
		t.Errorf("got %#v, want %#v", ps, want)
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		name string
		p    yamlx.Problem
		want string
	}{
		{"all", yamlx.Problem{Line: 12, Path: "checks[0].id", Msg: "required"}, "12: checks[0].id: required"},
		{"no line", yamlx.Problem{Path: "id", Msg: "required"}, "id: required"},
		{"no path", yamlx.Problem{Line: 3, Msg: "YAML syntax"}, "3: YAML syntax"},
		{"message only", yamlx.Problem{Msg: "the file is empty"}, "the file is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestProblemsSorted(t *testing.T) {
	ps := yamlx.Problems{
		{Line: 9, Path: "b", Msg: "1"},
		{Line: 2, Path: "z", Msg: "2"},
		{Line: 9, Path: "a", Msg: "3"},
		{Line: 0, Path: "id", Msg: "4"},
		{Line: 2, Path: "z", Msg: "5"},
		{Line: 2, Path: "c", Msg: "6"},
	}
	orig := append(yamlx.Problems(nil), ps...)
	got := ps.Sorted()
	var order []string
	for _, p := range got {
		order = append(order, p.Msg)
	}
	if want := []string{"4", "6", "2", "5", "3", "1"}; !reflect.DeepEqual(order, want) {
		t.Errorf("order %v, want %v (by line, then path, stable)", order, want)
	}
	if !reflect.DeepEqual(ps, orig) {
		t.Errorf("Sorted changed its receiver: %v", ps)
	}
	if len(yamlx.Problems(nil).Sorted()) != 0 {
		t.Error("nil problems sorted are not empty")
	}
}

func TestJoinAndIndex(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"root", yamlx.Join("", "checks"), "checks"},
		{"field", yamlx.Join("spec", "checks"), "spec.checks"},
		{"index child", yamlx.Join("checks", "[2]"), "checks[2]"},
		{"after an index", yamlx.Join("checks[2]", "match"), "checks[2].match"},
		{"dotted child", yamlx.Join("checks[0]", "taint.key"), "checks[0].taint.key"},
		{"index", yamlx.Index("checks", 2), "checks[2]"},
		{"index of index", yamlx.Index(yamlx.Index("a", 0), 10), "a[0][10]"},
		{"index at root", yamlx.Index("", 1), "[1]"},
		{"nested", yamlx.Join(yamlx.Index(yamlx.Join("solution", "steps"), 1), "apply.file"), "solution.steps[1].apply.file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestExplains(t *testing.T) {
	ps := yamlx.Problems{{Path: "setup[0].drain.node"}, {Path: "solution.steps[1]"}}
	for path, want := range map[string]bool{
		"setup[0].drain.node":      true,  // the field itself
		"setup[0].drain.node.x":    true,  // under it
		"setup[0].drain":           false, // above it
		"setup[0].drain.nodes":     false, // another field
		"solution.steps":           true,  // a list element explains its list
		"solution.steps[3].apply":  true,
		"solution.explain":         false,
		"alternatives[0].steps[1]": false,
	} {
		if got := ps.Explains(path); got != want {
			t.Errorf("Explains(%q) = %v, want %v", path, got, want)
		}
	}
	if !(yamlx.Problems{{Path: ""}}).Explains("anything") {
		t.Error("a problem of the whole document does not explain everything under it")
	}
}
