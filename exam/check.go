package exam

import (
	"github.com/ckalab/ckalab/internal/yamlx"
)

// Check reports the scenario ids of the set that the catalog does not
// know, as a *LoadError with their lines. It is a step of its own because
// the catalog (built-in scenarios plus an instructor's folders) is the
// caller's.
func Check(s *Set, known func(id string) bool) error {
	var ps yamlx.Problems
	for i, t := range s.Tasks {
		if !known(t.Scenario) {
			ps.Add(yamlx.At(yamlx.Item(yamlx.At(s.root, "tasks"), i), "scenario"), yamlx.Join(yamlx.Index("tasks", i), "scenario"), "unknown scenario %q", t.Scenario)
		}
	}
	if s.Draw != nil {
		for i, id := range s.Draw.Exclude {
			if !known(id) {
				ps.Add(yamlx.Item(yamlx.At(s.root, "draw", "exclude"), i), yamlx.Index("draw.exclude", i), "unknown scenario %q", id)
			}
		}
	}
	if len(ps) > 0 {
		return &LoadError{Path: s.Path, Problems: ps}
	}
	return nil
}
