package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ckalab/ckalab/internal/safefs"
)

// WriteFile writes a file into the lab's answer folder, from inline content
// or from a file of the scenario's folder.
type WriteFile struct {
	Path    string `yaml:"path" json:"path"`
	Content string `yaml:"content,omitempty" json:"content,omitempty"`
	From    string `yaml:"from,omitempty" json:"from,omitempty"`
}

// Validate wants a path inside the answer folder and exactly one of
// content and a readable from.
func (w *WriteFile) Validate(v *Validation) {
	if err := checkRelative(w.Path); err != nil {
		v.Add("path", "%v", err)
	}
	if (w.Content == "") == (w.From == "") {
		v.Add("", "set exactly one of content and from")
	} else if w.From != "" {
		if _, err := ReadScenarioFile(v.Dir, w.From); err != nil {
			v.Add("from", "%v", err)
		}
	}
}

// Run writes the file (mode 0600), making its folders, through an os.Root
// of the answer folder: a symlink planted in it cannot send the write (or
// the folders made for it) elsewhere.
func (w *WriteFile) Run(_ context.Context, env Env) ([]string, error) {
	if env.AnswerDir == "" {
		return nil, errors.New("no answer folder")
	}
	data := []byte(w.Content)
	if w.From != "" {
		var err error
		if data, err = ReadScenarioFile(env.Files, w.From); err != nil {
			return nil, err
		}
	}
	if err := checkRelative(w.Path); err != nil {
		return nil, err
	}
	name := filepath.FromSlash(w.Path)
	dst := filepath.Join(env.AnswerDir, name)
	if err := os.MkdirAll(env.AnswerDir, 0o700); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(env.AnswerDir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	writeErr := func(err error) error {
		if safefs.LeavesFolder(err) {
			return fmt.Errorf("write %s: a symlink that leaves the answer folder", dst)
		}
		return fmt.Errorf("write %s: %w", dst, err)
	}
	if dir := filepath.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o700); err != nil {
			return nil, writeErr(err)
		}
	}
	if err := root.WriteFile(name, data, 0o600); err != nil {
		return nil, writeErr(err)
	}
	return []string{"wrote " + dst}, nil
}
