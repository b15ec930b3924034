// Package match compares an expected partial object with an actual one.
//
// The rules, chosen for what CKA answers look like:
//   - maps: every key given must match; extra keys in the cluster are ignored;
//     a key expected as null must be absent (or null);
//   - lists: unordered by default, each expected element must match a
//     different actual element (so the order of RBAC rules, containers or
//     tolerations does not matter); lists under Options.Ordered paths must
//     match element by element and have the same length;
//   - scalars: equal, numbers by value, and Kubernetes quantities by value
//     ("0.1" equals "100m", 134217728 equals "128Mi");
//   - container images by reference: "redis:7" equals
//     "docker.io/library/redis:7", the same image the node pulls.
package match

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ckalab/ckalab/lab/images"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Options tune a comparison.
type Options struct {
	// Ordered lists field paths without indices ("spec.containers.args")
	// whose lists must match in order and length.
	Ordered []string
}

// Subset returns every difference between expected and actual, each
// prefixed with its field path (empty when actual matches).
func Subset(expected, actual any, opts Options) []string {
	var m matcher
	m.opts = opts
	return m.compare(expected, actual, "", "")
}

type matcher struct{ opts Options }

var indexPattern = regexp.MustCompile(`\[\d+\]`)

func (m *matcher) compare(want, got any, path, shape string) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{problem(path, "want an object, got %s", Render(got))}
		}
		var out []string
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p, s := join(path, k), join(shape, k)
			gv, present := g[k]
			if w[k] == nil {
				if present && gv != nil {
					out = append(out, problem(p, "want it unset, got %s", Render(gv)))
				}
				continue
			}
			if !present {
				out = append(out, problem(p, "missing, want %s", Render(w[k])))
				continue
			}
			out = append(out, m.compare(w[k], gv, p, s)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{problem(path, "want a list, got %s", Render(got))}
		}
		if slices.Contains(m.opts.Ordered, shape) {
			return m.ordered(w, g, path, shape)
		}
		return m.unordered(w, g, path, shape)
	case nil:
		if got != nil {
			return []string{problem(path, "want it unset, got %s", Render(got))}
		}
		return nil
	default:
		if isImageField(shape) && sameImage(want, got) {
			return nil
		}
		if !ScalarEqual(want, got) {
			if got == nil {
				return []string{problem(path, "missing, want %s", Render(want))}
			}
			return []string{problem(path, "want %s, got %s", Render(want), Render(got))}
		}
		return nil
	}
}

func (m *matcher) ordered(w, g []any, path, shape string) []string {
	if len(w) != len(g) {
		return []string{problem(path, "want %d elements in this order, got %d: %s", len(w), len(g), Render(g))}
	}
	var out []string
	for i := range w {
		out = append(out, m.compare(w[i], g[i], fmt.Sprintf("%s[%d]", path, i), shape)...)
	}
	return out
}

// unordered assigns each expected element to a distinct actual element: a
// bipartite matching, found with augmenting paths (Kuhn's algorithm, which
// stays polynomial where plain backtracking explodes on many alike elements).
func (m *matcher) unordered(w, g []any, path, shape string) []string {
	fits := make([][]int, len(w))
	for i, we := range w {
		for j, ge := range g {
			if len(m.compare(we, ge, "", shape)) == 0 {
				fits[i] = append(fits[i], j)
			}
		}
	}
	owner := make([]int, len(g)) // the expected element g[j] is assigned to, or -1
	for j := range owner {
		owner[j] = -1
	}
	var augment func(i int, seen []bool) bool
	augment = func(i int, seen []bool) bool {
		for _, j := range fits[i] {
			if seen[j] {
				continue
			}
			seen[j] = true
			if owner[j] < 0 || augment(owner[j], seen) {
				owner[j] = i
				return true
			}
		}
		return false
	}
	all := true
	for i := range w {
		if !augment(i, make([]bool, len(g))) {
			all = false
			break
		}
	}
	if all {
		return nil
	}
	// Explain each expected element that fits nothing, with the closest
	// actual element's differences.
	var out []string
	for i, we := range w {
		if len(fits[i]) > 0 {
			continue
		}
		if len(g) == 0 {
			out = append(out, problem(path, "want an element matching %s, the list is empty", Render(we)))
			continue
		}
		best, bestProblems := -1, []string(nil)
		for j, ge := range g {
			ps := m.compare(we, ge, fmt.Sprintf("%s[%d]", path, j), shape)
			if best < 0 || len(ps) < len(bestProblems) {
				best, bestProblems = j, ps
			}
		}
		out = append(out, problem(path, "no element matches %s; closest is [%d]: %s", Render(we), best, joinProblems(bestProblems)))
	}
	if len(out) == 0 {
		out = append(out, problem(path, "the %d expected elements need %d different elements, got %d", len(w), len(w), len(g)))
	}
	return out
}

func joinProblems(ps []string) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += "; "
		}
		s += p
	}
	return s
}

// isImageField says whether a field path (without indices) is a container's
// image ("spec.containers.image", "spec.template.spec.initContainers.image").
func isImageField(shape string) bool {
	return shape == "image" || strings.HasSuffix(shape, ".image")
}

// sameImage compares two image names as references: a learner who writes
// docker.io/library/redis:7 for redis:7 names the same image.
func sameImage(want, got any) bool {
	ws, ok1 := want.(string)
	gs, ok2 := got.(string)
	if !ok1 || !ok2 {
		return false
	}
	wr, err1 := images.Normalize(ws)
	gr, err2 := images.Normalize(gs)
	return err1 == nil && err2 == nil && wr == gr
}

// ScalarEqual compares two scalars: numbers by value, quantities by value,
// everything else exactly.
func ScalarEqual(want, got any) bool {
	if wb, ok := want.(bool); ok {
		gb, ok := got.(bool)
		return ok && wb == gb
	}
	if wn, ok := number(want); ok {
		if gn, ok := number(got); ok {
			return wn == gn
		}
	}
	ws, wok := text(want)
	gs, gok := text(got)
	if wok && gok && ws == gs {
		return true
	}
	// Quantities by value only when a unit or a number is involved: "0.1"
	// equals "100m" and 134217728 equals "128Mi", but the labels "1.10" and
	// "1.1" stay different.
	_, wantNum := number(want)
	_, gotNum := number(got)
	if wok && gok && (wantNum || gotNum || hasUnit(ws) || hasUnit(gs)) {
		wq, err1 := resource.ParseQuantity(ws)
		gq, err2 := resource.ParseQuantity(gs)
		return err1 == nil && err2 == nil && wq.Cmp(gq) == 0
	}
	return false
}

// hasUnit reports a quantity suffix such as m, Ki, Gi or e3.
func hasUnit(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }) >= 0
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, !math.IsNaN(n)
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// text renders strings and numbers as text so that quantities given either
// way compare ("1" vs 1, "128Mi" vs 134217728).
func text(v any) (string, bool) {
	switch s := v.(type) {
	case string:
		return s, true
	case int, int64, int32, uint64:
		return fmt.Sprint(s), true
	case float64:
		return strconv.FormatFloat(s, 'f', -1, 64), true
	}
	return "", false
}

// Render shows a value compactly, as JSON (without HTML escapes: "a && b",
// not "a \u0026\u0026 b"), cut to at most 200 bytes on a character boundary.
func Render(v any) string {
	if v == nil {
		return "nothing"
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	data := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(data) > 200 {
		cut := 197
		for cut > 0 && !utf8.RuneStart(data[cut]) {
			cut--
		}
		return string(data[:cut]) + "..."
	}
	return string(data)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func problem(path, format string, args ...any) string {
	msg := fmt.Sprintf(format, args...)
	if path == "" {
		return msg
	}
	return path + ": " + msg
}

// Shape strips list indices from a path: "spec.containers[0].args" becomes
// "spec.containers.args" (the form Options.Ordered uses).
func Shape(path string) string { return indexPattern.ReplaceAllString(path, "") }
