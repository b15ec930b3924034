package expr_test

import (
	"strings"
	"testing"

	"github.com/ckalab/ckalab/internal/expr"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		vars []string
		want []string // substrings of the error
	}{
		{"syntax error", "object.x ==", []string{"object"}, []string{"Syntax error", "1:12"}},
		{"unbalanced parenthesis", "(object.x == 1", []string{"object"}, []string{"Syntax error"}},
		{"int result", "1 + 1", nil, []string{"expression gives int, want a bool"}},
		{"string result", "'a'", nil, []string{"expression gives string, want a bool"}},
		{"list result", "[true]", nil, []string{"want a bool"}},
		{"undeclared variable", "unknown == 1", []string{"object"}, []string{"undeclared reference to 'unknown'"}},
		{"variable of another check kind", "file.a == 1", []string{"object", "objects"}, []string{"undeclared reference to 'file'"}},
		{"unknown function", "object.frobnicate()", []string{"object"}, []string{"frobnicate"}},
		{"empty", "", []string{"object"}, []string{"Syntax error"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := expr.Compile(tc.src, tc.vars...)
			if err == nil {
				t.Fatalf("Compile(%q) = %v, want an error", tc.src, p)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error has several lines (problems are one line each): %q", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestCompileKeepsSource(t *testing.T) {
	src := "object.kind == 'Pod'"
	p, err := expr.Compile(src, "object")
	if err != nil {
		t.Fatal(err)
	}
	if p.Source != src {
		t.Errorf("Source = %q, want %q", p.Source, src)
	}
}

func pod() map[string]any {
	return map[string]any{
		"apiVersion": "v1",
		"kind":       "Pod",
		"metadata": map[string]any{
			"name":   "db",
			"labels": map[string]any{"app": "db"},
		},
		"spec": map[string]any{
			"nodeName": "worker",
			"containers": []any{
				map[string]any{"name": "redis", "image": "redis:7", "args": []any{"--port", "6380"}},
			},
			"initContainers": []any{
				map[string]any{"name": "log", "image": "busybox:1.36", "restartPolicy": "Always"},
			},
		},
		"status": map[string]any{"restartCount": int64(3), "ratio": 0.5},
	}
}

func TestEval(t *testing.T) {
	others := []any{
		pod(),
		map[string]any{"metadata": map[string]any{"name": "web-1"}, "spec": map[string]any{"nodeName": "worker2"}},
		map[string]any{"metadata": map[string]any{"name": "web-2"}, "spec": map[string]any{"nodeName": "worker2"}},
	}
	vars := map[string]any{"object": pod(), "objects": others}
	tests := []struct {
		name string
		src  string
		want bool
	}{
		{"field equals", "object.metadata.name == 'db'", true},
		{"field differs", "object.metadata.name == 'web'", false},
		{"number comparison", "object.status.restartCount > 2", true},
		{"float", "object.status.ratio < 1.0", true},
		{"exists in a list", "object.spec.containers.exists(c, c.image == 'redis:7')", true},
		{"all in a list", "object.spec.containers.all(c, c.image.startsWith('nginx'))", false},
		{"has on a present key", "has(object.metadata.labels)", true},
		{"has on an absent key", "has(object.metadata.annotations)", false},
		{"has guards a missing key", "!has(object.spec.tolerations) || object.spec.tolerations.size() == 0", true},
		{"in on a map", "'app' in object.metadata.labels", true},
		{"containers or sidecar initContainers",
			"(object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers.filter(c, has(c.restartPolicy) && c.restartPolicy == 'Always') : [])).exists(c, c.image.startsWith('busybox'))", true},
		{"join args (strings extension)", "object.spec.containers[0].args.join(' ') == '--port 6380'", true},
		{"regular expression", "object.spec.containers[0].image.matches('^redis:[0-9]+$')", true},
		{"objects size", "objects.size() == 3", true},
		{"objects filter count", "objects.filter(o, o.spec.nodeName == 'worker2').size() == 2", true},
		{"objects exists", "objects.exists(o, o.metadata.name == 'db')", true},
		{"objects all", "objects.all(o, o.spec.nodeName == 'worker')", false},
		{"objects map", "objects.map(o, o.metadata.name).exists(n, n == 'web-2')", true},
		{"sets extension", "sets.contains(objects.map(o, o.spec.nodeName), ['worker', 'worker2'])", true},
		{"lists extension", "objects.map(o, o.spec.nodeName).distinct().size() == 2", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := expr.Compile(tc.src, "object", "objects")
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.src, err)
			}
			got, err := p.Eval(vars)
			if err != nil {
				t.Fatalf("Eval(%q): %v", tc.src, err)
			}
			if got != tc.want {
				t.Errorf("Eval(%q) = %v, want %v", tc.src, got, tc.want)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		vars map[string]any
		want string
	}{
		{"missing key", "object.spec.tolerations.size() > 0", map[string]any{"object": pod()}, "no such key: tolerations"},
		{"missing top-level key", "object.status.phase == 'Running'", map[string]any{"object": map[string]any{"spec": map[string]any{}}}, "no such key: status"},
		{"variable not given", "object.kind == 'Pod'", map[string]any{}, "object"},
		{"dynamic non-bool result", "object.metadata.name", map[string]any{"object": pod()}, "expression gave db, want true or false"},
		{"type mismatch", "object.metadata.name > 1", map[string]any{"object": pod()}, "no such overload"},
		{"index out of range", "object.spec.containers[5].image == 'x'", map[string]any{"object": pod()}, "index"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := expr.Compile(tc.src, "object")
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.src, err)
			}
			got, err := p.Eval(tc.vars)
			if err == nil {
				t.Fatalf("Eval(%q) = %v, want an error", tc.src, got)
			}
			if got {
				t.Errorf("Eval(%q) returned true with an error", tc.src)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Eval(%q) error %q does not contain %q", tc.src, err, tc.want)
			}
		})
	}
}

// A compiled program is evaluated many times (a check polls until its
// timeout), each time with other values.
func TestEvalReusesProgram(t *testing.T) {
	p, err := expr.Compile("file.currentContext == 'ops'", "file")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ctx  string
		want bool
	}{{"ops", true}, {"prod", false}, {"ops", true}} {
		got, err := p.Eval(map[string]any{"file": map[string]any{"currentContext": tc.ctx}})
		if err != nil || got != tc.want {
			t.Errorf("currentContext %q: Eval = %v, %v; want %v, nil", tc.ctx, got, err, tc.want)
		}
	}
}
