package match_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ckalab/ckalab/grader/match"
	"gopkg.in/yaml.v3"
)

// obj decodes YAML as the checks do (answer files) into a plain value.
func obj(t *testing.T, src string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(src), &v); err != nil {
		t.Fatalf("YAML: %v", err)
	}
	return v
}

// jsonObj decodes JSON as client-go's unstructured objects are decoded
// (int64 and float64 numbers).
func jsonObj(t *testing.T, src string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(src), &v); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	return toInt64(v)
}

func toInt64(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = toInt64(e)
		}
	case []any:
		for i, e := range x {
			x[i] = toInt64(e)
		}
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
	}
	return v
}

const pod = `{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "db", "namespace": "sched", "labels": {"app": "db", "tier": "data"}},
  "spec": {
    "nodeName": "worker",
    "containers": [
      {"name": "redis", "image": "redis:7", "args": ["--port", "6380", "--appendonly", "yes"],
       "resources": {"limits": {"memory": 134217728, "cpu": "100m"}, "requests": {"cpu": "0.05", "memory": "64Mi"}},
       "ports": [{"containerPort": 6380, "protocol": "TCP"}]},
      {"name": "exporter", "image": "exporter:1", "args": ["--redis", "localhost:6380"]}
    ],
    "tolerations": [
      {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
      {"key": "type", "operator": "Equal", "value": "db", "effect": "NoSchedule"}
    ],
    "hostNetwork": false,
    "priority": 0
  }
}`

func TestSubsetMatches(t *testing.T) {
	actual := jsonObj(t, pod)
	tests := []struct {
		name   string
		expect string
		opts   match.Options
	}{
		{"empty expectation", `{}`, match.Options{}},
		{"extra keys in the cluster are ignored", `{kind: Pod, metadata: {name: db}}`, match.Options{}},
		{"nested", `{spec: {containers: [{image: redis:7}]}}`, match.Options{}},
		{"list order does not matter", `{spec: {tolerations: [{key: type, value: db}, {key: node.kubernetes.io/not-ready}]}}`, match.Options{}},
		{"a later element of the list", `{spec: {containers: [{name: exporter}]}}`, match.Options{}},
		{"an unordered list of strings, any order", `{spec: {containers: [{name: redis, args: ["yes", "--port"]}]}}`, match.Options{}},
		{"null means absent", `{spec: {affinity: null, nodeSelector: ~}}`, match.Options{}},
		{"cpu quantity 0.1 equals 100m", `{spec: {containers: [{resources: {limits: {cpu: "0.1"}}}]}}`, match.Options{}},
		{"cpu 50m equals 0.05", `{spec: {containers: [{resources: {requests: {cpu: 50m}}}]}}`, match.Options{}},
		{"memory 128Mi equals 134217728", `{spec: {containers: [{resources: {limits: {memory: 128Mi}}}]}}`, match.Options{}},
		{"memory 64Mi equals 67108864", `{spec: {containers: [{resources: {requests: {memory: 67108864}}}]}}`, match.Options{}},
		{"numbers by value", `{spec: {tolerations: [{tolerationSeconds: 300.0}], containers: [{ports: [{containerPort: 6380}]}]}}`, match.Options{}},
		{"\"1\" equals 1 (a quoted number)", `{spec: {containers: [{ports: [{containerPort: "6380"}]}]}}`, match.Options{}},
		{"false equals false", `{spec: {hostNetwork: false}}`, match.Options{}},
		{"zero equals zero", `{spec: {priority: 0}}`, match.Options{}},
		{"ordered list in order", `{spec: {containers: [{name: redis, args: ["--port", "6380", "--appendonly", "yes"]}]}}`,
			match.Options{Ordered: []string{"spec.containers.args"}}},
		{"an empty list matches any list", `{spec: {tolerations: []}}`, match.Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if ps := match.Subset(obj(t, tc.expect), actual, tc.opts); len(ps) != 0 {
				t.Errorf("problems: %q", ps)
			}
		})
	}
}

func TestSubsetDifferences(t *testing.T) {
	actual := jsonObj(t, pod)
	tests := []struct {
		name   string
		expect string
		opts   match.Options
		want   []string // exact problems, in order
	}{
		{"missing key", `{spec: {schedulerName: default}}`, match.Options{},
			[]string{`spec.schedulerName: missing, want "default"`}},
		{"missing object", `{spec: {securityContext: {runAsUser: 1000}}}`, match.Options{},
			[]string{`spec.securityContext: missing, want {"runAsUser":1000}`}},
		{"wrong scalar", `{metadata: {name: web}}`, match.Options{},
			[]string{`metadata.name: want "web", got "db"`}},
		{"several, sorted by key", `{metadata: {namespace: prod, name: web}, kind: Service}`, match.Options{},
			[]string{`kind: want "Service", got "Pod"`, `metadata.name: want "web", got "db"`, `metadata.namespace: want "prod", got "sched"`}},
		{"a key that must be absent", `{spec: {nodeName: null}}`, match.Options{},
			[]string{`spec.nodeName: want it unset, got "worker"`}},
		{"an object where there is a scalar", `{spec: {nodeName: {name: worker}}}`, match.Options{},
			[]string{`spec.nodeName: want an object, got "worker"`}},
		{"a list where there is an object", `{metadata: {labels: [app]}}`, match.Options{},
			[]string{`metadata.labels: want a list, got {"app":"db","tier":"data"}`}},
		{"a quantity of another value", `{spec: {containers: [{name: redis, resources: {limits: {cpu: 200m}}}]}}`, match.Options{},
			[]string{`spec.containers: no element matches {"name":"redis","resources":{"limits":{"cpu":"200m"}}}; closest is [0]: spec.containers[0].resources.limits.cpu: want "200m", got "100m"`}},
		{"nested path in messages", `{spec: {containers: [{name: redis, image: redis:8}]}}`, match.Options{},
			[]string{`spec.containers: no element matches {"image":"redis:8","name":"redis"}; closest is [0]: spec.containers[0].image: want "redis:8", got "redis:7"`}},
		{"closest element is the second", `{spec: {containers: [{name: exporter, image: exporter:2}]}}`, match.Options{},
			[]string{`spec.containers: no element matches {"image":"exporter:2","name":"exporter"}; closest is [1]: spec.containers[1].image: want "exporter:2", got "exporter:1"`}},
		{"a string is not a bool", `{spec: {hostNetwork: "false"}}`, match.Options{},
			[]string{`spec.hostNetwork: want "false", got false`}},
		{"a number is not a bool", `{spec: {hostNetwork: 0}}`, match.Options{},
			[]string{`spec.hostNetwork: want 0, got false`}},
		{"a bool is not a number", `{spec: {priority: false}}`, match.Options{},
			[]string{`spec.priority: want false, got 0`}},
		{"ordered: wrong order", `{spec: {containers: [{name: redis, args: ["6380", "--port", "--appendonly", "yes"]}]}}`,
			match.Options{Ordered: []string{"spec.containers.args"}},
			[]string{`spec.containers: no element matches {"args":["6380","--port","--appendonly","yes"],"name":"redis"}; closest is [0]: spec.containers[0].args[0]: want "6380", got "--port"; spec.containers[0].args[1]: want "--port", got "6380"`}},
		{"ordered: length", `{spec: {containers: [{name: redis, args: ["--port", "6380"]}]}}`,
			match.Options{Ordered: []string{"spec.containers.args"}},
			[]string{`spec.containers: no element matches {"args":["--port","6380"],"name":"redis"}; closest is [0]: spec.containers[0].args: want 2 elements in this order, got 4: ["--port","6380","--appendonly","yes"]`}},
		{"ordered: an empty list must be empty", `{spec: {tolerations: []}}`,
			match.Options{Ordered: []string{"spec.tolerations"}},
			[]string{`spec.tolerations: want 0 elements in this order, got 2: ` + match.Render(actual.(map[string]any)["spec"].(map[string]any)["tolerations"])}},
		{"expected list longer than actual", `{spec: {tolerations: [{operator: Exists}, {operator: Equal}, {effect: NoSchedule}]}}`, match.Options{},
			[]string{`spec.tolerations: the 3 expected elements need 3 different elements, got 2`}},
		{"two expected elements, one actual fits both", `{spec: {containers: [{image: redis:7}, {name: redis}]}}`, match.Options{},
			[]string{`spec.containers: the 2 expected elements need 2 different elements, got 2`}},
		{"an element of an empty list", `{spec: {initContainers: [{name: init}]}}`, match.Options{},
			[]string{`spec.initContainers: missing, want [{"name":"init"}]`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := match.Subset(obj(t, tc.expect), actual, tc.opts)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestSubsetEmptyList(t *testing.T) {
	got := match.Subset(obj(t, `{items: [{name: a}]}`), obj(t, `{items: []}`), match.Options{})
	want := `items: want an element matching {"name":"a"}, the list is empty`
	if len(got) != 1 || got[0] != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// A greedy assignment takes the first fitting element and fails; a
// distinct assignment exists.
func TestSubsetUnorderedNeedsDistinctAssignment(t *testing.T) {
	tests := []struct {
		name     string
		expect   string
		actual   string
		wantPass bool
	}{
		{"greedy would take the only fit of the second",
			`[{app: x}, {app: x, tier: web}]`,
			`[{app: x, tier: web}, {app: x, tier: db}]`, true},
		{"three elements, a chain of reassignments",
			`[{a: 1}, {a: 1, b: 1}, {a: 1, b: 1, c: 1}]`,
			`[{a: 1, b: 1, c: 1}, {a: 1, b: 1}, {a: 1}]`, true},
		{"scalars with repeats",
			`[x, x, y]`, `[y, x, x]`, true},
		{"repeats need as many actual elements",
			`[x, x]`, `[x, y]`, false},
		{"no distinct assignment",
			`[{app: x, tier: web}, {tier: web}]`,
			`[{app: x, tier: web}, {app: y, tier: db}]`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := match.Subset(obj(t, "{l: "+tc.expect+"}"), obj(t, "{l: "+tc.actual+"}"), match.Options{})
			if (len(ps) == 0) != tc.wantPass {
				t.Errorf("problems %q, want pass=%v", ps, tc.wantPass)
			}
		})
	}
}

// Many alike elements must not make the assignment search explode.
func TestSubsetUnorderedManyAlikeElements(t *testing.T) {
	const n = 40
	w := make([]any, n)
	g := make([]any, n-1)
	for i := range w {
		w[i] = map[string]any{"kind": "Pod"}
	}
	for i := range g {
		g[i] = map[string]any{"kind": "Pod", "name": i}
	}
	start := time.Now()
	ps := match.Subset(w, g, match.Options{})
	if len(ps) != 1 || !strings.Contains(ps[0], "the 40 expected elements need 40 different elements, got 39") {
		t.Errorf("problems %q", ps)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	if ps := match.Subset(w, append(g, map[string]any{"kind": "Pod"}), match.Options{}); len(ps) != 0 {
		t.Errorf("problems %q with enough elements", ps)
	}
}

func TestSubsetOrderedPaths(t *testing.T) {
	actual := obj(t, `{spec: {containers: [{name: a, args: [x, y], command: [sh, -c]}, {name: b, args: [p, q]}]}}`)
	tests := []struct {
		name    string
		expect  string
		ordered []string
		pass    bool
	}{
		{"unordered by default", `{spec: {containers: [{args: [y, x]}]}}`, nil, true},
		{"ordered path, in order", `{spec: {containers: [{args: [x, y]}]}}`, []string{"spec.containers.args"}, true},
		{"ordered path, out of order", `{spec: {containers: [{args: [y, x]}]}}`, []string{"spec.containers.args"}, false},
		{"ordered path, a prefix is not enough", `{spec: {containers: [{args: [x]}]}}`, []string{"spec.containers.args"}, false},
		{"ordered elsewhere, matches the second container", `{spec: {containers: [{args: [p, q]}]}}`, []string{"spec.containers.args"}, true},
		{"another path is not ordered", `{spec: {containers: [{command: [-c, sh]}]}}`, []string{"spec.containers.args"}, true},
		{"indices in the option do not match", `{spec: {containers: [{args: [y, x]}]}}`, []string{"spec.containers[0].args"}, true},
		{"an ordered outer list", `{spec: {containers: [{name: b}, {name: a}]}}`, []string{"spec.containers"}, false},
		{"an ordered outer list in order", `{spec: {containers: [{name: a}, {name: b}]}}`, []string{"spec.containers"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := match.Subset(obj(t, tc.expect), actual, match.Options{Ordered: tc.ordered})
			if (len(ps) == 0) != tc.pass {
				t.Errorf("problems %q, want pass=%v", ps, tc.pass)
			}
		})
	}
}

func TestSubsetTopLevel(t *testing.T) {
	tests := []struct {
		name     string
		expected any
		actual   any
		want     []string
	}{
		{"nil expects nothing", nil, nil, nil},
		{"nil expects unset", nil, "x", []string{`want it unset, got "x"`}},
		{"an object against nothing", map[string]any{"a": 1}, nil, []string{"want an object, got nothing"}},
		{"a list against a string", []any{"a"}, "a", []string{`want a list, got "a"`}},
		{"a scalar against nothing", "a", nil, []string{`missing, want "a"`}},
		{"equal scalars", "a", "a", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := match.Subset(tc.expected, tc.actual, match.Options{})
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestScalarEqual(t *testing.T) {
	tests := []struct {
		name      string
		want, got any
		equal     bool
	}{
		{"same string", "a", "a", true},
		{"different strings", "a", "b", false},
		{"int and int64", 3, int64(3), true},
		{"int and float64", 3, 3.0, true},
		{"int32 and uint64", int32(7), uint64(7), true},
		{"json.Number", json.Number("42"), int64(42), true},
		{"different numbers", 3, 4, false},
		{"quoted number equals number", "1", 1, true},
		{"number equals quoted number", int64(1), "1", true},
		{"quoted float", "0.5", 0.5, true},
		{"cpu 0.1 and 100m", "0.1", "100m", true},
		{"cpu 1 and 1000m", 1, "1000m", true},
		{"memory 128Mi and bytes", "128Mi", int64(134217728), true},
		{"memory bytes and 128Mi", 134217728, "128Mi", true},
		{"memory 1Gi and 1024Mi", "1Gi", "1024Mi", true},
		{"memory 1G is not 1Gi", "1G", "1Gi", false},
		{"quantities differ", "100m", "200m", false},
		{"not a quantity", "redis:7", "redis:7.0", false},
		{"true and true", true, true, true},
		{"true and false", true, false, false},
		{"bool and string", true, "true", false},
		{"string and bool", "true", true, false},
		{"bool and number", false, 0, false},
		{"number and bool", 1, true, false},
		{"nothing", "a", nil, false},
		{"NaN is not equal", 0.0, json.Number("NaN"), false},
		{"maps are not scalars", map[string]any{}, map[string]any{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := match.ScalarEqual(tc.want, tc.got); got != tc.equal {
				t.Errorf("ScalarEqual(%#v, %#v) = %v, want %v", tc.want, tc.got, got, tc.equal)
			}
		})
	}
}

func TestRender(t *testing.T) {
	long := strings.Repeat("a", 300)
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"nothing", nil, "nothing"},
		{"string", "redis:7", `"redis:7"`},
		{"number", 42, "42"},
		{"bool", false, "false"},
		{"object, keys sorted", map[string]any{"b": 1, "a": []any{"x", true}}, `{"a":["x",true],"b":1}`},
		{"no HTML escapes", "a && b <c>", `"a && b <c>"`},
		{"not JSON", map[any]any{1: "a"}, "map[1:a]"},
		{"just under the limit", strings.Repeat("b", 198), `"` + strings.Repeat("b", 198) + `"`},
		{"truncated", long, `"` + strings.Repeat("a", 196) + "..."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := match.Render(tc.v); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRenderTruncatesOnCharacterBoundaries(t *testing.T) {
	for pad := range 4 {
		s := strings.Repeat("x", pad) + strings.Repeat("é", 150)
		got := match.Render(s)
		if !utf8.ValidString(got) {
			t.Errorf("pad %d: invalid UTF-8 %q", pad, got)
		}
		if len(got) > 200 || !strings.HasSuffix(got, "...") || !strings.HasPrefix(got, `"`+strings.Repeat("x", pad)+"é") {
			t.Errorf("pad %d: %q (%d bytes)", pad, got, len(got))
		}
	}
}

func TestShape(t *testing.T) {
	tests := []struct{ path, want string }{
		{"spec.containers[0].args", "spec.containers.args"},
		{"spec.containers[12].ports[3].containerPort", "spec.containers.ports.containerPort"},
		{"spec.replicas", "spec.replicas"},
		{"[0]", ""},
		{"", ""},
		{"rules[1][2]", "rules"},
		{"metadata.labels[app]", "metadata.labels[app]"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			if got := match.Shape(tc.path); got != tc.want {
				t.Errorf("Shape(%q) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
}

// TestSubsetImagesByReference: an image is the same image however it is
// spelled; another tag or repository is not; only image fields compare so.
func TestSubsetImagesByReference(t *testing.T) {
	want := map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"image": "redis:7"}}}}
	for got, ok := range map[string]bool{
		"redis:7": true, "docker.io/library/redis:7": true, "index.docker.io/library/redis:7": true, "library/redis:7": true,
		"redis:7.2": false, "redis": false, "quay.io/redis:7": false, "Redis:7": false,
	} {
		actual := map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"image": got}}}}
		if ps := match.Subset(want, actual, match.Options{}); (len(ps) == 0) != ok {
			t.Errorf("image %q: problems %v, want match %v", got, ps, ok)
		}
	}
	// A label that looks like an image is only text.
	if ps := match.Subset(map[string]any{"app": "redis:7"}, map[string]any{"app": "docker.io/library/redis:7"}, match.Options{}); len(ps) == 0 {
		t.Error("a non-image field compared as an image reference")
	}
}
