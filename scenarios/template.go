package scenarios

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/ckalab/ckalab/internal/yamlx"
)

// A scenario file is a text/template, and scenario folders are shared:
// rendering one must not run for ever nor fill the memory. These are the
// limits of one rendering (the template is rendered twice when a scenario
// is parsed: once to learn its vars, once with their values; the time limit
// is for both).
const (
	// MaxScenarioSize is the largest scenario.yaml, in bytes (1 MiB).
	MaxScenarioSize = 1 << 20
	// MaxRenderedSize is the largest rendered scenario.yaml, in bytes (2 MiB).
	MaxRenderedSize = 2 << 20
	// MaxGeneratedText is how much text printf, print, println, html, js
	// and urlquery may make in one rendering, in bytes (1 MiB).
	MaxGeneratedText = 1 << 20
	// MaxRangeIterations is how many times the bodies of all the ranges of
	// a rendering may run, in all.
	MaxRangeIterations = 10000
	// MaxTemplateCalls is how many {{ template }} calls a rendering may
	// make, in all.
	MaxTemplateCalls = 100
	// MaxTemplateNesting is how deep ranges and template calls may be
	// nested while rendering (a template calling itself, ranges in
	// ranges).
	MaxTemplateNesting = 100
	// MaxTemplateActions is how many actions ({{ ... }}) a scenario file
	// may have; more are refused before parsing (text/template's parser has
	// no limit on nesting, and a file of nested actions is slow to parse).
	MaxTemplateActions = 10000
	// MaxRangeConstant is the largest integer constant a range may count
	// to; a larger one is refused before rendering.
	MaxRangeConstant = 1000
	// MaxRenderTime is how long rendering a scenario file may take.
	MaxRenderTime = time.Second
)

// The functions put around and into every range and template call: each
// run counts against the limits. Their argument is the line of the range
// or call, for messages.
const (
	rangeTick    = "ckalabRange"    // at the start of a range's body
	enterTick    = "ckalabEnter"    // before a range
	templateTick = "ckalabTemplate" // before a template call
	leaveTick    = "ckalabLeave"    // after a range or a template call
)

// tickNodes are the actions that call the tick functions, parsed once and
// copied (with another line) wherever they are put.
var tickNodes = func() map[string]*parse.ActionNode {
	nodes := map[string]*parse.ActionNode{}
	noop := func(int) string { return "" }
	for _, name := range []string{rangeTick, enterTick, templateTick, leaveTick} {
		t := template.Must(template.New("tick").Funcs(template.FuncMap{name: noop}).Parse("{{" + name + " 0}}"))
		nodes[name] = t.Tree.Root.Nodes[0].(*parse.ActionNode)
	}
	return nodes
}()

// tick returns a call of the tick function name with the line.
func tick(name string, line int) *parse.ActionNode {
	a := tickNodes[name].Copy().(*parse.ActionNode)
	n := a.Pipe.Cmds[0].Args[1].(*parse.NumberNode)
	n.Int64, n.Uint64, n.Float64, n.Text = int64(line), uint64(line), float64(line), strconv.Itoa(line)
	return a
}

// limitError is a limit a rendering hit, at a line of the file (0: not
// known).
type limitError struct {
	line int
	msg  string
}

func (e *limitError) Error() string { return e.msg }

// budget is what is left of the limits during one rendering.
type budget struct {
	deadline   time.Time
	iterations int
	calls      int
	depth      int // of ranges and template calls
	generated  int
	line       int // of the range or template call entered last
	err        *limitError
}

// fail records the first limit hit; every later call fails with it too.
func (b *budget) fail(line int, format string, args ...any) error {
	if b.err == nil {
		b.err = &limitError{line: line, msg: "template: " + fmt.Sprintf(format, args...)}
	}
	return b.err
}

func (b *budget) check(line int) error {
	if b.err != nil {
		return b.err
	}
	if time.Now().After(b.deadline) {
		return b.fail(line, "rendering took more than %v (limit)", MaxRenderTime)
	}
	return nil
}

func (b *budget) rangeTick(line int) (string, error) {
	b.line = line
	b.iterations++
	if b.iterations > MaxRangeIterations {
		return "", b.fail(line, "range ran more than %d iterations (limit)", MaxRangeIterations)
	}
	return "", b.check(line)
}

func (b *budget) enter(line int) error {
	b.line = line
	b.depth++
	if b.depth > MaxTemplateNesting {
		return b.fail(line, "ranges and template calls nested more than %d deep (limit)", MaxTemplateNesting)
	}
	return b.check(line)
}

func (b *budget) enterTick(line int) (string, error) { return "", b.enter(line) }

func (b *budget) templateTick(line int) (string, error) {
	b.calls++
	if b.calls > MaxTemplateCalls {
		b.line = line
		return "", b.fail(line, "more than %d template calls (limit; does a template call itself?)", MaxTemplateCalls)
	}
	return "", b.enter(line)
}

// leaveTick follows a range or a template call that ended without an
// error (break and continue end the range they are in, not one around it,
// nor a template's caller; an error ends the rendering).
func (b *budget) leaveTick(int) string {
	b.depth--
	return ""
}

// generate runs a text-making function whose result is at most bound
// bytes, and charges the result to the budget.
func (b *budget) generate(name string, bound int, f func() string) (string, error) {
	if err := b.check(0); err != nil {
		return "", err
	}
	if bound > MaxGeneratedText-b.generated {
		return "", b.fail(0, "%s would make more than %s of text (limit)", name, byteSize(MaxGeneratedText))
	}
	s := f()
	b.generated += len(s)
	if b.generated > MaxGeneratedText {
		return "", b.fail(0, "%s made more than %s of text (limit)", name, byteSize(MaxGeneratedText))
	}
	return s, nil
}

// funcs replaces the builtin functions that make text with ones that charge
// the budget, and adds the tick functions.
func (b *budget) funcs() template.FuncMap {
	escaper := func(name string, f func(...any) string) func(...any) (string, error) {
		return func(args ...any) (string, error) {
			// An escape is at most 6 bytes (\u003C) for a byte.
			return b.generate(name, 6*(argsSize(args)+len(args)), func() string { return f(args...) })
		}
	}
	return template.FuncMap{
		"printf": func(format string, args ...any) (string, error) {
			return b.generate("printf", printfBound(format, args), func() string { return fmt.Sprintf(format, args...) })
		},
		"print": func(args ...any) (string, error) {
			return b.generate("print", argsSize(args)+len(args), func() string { return fmt.Sprint(args...) })
		},
		"println": func(args ...any) (string, error) {
			return b.generate("println", argsSize(args)+len(args)+1, func() string { return fmt.Sprintln(args...) })
		},
		"html":       escaper("html", template.HTMLEscaper),
		"js":         escaper("js", template.JSEscaper),
		"urlquery":   escaper("urlquery", template.URLQueryEscaper),
		rangeTick:    b.rangeTick,
		enterTick:    b.enterTick,
		templateTick: b.templateTick,
		leaveTick:    b.leaveTick,
	}
}

// argSize is about the size of an argument printed.
func argSize(a any) int {
	switch a := a.(type) {
	case string:
		return len(a)
	case []byte:
		return len(a)
	}
	// Anything else comes from the template data or is a constant: small.
	return len(fmt.Sprint(a))
}

func argsSize(args []any) int {
	n := 0
	for _, a := range args {
		n += argSize(a)
	}
	return n
}

// maxPrintfWidth is the largest width or precision fmt accepts.
const maxPrintfWidth = 1e6

// printfBound is more than fmt.Sprintf(format, args...) can make: each verb
// can print any argument (%[2]s), escaped (% #x: 5 bytes a byte), padded to
// its width or precision.
func printfBound(format string, args []any) int {
	largest, star := 0, 0
	for _, a := range args {
		largest = max(largest, argSize(a))
		if v, ok := a.(int); ok {
			star = max(star, min(absInt(v), maxPrintfWidth))
		}
	}
	n := len(format)
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		if i+1 < len(format) && format[i+1] == '%' {
			i++ // a literal %
			continue
		}
		pad, num := 0, 0 // widths and precisions of the verb
		j := i + 1
		for ; j < len(format); j++ {
			c := format[j]
			if c >= '0' && c <= '9' {
				num = min(num*10+int(c-'0'), maxPrintfWidth)
				continue
			}
			pad, num = pad+num, 0
			if c == '*' {
				pad += star
				continue
			}
			if strings.IndexByte("+-# .[]", c) < 0 {
				break // the verb
			}
		}
		i = j
		n += pad + 6*largest + 32
	}
	return n
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// byteSize says a number of bytes in MiB or KiB.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// output is the rendered file, refusing to grow past MaxRenderedSize.
type output struct {
	bytes.Buffer
	b *budget
}

func (o *output) Write(p []byte) (int, error) {
	if o.Len()+len(p) > MaxRenderedSize {
		return 0, o.b.fail(o.b.line, "the rendered file is larger than %s (limit)", byteSize(MaxRenderedSize))
	}
	return o.Buffer.Write(p)
}

// render executes a scenario file's template with td, within the limits
// above; deadline is when rendering must have ended. missing is the
// template's missingkey option.
func render(text []byte, td TemplateData, missing string, deadline time.Time) ([]byte, *yamlx.Problem) {
	if len(text) > MaxScenarioSize {
		return nil, &yamlx.Problem{Msg: fmt.Sprintf("the file is %d bytes, more than the limit of %s", len(text), byteSize(MaxScenarioSize))}
	}
	if n := bytes.Count(text, []byte("{{")); n > MaxTemplateActions {
		// The line of the first action past the limit.
		i, rest := 0, text
		for range MaxTemplateActions + 1 {
			j := bytes.Index(rest, []byte("{{"))
			i, rest = i+j+2, rest[j+2:]
		}
		line := 1 + bytes.Count(text[:i], []byte("\n"))
		return nil, &yamlx.Problem{Line: line, Msg: fmt.Sprintf("template: more than %d actions ({{ }}) in the file (limit)", MaxTemplateActions)}
	}
	b := &budget{deadline: deadline}
	tmpl, err := template.New("scenario").Option("missingkey=" + missing).Funcs(b.funcs()).Parse(string(text))
	if err != nil {
		p := templateProblem(err)
		return nil, &p
	}
	if p := instrument(tmpl, string(text)); p != nil {
		return nil, p
	}
	out := &output{b: b}
	if err := tmpl.Execute(out, td); err != nil {
		p := templateProblem(err)
		if b.err != nil {
			line := b.err.line
			if line == 0 {
				line = p.Line // the call that hit the limit
			}
			if line == 0 {
				line = b.line
			}
			p = yamlx.Problem{Line: line, Msg: b.err.msg}
		}
		return nil, &p
	}
	return out.Bytes(), nil
}

// instrument refuses ranges over large constants or nested too deep, and
// puts ticks at the start of every range body, and around every range and
// every {{ template }} call (the only way a template runs another: block is
// define and template). text is the parsed file (node positions are
// offsets in it).
func instrument(tmpl *template.Template, text string) *yamlx.Problem {
	var newlines []int
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			newlines = append(newlines, i)
		}
	}
	lineOf := func(pos parse.Pos) int {
		n, _ := slices.BinarySearch(newlines, int(pos))
		return 1 + n
	}
	var problem *yamlx.Problem
	refuse := func(line int, format string, args ...any) {
		if problem == nil || line < problem.Line {
			problem = &yamlx.Problem{Line: line, Msg: "template: " + fmt.Sprintf(format, args...)}
		}
	}
	seen := map[*parse.ListNode]bool{}
	// depth is that of the ranges around l.
	var walk func(l *parse.ListNode, depth int)
	walk = func(l *parse.ListNode, depth int) {
		if l == nil || seen[l] {
			return
		}
		seen[l] = true
		nodes := make([]parse.Node, 0, len(l.Nodes))
		for _, n := range l.Nodes {
			switch n := n.(type) {
			case *parse.ListNode:
				walk(n, depth)
			case *parse.IfNode:
				walk(n.List, depth)
				walk(n.ElseList, depth)
			case *parse.WithNode:
				walk(n.List, depth)
				walk(n.ElseList, depth)
			case *parse.RangeNode:
				line := lineOf(n.Pos)
				if depth >= MaxTemplateNesting {
					// Refused as it is: no need to look further in.
					refuse(line, "ranges and template calls nested more than %d deep (limit)", MaxTemplateNesting)
					break
				}
				if v, ok := intConstant(n.Pipe); ok && v > MaxRangeConstant {
					refuse(line, "range over %d: more than %d iterations (limit)", v, MaxRangeConstant)
				}
				walk(n.List, depth+1)
				walk(n.ElseList, depth+1)
				if n.List != nil {
					n.List.Nodes = append([]parse.Node{tick(rangeTick, line)}, n.List.Nodes...)
				}
				nodes = append(nodes, tick(enterTick, line), n, tick(leaveTick, line))
				continue
			case *parse.TemplateNode:
				line := lineOf(n.Pos)
				nodes = append(nodes, tick(templateTick, line), n, tick(leaveTick, line))
				continue
			}
			nodes = append(nodes, n)
		}
		l.Nodes = nodes
	}
	for _, t := range tmpl.Templates() {
		if t.Tree != nil {
			walk(t.Tree.Root, 0)
		}
	}
	return problem
}

// intConstant finds the integer of a pipeline that is only one: `5`,
// `$i := 5`, `(5)`.
func intConstant(p *parse.PipeNode) (int64, bool) {
	for p != nil && len(p.Cmds) == 1 && len(p.Cmds[0].Args) == 1 {
		switch a := p.Cmds[0].Args[0].(type) {
		case *parse.NumberNode:
			return a.Int64, a.IsInt
		case *parse.PipeNode:
			p = a
		default:
			return 0, false
		}
	}
	return 0, false
}

// templateLine finds the line in text/template's "template: x:12:3: ..." errors.
var templateLine = regexp.MustCompile(`^template: [^:]*:(\d+)(?::\d+)?: (.*)$`)

// templateProblem turns a text/template error into a problem at its line.
func templateProblem(err error) yamlx.Problem {
	msg := err.Error()
	if m := templateLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return yamlx.Problem{Line: line, Msg: "template: " + m[2]}
	}
	return yamlx.Problem{Msg: msg}
}
