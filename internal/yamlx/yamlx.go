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
// mismatches and unknown fields, with lines and paths under path.
func Decode(node *yaml.Node, path string, out any) Problems {
	var ps Problems
	if node == nil {
		return ps
	}
	if err := node.Decode(out); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, msg := range te.Errors {
				p := Problem{Path: path, Msg: msg}
				if m := typeErrorLine.FindStringSubmatch(msg); m != nil {
					p.Line, _ = strconv.Atoi(m[1])
					p.Msg = tidyTypeError(m[2])
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

var nodeType = reflect.TypeOf(yaml.Node{})

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
	if t == nodeType || reflect.PointerTo(t).Implements(reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			return
		}
		fields := structFields(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			if seen[k.Value] {
				ps.Add(k, Join(path, k.Value), "duplicate field")
				continue
			}
			seen[k.Value] = true
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
	best, bestDist := "", 3
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
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: got %q, want a duration such as 30s or 2m", n.Line, n.Value)}}
	}
	d.Duration = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }
