package exam

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/ckalab/ckalab/internal/yamlx"
)

//go:embed sets/*.yaml
var builtinSets embed.FS

// Sets returns the exam sets shipped in the binary, ordered by file name.
// They are parsed on each call (a few hundred bytes each), so that no
// package state exists; a test proves they parse and name real scenarios.
func Sets() ([]*Set, error) {
	entries, err := fs.ReadDir(builtinSets, "sets")
	if err != nil {
		return nil, fmt.Errorf("read the built-in exam sets: %w", err)
	}
	var out []*Set
	var errs []error
	for _, e := range entries {
		name := path.Join("sets", e.Name())
		data, err := fs.ReadFile(builtinSets, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("read the built-in exam set %s: %w", name, err))
			continue
		}
		s, err := ParseSet("builtin/"+name, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}

// LookupSet returns the built-in set with the id.
func LookupSet(id string) (*Set, error) {
	all, err := Sets()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, s := range all {
		if s.ID == id {
			return s, nil
		}
		ids = append(ids, s.ID)
	}
	if near := yamlx.Nearby(id, ids); len(near) > 0 {
		return nil, fmt.Errorf("no exam set %q (did you mean %s?)", id, strings.Join(near, ", "))
	}
	return nil, fmt.Errorf("no exam set %q; the built-in ones: %s", id, strings.Join(ids, ", "))
}
