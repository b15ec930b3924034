package steps

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/ckalab/ckalab/lab"
)

// NodeFile writes (content, or from a file of the scenario's folder),
// moves (moveTo) or removes (remove) a file inside a lab node: a static pod
// manifest moved away, a broken kubelet configuration, an answer saved on
// the node. Every path must be one that reset restores.
type NodeFile struct {
	Node    string `yaml:"node" json:"node"`
	Path    string `yaml:"path" json:"path"`
	Content string `yaml:"content,omitempty" json:"content,omitempty"`
	From    string `yaml:"from,omitempty" json:"from,omitempty"`
	// Mode is the written file's octal mode ("0600"), without execute
	// bits; without it, a file that exists keeps its mode and a new one is
	// 0644.
	Mode   string `yaml:"mode,omitempty" json:"mode,omitempty"`
	MoveTo string `yaml:"moveTo,omitempty" json:"moveTo,omitempty"`
	Remove bool   `yaml:"remove,omitempty" json:"remove,omitempty"`
}

// octalMode says whether a mode is plain octal without execute bits
// ("644", "0600"): a scenario places no programs on a node, sets no setuid,
// setgid or sticky bit, and gives chmod nothing it would read as an option
// or a symbolic mode.
func octalMode(mode string) bool {
	digits := strings.TrimPrefix(mode, "0")
	return len(digits) == 3 && strings.Trim(digits, "0246") == ""
}

// Validate wants the node, a path reset restores and exactly one of
// content, a readable from, moveTo (also restored) and remove.
func (f *NodeFile) Validate(v *Validation) {
	if f.Node == "" {
		v.Add("node", "required")
	}
	if err := checkNodePath(f.Path); err != nil {
		v.Add("path", "%v", err)
	}
	given := 0
	for _, set := range []bool{f.Content != "", f.From != "", f.MoveTo != "", f.Remove} {
		if set {
			given++
		}
	}
	if given != 1 {
		v.Add("", "set exactly one of content, from, moveTo and remove")
	}
	if f.From != "" {
		if _, err := ReadScenarioFile(v.Dir, f.From); err != nil {
			v.Add("from", "%v", err)
		}
	}
	if f.MoveTo != "" {
		if err := checkNodePath(f.MoveTo); err != nil {
			v.Add("moveTo", "%v", err)
		} else if f.MoveTo == f.Path {
			v.Add("moveTo", "is path itself")
		}
	}
	switch {
	case f.Mode == "":
	case f.Content == "" && f.From == "":
		v.Add("mode", "only a file written (content or from) has a mode")
	case !octalMode(f.Mode):
		v.Add("mode", "got %q, want an octal mode without execute bits, such as 0644 or 0600", f.Mode)
	}
}

// NodeName is the node the step acts inside.
func (f *NodeFile) NodeName() string { return f.Node }

// Changes is the node.
func (f *NodeFile) Changes(fs.FS) []Change { return nodeChange(f.Node) }

// Images are those of a static pod manifest the step writes: the kubelet
// runs it, and an offline lab must have loaded them. It reads as an apply
// step's manifest would.
func (f *NodeFile) Images(dir fs.FS) []string {
	if !strings.HasPrefix(f.Path, "/etc/kubernetes/manifests/") {
		return nil
	}
	return (&Apply{Manifest: f.Content, File: f.From}).Images(dir)
}

// data is what the step writes; writes is false when it writes nothing.
func (f *NodeFile) data(dir fs.FS) (data []byte, writes bool, err error) {
	switch {
	case f.From != "":
		data, err = ReadScenarioFile(dir, f.From)
		return data, true, err
	case f.Content != "":
		return []byte(f.Content), true, nil
	}
	return nil, false, nil
}

// Run writes, moves or removes the file. The paths are checked again: a
// step made in code was never validated.
func (f *NodeFile) Run(ctx context.Context, env Env) ([]string, error) {
	exec, err := nodeExec(env, f.Node)
	if err != nil {
		return nil, err
	}
	if err := checkNodePath(f.Path); err != nil {
		return nil, fmt.Errorf("node file: %w", err)
	}
	switch {
	case f.MoveTo != "":
		if err := checkNodePath(f.MoveTo); err != nil {
			return nil, fmt.Errorf("node file: move to %w", err)
		}
		if err := lab.MoveNodeFile(ctx, exec, f.Node, f.Path, f.MoveTo); err != nil {
			return nil, err
		}
		return []string{fmt.Sprintf("moved %s to %s on %s", f.Path, f.MoveTo, f.Node)}, nil
	case f.Remove:
		if err := lab.RemoveNodeFile(ctx, exec, f.Node, f.Path); err != nil {
			return nil, err
		}
		return []string{fmt.Sprintf("removed %s from %s", f.Path, f.Node)}, nil
	}
	data, writes, err := f.data(env.Files)
	switch {
	case err != nil:
		return nil, err
	case !writes:
		return nil, fmt.Errorf("node file %s: nothing to do (no content, from, moveTo or remove)", f.Path)
	case f.Mode != "" && !octalMode(f.Mode):
		return nil, fmt.Errorf("node file %s: mode %q is not an octal mode", f.Path, f.Mode)
	}
	if err := lab.WriteNodeFile(ctx, exec, f.Node, f.Path, data, f.Mode); err != nil {
		return nil, err
	}
	return []string{fmt.Sprintf("wrote %s on %s", f.Path, f.Node)}, nil
}
