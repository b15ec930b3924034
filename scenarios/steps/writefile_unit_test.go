package steps_test

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/ckalab/ckalab/scenarios/steps"
)

func TestWriteFileUnit(t *testing.T) {
	t.Parallel()
	answers := t.TempDir()
	files := fstest.MapFS{"files/kubeconfig": {Data: []byte("apiVersion: v1\nkind: Config\n")}}
	env := steps.Env{Files: files, AnswerDir: answers}

	// Inline content and a file of the scenario's folder, in folders made
	// for them, readable by the learner only.
	for path, want := range map[string]string{"notes/answer.txt": "hello\n", "kube/config": "apiVersion: v1\nkind: Config\n"} {
		w := &steps.WriteFile{Path: path, Content: want}
		if path == "kube/config" {
			w = &steps.WriteFile{Path: path, From: "files/kubeconfig"}
		}
		dst := filepath.Join(answers, filepath.FromSlash(path))
		if got := run(t, env, steps.Spec{Action: w}); !equal(got, []string{"wrote " + dst}) {
			t.Errorf("%s: changed %q", path, got)
		}
		if data, err := os.ReadFile(dst); err != nil || string(data) != want {
			t.Errorf("%s: %q, %v", path, data, err)
		}
		if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v", path, fi.Mode(), err)
		}
	}

	// A symlink planted in the answer folder cannot send the write out.
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(answers, "out")); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"out/x.txt":      "write " + filepath.Join(answers, "out", "x.txt") + ": a symlink that leaves the answer folder",
		"out/new/y.txt":  "write " + filepath.Join(answers, "out", "new", "y.txt") + ": a symlink that leaves the answer folder",
		"../escape.txt":  `"../escape.txt" must be a relative path inside its folder (no leading /, no ..)`,
		"/etc/passwd.ck": `"/etc/passwd.ck" must be a relative path inside its folder (no leading /, no ..)`,
	} {
		changed, err := steps.Spec{Action: &steps.WriteFile{Path: path, Content: "x"}}.Run(t.Context(), env)
		if err == nil || err.Error() != want || len(changed) > 0 {
			t.Errorf("%s: changed %q, err %v; want %q", path, changed, err, want)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) > 0 {
		t.Errorf("written outside the answer folder: %v", entries)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(answers), "escape.txt")); err == nil {
		t.Error("written next to the answer folder")
	}
}
