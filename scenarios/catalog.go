package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ckalab/ckalab/internal/yamlx"
)

//go:embed all:builtin
var builtin embed.FS

// FileName is the name of a scenario file inside its folder.
const FileName = "scenario.yaml"

// Builtin returns the scenarios shipped in the binary, one folder each.
func Builtin() fs.FS {
	sub, err := fs.Sub(builtin, "builtin")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	return sub
}

// Source is a tree of scenario folders.
type Source struct {
	Name string // "builtin" or a folder path, for messages
	FS   fs.FS
}

// entry is one scenario folder of a source.
type entry struct {
	id     string
	source string
	dir    fs.FS
	path   string
	data   []byte
}

// Catalog indexes scenario folders by id. Scenarios are parsed on demand,
// for one attempt's template data.
type Catalog struct {
	loader  Loader
	entries map[string]entry
}

// NewCatalog finds every <id>/scenario.yaml of the sources. A folder whose
// name differs from the id it declares is found when parsed.
func NewCatalog(loader Loader, sources ...Source) (*Catalog, error) {
	c := &Catalog{loader: loader, entries: map[string]entry{}}
	var errs []error
	for _, src := range sources {
		matches, err := fs.Glob(src.FS, "*/"+FileName)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src.Name, err)
		}
		for _, m := range matches {
			id := path.Dir(m)
			data, err := fs.ReadFile(src.FS, m)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", src.Name, err))
				continue
			}
			dir, err := fs.Sub(src.FS, id)
			if err != nil {
				return nil, err
			}
			if prev, dup := c.entries[id]; dup {
				errs = append(errs, fmt.Errorf("scenario %q is in both %s and %s", id, prev.source, src.Name))
				continue
			}
			c.entries[id] = entry{id: id, source: src.Name, dir: dir, path: joinSource(src.Name, m), data: data}
		}
	}
	return c, errors.Join(errs...)
}

func joinSource(source, p string) string {
	if source == "builtin" {
		return "builtin/" + p
	}
	return filepath.Join(source, filepath.FromSlash(p))
}

// DirSource is a folder of scenario folders on disk.
func DirSource(dir string) Source {
	return Source{Name: dir, FS: os.DirFS(dir)}
}

// IDs lists the catalog's scenario ids, sorted.
func (c *Catalog) IDs() []string {
	ids := make([]string, 0, len(c.entries))
	for id := range c.entries {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Has reports whether the catalog knows the id.
func (c *Catalog) Has(id string) bool { _, ok := c.entries[id]; return ok }

// Load parses one scenario for an attempt.
func (c *Catalog) Load(id string, td TemplateData) (*Scenario, error) {
	e, ok := c.entries[id]
	if !ok {
		return nil, fmt.Errorf("no scenario %q%s", id, c.suggest(id))
	}
	s, err := c.loader.Parse(e.path, e.data, e.dir, td)
	if err != nil {
		return nil, err
	}
	if s.ID != id {
		return nil, &LoadError{Path: e.path, Problems: yamlx.Problems{{Path: "id", Msg: fmt.Sprintf("got %q, want the folder's name %q", s.ID, id)}}}
	}
	return s, nil
}

// LoadAll parses every scenario; errors are joined, one per file.
func (c *Catalog) LoadAll(td TemplateData) ([]*Scenario, error) {
	var out []*Scenario
	var errs []error
	for _, id := range c.IDs() {
		s, err := c.Load(id, td)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}

func (c *Catalog) suggest(id string) string {
	var close []string
	for _, known := range c.IDs() {
		if strings.Contains(known, id) || strings.Contains(id, known) || yamlx.Distance(id, known) <= 2 {
			close = append(close, known)
		}
	}
	if len(close) > 0 {
		return " (did you mean " + strings.Join(close, ", ") + "?)"
	}
	return "; `ckalab list` shows them"
}

// ParseFile loads a scenario file from disk; its folder is the file's folder.
func (l Loader) ParseFile(file string, td TemplateData) (*Scenario, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return l.Parse(file, data, os.DirFS(filepath.Dir(file)), td)
}
