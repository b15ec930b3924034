package steps_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ckalab/ckalab/internal/simtest"
	"github.com/ckalab/ckalab/scenarios/steps"
	"gopkg.in/yaml.v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestWriteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := fstest.MapFS{"files/kubeconfig": {Data: []byte("apiVersion: v1\nkind: Config\n")}}
	env := steps.Env{Files: files, AnswerDir: dir}

	got := run(t, env, step(t, "writeFile: {path: notes/answer.txt, content: \"hello\\n\"}"))
	dst := filepath.Join(dir, "notes", "answer.txt")
	if !equal(got, []string{"wrote " + dst}) {
		t.Errorf("changed %q", got)
	}
	data, err := os.ReadFile(dst)
	if err != nil || string(data) != "hello\n" {
		t.Errorf("content %q, %v", data, err)
	}
	if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600", fi.Mode(), err)
	}

	s, node := parse(t, "writeFile: {path: kube/config, from: files/kubeconfig}")
	if ps, _ := s.Validate("setup[0]", node, files); len(ps) > 0 {
		t.Errorf("problems %v", ps)
	}
	run(t, env, s)
	data, err = os.ReadFile(filepath.Join(dir, "kube", "config"))
	if err != nil || string(data) != "apiVersion: v1\nkind: Config\n" {
		t.Errorf("copied %q, %v", data, err)
	}

	// Overwriting is fine.
	run(t, env, step(t, "writeFile: {path: notes/answer.txt, content: bye}"))
	if data, _ := os.ReadFile(dst); string(data) != "bye" {
		t.Errorf("overwritten content %q", data)
	}

	for _, tc := range []struct {
		env  steps.Env
		spec steps.WriteFile
		want string
	}{
		{env, steps.WriteFile{Path: "../escape.txt", Content: "x"}, `"../escape.txt" must be a relative path`},
		{env, steps.WriteFile{Path: "/tmp/abs.txt", Content: "x"}, "must be a relative path"},
		{env, steps.WriteFile{Path: "a.txt", From: "../../etc/passwd"}, "must be a relative path"},
		{env, steps.WriteFile{Path: "a.txt", From: "files/none"}, "read files/none"},
		{steps.Env{Files: files}, steps.WriteFile{Path: "a.txt", Content: "x"}, "no answer folder"},
		{steps.Env{AnswerDir: dir}, steps.WriteFile{Path: "a.txt", From: "files/kubeconfig"}, "the scenario has no folder"},
	} {
		_, err := steps.Spec{Action: &tc.spec}.Run(context.Background(), tc.env)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want %q", tc.spec, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape.txt")); err == nil {
		t.Error("a file was written outside the answer folder")
	}
}

func TestRunAllStepError(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ctx := context.Background()
	ns := newNS(t, c)
	dir := t.TempDir()
	env := steps.Env{Cluster: c, AnswerDir: dir}

	list := []steps.Spec{
		step(t, "writeFile: {path: a.txt, content: a}"),
		step(t, fmt.Sprintf("apply: {manifest: '{apiVersion: v1, kind: ConfigMap, metadata: {name: cfg, namespace: %s}}'}", ns)),
		step(t, fmt.Sprintf("patch: {apiVersion: v1, kind: ConfigMap, name: missing, namespace: %s, patch: {data: {a: b}}}", ns)),
		step(t, "writeFile: {path: never.txt, content: x}"),
	}
	changed, err := steps.RunAll(ctx, env, list)
	wantChanged := []string{"wrote " + filepath.Join(dir, "a.txt"), "applied ConfigMap " + ns + "/cfg"}
	if !equal(changed, wantChanged) {
		t.Errorf("changed %q, want %q", changed, wantChanged)
	}
	var se *steps.StepError
	if !errors.As(err, &se) {
		t.Fatalf("err %T %v, want a *StepError", err, err)
	}
	if se.Step != 3 || se.Action != "patch" || !equal(se.Changed, wantChanged) {
		t.Errorf("step error %+v", se)
	}
	if !apierrors.IsNotFound(err) {
		t.Errorf("the API error is not reachable through the StepError: %v", se.Err)
	}
	want := fmt.Sprintf("step 3 (patch): patch ConfigMap %s/missing: configmaps \"missing\" not found\nalready changed: wrote %s; applied ConfigMap %s/cfg",
		ns, filepath.Join(dir, "a.txt"), ns)
	if err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "never.txt")); err == nil {
		t.Error("a step after the failure ran")
	}

	// A step that fails part way reports what it changed itself.
	changed, err = steps.RunAll(ctx, env, []steps.Spec{{Action: &steps.Apply{Manifest: fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
metadata: {name: one, namespace: %[1]s}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: invalid, namespace: %[1]s}
spec: {replicas: 1}
`, ns)}}})
	if !errors.As(err, &se) || se.Step != 1 || se.Action != "apply" {
		t.Fatalf("err %v", err)
	}
	if !equal(changed, []string{"applied ConfigMap " + ns + "/one"}) || !strings.Contains(err.Error(), "apply Deployment "+ns+"/invalid") ||
		!strings.HasSuffix(err.Error(), "\nalready changed: applied ConfigMap "+ns+"/one") {
		t.Errorf("changed %q, err %v", changed, err)
	}
	if _, err := c.Kube.CoreV1().ConfigMaps(ns).Get(ctx, "one", metav1.GetOptions{}); err != nil {
		t.Errorf("first document not applied: %v", err)
	}

	// Nothing changed before the first step.
	changed, err = steps.RunAll(ctx, env, []steps.Spec{{}})
	if len(changed) != 0 || err == nil || err.Error() != "step 1 (): empty step\nnothing was changed" {
		t.Errorf("changed %q, err %v", changed, err)
	}
	if changed, err := steps.RunAll(ctx, env, nil); err != nil || len(changed) != 0 {
		t.Errorf("no steps: %q, %v", changed, err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	files := fstest.MapFS{
		"m/ok.yaml":  {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")},
		"m/bad.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\n")},
		"f.txt":      {Data: []byte("x")},
	}
	for _, tc := range []struct {
		src  string
		want []string // "path: message fragment", each must be found; none means valid
	}{
		{"show: kubectl get pods", []string{"step: no action: want one of apply, patch, delete, wait, drain, taint, writeFile, nodeFile, nodeService, nodeCommand"}},
		{"{apply: {file: m/ok.yaml}, drain: {node: n}}", []string{"step: more than one action in one step"}},
		{"apply: {}", []string{"step.apply: set exactly one of manifest and file"}},
		{"apply: {manifest: 'apiVersion: v1', file: m/ok.yaml}", []string{"step.apply: set exactly one of manifest and file"}},
		{"apply: {file: m/ok.yaml}", nil},
		{"apply: {file: m/bad.yaml}", []string{"step.apply.file: document 1: missing metadata.name"}},
		{"apply: {file: m/none.yaml}", []string{"step.apply.file: read m/none.yaml"}},
		{"apply: {file: ../m/ok.yaml}", []string{"step.apply.file: \"../m/ok.yaml\" must be a relative path"}},
		{"apply: {manifest: 'kind: ConfigMap'}", []string{"step.apply.manifest: document 1: missing apiVersion, metadata.name"}},
		{"apply: {manifest: '# nothing'}", []string{"step.apply.manifest: no objects"}},
		{"patch: {patch: {a: 1}}", []string{"step.patch.apiVersion: required", "step.patch.kind: required", "step.patch.name: required"}},
		{"patch: {apiVersion: v1, kind: Pod, name: p, type: xml, patch: {a: 1}}", []string{`step.patch.type: got "xml", want strategic, merge or json`}},
		{"patch: {apiVersion: v1, kind: Pod, name: p}", []string{"step.patch.patch: required"}},
		{"patch: {apiVersion: v1, kind: Pod, name: p, type: json, patch: [{op: remove, path: /a}]}", nil},
		{"delete: {apiVersion: v1, kind: Pod}", []string{"step.delete.name: required"}},
		{"delete: {apiVersion: v1, kind: Pod, labels: {a: b}}", nil},
		{"delete: {kind: Pod, name: p}", []string{"step.delete.apiVersion: required"}},
		{"wait: {apiVersion: v1, kind: Pod, name: p}", []string{"step.wait.for: required"}},
		{"wait: {apiVersion: v1, kind: Pod, name: p, for: 'object.status.phase =='}", []string{"step.wait.for: "}},
		{"wait: {apiVersion: v1, kind: Pod, name: p, for: 'object.metadata.name + 1'}", []string{"step.wait.for: "}},
		{"wait: {apiVersion: v1, kind: Pod, name: p, for: 'other == 1'}", []string{"step.wait.for: ", "undeclared reference"}},
		{"wait: {apiVersion: v1, kind: Pod, labels: {a: b}, for: 'objects.size() > 0'}", nil},
		{"wait: {apiVersion: v1, kind: Pod, for: 'true'}", []string{"step.wait.name: required"}},
		{"drain: {}", []string{"step.drain.node: required"}},
		{"drain: {node: n, timeout: 30s}", nil},
		{"taint: {}", []string{"step.taint.node: required", "step.taint.key: required", "step.taint.effect: required"}},
		{"taint: {node: n, key: k, effect: Sometimes}", []string{`step.taint.effect: got "Sometimes"`}},
		{"taint: {node: n, key: k, remove: true}", nil},
		{"taint: {node: n, key: k, effect: NoExecute, remove: true}", nil},
		{"writeFile: {path: a.txt}", []string{"step.writeFile: set exactly one of content and from"}},
		{"writeFile: {path: a.txt, content: x, from: f.txt}", []string{"step.writeFile: set exactly one of content and from"}},
		{"writeFile: {content: x}", []string{"step.writeFile.path: required"}},
		{"writeFile: {path: /abs, content: x}", []string{"step.writeFile.path: \"/abs\" must be a relative path"}},
		{"writeFile: {path: a.txt, from: none.txt}", []string{"step.writeFile.from: read none.txt"}},
		{"writeFile: {path: sub/a.txt, from: f.txt}", nil},
	} {
		s, node := parse(t, tc.src)
		ps, _ := s.Validate("step", node, files)
		var got []string
		for _, p := range ps {
			got = append(got, p.Path+": "+p.Msg)
			if p.Line == 0 {
				t.Errorf("%s: problem %q has no line", tc.src, p)
			}
		}
		if len(tc.want) == 0 && len(ps) > 0 {
			t.Errorf("%s: problems %q, want none", tc.src, got)
		}
		if len(tc.want) > 0 && len(ps) == 0 {
			t.Errorf("%s: no problems, want %q", tc.src, tc.want)
		}
		for _, w := range tc.want {
			if !strings.Contains(strings.Join(got, "\n"), w) {
				t.Errorf("%s: problems %q, want %q", tc.src, got, w)
			}
		}
	}

	// Problems point at the line of the action.
	s, node := parse(t, "# a step\ntaint:\n  node: n\n  key: k\n")
	ps, _ := s.Validate("setup[2]", node, nil)
	if len(ps) != 1 || ps[0].Line != 3 || ps[0].Path != "setup[2].taint.effect" {
		t.Errorf("problems %v, want one at line 3, setup[2].taint.effect", ps)
	}

	// A bad duration is a problem of the step's YAML: Validate reports it
	// (the scenario loader with the rest), and yaml.v3 keeps the step.
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("delete: {apiVersion: v1, kind: Pod, name: p, timeout: soon}"), &doc); err != nil {
		t.Fatal(err)
	}
	var bad steps.Spec
	if err := doc.Content[0].Decode(&bad); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if ps, _ := bad.Validate("step", doc.Content[0], nil); len(ps) != 1 || ps[0].Path != "step.delete.timeout" || !strings.Contains(ps[0].Msg, `got "soon", want a duration`) {
		t.Errorf("bad duration: problems %v", ps)
	}
}
