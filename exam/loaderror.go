package exam

import (
	"github.com/ckalab/ckalab/internal/yamlx"
)

// LoadError lists every problem of one exam set file, as
// scenarios.LoadError does for a scenario: an author fixes them all in one
// go rather than one per run.
type LoadError struct {
	Path     string
	Problems yamlx.Problems
}

func (e *LoadError) Error() string { return e.Problems.Render(e.Path) }
