package scenarios_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ckalab/ckalab/content"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios"
)

var builtinIDs = []string{
	"daemonset-everywhere",
	"drain-worker",
	"kubeconfig-context",
	"local-storage",
	"quota-vs-limitrange",
	"rbac-deployer",
	"taint-toleration",
}

func builtinCatalog(t *testing.T) *scenarios.Catalog {
	t.Helper()
	c, err := scenarios.NewCatalog(loader(), scenarios.Source{Name: "builtin", FS: scenarios.Builtin()})
	if err != nil {
		t.Fatalf("NewCatalog: %v", err)
	}
	return c
}

func TestBuiltinIDs(t *testing.T) {
	c := builtinCatalog(t)
	if got := c.IDs(); !reflect.DeepEqual(got, builtinIDs) {
		t.Errorf("IDs() = %v, want %v", got, builtinIDs)
	}
	// every folder of the embedded tree is a scenario
	dirs, err := fs.ReadDir(scenarios.Builtin(), ".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dirs {
		if d.IsDir() {
			names = append(names, d.Name())
		}
	}
	if !reflect.DeepEqual(names, builtinIDs) {
		t.Errorf("builtin folders %v, want %v", names, builtinIDs)
	}
}

func TestBuiltinScenarios(t *testing.T) {
	c := builtinCatalog(t)
	for _, id := range builtinIDs {
		t.Run(id, func(t *testing.T) {
			if !c.Has(id) {
				t.Fatalf("Has(%q) = false", id)
			}
			s, err := c.Load(id, scenarios.DefaultTemplateData())
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if s.ID != id {
				t.Errorf("id %q, want the folder's name %q", s.ID, id)
			}
			if want := "builtin/" + id + "/scenario.yaml"; s.Path != want {
				t.Errorf("Path %q, want %q", s.Path, want)
			}
			if _, ok := scenarios.DomainWeights()[s.Domain]; !ok {
				t.Errorf("domain %q", s.Domain)
			}
			if len(s.Hints) < 1 {
				t.Error("no hints")
			}
			for i, h := range s.Hints {
				if strings.TrimSpace(h) == "" {
					t.Errorf("hint %d is empty", i)
				}
			}
			if strings.TrimSpace(s.Solution.Explain) == "" || len(s.Solution.Steps) == 0 {
				t.Errorf("solution without explain or steps: %+v", s.Solution)
			}
			if len(s.Alternatives) < 1 {
				t.Errorf("%d alternatives, want 1 or more", len(s.Alternatives))
			}
			if len(s.Wrong) < 2 {
				t.Errorf("%d wrong answers, want 2 or more", len(s.Wrong))
			}
			for _, v := range append(append([]scenarios.Variant(nil), s.Alternatives...), s.Wrong...) {
				if v.Name == "" || len(v.Steps) == 0 {
					t.Errorf("variant without a name or steps: %+v", v)
				}
			}
			if s.Lesson == "" {
				t.Error("no lesson")
			} else if l, err := content.Get(s.Lesson); err != nil {
				t.Errorf("lesson %q: %v", s.Lesson, err)
			} else if l.Slug != s.Lesson {
				t.Errorf("lesson %q is %q", s.Lesson, l.Slug)
			}
			if len(s.Checks) == 0 {
				t.Fatal("no checks")
			}
			seen := map[string]bool{}
			for _, ch := range s.Checks {
				if seen[ch.ID] {
					t.Errorf("check id %q twice", ch.ID)
				}
				seen[ch.ID] = true
				if ch.Points < 1 || ch.Title == "" || ch.Check == nil || ch.Timeout <= 0 {
					t.Errorf("check %q: points %d, title %q, timeout %v", ch.ID, ch.Points, ch.Title, ch.Timeout)
				}
			}
			if s.Points() < len(s.Checks) {
				t.Errorf("Points() = %d for %d checks", s.Points(), len(s.Checks))
			}
			if len(s.Needs()) == 0 {
				t.Error("needs nothing")
			}
			if strings.Contains(s.Task, "<no value>") || strings.Contains(s.Task, "{{") {
				t.Errorf("task not rendered: %q", s.Task)
			}
		})
	}
}

// The built-in scenarios render with any lab's node names.
func TestBuiltinScenariosOtherNodeNames(t *testing.T) {
	c := builtinCatalog(t)
	td := scenarios.TemplateData{
		Nodes:     lab.NodeNames{ControlPlane: "master-0", Worker: "w-17", Worker2: "w-18"},
		AnswerDir: "/tmp/answers",
	}
	all, err := c.LoadAll(td)
	if err != nil {
		t.Fatalf("LoadAll: %v", err)
	}
	if len(all) != len(builtinIDs) {
		t.Fatalf("%d scenarios, want %d", len(all), len(builtinIDs))
	}
	byID := map[string]*scenarios.Scenario{}
	for _, s := range all {
		byID[s.ID] = s
		if strings.Contains(s.Task, "ckalab-worker") || strings.Contains(s.Task, "ckalab-control-plane") {
			t.Errorf("%s: default node names in the task: %q", s.ID, s.Task)
		}
	}
	for id, want := range map[string]string{
		"taint-toleration":     "w-17",
		"drain-worker":         "w-17",
		"daemonset-everywhere": "master-0",
		"kubeconfig-context":   "/tmp/answers/kubeconfig.yaml",
	} {
		if !strings.Contains(byID[id].Task, want) {
			t.Errorf("%s: task does not mention %q: %q", id, want, byID[id].Task)
		}
	}
}

func scenarioFile(id string) string {
	data, err := os.ReadFile(filepath.Join("testdata", "valid-minimal.yaml"))
	if err != nil {
		panic(err)
	}
	return strings.Replace(string(data), "id: minimal", "id: "+id, 1)
}

func TestNewCatalogDuplicateID(t *testing.T) {
	a := fstest.MapFS{
		"shared/scenario.yaml": {Data: []byte(scenarioFile("shared"))},
		"only-a/scenario.yaml": {Data: []byte(scenarioFile("only-a"))},
	}
	b := fstest.MapFS{
		"shared/scenario.yaml": {Data: []byte(scenarioFile("shared"))},
		"only-b/scenario.yaml": {Data: []byte(scenarioFile("only-b"))},
	}
	c, err := scenarios.NewCatalog(loader(), scenarios.Source{Name: "course-a", FS: a}, scenarios.Source{Name: "course-b", FS: b})
	if err == nil {
		t.Fatal("NewCatalog succeeded, want an error for the duplicate id")
	}
	for _, want := range []string{`"shared"`, "course-a", "course-b"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if c == nil {
		t.Fatal("no catalog with the error")
	}
	if got, want := c.IDs(), []string{"only-a", "only-b", "shared"}; !reflect.DeepEqual(got, want) {
		t.Errorf("IDs() = %v, want %v", got, want)
	}
	// the first source wins
	s, err := c.Load("shared", scenarios.DefaultTemplateData())
	if err != nil {
		t.Fatal(err)
	}
	if s.Path != filepath.Join("course-a", "shared", "scenario.yaml") {
		t.Errorf("Path %q, want course-a's", s.Path)
	}
}

func TestNewCatalogBuiltinClash(t *testing.T) {
	mine := fstest.MapFS{"drain-worker/scenario.yaml": {Data: []byte(scenarioFile("drain-worker"))}}
	_, err := scenarios.NewCatalog(loader(), scenarios.Source{Name: "builtin", FS: scenarios.Builtin()}, scenarios.Source{Name: "/home/me/labs", FS: mine})
	if err == nil || !strings.Contains(err.Error(), `scenario "drain-worker" is in both builtin and /home/me/labs`) {
		t.Errorf("error %v", err)
	}
}

func TestCatalogLoadUnknownID(t *testing.T) {
	c := builtinCatalog(t)
	tests := []struct {
		id      string
		want    []string
		notWant []string
	}{
		{"taint", []string{`no scenario "taint"`, "did you mean taint-toleration?"}, nil},
		{"drain", []string{"did you mean drain-worker?"}, []string{"taint-toleration"}},
		{"local", []string{"did you mean local-storage?"}, nil},
		{"e", []string{"did you mean", "daemonset-everywhere", "drain-worker"}, nil},
		{"rbac-deployer-2", []string{"did you mean rbac-deployer?"}, nil},
		{"networkpolicy", []string{`no scenario "networkpolicy"`, "`ckalab list` shows them"}, []string{"did you mean"}},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			if c.Has(tc.id) {
				t.Fatalf("Has(%q) = true", tc.id)
			}
			s, err := c.Load(tc.id, scenarios.DefaultTemplateData())
			if err == nil {
				t.Fatalf("Load = %v, want an error", s.ID)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error %q contains %q", err, w)
				}
			}
		})
	}
}

func TestCatalogFolderMustMatchID(t *testing.T) {
	src := fstest.MapFS{
		"right/scenario.yaml":  {Data: []byte(scenarioFile("right"))},
		"wrong/scenario.yaml":  {Data: []byte(scenarioFile("other"))},
		"broken/scenario.yaml": {Data: []byte(strings.Replace(scenarioFile("broken"), "minutes: 1", "minutes: 0", 1))},
		"notes.txt":            {Data: []byte("not a scenario")},
		"empty-dir/README":     {Data: []byte("no scenario.yaml here")},
	}
	c, err := scenarios.NewCatalog(loader(), scenarios.Source{Name: "mine", FS: src})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.IDs(), []string{"broken", "right", "wrong"}; !reflect.DeepEqual(got, want) {
		t.Errorf("IDs() = %v, want %v", got, want)
	}
	_, err = c.Load("wrong", scenarios.DefaultTemplateData())
	le := loadError(t, err)
	if want := filepath.Join("mine", "wrong", "scenario.yaml") + `: id: got "other", want the folder's name "wrong"`; le.Error() != want {
		t.Errorf("got %q, want %q", le, want)
	}
	all, err := c.LoadAll(scenarios.DefaultTemplateData())
	if len(all) != 1 || all[0].ID != "right" {
		t.Errorf("LoadAll loaded %d scenarios, want only right", len(all))
	}
	if err == nil {
		t.Fatal("LoadAll: no error")
	}
	for _, want := range []string{
		filepath.Join("mine", "broken", "scenario.yaml") + ":9: minutes: got 0, want 1 to 60",
		filepath.Join("mine", "wrong", "scenario.yaml") + ": id:",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("LoadAll error %q does not contain %q", err, want)
		}
	}
}

func TestDirSource(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "on-disk")
	if err := os.MkdirAll(filepath.Join(folder, "files"), 0o755); err != nil {
		t.Fatal(err)
	}
	data := strings.Replace(scenarioFile("on-disk"), "  - apply:\n      manifest: |\n        apiVersion: v1\n        kind: Namespace\n        metadata: {name: demo}\n",
		"  - apply: {file: files/ns.yaml}\n", 1)
	if err := os.WriteFile(filepath.Join(folder, scenarios.FileName), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "files", "ns.yaml"), []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := scenarios.DirSource(dir)
	if src.Name != dir {
		t.Errorf("Name %q", src.Name)
	}
	c, err := scenarios.NewCatalog(loader(), scenarios.Source{Name: "builtin", FS: scenarios.Builtin()}, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.IDs()) != len(builtinIDs)+1 {
		t.Errorf("IDs() = %v", c.IDs())
	}
	s, err := c.Load("on-disk", scenarios.DefaultTemplateData())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.Path != filepath.Join(dir, "on-disk", "scenario.yaml") {
		t.Errorf("Path %q", s.Path)
	}
	if s.Solution.Steps[0].Apply.File != "files/ns.yaml" {
		t.Errorf("steps %+v", s.Solution.Steps)
	}
}
