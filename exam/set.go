package exam

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ckalab/ckalab/internal/cka"
	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	"gopkg.in/yaml.v3"
)

// APIVersion and Kind identify an exam set file; the version is the
// scenarios', so that one `apiVersion` line means one format generation.
const (
	APIVersion = "ckalab.dev/v1alpha1"
	Kind       = "Exam"
)

// The defaults and bounds of a set.
const (
	// DefaultPassMark is the CKA's pass mark, in percent.
	DefaultPassMark = 66
	// DefaultCount is about the number of tasks of a CKA.
	DefaultCount = 16
	// MaxCount bounds an exam's tasks: each is set up on one lab, side by
	// side, and a lab has room for a few dozen at most.
	MaxCount = 40
	// MinDuration and MaxDuration bound an exam's length: a typo such as
	// "2s" or "200h" should fail validation, not the learner.
	MinDuration = time.Minute
	MaxDuration = 12 * time.Hour
	// MaxSetSize is the largest set file, in bytes (1 MiB): sets are short,
	// and an instructor's file is read before anything checks it.
	MaxSetSize = 1 << 20
)

// Set is an exam set, validated, with its defaults filled in.
type Set struct {
	ID       string
	Title    string
	Duration time.Duration
	PassMark int // percent of the points needed to pass
	Count    int // tasks of an exam
	// Weights is each CKA domain's share of the tasks, in percent; they
	// add up to 100.
	Weights map[string]int
	// Tasks are in every exam of the set.
	Tasks []SetTask
	// Draw is nil when the exam is exactly Tasks; otherwise the places
	// Tasks leave are drawn from the catalog by these rules.
	Draw *DrawRules
	// Path names the file in messages.
	Path string

	root *yaml.Node // for the lines of Check's problems
}

// SetTask is a scenario every exam of a set includes.
type SetTask struct {
	Scenario string `yaml:"scenario"`
	// Points is the task's share of the exam in percent; 0: the share of
	// its domain's weight, as a drawn task gets.
	Points int `yaml:"points"`
}

// DrawRules narrow what a set's exams may draw.
type DrawRules struct {
	// Needs lists the lab capabilities a drawn scenario may need (api,
	// kubelet, network, node); empty: any. A set for the sim says [api],
	// so that its exams are the same on every lab.
	Needs []string `yaml:"needs"`
	// Exclude lists scenarios never drawn.
	Exclude []string `yaml:"exclude"`
}

// setFile is a set file as written: pointers tell a missing field (take
// the default) from a zero one (a mistake).
type setFile struct {
	APIVersion string         `yaml:"apiVersion"`
	Kind       string         `yaml:"kind"`
	ID         string         `yaml:"id"`
	Title      string         `yaml:"title"`
	Duration   yamlx.Duration `yaml:"duration"`
	PassMark   *int           `yaml:"passMark"`
	Count      *int           `yaml:"count"`
	Weights    map[string]int `yaml:"weights"`
	Tasks      []setTaskFile  `yaml:"tasks"`
	Draw       *DrawRules     `yaml:"draw"`
}

type setTaskFile struct {
	Scenario string `yaml:"scenario"`
	Points   *int   `yaml:"points"`
}

var idPattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// ParseSet decodes and validates one set file. A *LoadError lists every
// problem, each with its line. Scenario ids are checked by Check, against
// a catalog.
func ParseSet(path string, data []byte) (*Set, error) {
	fail := func(ps yamlx.Problems) (*Set, error) { return nil, &LoadError{Path: path, Problems: ps} }
	if len(data) > MaxSetSize {
		return fail(yamlx.Problems{{Msg: fmt.Sprintf("%d bytes, more than the %d an exam set may have", len(data), MaxSetSize)}})
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return fail(yamlx.Problems{yamlx.SyntaxProblem(err)})
	}
	if root.Kind == 0 {
		return fail(yamlx.Problems{{Msg: "the file is empty"}})
	}
	var f setFile
	ps := yamlx.Decode(&root, "", &f)
	// Validate even when decoding found problems, so that every problem is
	// reported at once; leave out what a decoding problem already explains.
	decoded := ps
	s, vps := f.resolve(&root)
	for _, p := range vps {
		if !decoded.Explains(p.Path) {
			ps = append(ps, p)
		}
	}
	if len(ps) > 0 {
		return fail(ps)
	}
	s.Path, s.root = path, &root
	return s, nil
}

// resolve validates f and fills in the defaults.
func (f *setFile) resolve(root *yaml.Node) (*Set, yamlx.Problems) {
	var ps yamlx.Problems
	if f.APIVersion != APIVersion {
		ps.Add(yamlx.At(root, "apiVersion"), "apiVersion", "got %q, want %q", f.APIVersion, APIVersion)
	}
	if f.Kind != Kind {
		ps.Add(yamlx.At(root, "kind"), "kind", "got %q, want %q", f.Kind, Kind)
	}
	if !idPattern.MatchString(f.ID) {
		ps.Add(yamlx.At(root, "id"), "id", "got %q, want lower-case letters, digits and dashes", f.ID)
	}
	if strings.TrimSpace(f.Title) == "" {
		ps.Add(yamlx.At(root, "title"), "title", "required")
	}
	s := &Set{ID: f.ID, Title: f.Title, Duration: f.Duration.Duration, PassMark: DefaultPassMark, Draw: f.Draw}
	switch d := f.Duration.Duration; {
	case d == 0:
		ps.Add(yamlx.At(root, "duration"), "duration", "required: how long the exam lasts, such as 2h")
	case d < MinDuration || d > MaxDuration:
		ps.Add(yamlx.At(root, "duration"), "duration", "got %s, want %s to %s", shortDuration(d), shortDuration(MinDuration), shortDuration(MaxDuration))
	}
	if f.PassMark != nil {
		s.PassMark = *f.PassMark
		if s.PassMark < 1 || s.PassMark > 100 {
			ps.Add(yamlx.At(root, "passMark"), "passMark", "got %d, want a percentage from 1 to 100", s.PassMark)
		}
	}
	s.Weights = resolveWeights(f.Weights, root, &ps)
	s.Tasks = f.resolveTasks(root, &ps)
	if len(f.Tasks) == 0 && s.Draw == nil {
		s.Draw = &DrawRules{} // no tasks listed: the whole exam is drawn
	}
	s.Count = f.resolveCount(s, root, &ps)
	if s.Draw != nil {
		s.Draw.validate(s.Tasks, root, &ps)
	}
	return s, ps
}

// resolveWeights checks the domains' weights; none given: the CKA's.
func resolveWeights(w map[string]int, root *yaml.Node, ps *yamlx.Problems) map[string]int {
	if w == nil {
		return cka.Weights()
	}
	known := cka.Weights()
	sum, sound := 0, true
	for _, d := range slices.Sorted(maps.Keys(w)) {
		p := yamlx.Join("weights", d)
		if _, ok := known[d]; !ok {
			hint := ""
			if near := yamlx.Nearby(d, cka.Names()); len(near) > 0 {
				hint = fmt.Sprintf(" (did you mean %s?)", strings.Join(near, ", "))
			}
			ps.Add(yamlx.At(root, "weights", d), p, "unknown domain%s; the CKA's: %s", hint, strings.Join(cka.Names(), ", "))
			sound = false
		}
		if w[d] < 0 || w[d] > 100 {
			ps.Add(yamlx.At(root, "weights", d), p, "got %d, want a percentage from 0 to 100", w[d])
			sound = false
		}
		sum += w[d]
	}
	if sound && sum != 100 {
		ps.Add(yamlx.At(root, "weights"), "weights", "add up to %d, want 100 (percent of the tasks)", sum)
	}
	out := map[string]int{}
	for _, d := range cka.Names() {
		out[d] = w[d] // a domain left out weighs nothing
	}
	return out
}

func (f *setFile) resolveTasks(root *yaml.Node, ps *yamlx.Problems) []SetTask {
	list := yamlx.At(root, "tasks")
	seen := map[string]int{}
	var out []SetTask
	for i, t := range f.Tasks {
		p, n := yamlx.Index("tasks", i), yamlx.Item(list, i)
		switch first, dup := seen[t.Scenario]; {
		case t.Scenario == "":
			ps.Add(n, yamlx.Join(p, "scenario"), "required: a scenario id")
		case !idPattern.MatchString(t.Scenario):
			ps.Add(yamlx.At(n, "scenario"), yamlx.Join(p, "scenario"), "got %q, want a scenario id", t.Scenario)
		case dup:
			// One lab holds one copy of a scenario's namespaces and objects.
			ps.Add(yamlx.At(n, "scenario"), yamlx.Join(p, "scenario"), "%s is already tasks[%d]: a scenario appears at most once in an exam", t.Scenario, first)
		}
		if _, dup := seen[t.Scenario]; !dup {
			seen[t.Scenario] = i
		}
		st := SetTask{Scenario: t.Scenario}
		if t.Points != nil {
			st.Points = *t.Points
			if st.Points < 1 || st.Points > 100 {
				ps.Add(yamlx.At(n, "points"), yamlx.Join(p, "points"), "got %d, want a percentage of the exam from 1 to 100", st.Points)
			}
		}
		out = append(out, st)
	}
	// Points are percent of the exam: a set that gives them all, and draws
	// nothing, says exactly how the exam is weighed; otherwise the rest of
	// the tasks share what the points leave.
	sum, all := 0, len(out) > 0
	for _, t := range out {
		sum += t.Points
		all = all && t.Points > 0
	}
	switch {
	case sum == 0:
	case all && f.Draw == nil && sum != 100:
		ps.Add(list, "tasks", "points add up to %d, want 100 (percent of the exam)", sum)
	case (!all || f.Draw != nil) && sum >= 100:
		ps.Add(list, "tasks", "points add up to %d, which leaves nothing for the tasks without points or drawn: want less than 100", sum)
	}
	return out
}

func (f *setFile) resolveCount(s *Set, root *yaml.Node, ps *yamlx.Problems) int {
	if f.Count == nil {
		if s.Draw == nil {
			return len(s.Tasks)
		}
		return max(DefaultCount, len(s.Tasks))
	}
	n := *f.Count
	switch {
	case n < 1 || n > MaxCount:
		ps.Add(yamlx.At(root, "count"), "count", "got %d, want 1 to %d tasks", n, MaxCount)
	case n < len(s.Tasks):
		ps.Add(yamlx.At(root, "count"), "count", "got %d, fewer than the %d tasks listed", n, len(s.Tasks))
	case s.Draw == nil && n != len(s.Tasks):
		ps.Add(yamlx.At(root, "count"), "count", "got %d, but the set lists %d tasks and draws none: add `draw: {}` to draw the rest", n, len(s.Tasks))
	}
	return n
}

func (r *DrawRules) validate(tasks []SetTask, root *yaml.Node, ps *yamlx.Problems) {
	for i, n := range r.Needs {
		if _, err := lab.ParseCapability(n); err != nil {
			ps.Add(yamlx.Item(yamlx.At(root, "draw", "needs"), i), yamlx.Index("draw.needs", i), "%v", err)
		}
	}
	for i, id := range r.Exclude {
		n := yamlx.Item(yamlx.At(root, "draw", "exclude"), i)
		switch {
		case !idPattern.MatchString(id):
			ps.Add(n, yamlx.Index("draw.exclude", i), "got %q, want a scenario id", id)
		case slices.ContainsFunc(tasks, func(t SetTask) bool { return t.Scenario == id }):
			ps.Add(n, yamlx.Index("draw.exclude", i), "%s is also listed in tasks: a set cannot both include and exclude it", id)
		}
	}
}

// Options are the draw options of one exam of the set.
func (s *Set) Options(seed uint64) DrawOptions {
	o := DrawOptions{Count: s.Count, Weights: maps.Clone(s.Weights), Seed: seed, NoDraw: s.Draw == nil}
	for _, t := range s.Tasks {
		o.Fixed = append(o.Fixed, t.Scenario)
		if t.Points > 0 {
			if o.Points == nil {
				o.Points = map[string]int{}
			}
			o.Points[t.Scenario] = t.Points
		}
	}
	if s.Draw != nil {
		o.Needs = slices.Clone(s.Draw.Needs)
		o.Exclude = slices.Clone(s.Draw.Exclude)
	}
	return o
}

// shortDuration writes 2h rather than time's 2h0m0s, as authors do.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
