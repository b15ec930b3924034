package scenarios_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/ckalab/ckalab/content"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/steps"
)

var builtinIDs = []string{
	"admission-policy-denied",
	"configmap-secret-config",
	"controlplane-broken",
	"coredns-broken",
	"crd-custom-resource",
	"crd-validation-versions",
	"crictl-inspect",
	"csr-user-access",
	"daemonset-everywhere",
	"default-storageclass",
	"deployment-not-rolling-out",
	"deployment-quota-blocked",
	"deployment-rolling-strategy",
	"drain-worker",
	"etcd-backup",
	"etcd-restore",
	"gateway-httproute",
	"hpa-autoscale",
	"hpa-behavior",
	"ingress-rules",
	"job-cronjob",
	"job-failing",
	"kubeadm-certs",
	"kubeadm-ha-config",
	"kubeconfig-context",
	"kubelet-broken",
	"kustomize-generators",
	"kustomize-overlay",
	"local-storage",
	"metrics-server",
	"netpol-cross-namespace",
	"netpol-deny-ingress",
	"node-affinity-spread",
	"node-notready",
	"pdb-blocks-drain",
	"pod-anti-affinity",
	"pod-connectivity",
	"pod-pending",
	"pod-security-restricted",
	"priority-preemption",
	"pv-reclaim-access",
	"pv-static-binding",
	"pvc-access-modes-storageclass",
	"pvc-expand",
	"pvc-pending",
	"quota-vs-limitrange",
	"rbac-aggregate-view",
	"rbac-cluster-reader",
	"rbac-deployer",
	"rbac-forbidden",
	"rollout-rollback",
	"runtimeclass-handler",
	"secret-volume-env",
	"service-external-endpoints",
	"service-loadbalancer",
	"service-no-endpoints",
	"service-nodeport",
	"serviceaccount-no-token",
	"sidecar-init-containers",
	"statefulset-headless",
	"static-pod",
	"storageclass-binding-mode",
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

// The built-in scenarios render with any lab's node names and course
// folder (an exam's task 7).
func TestBuiltinScenariosOtherNodeNames(t *testing.T) {
	c := builtinCatalog(t)
	td := scenarios.TemplateData{
		Nodes:     lab.NodeNames{ControlPlane: "master-0", Worker: "w-17", Worker2: "w-18"},
		AnswerDir: "/tmp/answers",
		Course:    "/opt/course/7",
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
		if strings.Count(s.Task, "/opt/course/") != strings.Count(s.Task, "/opt/course/7/") {
			t.Errorf("%s: a course folder other than {{ .Course }} in the task: %q", s.ID, s.Task)
		}
	}
	for id, want := range map[string]string{
		"taint-toleration":     "w-17",
		"drain-worker":         "w-17",
		"daemonset-everywhere": "master-0",
		"kubeconfig-context":   "/tmp/answers/kubeconfig.yaml",
		"static-pod":           "w-17",
		"controlplane-broken":  "master-0",
		"kubelet-broken":       "w-18",
		"node-notready":        "w-18",
		"crictl-inspect":       "`/opt/course/7/container-id`",
		"kubeadm-certs":        "`/opt/course/7/expiry`",
		"etcd-backup":          "`/opt/course/7/etcd-snapshot.db`",
	} {
		if !strings.Contains(byID[id].Task, want) {
			t.Errorf("%s: task does not mention %q: %q", id, want, byID[id].Task)
		}
	}
}

// TestNoHardCodedCourseFolder: the built-in and draft scenarios, and the
// files they ship, name their folder on the nodes {{ .Course }}: a task's
// number differs from exam to exam, and in practice it is the scenario's
// id. Only comments may speak of /opt/course/.
func TestNoHardCodedCourseFolder(t *testing.T) {
	for _, tree := range []fs.FS{scenarios.Builtin(), os.DirFS("drafts")} {
		err := fs.WalkDir(tree, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(tree, p)
			if err != nil {
				return err
			}
			for i, line := range strings.Split(string(data), "\n") {
				if !strings.HasPrefix(strings.TrimSpace(line), "#") && strings.Contains(line, "/opt/course") {
					t.Errorf("%s:%d: write {{ .Course }} for the task's course folder: %s", p, i+1, strings.TrimSpace(line))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
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
		{"drain", []string{"did you mean drain-worker, pdb-blocks-drain?"}, []string{"taint-toleration"}},
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
	if a, ok := s.Solution.Steps[0].Action.(*steps.Apply); !ok || a.File != "files/ns.yaml" {
		t.Errorf("steps %+v", s.Solution.Steps)
	}
}

// hostileFolder writes a scenario folder whose solution's step is step
// (instead of the inline namespace), and its other files (a value "->x"
// is a symlink to x; "|fifo" a named pipe). It returns the folder.
func hostileFolder(t *testing.T, src, id, step string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(src, id)
	data := scenarioFile(id)
	if step != "" {
		data = strings.Replace(data, "  - apply:\n      manifest: |\n        apiVersion: v1\n        kind: Namespace\n        metadata: {name: demo}\n", "  - "+step+"\n", 1)
	}
	files[scenarios.FileName] = data
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasPrefix(content, "->"):
			err = os.Symlink(strings.TrimPrefix(content, "->"), p)
		case content == "|fifo":
			if err = syscall.Mkfifo(p, 0o644); err != nil {
				t.Skipf("no named pipe: %v", err)
			}
		default:
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const nsManifest = "apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n"

// outsideFolder is a folder of files outside any scenario folder: what a
// symlink must not reach (a manifest, and the lab CA's key).
func outsideFolder(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "outside")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"ns.yaml": nsManifest, "ca.key": "-----BEGIN PRIVATE KEY-----\nsecret\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// bigFile writes size bytes: a scenario-like head, then comment lines.
func bigFile(t *testing.T, p, head string, size int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	line := "# " + strings.Repeat("padding ", 12) + "\n"
	data := make([]byte, 0, size)
	data = append(data, head...)
	for len(data)+len(line) <= size {
		data = append(data, line...)
	}
	data = append(data, strings.Repeat("#", size-len(data))...)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Files too large are refused without being read, naming the file, its
// size and the limit.
func TestHostileLargeFiles(t *testing.T) {
	const size = 50 << 20
	src := t.TempDir()
	big := filepath.Join(src, "big", scenarios.FileName)
	bigFile(t, big, scenarioFile("big"), size)
	hostileFolder(t, src, "big-ref", "apply: {file: files/big.yaml}", map[string]string{})
	bigFile(t, filepath.Join(src, "big-ref", "files", "big.yaml"), nsManifest, size)

	var c *scenarios.Catalog
	var err error
	scenarios.CheckBounded(t, func() { c, err = scenarios.NewCatalog(loader(), scenarios.DirSource(src)) })
	if want := big + ": the file is 52428800 bytes, more than the limit of 1 MiB"; err == nil || err.Error() != want {
		t.Errorf("NewCatalog: %v, want %s", err, want)
	}
	if got := c.IDs(); !reflect.DeepEqual(got, []string{"big-ref"}) {
		t.Errorf("IDs() = %v", got)
	}
	scenarios.CheckBounded(t, func() { _, err = loader().ParseFile(big, scenarios.DefaultTemplateData()) })
	if want := big + ": the file is 52428800 bytes, more than the limit of 1 MiB"; err == nil || err.Error() != want {
		t.Errorf("ParseFile: %v, want %s", err, want)
	}
	scenarios.CheckBounded(t, func() { _, err = c.Load("big-ref", scenarios.DefaultTemplateData()) })
	want := filepath.Join(src, "big-ref", scenarios.FileName) + ":20: solution.steps[0].apply.file: read files/big.yaml: 52428800 bytes, more than the limit of 4 MiB"
	if err == nil || err.Error() != want {
		t.Errorf("Load: %v\nwant %s", err, want)
	}
	// One file referred to again and again: what validation reads is
	// bounded too.
	refs := strings.TrimSuffix(strings.Repeat("apply: {file: files/ns.yaml}\n  - ", 200), "\n  - ")
	hostileFolder(t, src, "many-refs", refs, map[string]string{})
	bigFile(t, filepath.Join(src, "many-refs", "files", "ns.yaml"), nsManifest, 1<<20)
	c, err = scenarios.NewCatalog(loader(), scenarios.DirSource(src))
	if err == nil {
		t.Fatal("no error for big")
	}
	scenarios.CheckBounded(t, func() { _, err = c.Load("many-refs", scenarios.DefaultTemplateData()) })
	le := loadError(t, err)
	if len(le.Problems) < 150 {
		t.Errorf("%d problems, want one for each step after the budget ran out", len(le.Problems))
	}
	if want := "read files/ns.yaml: the files the scenario refers to add up to more than 16 MiB (limit; a file counts each time it is read, up to 3 times a step)"; !strings.HasSuffix(le.Problems[len(le.Problems)-1].Msg, want) {
		t.Errorf("last problem %v, want %s", le.Problems[len(le.Problems)-1], want)
	}
	if err := os.RemoveAll(filepath.Join(src, "many-refs")); err != nil {
		t.Fatal(err)
	}
	// At the limits, they are read.
	bigFile(t, big, scenarioFile("big"), scenarios.MaxScenarioSize)
	bigFile(t, filepath.Join(src, "big-ref", "files", "big.yaml"), nsManifest, scenarios.MaxFileSize)
	scenarios.CheckBounded(t, func() { c, err = scenarios.NewCatalog(loader(), scenarios.DirSource(src)) })
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range c.IDs() {
		scenarios.CheckBounded(t, func() { _, err = c.Load(id, scenarios.DefaultTemplateData()) })
		if err != nil {
			t.Errorf("Load(%s): %v", id, err)
		}
	}
}

// Symlinks that leave a scenario's folder are refused, when the catalog
// is made, when a scenario is loaded or validated, and when a step runs;
// those that stay inside work.
func TestHostileSymlinks(t *testing.T) {
	outside := outsideFolder(t)
	src := t.TempDir()
	const leaves = "a symlink that leaves the scenario folder"
	tests := []struct {
		id    string
		step  string
		files map[string]string
		want  string // the problem, after file:; "": it loads
	}{
		{"file-out", "apply: {file: files/ns.yaml}", map[string]string{"files/ns.yaml": "->" + filepath.Join(outside, "ns.yaml")},
			"20: solution.steps[0].apply.file: read files/ns.yaml: " + leaves},
		{"folder-out", "apply: {file: files/ns.yaml}", map[string]string{"files": "->" + outside},
			"20: solution.steps[0].apply.file: read files/ns.yaml: " + leaves},
		{"relative-out", "apply: {file: files/ns.yaml}", map[string]string{"files/ns.yaml": "->../../inside/manifests/ns.yaml"},
			"20: solution.steps[0].apply.file: read files/ns.yaml: " + leaves},
		{"ca-key", "writeFile: {path: ca.key, from: files/ca.key}", map[string]string{"files/ca.key": "->" + filepath.Join(outside, "ca.key")},
			"20: solution.steps[0].writeFile.from: read files/ca.key: " + leaves},
		{"fifo", "apply: {file: files/ns.yaml}", map[string]string{"files/ns.yaml": "|fifo"},
			"20: solution.steps[0].apply.file: read files/ns.yaml: files/ns.yaml is not a regular file (p---------)"},
		{"inside", "apply: {file: files/ns.yaml}", map[string]string{"manifests/ns.yaml": nsManifest, "files/ns.yaml": "->../manifests/ns.yaml"}, ""},
		{"inside-folder", "apply: {file: files/ns.yaml}", map[string]string{"manifests/ns.yaml": nsManifest, "files": "->manifests"}, ""},
	}
	for _, tc := range tests {
		hostileFolder(t, src, tc.id, tc.step, tc.files)
	}
	// A scenario folder, or a scenario.yaml, that is a symlink out.
	elsewhere := t.TempDir()
	hostileFolder(t, elsewhere, "folder", "", map[string]string{})
	if err := os.Symlink(filepath.Join(elsewhere, "folder"), filepath.Join(src, "folder")); err != nil {
		t.Fatal(err)
	}
	hostileFolder(t, elsewhere, "file", "", map[string]string{})
	if err := os.MkdirAll(filepath.Join(src, "file"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(elsewhere, "file", scenarios.FileName), filepath.Join(src, "file", scenarios.FileName)); err != nil {
		t.Fatal(err)
	}

	var c *scenarios.Catalog
	var err error
	scenarios.CheckBounded(t, func() { c, err = scenarios.NewCatalog(loader(), scenarios.DirSource(src)) })
	want := strings.Join([]string{
		filepath.Join(src, "file", scenarios.FileName) + ": " + leaves,
		filepath.Join(src, "folder") + ": a symlink that leaves the folder of scenarios",
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("NewCatalog: %v\nwant %s", err, want)
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			file := filepath.Join(src, tc.id, scenarios.FileName)
			for _, load := range []struct {
				how  string
				load func() (*scenarios.Scenario, error)
			}{
				{"Load", func() (*scenarios.Scenario, error) { return c.Load(tc.id, scenarios.DefaultTemplateData()) }},
				{"ParseFile", func() (*scenarios.Scenario, error) { return loader().ParseFile(file, scenarios.DefaultTemplateData()) }},
			} {
				var s *scenarios.Scenario
				scenarios.CheckBounded(t, func() { s, err = load.load() })
				if tc.want != "" {
					if err == nil || err.Error() != file+":"+tc.want {
						t.Errorf("%s: %v\nwant %s:%s", load.how, err, file, tc.want)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", load.how, err)
				}
				if data, err := steps.ReadScenarioFile(s.Dir, "files/ns.yaml"); err != nil || string(data) != nsManifest {
					t.Errorf("%s: read %q, %v", load.how, data, err)
				}
			}
		})
	}

	// Loaded, then changed: the step refuses the symlink when it runs.
	s, err := c.Load("inside", scenarios.DefaultTemplateData())
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(src, "inside", "files", "ns.yaml")
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "ca.key"), link); err != nil {
		t.Fatal(err)
	}
	answers := t.TempDir()
	for _, st := range []steps.Spec{
		{Action: &steps.Apply{File: "files/ns.yaml"}},
		{Action: &steps.WriteFile{Path: "ca.key", From: "files/ns.yaml"}},
	} {
		_, err := st.Run(context.Background(), steps.Env{Files: s.Dir, AnswerDir: answers})
		if err == nil || err.Error() != "read files/ns.yaml: "+leaves {
			t.Errorf("%s: %v, want %q", st.Name(), err, leaves)
		}
	}
	if entries, _ := os.ReadDir(answers); len(entries) > 0 {
		t.Errorf("the answer folder has %v", entries)
	}
}

// A symlink planted in the answer folder cannot send a writeFile outside.
func TestWriteFileAnswerFolderSymlinks(t *testing.T) {
	outside := outsideFolder(t)
	answers := t.TempDir()
	for name, target := range map[string]string{
		"notes":      outside,
		"answer.txt": filepath.Join(outside, "ca.key"),
		"inside":     "notes-inside",
	} {
		if err := os.Symlink(target, filepath.Join(answers, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(answers, "notes-inside"), 0o700); err != nil {
		t.Fatal(err)
	}
	run := func(p string) error {
		st := steps.Spec{Action: &steps.WriteFile{Path: p, Content: "overwritten\n"}}
		_, err := st.Run(context.Background(), steps.Env{AnswerDir: answers})
		return err
	}
	for _, p := range []string{"notes/ns.yaml", "notes/new/deeper.txt", "answer.txt"} {
		want := "write " + filepath.Join(answers, p) + ": a symlink that leaves the answer folder"
		if err := run(p); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %s", p, err, want)
		}
	}
	for name, data := range map[string]string{"ns.yaml": nsManifest, "ca.key": "-----BEGIN PRIVATE KEY-----\nsecret\n"} {
		if got, err := os.ReadFile(filepath.Join(outside, name)); err != nil || string(got) != data {
			t.Errorf("outside %s: %q, %v", name, got, err)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "new")); err == nil {
		t.Error("a folder was made outside the answer folder")
	}
	// Inside, symlinks are followed.
	if err := run("inside/a.txt"); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(answers, "notes-inside", "a.txt")); err != nil || string(got) != "overwritten\n" {
		t.Errorf("inside: %q, %v", got, err)
	}
}
