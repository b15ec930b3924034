package scenarios_test

import (
	"io/fs"

	"github.com/ckalab/ckalab/scenarios"
)

func fsRead(p string) ([]byte, error) {
	return fs.ReadFile(scenarios.Builtin(), p[len("builtin/"):])
}
