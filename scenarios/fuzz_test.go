package scenarios_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ckalab/ckalab/scenarios"
)

// fuzzDir is the folder the fuzzed scenarios refer to.
func fuzzDir(f *testing.F) fs.FS {
	f.Helper()
	dir := fstest.MapFS{}
	for _, name := range []string{"files/app.yaml", "files/answer.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		dir[name] = &fstest.MapFile{Data: data}
	}
	kubeconfig, err := fs.ReadFile(scenarios.Builtin(), "kubeconfig-context/kubeconfig.yaml")
	if err != nil {
		f.Fatal(err)
	}
	dir["kubeconfig.yaml"] = &fstest.MapFile{Data: kubeconfig}
	return dir
}

// FuzzParse: Parse never panics; it returns a scenario, or a *LoadError
// whose every problem has a message and no negative line.
func FuzzParse(f *testing.F) {
	seeds := 0
	err := fs.WalkDir(scenarios.Builtin(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(p) != scenarios.FileName {
			return err
		}
		data, err := fs.ReadFile(scenarios.Builtin(), p)
		f.Add(data)
		seeds++
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		seeds++
	}
	// Odd inputs: aliases, merge keys, alias bombs, templates, bytes.
	for _, odd := range []string{
		"",
		"---\n---\n",
		"null",
		"[]",
		"{}",
		"\xff\xfe\x00",
		"{{",
		"{{ .Nodes }}",
		"{{ range 3 }}x{{ end }}",
		"{{ define \"a\" }}{{ template \"a\" }}{{ end }}{{ template \"a\" }}",
		"a: &a {b: 1}\nc: *a\n",
		"checks:\n- &c {id: a, title: t, points: 1, match: {apiVersion: v1, kind: Pod}}\n- *c\n",
		"checks:\n- id: a\n  <<: {title: t, points: 1}\n  match: &m {apiVersion: v1, kind: Pod}\n- {id: b, title: t, points: 1, match: {<<: *m, name: x}}\n",
		"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
		"checks: [{id: a, id: b, match: x, match: y}]\n",
		"? [a]\n: b\n? [a]\n: c\n",
		"setup: [{apply: {file: ../../etc/passwd}}, {writeFile: {path: /x, from: /etc/passwd}}]\n",
		"timeout: [1]\nchecks: [{timeout: {a: b}}]\n",
		strings.Repeat("[", 500) + strings.Repeat("]", 500),
		"vars: {a: []}\ntitle: '{{ .Vars.a }}'\n",
	} {
		f.Add([]byte(odd))
	}
	if seeds < 7+len(files) || len(files) == 0 {
		f.Fatalf("only %d seeds", seeds)
	}
	dir := fuzzDir(f)
	l := loader()
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := l.Parse("fuzz.yaml", data, dir, scenarios.DefaultTemplateData())
		if err == nil {
			if s == nil {
				t.Fatal("no scenario and no error")
			}
			if len(s.Checks) == 0 || s.Points() < 1 {
				t.Fatalf("a scenario without checks loaded: %+v", s.File)
			}
			return
		}
		if s != nil {
			t.Errorf("a scenario with an error: %v", err)
		}
		var le *scenarios.LoadError
		if !errors.As(err, &le) {
			t.Fatalf("error %T %q, want a *LoadError", err, err)
		}
		if le.Path != "fuzz.yaml" || len(le.Problems) == 0 {
			t.Fatalf("LoadError %+v", le)
		}
		for _, p := range le.Problems {
			if p.Msg == "" || p.Line < 0 {
				t.Errorf("problem %+v: want a message and a line >= 0", p)
			}
		}
		if le.Error() == "" {
			t.Error("empty error text")
		}
	})
}
