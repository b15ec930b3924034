package steps

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/ckalab/ckalab/internal/safefs"
)

// MaxFileSize is the largest file of its folder a scenario may refer to
// (apply.file, writeFile.from), in bytes (4 MiB).
const MaxFileSize = 4 << 20

// checkRelative refuses paths that could leave their folder.
func checkRelative(p string) error {
	if p == "" {
		return errors.New("required")
	}
	if path.IsAbs(p) || strings.Contains(p, "\\") || !fs.ValidPath(p) {
		return fmt.Errorf("%q must be a relative path inside its folder (no leading /, no ..)", p)
	}
	return nil
}

// ReadScenarioFile reads a file of a scenario's folder, refusing paths that
// leave it, and files larger than MaxFileSize. A folder opened with
// os.Root (as scenarios.DirSource does) also refuses symlinks that leave it.
func ReadScenarioFile(dir fs.FS, name string) ([]byte, error) {
	if err := checkRelative(name); err != nil {
		return nil, err
	}
	if dir == nil {
		return nil, fmt.Errorf("%s: the scenario has no folder", name)
	}
	data, err := safefs.ReadFileLimited(dir, name, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return data, nil
}
