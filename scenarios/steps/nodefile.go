package steps

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/ckalab/ckalab/lab"
)

// NodeFile writes (content, or from a file of the scenario's folder),
// moves (moveTo), removes (remove) or edits (replace) a file inside a lab
// node: a static pod manifest moved away, a broken kubelet configuration,
// a typo put into a manifest, an answer saved on the node. Every path must
// be one that reset restores.
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
	// Replace edits the file where it is, keeping its mode.
	Replace *NodeFileReplace `yaml:"replace,omitempty" json:"replace,omitempty"`
}

// NodeFileReplace replaces every occurrence of Old in a node file with New (a
// cause planted in a file as it is: `kube-scheduler` made
// `kube-schedulr` in a static pod manifest, a wrong path in the kubelet's
// configuration). A file without Old is an error, and is left as it was.
type NodeFileReplace struct {
	Old string `yaml:"old" json:"old"`
	New string `yaml:"new" json:"new"`
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
// content, a readable from, moveTo (also restored), remove and replace
// (which changes something); what it writes may hold no pod that could
// reach the host (podsafety.go). A file moved (moveTo) is one kubeadm or
// an earlier step wrote, and is not read.
func (f *NodeFile) Validate(v *Validation) {
	if f.Node == "" {
		v.Add("node", "required")
	}
	if err := checkNodePath(f.Path); err != nil {
		v.Add("path", "%v", err)
	}
	given := 0
	for _, set := range []bool{f.Content != "", f.From != "", f.MoveTo != "", f.Remove, f.Replace != nil} {
		if set {
			given++
		}
	}
	if given != 1 {
		v.Add("", "set exactly one of content, from, moveTo, remove and replace")
	}
	if r := f.Replace; r != nil {
		switch {
		case r.Old == "":
			v.Add("replace.old", "required: the text to replace, which the file must contain")
		case r.Old == r.New:
			v.Add("replace.new", "is old itself, so the step would change nothing")
		}
		if why := replaceHostAccess(r.New); why != "" {
			v.Add("replace.new", "%s", why)
		}
	}
	if f.From != "" {
		if data, err := ReadScenarioFile(v.Dir, f.From); err != nil {
			v.Add("from", "%v", err)
		} else {
			for _, p := range nodeFileHostAccess(data) {
				v.Add("from", "%s", p)
			}
		}
	}
	for _, p := range nodeFileHostAccess([]byte(f.Content)) {
		v.Add("content", "%s", p)
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
		v.Add("mode", "only a file written (content or from) has a mode (replace keeps the file's)")
	case !octalMode(f.Mode):
		v.Add("mode", "got %q, want an octal mode without execute bits, such as 0644 or 0600", f.Mode)
	}
}

// NodeName is the node the step acts inside.
func (f *NodeFile) NodeName() string { return f.Node }

// Changes are the file, and where moveTo moves it: changes of the node.
func (f *NodeFile) Changes(fs.FS) []Change {
	out := []Change{nodeFileChange(f.Node, f.Path)}
	if f.MoveTo != "" {
		out = append(out, nodeFileChange(f.Node, f.MoveTo))
	}
	return out
}

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

// Run writes, moves, removes or edits the file. The paths are checked
// again: a step made in code was never validated.
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
	case f.Replace != nil:
		return f.replace(ctx, exec)
	}
	data, writes, err := f.data(env.Files)
	switch {
	case err != nil:
		return nil, err
	case !writes:
		return nil, fmt.Errorf("node file %s: nothing to do (no content, from, moveTo, remove or replace)", f.Path)
	case f.Mode != "" && !octalMode(f.Mode):
		return nil, fmt.Errorf("node file %s: mode %q is not an octal mode", f.Path, f.Mode)
	}
	if ps := nodeFileHostAccess(data); len(ps) > 0 {
		return nil, &HostAccessError{Action: "write", What: f.Path + " on " + f.Node, Problems: ps}
	}
	if err := lab.WriteNodeFile(ctx, exec, f.Node, f.Path, data, f.Mode); err != nil {
		return nil, err
	}
	return []string{fmt.Sprintf("wrote %s on %s", f.Path, f.Node)}, nil
}

// replace edits the file: every occurrence of Old becomes New. The file is
// written back without a mode, so it keeps its own (a static pod
// manifest's 0600).
func (f *NodeFile) replace(ctx context.Context, exec lab.Execer) ([]string, error) {
	r := f.Replace
	if r.Old == "" || r.Old == r.New {
		return nil, fmt.Errorf("node file %s: replace needs old text, different from new", f.Path)
	}
	if why := replaceHostAccess(r.New); why != "" {
		return nil, &HostAccessError{Action: "edit", What: f.Path + " on " + f.Node, Problems: []string{why}}
	}
	data, found, err := lab.ReadNodeFile(ctx, exec, f.Node, f.Path)
	switch {
	case err != nil:
		return nil, err
	case !found:
		return nil, fmt.Errorf("replace in %s on %s: no such file", f.Path, f.Node)
	}
	n := strings.Count(string(data), r.Old)
	if n == 0 {
		return nil, fmt.Errorf("replace in %s on %s: the file does not contain %q; nothing was changed", f.Path, f.Node, r.Old)
	}
	edited := strings.ReplaceAll(string(data), r.Old, r.New)
	if ps := replaceAdds(data, []byte(edited)); len(ps) > 0 {
		return nil, &HostAccessError{Action: "edit", What: f.Path + " on " + f.Node, Problems: ps}
	}
	if err := lab.WriteNodeFile(ctx, exec, f.Node, f.Path, []byte(edited), ""); err != nil {
		return nil, err
	}
	times := "once"
	if n > 1 {
		times = fmt.Sprintf("%d times", n)
	}
	return []string{fmt.Sprintf("replaced %q with %q in %s on %s (%s)", r.Old, r.New, f.Path, f.Node, times)}, nil
}
