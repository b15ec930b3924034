// Package yamlx decodes YAML strictly and reports every problem at once,
// each with its line and a Kubernetes-style field path
// ("checks[2].match.kind"). gopkg.in/yaml.v3 stops at the first unknown
// field of a Decoder and ignores them in Node.Decode; scenario authors need
// all of them, with lines.
package yamlx

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a document.
type Problem struct {
	Line int    `json:"line"`
	Path string `json:"field"`
	Msg  string `json:"problem"`
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		b.WriteString(strconv.Itoa(p.Line))
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems collects problems; the zero value is ready to use.
type Problems []Problem

// Add records a problem at node (nil: no line).
func (ps *Problems) Add(node *yaml.Node, path, format string, args ...any) {
	line := 0
	if node != nil {
		line = node.Line
	}
	*ps = append(*ps, Problem{Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Sorted returns the problems ordered by line, then path.
func (ps Problems) Sorted() Problems {
	out := append(Problems(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Path < out[j].Path
	})
	return out
}

// Explains reports whether path is at or under the path of a problem of
// ps: a field with a problem of its own (a value of the wrong type) is not
// also reported as, say, missing. A list element of the wrong kind
// explains its whole list: yaml.v3 leaves it out, which shifts the index
// of the elements after it.
func (ps Problems) Explains(path string) bool {
	for _, p := range ps {
		scope := p.Path
		if i := strings.LastIndex(scope, "["); i >= 0 && strings.HasSuffix(scope, "]") {
			scope = scope[:i]
		}
		if scope == "" || path == scope || strings.HasPrefix(path, scope+".") || strings.HasPrefix(path, scope+"[") {
			return true
		}
	}
	return false
}

// Join appends a child path: Join("spec", "checks") = "spec.checks";
// Join("checks", "[2]") = "checks[2]".
func Join(parent, child string) string {
	switch {
	case parent == "":
		return child
	case strings.HasPrefix(child, "["):
		return parent + child
	default:
		return parent + "." + child
	}
}

// Index renders a list element path.
func Index(parent string, i int) string { return parent + "[" + strconv.Itoa(i) + "]" }

// typeErrorLine matches yaml.v3's "line 7: cannot unmarshal ..." messages.
var typeErrorLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// Decode decodes node into out (a pointer) and returns every problem: type
// mismatches, duplicate keys and unknown fields, with lines and paths under
// path.
func Decode(node *yaml.Node, path string, out any) Problems {
	var ps Problems
	if node == nil {
		return ps
	}
	// yaml.v3 refuses a whole mapping that repeats a key; report each
	// repeat once, with its path, and decode the rest as if it were not there.
	node = withoutDuplicates(node, path, &ps)
	if err := node.Decode(out); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			lines := nodesByLine(node, reflect.TypeOf(out), path)
			for _, msg := range te.Errors {
				p := Problem{Path: path, Msg: msg}
				if m := typeErrorLine.FindStringSubmatch(msg); m != nil {
					p.Line, _ = strconv.Atoi(m[1])
					p.Msg = tidyTypeError(m[2])
					p.Path = fieldAt(lines[p.Line], path, p.Msg)
				}
				ps = append(ps, p)
			}
		} else {
			ps.Add(node, path, "%s", tidyTypeError(err.Error()))
		}
	}
	unknownFields(node, reflect.TypeOf(out), path, &ps)
	return ps
}

// withoutDuplicates reports every repeated mapping key under node and
// returns node without them (the first occurrence stays). node itself is
// not modified: parts with a duplicate are copied.
func withoutDuplicates(node *yaml.Node, path string, ps *Problems) *yaml.Node {
	var content []*yaml.Node
	changed := false
	switch node.Kind {
	case yaml.MappingNode:
		first := map[string]*yaml.Node{}
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			p := Join(path, k.Value)
			if k.Kind == yaml.ScalarNode {
				if prev, dup := first[k.Value]; dup {
					ps.Add(k, p, "duplicate field (first given at line %d)", prev.Line)
					changed = true
					continue
				}
				first[k.Value] = k
			}
			dv := withoutDuplicates(v, p, ps)
			changed = changed || dv != v
			content = append(content, k, dv)
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for i, c := range node.Content {
			p := path
			if node.Kind == yaml.SequenceNode {
				p = Index(path, i)
			}
			dc := withoutDuplicates(c, p, ps)
			changed = changed || dc != c
			content = append(content, dc)
		}
	}
	if !changed {
		return node
	}
	cp := *node
	cp.Content = content
	return &cp
}

// located is a node that starts on a line, with its path and what its Go
// type says about it.
type located struct {
	path string
	n    *yaml.Node
	// mismatch: the type cannot hold the node; opaque: a type that decodes
	// itself (and reports its own errors) or a value below one; maybe: a
	// scalar for a number or a bool (any scalar makes a string).
	mismatch, opaque, maybe bool
}

// nodesByLine indexes the value nodes under node by the line they start on,
// walking node alongside the Go type t it decodes into.
func nodesByLine(node *yaml.Node, t reflect.Type, path string) map[int][]located {
	lines := map[int][]located{}
	var walk func(n *yaml.Node, t reflect.Type, p string)
	walk = func(n *yaml.Node, t reflect.Type, p string) {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		opaque := t == nil || t == nodeType || reflect.PointerTo(t).Implements(unmarshalerType)
		if n.Kind != yaml.DocumentNode {
			l := located{path: p, n: n, opaque: opaque}
			if !opaque {
				l.mismatch = !fits(n, t)
				l.maybe = t.Kind() != reflect.String && t.Kind() != reflect.Interface
			}
			lines[n.Line] = append(lines[n.Line], l)
		}
		var fields map[string]reflect.Type
		var elem reflect.Type
		if !opaque {
			switch t.Kind() {
			case reflect.Struct:
				fields = structFields(t)
			case reflect.Map, reflect.Slice, reflect.Array:
				elem = t.Elem()
			}
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, t, p)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				ft := elem
				if fields != nil {
					ft = fields[n.Content[i].Value]
				}
				walk(n.Content[i+1], ft, Join(p, n.Content[i].Value))
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, elem, Index(p, i))
			}
		}
	}
	walk(node, t, path)
	return lines
}

// fieldAt finds the path of the node a yaml.v3 type error is about, among
// the nodes starting on its line: the list or mapping msg complains of, or
// the scalar whose value it quotes, preferably one its type cannot hold.
// It falls back to path.
func fieldAt(onLine []located, path string, msg string) string {
	about := func(n *yaml.Node) bool {
		switch n.Kind {
		case yaml.SequenceNode:
			return strings.HasPrefix(msg, "got a list")
		case yaml.MappingNode:
			return strings.HasPrefix(msg, "got a mapping")
		case yaml.ScalarNode:
			v := n.Value
			return strings.Contains(msg, "`"+v+"`") || strings.Contains(msg, strconv.Quote(v)) ||
				(len(v) > 10 && strings.Contains(msg, "`"+v[:7]+"...`"))
		}
		return false
	}
	for _, pick := range []func(located) bool{
		func(l located) bool { return l.mismatch },
		func(l located) bool { return l.opaque },
		func(l located) bool { return l.maybe },
		func(located) bool { return true },
	} {
		for _, l := range onLine {
			if pick(l) && about(l.n) {
				return l.path
			}
		}
	}
	if len(onLine) == 1 {
		return onLine[0].path
	}
	return path
}

// fits reports whether a node of n's kind can decode into t (scalars: as far
// as the kind tells).
func fits(n *yaml.Node, t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Struct, reflect.Map:
		return n.Kind == yaml.MappingNode || n.ShortTag() == "!!null"
	case reflect.Slice, reflect.Array:
		return n.Kind == yaml.SequenceNode || n.ShortTag() == "!!null"
	}
	return n.Kind == yaml.ScalarNode
}

// tidyTypeError turns yaml.v3's Go-flavoured wording into the author's terms.
func tidyTypeError(msg string) string {
	msg = strings.TrimPrefix(msg, "yaml: ")
	if i := strings.Index(msg, " into "); i >= 0 && strings.HasPrefix(msg, "cannot unmarshal ") {
		what := strings.TrimPrefix(msg[:i], "cannot unmarshal ")
		into := msg[i+len(" into "):]
		return fmt.Sprintf("got %s, want %s", yamlKindWord(what), goTypeWord(into))
	}
	return msg
}

func yamlKindWord(s string) string {
	switch {
	case strings.HasPrefix(s, "!!seq"):
		return "a list"
	case strings.HasPrefix(s, "!!map"):
		return "a mapping"
	case strings.HasPrefix(s, "!!str"):
		return "the string " + strings.TrimSpace(strings.TrimPrefix(s, "!!str"))
	case strings.HasPrefix(s, "!!int"), strings.HasPrefix(s, "!!float"), strings.HasPrefix(s, "!!bool"):
		_, v, _ := strings.Cut(s, " ")
		return v
	}
	return s
}

func goTypeWord(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["), strings.Contains(t, "."):
		return "a mapping"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "an integer"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "a string"
	}
	return t
}

var (
	nodeType        = reflect.TypeOf(yaml.Node{})
	unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
)

// unknownFields walks node alongside Go type t and reports mapping keys
// that t does not declare. Types that decode themselves are opaque.
func unknownFields(node *yaml.Node, t reflect.Type, path string, ps *Problems) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		unknownFields(node.Content[0], t, path, ps)
		return
	}
	if node.Kind == yaml.AliasNode {
		return
	}
	if t == nodeType || reflect.PointerTo(t).Implements(unmarshalerType) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			return
		}
		fields := structFields(t)
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
				continue // a YAML merge key ("<<: *defaults"), which yaml.v3 expands
			}
			ft, ok := fields[k.Value]
			if !ok {
				ps.Add(k, Join(path, k.Value), "unknown field%s", suggest(k.Value, fields))
				continue
			}
			unknownFields(v, ft, Join(path, k.Value), ps)
		}
	case reflect.Slice, reflect.Array:
		if node.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range node.Content {
			unknownFields(item, t.Elem(), Index(path, i), ps)
		}
	case reflect.Map:
		if node.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(node.Content); i += 2 {
			unknownFields(node.Content[i+1], t.Elem(), Join(path, node.Content[i].Value), ps)
		}
	}
}

// structFields maps the YAML names of t's fields (inline structs
// flattened) to their types.
func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range structFields(ft) {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// suggest proposes the closest known field name for a typo.
func suggest(key string, fields map[string]reflect.Type) string {
	// Two edits for ordinary names, one for short ones ("a" is no "id").
	best, bestDist := "", 3
	if len(key) <= 2 {
		bestDist = 2
	}
	for name := range fields {
		if d := Distance(strings.ToLower(key), strings.ToLower(name)); d < bestDist || (d == bestDist && best != "" && name < best) {
			best, bestDist = name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// Nearby lists the known words a mistyped word may have meant: those that
// contain it or that it contains, and
// those a few edits away. Every "did you mean" of ckalab uses it.
func Nearby(word string, known []string) []string {
	q := strings.ToLower(strings.TrimSpace(word))
	if q == "" {
		return nil
	}
	var out []string
	for _, k := range known {
		switch {
		case strings.Contains(k, q) || strings.Contains(q, k):
			out = append(out, k)
		case Distance(q, k) <= max(2, len(k)/4):
			out = append(out, k)
		}
	}
	return out
}

// Distance is the Levenshtein distance between a and b (bytes).
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Duration is a time.Duration written as "30s" or "2m".
type Duration struct{ time.Duration }

// UnmarshalYAML implements yaml.Unmarshaler. It reports a bad value as a
// TypeError so that decoding goes on and every problem is collected.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode || v < 0 {
		got := strconv.Quote(n.Value)
		switch n.Kind {
		case yaml.SequenceNode:
			got = "a list"
		case yaml.MappingNode:
			got = "a mapping"
		}
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: got %s, want a duration such as 30s or 2m", n.Line, got)}}
	}
	d.Duration = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }
