package scenarios

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ckalab/ckalab/content"
	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/cka"
	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/images"
	"github.com/ckalab/ckalab/scenarios/steps"
	"gopkg.in/yaml.v3"
)

// TemplateData is what a scenario's text can refer to: {{ .Nodes.Worker }},
// {{ .AnswerDir }}, {{ .Vars.name }}.
type TemplateData struct {
	Nodes     lab.NodeNames
	AnswerDir string
	// Course is the folder on the lab's nodes where the task's answer
	// files go (/opt/course/<id> in practice, /opt/course/<N> for task N
	// of an exam, as on the real exam's terminal).
	Course string
	Vars   map[string]string
}

// DefaultTemplateData renders a scenario without a lab (validate, show).
func DefaultTemplateData() TemplateData {
	return TemplateData{Nodes: lab.DefaultNodeNames(), AnswerDir: "<answer folder>", Course: "/opt/course/<task>"}
}

// LoadError lists every problem of one file.
type LoadError struct {
	Path     string
	Problems yamlx.Problems
}

func (e *LoadError) Error() string { return e.Problems.Render(e.Path) }

// Loader parses scenario files.
type Loader struct {
	CheckTypes grader.CheckTypes
}

// Parse renders, decodes and validates one scenario file. dir is its folder
// (for file references). A *LoadError lists every problem.
func (l Loader) Parse(path string, data []byte, dir fs.FS, td TemplateData) (*Scenario, error) {
	// First pass: learn the declared vars (templates render empty).
	// Both renderings share the time limit.
	deadline := time.Now().Add(MaxRenderTime)
	first := td
	first.Vars = map[string]string{}
	f, _, ps := l.decode(data, first, true, deadline)
	if f == nil {
		return nil, &LoadError{Path: path, Problems: ps}
	}
	// Second pass: the attempt's values, or each var's first choice.
	vars := map[string]string{}
	for name, choices := range f.Vars {
		if v, ok := td.Vars[name]; ok {
			vars[name] = v
		} else if len(choices) > 0 {
			vars[name] = choices[0]
		}
	}
	td.Vars = vars
	f, root, ps := l.decode(data, td, false, deadline)
	if f == nil {
		return nil, &LoadError{Path: path, Problems: ps}
	}
	// Validate even when decoding found problems, so that every problem is
	// reported at once; leave out what a decoding problem already explains
	// (a field of the wrong type is also missing).
	s := &Scenario{File: *f, Path: path, Dir: dir, Drawn: vars}
	decoded := ps
	for _, p := range l.validate(s, root, td.Course) {
		if !decoded.Explains(p.Path) {
			ps = append(ps, p)
		}
	}
	if len(ps) > 0 {
		return nil, &LoadError{Path: path, Problems: ps}
	}
	return s, nil
}

func (l Loader) decode(data []byte, td TemplateData, lenient bool, deadline time.Time) (*File, *yaml.Node, yamlx.Problems) {
	var ps yamlx.Problems
	missing := "error"
	if lenient {
		missing = "zero"
	}
	rendered, p := render(data, td, missing, deadline)
	if p != nil {
		return nil, nil, append(ps, *p)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(rendered, &root); err != nil {
		return nil, nil, append(ps, yamlx.SyntaxProblem(err))
	}
	if root.Kind == 0 {
		ps.Add(nil, "", "the file is empty")
		return nil, nil, ps
	}
	var f File
	ps = yamlx.Decode(&root, "", &f)
	return &f, &root, ps
}

var idPattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// validate checks a rendered scenario; course is the course folder it was
// rendered with (TemplateData.Course), whose files need no ownership.
func (l Loader) validate(s *Scenario, root *yaml.Node, course string) yamlx.Problems {
	var ps yamlx.Problems
	f := &s.File
	at := func(p ...string) *yaml.Node { return yamlx.At(root, p...) }
	if f.APIVersion != APIVersion {
		ps.Add(at("apiVersion"), "apiVersion", "got %q, want %q", f.APIVersion, APIVersion)
	}
	if f.Kind != Kind {
		ps.Add(at("kind"), "kind", "got %q, want %q", f.Kind, Kind)
	}
	if !idPattern.MatchString(f.ID) {
		ps.Add(at("id"), "id", "got %q, want lower-case letters, digits and dashes", f.ID)
	}
	if f.Title == "" {
		ps.Add(at("title"), "title", "required")
	}
	if _, ok := cka.Weights()[f.Domain]; !ok {
		ps.Add(at("domain"), "domain", "got %q, want one of %s", f.Domain, strings.Join(cka.Names(), ", "))
	} else if comps := competencies[f.Domain]; !slices.Contains(comps, f.Competency) {
		ps.Add(at("competency"), "competency", "got %q, want a line of the %s curriculum: %s", f.Competency, f.Domain, strings.Join(comps, " | "))
	}
	if !slices.Contains(difficulties, f.Difficulty) {
		ps.Add(at("difficulty"), "difficulty", "got %q, want one of %s", f.Difficulty, strings.Join(difficulties, ", "))
	}
	if f.Minutes < 1 || f.Minutes > 60 {
		ps.Add(at("minutes"), "minutes", "got %d, want 1 to 60", f.Minutes)
	}
	if len(f.Needs) == 0 {
		ps.Add(at("needs"), "needs", "required: list what the lab must offer (api, kubelet, network, node)")
	}
	for i, n := range f.Needs {
		if _, err := lab.ParseCapability(n); err != nil {
			ps.Add(yamlx.Item(at("needs"), i), yamlx.Index("needs", i), "%v", err)
		}
	}
	for i, img := range f.Images {
		if _, err := images.Normalize(img); err != nil {
			ps.Add(yamlx.Item(at("images"), i), yamlx.Index("images", i), "%v", err)
		}
	}
	if f.Lesson != "" {
		if _, err := content.Get(f.Lesson); err != nil {
			ps.Add(at("lesson"), "lesson", "%v", err)
		}
	}
	for i, ns := range f.Namespaces {
		if !idPattern.MatchString(ns) {
			ps.Add(yamlx.Item(at("namespaces"), i), yamlx.Index("namespaces", i), "%q is not a valid namespace name", ns)
		}
		if lab.IsSystemNamespace(ns) || strings.HasPrefix(ns, "kube-") {
			// The runner deletes a scenario's namespaces when it resets.
			ps.Add(yamlx.Item(at("namespaces"), i), yamlx.Index("namespaces", i), "%s belongs to the lab, not to a scenario: list only namespaces the scenario makes", ns)
		}
	}
	ps = append(ps, f.validateOwns(root)...)
	for name, choices := range f.Vars {
		if len(choices) == 0 {
			ps.Add(at("vars", name), yamlx.Join("vars", name), "list at least one value")
		}
	}
	if n := countCombinations(f.Vars); n > MaxVarCombinations {
		ps.Add(at("vars"), "vars", "%d combinations of values, more than %d: `scenario test` proves every combination, so keep the product of the lists' lengths small", n, MaxVarCombinations)
	}
	if strings.TrimSpace(f.Task) == "" {
		ps.Add(at("task"), "task", "required")
	}
	listed, _ := images.NormalizeAll(f.Images)
	// unlisted reports images a step uses that images does not list: an
	// offline lab loads only the listed ones, and the pod would never start.
	unlisted := func(st steps.Spec, p string, n *yaml.Node) {
		for _, img := range st.Images(s.Dir) {
			if ref, err := images.Normalize(img); err == nil && !slices.Contains(listed, ref) {
				ps.Add(yamlx.At(n, st.Name()), yamlx.Join(p, st.Name()), "image %s is not listed in images (offline labs load only the listed images)", img)
			}
		}
	}
	// validStep validates a step, then, if it is sound, its images and
	// what it changes.
	validStep := func(st steps.Spec, p string, n *yaml.Node) {
		sp, sound := st.Validate(p, n, s.Dir)
		ps = append(ps, sp...)
		if !sound {
			return
		}
		unlisted(st, p, n)
		ps = append(ps, f.ownershipProblems(st, s.Dir, p, n, course)...)
		if name := st.Node(); name != "" && !slices.Contains(f.Needs, string(lab.CapNode)) {
			// A lab without node access (the sim) would fail the step
			// half way through the setup; the runner refuses the scenario
			// there up front when needs says so.
			ps.Add(yamlx.At(n, st.Name()), yamlx.Join(p, st.Name()), "acts inside node %s: add %s to needs (only a lab with node access, kind, can run it)", name, lab.CapNode)
		}
	}
	stepList := func(list []steps.Spec, field ...string) {
		for i, st := range list {
			validStep(st, yamlx.Index(strings.Join(field, "."), i), yamlx.Item(at(field...), i))
		}
	}
	stepList(f.Setup, "setup")
	stepList(f.Cleanup, "cleanup")
	ps = append(ps, l.checks(s, root)...)
	if strings.TrimSpace(f.Solution.Explain) == "" {
		ps.Add(at("solution"), "solution.explain", "required: say why the answer is right")
	}
	if len(f.Solution.Steps) == 0 {
		ps.Add(at("solution"), "solution.steps", "required: the runnable reference solution")
	}
	stepList(f.Solution.Steps, "solution", "steps")
	for _, group := range []struct {
		field string
		list  []Variant
	}{{"alternatives", f.Alternatives}, {"wrong", f.Wrong}} {
		for i, v := range group.list {
			p := yamlx.Index(group.field, i)
			vn := yamlx.Item(at(group.field), i)
			if v.Name == "" {
				ps.Add(vn, yamlx.Join(p, "name"), "required")
			}
			if len(v.Steps) == 0 {
				ps.Add(vn, yamlx.Join(p, "steps"), "required")
			}
			for j, st := range v.Steps {
				validStep(st, yamlx.Index(yamlx.Join(p, "steps"), j), yamlx.Item(yamlx.At(vn, "steps"), j))
			}
		}
	}
	return ps
}

func (l Loader) checks(s *Scenario, root *yaml.Node) yamlx.Problems {
	var ps yamlx.Problems
	list := yamlx.At(root, "checks")
	if len(s.File.Checks) == 0 {
		ps.Add(list, "checks", "required: at least one check")
	}
	seen := map[string]bool{}
	for i, c := range s.File.Checks {
		p := yamlx.Index("checks", i)
		cn := c.node
		if cn == nil {
			cn = yamlx.Item(list, i)
		}
		bad := map[string]bool{} // common fields of the wrong type
		for _, d := range c.problems {
			bad[d.Path] = true
			d.Path = yamlx.Join(p, d.Path)
			ps = append(ps, d)
		}
		switch {
		case bad["id"]:
		case c.ID == "":
			ps.Add(cn, yamlx.Join(p, "id"), "required")
		case !idPattern.MatchString(c.ID):
			ps.Add(cn, yamlx.Join(p, "id"), "got %q, want lower-case letters, digits and dashes", c.ID)
		case seen[c.ID]:
			ps.Add(cn, yamlx.Join(p, "id"), "duplicate id %q", c.ID)
		}
		seen[c.ID] = true
		if c.Title == "" && !bad["title"] {
			ps.Add(cn, yamlx.Join(p, "title"), "required: one line saying what is checked")
		}
		if c.Points < 1 && !bad["points"] {
			ps.Add(cn, yamlx.Join(p, "points"), "got %d, want 1 or more", c.Points)
		}
		var kind *grader.CheckType
		var body *yaml.Node
		for _, e := range c.kinds {
			k, ok := l.CheckTypes[e.key.Value]
			if !ok {
				ps.Add(e.key, yamlx.Join(p, e.key.Value), "unknown field (check kinds: %s)", strings.Join(l.CheckTypes.Names(), ", "))
				continue
			}
			if kind != nil {
				ps.Add(e.key, yamlx.Join(p, e.key.Value), "a check has one kind; %s is already given", kind.Name)
				continue
			}
			kind, body = &k, e.value
		}
		if kind == nil {
			if len(c.kinds) == 0 {
				ps.Add(cn, p, "no check kind: want one of %s", strings.Join(l.CheckTypes.Names(), ", "))
			}
			continue
		}
		check, kps := kind.New(body, yamlx.Join(p, kind.Name))
		ps = append(ps, kps...)
		// A check that looks inside a node runs only on a lab with node
		// access: say so in needs, so that list and start refuse it on
		// the sim up front rather than failing it at grading.
		if nc, ok := check.(grader.NodeCheck); ok && nc.NodeName() != "" && !slices.Contains(s.File.Needs, string(lab.CapNode)) {
			ps.Add(body, yamlx.Join(p, kind.Name), "looks inside node %s: add %s to needs (only a lab with node access, kind, can grade it)", nc.NodeName(), lab.CapNode)
		}
		timeout := c.Timeout.Duration
		if timeout == 0 {
			timeout = s.File.Timeout.Duration
		}
		if timeout == 0 {
			timeout = kind.DefaultTimeout
		}
		s.Checks = append(s.Checks, grader.Spec{ID: c.ID, Title: c.Title, Why: strings.TrimSpace(c.Why),
			Points: c.Points, Timeout: timeout, Type: kind.Name, Check: check})
	}
	return ps
}

func lineMsg(n *yaml.Node, format string, args ...any) string {
	return fmt.Sprintf("line %d: ", n.Line) + fmt.Sprintf(format, args...)
}

func nodeKindWord(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "something else"
}
