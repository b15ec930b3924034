package yamlx

import (
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Render lists the problems of the file at path, sorted, one per line, as
// `file:line: field: problem` (`file: field: problem` when a problem has no
// line, so that a field is never read as a line number).
func (ps Problems) Render(path string) string {
	lines := make([]string, 0, len(ps))
	for _, p := range ps.Sorted() {
		sep := ":"
		if p.Line == 0 {
			sep = ": "
		}
		lines = append(lines, path+sep+p.String())
	}
	return strings.Join(lines, "\n")
}

var syntaxLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// SyntaxProblem turns a yaml.v3 syntax error into a problem with its line.
func SyntaxProblem(err error) Problem {
	msg := err.Error()
	if m := syntaxLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Msg: "YAML syntax: " + m[2]}
	}
	return Problem{Msg: strings.TrimPrefix(msg, "yaml: ")}
}

// At finds the value node at a path of mapping keys ("solution", "steps"),
// falling back to the closest parent, so that a problem always has a line.
func At(root *yaml.Node, path ...string) *yaml.Node {
	n := root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	for _, key := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return n
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				n, found = n.Content[i+1], true
				break
			}
		}
		if !found {
			return n
		}
	}
	return n
}

// Item is the i-th element of a list node, or the list itself.
func Item(list *yaml.Node, i int) *yaml.Node {
	if list != nil && list.Kind == yaml.SequenceNode && i < len(list.Content) {
		return list.Content[i]
	}
	return list
}
