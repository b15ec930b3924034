// Package actions changes a lab on a scenario's behalf: apply manifests,
// patch, delete, wait for a condition, drain a node, write a file into the
// answer folder. Scenarios are data: these are the only things they can do,
// they never run a command on the user's machine, and their file references
// cannot leave the scenario's folder.
package actions

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/ckalab/ckalab/internal/expr"
	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Spec is one step of a setup, a cleanup or a solution. Exactly one action
// field is set. Show is what a person would type to do the same (a kubectl
// command); `ckalab solution` prints it.
type Spec struct {
	Show      string     `yaml:"show,omitempty" json:"show,omitempty"`
	Apply     *Apply     `yaml:"apply,omitempty" json:"apply,omitempty"`
	Patch     *Patch     `yaml:"patch,omitempty" json:"patch,omitempty"`
	Delete    *Delete    `yaml:"delete,omitempty" json:"delete,omitempty"`
	Wait      *Wait      `yaml:"wait,omitempty" json:"wait,omitempty"`
	Drain     *Drain     `yaml:"drain,omitempty" json:"drain,omitempty"`
	Taint     *Taint     `yaml:"taint,omitempty" json:"taint,omitempty"`
	WriteFile *WriteFile `yaml:"writeFile,omitempty" json:"writeFile,omitempty"`
}

// Ref names one object, or (with Labels, where allowed) a set of them.
type Ref struct {
	APIVersion string `yaml:"apiVersion" json:"apiVersion"`
	Kind       string `yaml:"kind" json:"kind"`
	Name       string `yaml:"name,omitempty" json:"name,omitempty"`
	Namespace  string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
}

func (r Ref) String() string {
	s := r.Kind
	if r.Namespace != "" {
		s += " " + r.Namespace + "/" + r.Name
	} else {
		s += " " + r.Name
	}
	return s
}

// Apply server-side applies manifests, given inline or as a file of the
// scenario's folder.
type Apply struct {
	Manifest string `yaml:"manifest,omitempty" json:"manifest,omitempty"`
	File     string `yaml:"file,omitempty" json:"file,omitempty"`
}

// Objects reads and decodes the step's manifests (inline, or the file in
// dir).
func (a *Apply) Objects(dir fs.FS) ([]*unstructured.Unstructured, error) {
	data := []byte(a.Manifest)
	if a.File != "" {
		var err error
		if data, err = ReadScenarioFile(dir, a.File); err != nil {
			return nil, err
		}
	}
	return DecodeManifests(data)
}

// Patch patches one object. Type is strategic (default: merges lists such
// as taints by key), merge or json.
type Patch struct {
	Ref   `yaml:",inline"`
	Type  string `yaml:"type,omitempty" json:"type,omitempty"`
	Patch any    `yaml:"patch" json:"patch"`
}

// Delete removes one object, or those matching labels, and waits until they
// are gone. A missing object is not an error.
type Delete struct {
	Ref     `yaml:",inline"`
	Labels  map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Timeout yamlx.Duration    `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// Wait polls until a CEL expression over the object (`object`) or over the
// objects matching labels (`objects`) is true.
type Wait struct {
	Ref     `yaml:",inline"`
	Labels  map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	For     string            `yaml:"for" json:"for"`
	Timeout yamlx.Duration    `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// Drain cordons a node and evicts its pods as `kubectl drain
// --ignore-daemonsets --delete-emptydir-data --force` does.
type Drain struct {
	Node    string         `yaml:"node" json:"node"`
	Timeout yamlx.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// Taint adds (or with remove, takes off) a node taint, as `kubectl taint`
// does. It is a read-modify-write of spec.taints: the list has no merge key,
// so a strategic merge patch would replace every taint of the node.
type Taint struct {
	Node   string `yaml:"node" json:"node"`
	Key    string `yaml:"key" json:"key"`
	Value  string `yaml:"value,omitempty" json:"value,omitempty"`
	Effect string `yaml:"effect,omitempty" json:"effect,omitempty"`
	// Remove takes the taint off; without an effect, every taint with the key.
	Remove bool `yaml:"remove,omitempty" json:"remove,omitempty"`
}

// WriteFile writes a file into the lab's answer folder, from inline content
// or from a file of the scenario's folder.
type WriteFile struct {
	Path    string `yaml:"path" json:"path"`
	Content string `yaml:"content,omitempty" json:"content,omitempty"`
	From    string `yaml:"from,omitempty" json:"from,omitempty"`
}

// Name is the action's kind, as written in YAML.
func (s Spec) Name() string {
	switch {
	case s.Apply != nil:
		return "apply"
	case s.Patch != nil:
		return "patch"
	case s.Delete != nil:
		return "delete"
	case s.Wait != nil:
		return "wait"
	case s.Drain != nil:
		return "drain"
	case s.Taint != nil:
		return "taint"
	case s.WriteFile != nil:
		return "writeFile"
	}
	return ""
}

func (s Spec) count() int {
	n := 0
	for _, set := range []bool{s.Apply != nil, s.Patch != nil, s.Delete != nil, s.Wait != nil, s.Drain != nil, s.Taint != nil, s.WriteFile != nil} {
		if set {
			n++
		}
	}
	return n
}

// Validate reports every problem of the spec; files are looked up in dir.
// node is the spec's YAML node, for line numbers.
func (s Spec) Validate(p string, node *yaml.Node, dir fs.FS) yamlx.Problems {
	var ps yamlx.Problems
	at := func(field string) *yaml.Node { return child(node, field) }
	switch s.count() {
	case 0:
		ps.Add(node, p, "no action: want one of apply, patch, delete, wait, drain, taint, writeFile")
		return ps
	case 1:
	default:
		ps.Add(node, p, "more than one action in one step; split them into separate steps")
		return ps
	}
	ref := func(r Ref, field string, needName bool) {
		n := at(field)
		if r.APIVersion == "" {
			ps.Add(n, yamlx.Join(p, field+".apiVersion"), "required")
		}
		if r.Kind == "" {
			ps.Add(n, yamlx.Join(p, field+".kind"), "required")
		}
		if needName && r.Name == "" {
			ps.Add(n, yamlx.Join(p, field+".name"), "required")
		}
	}
	switch {
	case s.Apply != nil:
		n := at("apply")
		switch {
		case (s.Apply.Manifest == "") == (s.Apply.File == ""):
			ps.Add(n, yamlx.Join(p, "apply"), "set exactly one of manifest and file")
		case s.Apply.File != "":
			data, err := ReadScenarioFile(dir, s.Apply.File)
			if err != nil {
				ps.Add(n, yamlx.Join(p, "apply.file"), "%v", err)
			} else if _, err := DecodeManifests(data); err != nil {
				ps.Add(n, yamlx.Join(p, "apply.file"), "%v", err)
			}
		default:
			if _, err := DecodeManifests([]byte(s.Apply.Manifest)); err != nil {
				ps.Add(n, yamlx.Join(p, "apply.manifest"), "%v", err)
			}
		}
	case s.Patch != nil:
		ref(s.Patch.Ref, "patch", true)
		switch s.Patch.Type {
		case "", "strategic", "merge", "json":
		default:
			ps.Add(at("patch"), yamlx.Join(p, "patch.type"), "got %q, want strategic, merge or json", s.Patch.Type)
		}
		if s.Patch.Patch == nil {
			ps.Add(at("patch"), yamlx.Join(p, "patch.patch"), "required")
		}
	case s.Delete != nil:
		ref(s.Delete.Ref, "delete", len(s.Delete.Labels) == 0)
	case s.Wait != nil:
		ref(s.Wait.Ref, "wait", len(s.Wait.Labels) == 0)
		if s.Wait.For == "" {
			ps.Add(at("wait"), yamlx.Join(p, "wait.for"), "required: a CEL expression over object (or objects, with labels)")
		} else if _, err := expr.Compile(s.Wait.For, "object", "objects"); err != nil {
			ps.Add(at("wait"), yamlx.Join(p, "wait.for"), "%v", err)
		}
	case s.Drain != nil:
		if s.Drain.Node == "" {
			ps.Add(at("drain"), yamlx.Join(p, "drain.node"), "required")
		}
	case s.Taint != nil:
		n := at("taint")
		t := s.Taint
		if t.Node == "" {
			ps.Add(n, yamlx.Join(p, "taint.node"), "required")
		}
		if t.Key == "" {
			ps.Add(n, yamlx.Join(p, "taint.key"), "required")
		}
		switch t.Effect {
		case "NoSchedule", "PreferNoSchedule", "NoExecute":
		case "":
			if !t.Remove {
				ps.Add(n, yamlx.Join(p, "taint.effect"), "required: NoSchedule, PreferNoSchedule or NoExecute")
			}
		default:
			ps.Add(n, yamlx.Join(p, "taint.effect"), "got %q, want NoSchedule, PreferNoSchedule or NoExecute", t.Effect)
		}
	case s.WriteFile != nil:
		n := at("writeFile")
		if err := checkRelative(s.WriteFile.Path); err != nil {
			ps.Add(n, yamlx.Join(p, "writeFile.path"), "%v", err)
		}
		if (s.WriteFile.Content == "") == (s.WriteFile.From == "") {
			ps.Add(n, yamlx.Join(p, "writeFile"), "set exactly one of content and from")
		} else if s.WriteFile.From != "" {
			if _, err := ReadScenarioFile(dir, s.WriteFile.From); err != nil {
				ps.Add(n, yamlx.Join(p, "writeFile.from"), "%v", err)
			}
		}
	}
	for _, err := range s.protectSpec(dir) {
		ps.Add(at(s.Name()), yamlx.Join(p, s.Name()), "%v", err)
	}
	return ps
}

// child finds the value node of a mapping key (nil when absent).
func child(node *yaml.Node, key string) *yaml.Node {
	if node == nil || node.Kind != yaml.MappingNode {
		return node
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value == key {
			return node.Content[i+1]
		}
	}
	return node
}

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

// MaxFileSize is the largest file of its folder a scenario may refer to
// (apply.file, writeFile.from), in bytes (4 MiB).
const MaxFileSize = 4 << 20

// ErrLeavesFolder is a file reference that resolves, through a symlink, to
// something outside the scenario's folder (see os.Root).
var ErrLeavesFolder = errors.New("a symlink that leaves the scenario folder")

// LeavesFolder reports whether err is an os.Root refusing a path that
// leaves its root (through a symlink, since .. and absolute paths are
// refused before).
func LeavesFolder(err error) bool {
	if errors.Is(err, ErrLeavesFolder) {
		return true
	}
	var pe *fs.PathError
	// os.Root's error is not exported: "path escapes from parent".
	return errors.As(err, &pe) && pe.Err != nil && strings.Contains(pe.Err.Error(), "escapes from parent")
}

// TooLargeError is a file larger than a limit.
type TooLargeError struct {
	Size  int64 // -1: more than Limit, size not known
	Limit int64
}

func (e *TooLargeError) Error() string {
	if e.Size < 0 {
		return fmt.Sprintf("more than the limit of %s", mib(e.Limit))
	}
	return fmt.Sprintf("%d bytes, more than the limit of %s", e.Size, mib(e.Limit))
}

func mib(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// ReadFileLimited reads a regular file of dir of at most limit bytes,
// without reading more than that: a larger one is a *TooLargeError, a
// symlink out of an os.Root's folder is ErrLeavesFolder, and anything but
// a file (a folder, a named pipe, a device) is refused before it is opened.
func ReadFileLimited(dir fs.FS, name string, limit int64) ([]byte, error) {
	if fi, err := fs.Stat(dir, name); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return nil, fmt.Errorf("%s is a folder, not a file", name)
		}
		return nil, fmt.Errorf("%s is not a regular file (%v)", name, fi.Mode().Type())
	}
	f, err := dir.Open(name)
	if err != nil {
		if LeavesFolder(err) {
			return nil, ErrLeavesFolder
		}
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > limit {
		return nil, &TooLargeError{Size: fi.Size(), Limit: limit}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Size: -1, Limit: limit}
	}
	return data, nil
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
	data, err := ReadFileLimited(dir, name, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return data, nil
}

// DecodeManifests splits YAML (or JSON) documents into objects; each needs
// apiVersion, kind and metadata.name.
// MaxDocuments bounds the YAML documents of one manifest; the largest
// bundles a scenario ships (CRDs of the Gateway API, a chart's templates)
// have a few dozen.
const MaxDocuments = 1000

func DecodeManifests(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for i := 1; ; i++ {
		if i > MaxDocuments {
			// Each document costs a decoder pass: half a million tiny
			// ones in a 4 MiB file took seconds.
			return nil, fmt.Errorf("more than %d documents (limit)", MaxDocuments)
		}
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(obj) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		var missing []string
		if u.GetAPIVersion() == "" {
			missing = append(missing, "apiVersion")
		}
		if u.GetKind() == "" {
			missing = append(missing, "kind")
		}
		if u.GetName() == "" {
			missing = append(missing, "metadata.name")
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("document %d: missing %s", i, strings.Join(missing, ", "))
		}
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, errors.New("no objects")
	}
	return out, nil
}

// Images lists the container images a step's manifest or patch names (the
// image of every container, init container and ephemeral container), so
// that a scenario can be checked to list the images an offline lab must
// load. Unreadable manifests give none: Validate reports them.
func (s Spec) Images(dir fs.FS) []string {
	var docs []any
	switch {
	case s.Apply != nil:
		objs, err := s.Apply.Objects(dir)
		if err != nil {
			return nil
		}
		for _, o := range objs {
			docs = append(docs, o.Object)
		}
	case s.Patch != nil:
		docs = append(docs, s.Patch.Patch)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if list, ok := x.([]any); ok && isContainerList(k) {
					for _, c := range list {
						if m, ok := c.(map[string]any); ok {
							if img, ok := m["image"].(string); ok {
								out = append(out, img)
							}
						}
					}
					continue
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, d := range docs {
		walk(d)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// isContainerList says whether a pod spec field's items have an image.
func isContainerList(field string) bool {
	switch field {
	case "containers", "initContainers", "ephemeralContainers":
		return true
	}
	return false
}
