package expr_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/expr"
	"github.com/ckalab/ckalab/internal/memtest"
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
			got, err := p.Eval(context.Background(), vars)
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
			got, err := p.Eval(context.Background(), tc.vars)
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
		got, err := p.Eval(context.Background(), map[string]any{"file": map[string]any{"currentContext": tc.ctx}})
		if err != nil || got != tc.want {
			t.Errorf("currentContext %q: Eval = %v, %v; want %v, nil", tc.ctx, got, err, tc.want)
		}
	}
}

// The expressions a user ran as a match check: one took 46 s with a 5 s
// timeout, one ran past 120 s and ignored Ctrl-C, one grew to 1.4 GB and died
// out of memory. Compile refuses them, quickly.
func TestCompileRefusesCostlyExpressions(t *testing.T) {
	for _, src := range []string{
		"lists.range(20000).all(x, lists.range(20000).all(y, y >= 0))",
		"lists.range(1000000).all(x, lists.range(1000000).all(y, y >= 0))",
		"lists.range(1000000).map(x, lists.range(1000000)).size() > 0",
		// Three loops over one variable: 1,000³ steps.
		"objects.all(a, objects.all(b, objects.all(c, c != a || c != b)))",
		// A range beyond what lists.range builds.
		"lists.range(1000000000).exists(i, i < 0)",
	} {
		t.Run(src, func(t *testing.T) {
			start := time.Now()
			p, err := expr.Compile(src, "object", "objects")
			took := time.Since(start)
			if err == nil {
				t.Fatalf("Compile(%q) = %v, want an error", src, p)
			}
			for _, w := range []string{
				"expression is too costly: estimated cost ",
				fmt.Sprintf(" exceeds the limit %d;", expr.EstimatedCostLimit),
			} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			// Milliseconds when idle (BenchmarkCompile); this only tells a
			// refusal from a hang on a busy machine.
			if took > 30*time.Second {
				t.Errorf("Compile took %v", took)
			}
			t.Logf("%v: %v", took, err)
		})
	}
}

// Expressions whose worst case is within the limit compile: one loop inside
// another over a variable, or over the lists nested in a variable (as the
// builtin local-storage scenario does), and lists.range of what a list can
// hold.
func TestCompileAcceptsBoundedExpressions(t *testing.T) {
	for _, src := range []string{
		"objects.exists(rs, has(rs.status.conditions) && rs.status.conditions.exists(c, c.type == 'ReplicaFailure' && c.status == 'True'))",
		"objects.all(o, o.spec.containers.all(c, !has(c.env) || c.env.all(e, e.name != 'DEBUG')))",
		"objects.exists(o, o.metadata.name == object.metadata.name)",
		"objects.all(a, objects.all(b, a.metadata.name == b.metadata.name || a.spec.nodeName != b.spec.nodeName))",
		"object.spec.containers.exists(c, has(c.volumeMounts) && c.volumeMounts.exists(m, m.mountPath == '/var/log/app' && object.spec.volumes.exists(v, v.name == m.name && has(v.persistentVolumeClaim) && v.persistentVolumeClaim.claimName == 'logs')))",
		"object.all(x, object.all(y, y >= 0))",
		"objects.map(o, o.spec.nodeName).distinct().size() == objects.size()",
		"lists.range(object.spec.containers.size()).all(i, object.spec.containers[i].name != '')",
		"lists.range(1000).all(x, lists.range(1000).all(y, y >= 0))",
		"object.spec.containers.map(c, c.image).join(',').contains('nginx')",
		"object.metadata.name.replace('-', '_') == 'db'",
	} {
		if _, err := expr.Compile(src, "object", "objects"); err != nil {
			t.Errorf("Compile(%q): %v", src, err)
		}
	}
}

// flatten() and format() could build results far larger than their inputs
// before any cost is charged.
func TestCompileRefusesUnboundedFunctions(t *testing.T) {
	for src, name := range map[string]string{
		"[[1], [2]].flatten().size() == 2":       "flatten",
		"object.a.flatten(2).size() > 0":         "flatten",
		"'%s'.format([object.a]) != ''":          "format",
		"object.metadata.name.format([]) != 'x'": "format",
	} {
		_, err := expr.Compile(src, "object")
		if err == nil || !strings.Contains(err.Error(), name+"() is not available") {
			t.Errorf("Compile(%q) error = %v, want %s() is not available", src, err, name)
		}
	}
}

func numbers(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = int64(i)
	}
	return out
}

// heapGrowth runs f and reports how far above where it started the heap grew
// while f ran and how much f allocated in all.
func heapGrowth(f func()) (peak, total uint64) {
	_, peak, total = memtest.Measure(f)
	return peak, total
}

// maxEvalHeap is the most an evaluation may grow the heap by.
const maxEvalHeap = 200 << 20

// An expression within the estimate can still be costly on real data, which
// may be larger than the estimate assumes: a loop over a 10,000-element list
// inside a loop over it is 10^8 steps. The cost limit stops it.
func TestEvalStopsAtCostLimit(t *testing.T) {
	for _, tc := range []struct {
		name      string
		src       string
		vars      map[string]any
		estimated bool // within EstimatedCostLimit
	}{
		{"nested loops over a variable", "file.all(x, file.all(y, y >= 0))", map[string]any{"file": numbers(10_000)}, true},
		{"nested ranges", "lists.range(10000).all(x, lists.range(10000).all(y, y >= 0))", nil, true},
		{"lists of ranges", "lists.range(10000).map(i, lists.range(10000)).size() > 0", nil, true},
		{"lists of lists", "lists.range(10000).map(i, lists.range(10000).map(j, j)).size() > 0", nil, false},
		{"three nested ranges", "lists.range(10000).all(x, lists.range(10000).all(y, lists.range(10000).all(z, z >= 0)))", nil, false},
		// Calls on dynamic values, which the interpreter dispatches at run
		// time, are charged for what they build or scan.
		{"strings added in a loop", "lists.range(10000).map(i, file + file).size() > 0", map[string]any{"file": strings.Repeat("x", 100000)}, true},
		{"strings reversed in a loop", "lists.range(10000).map(i, file.reverse()).size() > 0", map[string]any{"file": strings.Repeat("x", 100000)}, true},
		{"bytes in a loop", "lists.range(10000).map(i, bytes(file)).size() > 0", map[string]any{"file": strings.Repeat("x", 100000)}, true},
		{"lists sorted in a loop", "lists.range(10000).map(i, file.sort()).size() > 0", map[string]any{"file": numbers(10_000)}, false},
		{"membership in a loop", "lists.range(10000).all(i, !(-1 in file))", map[string]any{"file": numbers(10_000)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			compile := expr.Compile
			if !tc.estimated {
				compile = expr.CompileUnestimated
			}
			p, err := compile(tc.src, "file")
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.src, err)
			}
			vars := tc.vars
			if vars == nil {
				vars = map[string]any{"file": nil}
			}
			var got bool
			var took time.Duration
			peak, total := heapGrowth(func() {
				start := time.Now()
				got, err = p.Eval(context.Background(), vars)
				took = time.Since(start)
			})
			t.Logf("%v, heap grew %d MB, %d MB allocated: %v", took, peak>>20, total>>20, err)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("expression is too costly: evaluation stopped at the cost limit of %d", expr.RuntimeCostLimit)) {
				t.Fatalf("Eval = %v, %v; want the cost limit error", got, err)
			}
			if peak > maxEvalHeap {
				t.Errorf("the heap grew by %d MB, want at most %d", peak>>20, maxEvalHeap>>20)
			}
		})
	}
}

// The user's expressions, had they compiled, are stopped at run time too:
// lists.range is capped at MaxRangeSize, and the cost limit stops the rest.
func TestEvalStopsRefusedExpressions(t *testing.T) {
	for _, src := range []string{
		"lists.range(20000).all(x, lists.range(20000).all(y, y >= 0))",
		"lists.range(1000000).all(x, lists.range(1000000).all(y, y >= 0))",
		"lists.range(1000000).map(x, lists.range(1000000)).size() > 0",
		"lists.range(10000).all(x, lists.range(10000).all(y, lists.range(10000).all(z, z >= 0)))",
	} {
		t.Run(src, func(t *testing.T) {
			p, err := expr.CompileUnestimated(src, "object")
			if err != nil {
				t.Fatal(err)
			}
			var took time.Duration
			peak, total := heapGrowth(func() {
				start := time.Now()
				_, err = p.Eval(context.Background(), map[string]any{"object": nil})
				took = time.Since(start)
			})
			t.Logf("%v, heap grew %d MB, %d MB allocated: %v", took, peak>>20, total>>20, err)
			if err == nil || !strings.Contains(err.Error(), "exceeds maximum allowed") && !strings.Contains(err.Error(), "cost limit") {
				t.Fatalf("Eval error = %v, want the range or the cost limit", err)
			}
			if peak > maxEvalHeap {
				t.Errorf("the heap grew by %d MB, want at most %d", peak>>20, maxEvalHeap>>20)
			}
		})
	}
}

// A check's context (its timeout, Ctrl-C) interrupts an evaluation.
func TestEvalInterruptedByContext(t *testing.T) {
	const src = "lists.range(10000).all(x, lists.range(10000).all(y, y >= 0))"
	p, err := expr.CompileUnestimated(src, "object")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{"object": nil}
	const after = 20 * time.Millisecond
	for name, newContext := range map[string]func() (context.Context, context.CancelFunc){
		"deadline": func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), after)
		},
		"cancel": func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(after, cancel)
			return ctx, cancel
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := newContext()
			defer cancel()
			start := time.Now()
			got, err := p.Eval(ctx, vars)
			took := time.Since(start)
			t.Logf("%v: %v", took, err)
			if err == nil || !strings.Contains(err.Error(), "expression evaluation interrupted") {
				t.Fatalf("Eval = %v, %v; want an interruption", got, err)
			}
			if !errors.Is(err, ctx.Err()) {
				t.Errorf("error %q does not wrap %v", err, ctx.Err())
			}
			if took > after+time.Second {
				t.Errorf("Eval took %v, %v after the context ended", took, took-after)
			}
		})
	}
	// An ended context stops the next evaluation before it starts.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Eval(ctx, vars); !errors.Is(err, context.Canceled) {
		t.Errorf("Eval with a cancelled context: %v, want %v", err, context.Canceled)
	}
}

// join() and replace() refuse to build a string beyond MaxStringSize from
// references to one long string, instead of building gigabytes and charging
// for them afterwards.
func TestEvalBoundsStringsBuilt(t *testing.T) {
	long := strings.Repeat("x", expr.MaxStringSize/2)
	vars := map[string]any{"object": map[string]any{"long": long, "short": "a-b-c"}}
	for _, tc := range []struct {
		src  string
		want string // error, or "" for true
	}{
		{"lists.range(10000).map(i, object.long).join() != ''", "join: the result would be longer than 1048576 bytes"},
		{"lists.range(10000).map(i, object.long).join(',') != ''", "join: the result would be longer than 1048576 bytes"},
		{"object.long.replace('', object.long) != ''", "replace: the result would be longer than 1048576 bytes"},
		{"object.long.replace('x', 'yyy') != ''", "replace: the result would be longer than 1048576 bytes"},
		{"[object.long, object.long].join().size() == 2 * object.long.size()", ""},
		{"object.long.replace('x', 'y').startsWith('yyy')", ""},
		{"object.long.replace('x', 'yy', 3).size() == object.long.size() + 3", ""},
		{"object.short.replace('-', '') == 'abc'", ""},
		{"object.short.replace('-', '_', 1) == 'a_b-c'", ""},
		{"object.short.replace('', '.') == '.a.-.b.-.c.'", ""},
		{"object.short.replace('-', '', -1) == 'abc'", ""},
		{"object.short.replace('-', '', 0) == object.short", ""},
		{"['a', 'b'].join() == 'ab' && ['a', 'b'].join(', ') == 'a, b' && [].join('-') == ''", ""},
	} {
		t.Run(tc.src, func(t *testing.T) {
			p, err := expr.Compile(tc.src, "object")
			if err != nil {
				t.Fatal(err)
			}
			var got bool
			peak, _ := heapGrowth(func() { got, err = p.Eval(context.Background(), vars) })
			if peak > maxEvalHeap {
				t.Errorf("the heap grew by %d MB, want at most %d", peak>>20, maxEvalHeap>>20)
			}
			if tc.want == "" {
				if err != nil || !got {
					t.Errorf("Eval = %v, %v; want true", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Eval = %v, %v; want an error with %q", got, err, tc.want)
			}
		})
	}
}

// lists.range of a non-constant n is estimated at MaxRangeSize and capped
// there at run time.
func TestRangeCap(t *testing.T) {
	p, err := expr.Compile("lists.range(object.n).all(i, i >= 0)", "object")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := p.Eval(context.Background(), map[string]any{"object": map[string]any{"n": int64(expr.MaxRangeSize)}}); !ok || err != nil {
		t.Errorf("lists.range(%d): %v, %v; want true", expr.MaxRangeSize, ok, err)
	}
	if _, err := p.Eval(context.Background(), map[string]any{"object": map[string]any{"n": int64(expr.MaxRangeSize + 1)}}); err == nil || !strings.Contains(err.Error(), "exceeds maximum allowed") {
		t.Errorf("lists.range(%d): %v, want an error", expr.MaxRangeSize+1, err)
	}
}

func BenchmarkCompile(b *testing.B) {
	for b.Loop() {
		if _, err := expr.Compile("objects.exists(rs, has(rs.status.conditions) && rs.status.conditions.exists(c, c.type == 'ReplicaFailure'))", "object", "objects"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEval(b *testing.B) {
	p, err := expr.Compile("(object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers.filter(c, has(c.restartPolicy) && c.restartPolicy == 'Always') : [])).exists(c, c.image.startsWith('busybox'))", "object")
	if err != nil {
		b.Fatal(err)
	}
	vars := map[string]any{"object": pod()}
	ctx := context.Background()
	for b.Loop() {
		if ok, err := p.Eval(ctx, vars); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkEvalCostLimit measures how long an evaluation runs before the
// cost limit stops it.
func BenchmarkEvalCostLimit(b *testing.B) {
	p, err := expr.Compile("file.all(x, file.all(y, y >= 0))", "file")
	if err != nil {
		b.Fatal(err)
	}
	vars := map[string]any{"file": numbers(10_000)}
	ctx := context.Background()
	for b.Loop() {
		if _, err := p.Eval(ctx, vars); err == nil {
			b.Fatal("no error")
		}
	}
}
