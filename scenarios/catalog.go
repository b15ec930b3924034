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

	"github.com/ckalab/ckalab/internal/safefs"
	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/scenarios/steps"
)

//go:embed all:builtin
var builtin embed.FS

// FileName is the name of a scenario file inside its folder.
const FileName = "scenario.yaml"

// MaxFileSize is the largest file of its folder a scenario may refer to
// (apply.file, writeFile.from), in bytes (4 MiB). MaxScenarioSize (in
// template.go) is the limit of the scenario file itself.
const MaxFileSize = steps.MaxFileSize

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
		folders, err := fs.ReadDir(src.FS, ".")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src.Name, err)
		}
		for _, d := range folders {
			id := d.Name()
			if ok, err := isFolder(src.FS, d); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", joinSource(src.Name, id), err))
				continue
			} else if !ok {
				continue
			}
			m := path.Join(id, FileName)
			dir, err := folder(src.FS, id)
			if err != nil {
				return nil, err
			}
			data, err := readScenario(dir, FileName)
			var le *LoadError
			switch {
			case errors.Is(err, fs.ErrNotExist):
				continue // not a scenario folder
			case errors.As(err, &le):
				le.Path = joinSource(src.Name, m)
				errs = append(errs, le)
				continue
			case err != nil:
				errs = append(errs, fmt.Errorf("%s: %w", joinSource(src.Name, m), err))
				continue
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

// errSourceSymlink is a scenario folder that is a symlink out of the folder
// of scenario folders.
var errSourceSymlink = errors.New("a symlink that leaves the folder of scenarios")

// isFolder reports whether a folder entry is a folder, or a symlink to one
// that stays inside the source. A symlink out of it is an error.
func isFolder(fsys fs.FS, d fs.DirEntry) (bool, error) {
	if d.IsDir() {
		return true, nil
	}
	if d.Type()&fs.ModeSymlink == 0 {
		return false, nil
	}
	fi, err := fs.Stat(fsys, d.Name())
	if safefs.LeavesFolder(err) {
		return false, errSourceSymlink
	}
	return err == nil && fi.IsDir(), nil
}

// folder is a scenario folder of a source. A folder of a DirSource is
// opened as an os.Root of its own: nothing in it, a symlink included,
// reaches outside it.
func folder(src fs.FS, id string) (fs.FS, error) {
	if r, ok := src.(rootFS); ok {
		return rootFolder{open: func() (*os.Root, error) { return r.root.OpenRoot(id) }}, nil
	}
	return fs.Sub(src, id)
}

// readScenario reads a scenario file, refusing one larger than
// MaxScenarioSize (a *LoadError, its Path to be set) without reading it
// all, and one that is a symlink out of the source's folder.
func readScenario(fsys fs.FS, name string) ([]byte, error) {
	data, err := safefs.ReadFileLimited(fsys, name, MaxScenarioSize)
	var tl *safefs.TooLargeError
	if errors.As(err, &tl) {
		return nil, &LoadError{Problems: yamlx.Problems{{Msg: "the file is " + tl.Error()}}}
	}
	return data, err
}

func joinSource(source, p string) string {
	if source == "builtin" {
		return "builtin/" + p
	}
	return filepath.Join(source, filepath.FromSlash(p))
}

// DirSource is a folder of scenario folders on disk. It is opened with
// os.Root, and each scenario folder in it too: a symlink (to a file or a
// folder) that leads out of its scenario's folder is refused, wherever it
// is, when the catalog is made, when a scenario is validated and when its
// steps run.
func DirSource(dir string) Source {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return Source{Name: dir, FS: errFS{err}}
	}
	return Source{Name: dir, FS: rootFS{FS: root.FS(), root: root}}
}

// rootFS is a DirSource's folder.
type rootFS struct {
	fs.FS
	root *os.Root
}

// rootFolder is a folder opened as an os.Root for each use, so that no
// file descriptor is held between uses (a catalog has many folders, and
// validate many files). Files opened stay open after their root is closed.
type rootFolder struct {
	open func() (*os.Root, error)
}

func (f rootFolder) Open(name string) (fs.File, error) {
	r, err := f.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.FS().Open(name)
}

func (f rootFolder) Stat(name string) (fs.FileInfo, error) {
	r, err := f.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return fs.Stat(r.FS(), name)
}

func (f rootFolder) ReadDir(name string) ([]fs.DirEntry, error) {
	r, err := f.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return fs.ReadDir(r.FS(), name)
}

// errFS is a folder that could not be opened.
type errFS struct{ err error }

func (e errFS) Open(string) (fs.File, error) { return nil, e.err }

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
	s, err := c.loader.parseDir(e.path, e.data, e.dir, td)
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
	if close := yamlx.Nearby(id, c.IDs()); len(close) > 0 {
		return " (did you mean " + strings.Join(close, ", ") + "?)"
	}
	return "; `ckalab list` shows them"
}

// ParseFile loads a scenario file from disk; its folder is the file's
// folder, opened with os.Root as a DirSource's folders are.
func (l Loader) ParseFile(file string, td TemplateData) (*Scenario, error) {
	parent := filepath.Dir(file)
	dir := rootFolder{open: func() (*os.Root, error) { return os.OpenRoot(parent) }}
	data, err := readScenario(dir, filepath.Base(file))
	if err != nil {
		var le *LoadError
		var pe *fs.PathError
		switch {
		case errors.As(err, &le):
			le.Path = file
		case errors.As(err, &pe):
			pe.Op, pe.Path = "open", file
		default:
			err = fmt.Errorf("%s: %w", file, err)
		}
		return nil, err
	}
	return l.parseDir(file, data, dir, td)
}

// MaxFilesRead is how much validating a scenario may read of the files it
// refers to, in all, in bytes (16 MiB). A file counts each time a step
// refers to it, and validation reads each reference up to 3 times (the
// step, its images, what it changes): this stops a scenario from making
// validation decode one large file thousands of times.
const MaxFilesRead = 16 << 20

// parseDir parses a scenario of a folder on disk (or a catalog's), within
// MaxFilesRead.
func (l Loader) parseDir(path string, data []byte, dir fs.FS, td TemplateData) (*Scenario, error) {
	s, err := l.Parse(path, data, &readBudget{FS: dir, left: MaxFilesRead}, td)
	if s != nil {
		s.Dir = dir // the budget is for validation, not for runs
	}
	return s, err
}

// readBudget is a folder that refuses to open more than left bytes of
// files, in all.
type readBudget struct {
	fs.FS
	left int64
}

func (b *readBudget) Open(name string) (fs.File, error) {
	f, err := b.FS.Open(name)
	if err != nil {
		return nil, err
	}
	// A file over the limit of one file is refused for that.
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() <= MaxFileSize {
		if b.left -= fi.Size(); b.left < 0 {
			f.Close()
			return nil, fmt.Errorf("the files the scenario refers to add up to more than %s (limit; a file counts each time it is read, up to 3 times a step)", byteSize(MaxFilesRead))
		}
	}
	return f, nil
}

func (b *readBudget) Stat(name string) (fs.FileInfo, error) { return fs.Stat(b.FS, name) }
