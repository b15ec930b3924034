package checks_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckalab/ckalab/grader"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func writeAnswer(t *testing.T, env *grader.Env, name, content string) {
	t.Helper()
	p := filepath.Join(env.AnswerDir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func observe(chk grader.Check, env *grader.Env) grader.Observation {
	return chk.Observe(context.Background(), env)
}

func TestAnswerFileKubeconfig(t *testing.T) {
	// answerFile reads only the answer folder; it needs no lab.
	t.Parallel()
	env := &grader.Env{AnswerDir: t.TempDir()}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["prod"] = &clientcmdapi.Cluster{Server: "https://10.0.0.1:6443"}
	cfg.AuthInfos["jane"] = &clientcmdapi.AuthInfo{Token: "secret"}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: []byte("cert")}
	cfg.Contexts["jane@prod"] = &clientcmdapi.Context{Cluster: "prod", AuthInfo: "jane", Namespace: "team-a"}
	cfg.Contexts["admin@prod"] = &clientcmdapi.Context{Cluster: "prod", AuthInfo: "admin"}
	cfg.CurrentContext = "jane@prod"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeAnswer(t, env, "kube/config", string(data))

	ok := build(t, "answerFile", `
path: kube/config
format: kubeconfig
expect:
  currentContext: jane@prod
  contexts:
    jane@prod: {cluster: prod, user: jane, namespace: team-a}
  clusters:
    prod: {server: "https://10.0.0.1:6443"}
  users:
    jane: {hasToken: true, hasClientCertificate: false}
    admin: {hasClientCertificate: true}
expr:
- file.contexts.size() == 2
- "!has(file.contexts['admin@prod'].namespace)"
`)
	obs := observe(ok, env)
	if !obs.Passed {
		t.Fatalf("problems %q", obs.Problems)
	}
	if obs.Actual != "kube/config matches" {
		t.Errorf("actual %q", obs.Actual)
	}

	wrong := build(t, "answerFile", `
path: kube/config
format: kubeconfig
expect:
  currentContext: admin@prod
  contexts:
    jane@prod: {namespace: team-b}
`)
	obs = observe(wrong, env)
	if obs.Passed {
		t.Fatal("passed")
	}
	wantProblem(t, obs, "currentContext", `want "admin@prod", got "jane@prod"`)
	wantProblem(t, obs, "contexts.jane@prod.namespace", `want "team-b", got "team-a"`)
	if obs.Actual != "kube/config differs" {
		t.Errorf("actual %q", obs.Actual)
	}

	writeAnswer(t, env, "bad", "apiVersion: v1\nkind: Config\ncontexts: 12\n")
	bad := build(t, "answerFile", `{path: bad, format: kubeconfig}`)
	obs = observe(bad, env)
	wantProblem(t, obs, "bad is not valid kubeconfig")
}

func TestAnswerFileYAMLJSONText(t *testing.T) {
	t.Parallel()
	env := &grader.Env{AnswerDir: t.TempDir()}
	writeAnswer(t, env, "pods.yaml", `
items:
- {name: web-1, node: ckalab-worker, restarts: 0}
- {name: web-2, node: ckalab-worker2, restarts: 3}
total: 2
`)
	writeAnswer(t, env, "out.json", `{"count": 3, "names": ["c", "a", "b"], "cpu": "250m"}`)
	writeAnswer(t, env, "node.txt", "the answer is ckalab-worker2\n")

	y := build(t, "answerFile", `
path: pods.yaml
format: yaml
expect:
  total: 2
  items:
  - {name: web-2, restarts: 3}
  - {name: web-1}
expr: ["file.items.exists(i, i.restarts > 2)", "file.total == size(file.items)"]
`)
	if obs := observe(y, env); !obs.Passed {
		t.Errorf("yaml: problems %q", obs.Problems)
	}
	yOrdered := build(t, "answerFile", `
path: pods.yaml
format: yaml
ordered: [items]
expect: {items: [{name: web-2}, {name: web-1}]}
`)
	obs := observe(yOrdered, env)
	wantProblem(t, obs, "items[0].name", `want "web-2", got "web-1"`)

	j := build(t, "answerFile", `
path: out.json
format: json
expect: {count: 3, names: [a, b, c], cpu: "0.25"}
expr: ["file.count == 3.0", "file.names.size() == 3"]
`)
	if obs := observe(j, env); !obs.Passed {
		t.Errorf("json: problems %q", obs.Problems)
	}
	jWrong := build(t, "answerFile", `
path: out.json
format: json
expect: {count: 4}
expr: ["file.count > 10.0", "file.nope == 1"]
`)
	obs = observe(jWrong, env)
	if len(obs.Problems) != 3 {
		t.Errorf("problems %q, want 3", obs.Problems)
	}
	wantProblem(t, obs, "count: want 4, got 3")
	wantProblem(t, obs, "`file.count > 10.0` is false")
	wantProblem(t, obs, "`file.nope == 1`", "no such key")

	txt := build(t, "answerFile", `
path: node.txt
format: text
matches: '\bckalab-worker2\b'
expr: ["file.trim().endsWith('worker2')"]
`)
	if obs := observe(txt, env); !obs.Passed {
		t.Errorf("text: problems %q", obs.Problems)
	}
	txtWrong := build(t, "answerFile", `
path: node.txt
format: text
matches: '^ckalab-worker$'
`)
	obs = observe(txtWrong, env)
	if len(obs.Problems) != 1 || obs.Problems[0] != "text does not match /^ckalab-worker$/" {
		t.Errorf("problems %q", obs.Problems)
	}

	missing := build(t, "answerFile", `{path: sub/none.yaml, format: yaml}`)
	obs = observe(missing, env)
	want := filepath.Join(env.AnswerDir, "sub", "none.yaml") + " does not exist"
	if obs.Passed || len(obs.Problems) != 1 || obs.Problems[0] != want || obs.Actual != want {
		t.Errorf("actual %q, problems %q; want %q", obs.Actual, obs.Problems, want)
	}

	writeAnswer(t, env, "broken.json", `{"a": `)
	broken := build(t, "answerFile", `{path: broken.json, format: json}`)
	obs = observe(broken, env)
	wantProblem(t, obs, "broken.json is not valid json")

	for src, want := range map[string]string{
		`{path: /etc/passwd, format: text}`:         "answerFile.path: want a relative path",
		`{path: ../x, format: text}`:                "answerFile.path: want a relative path",
		`{path: x, format: toml}`:                   `answerFile.format: got "toml"`,
		`{path: x, format: text, expect: {a: 1}}`:   "answerFile.expect: a text file has no fields",
		`{path: x, format: text, matches: "(("}`:    "answerFile.matches",
		`{path: x, format: yaml, expr: ["file +"]}`: "answerFile.expr[0]",
	} {
		_, ps := buildProblems(t, "answerFile", src)
		if !hasProblem(ps, want) {
			t.Errorf("%s: problems %q, want %q", src, ps, want)
		}
	}
}
