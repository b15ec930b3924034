package checks_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ckalab/ckalab/grader"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// answerFile reads only the answer folder: Env has no cluster at all here,
// so a check that reached for one would panic.
func TestAnswerFileUnit(t *testing.T) {
	t.Parallel()
	env := &grader.Env{AnswerDir: t.TempDir()}
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(env.AnswerDir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("q1/pods.yaml", "items:\n- {name: web-1, restarts: 0}\n- {name: web-2, restarts: 3}\n")
	write("q2/count.json", `{"count": 3, "cpu": "250m"}`)
	write("q3/node.txt", "worker2\n")
	write("q4/broken.json", `{"count": `)
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["prod"] = &clientcmdapi.Cluster{Server: "https://10.0.0.1:6443"}
	cfg.AuthInfos["jane"] = &clientcmdapi.AuthInfo{Token: "secret"}
	cfg.Contexts["jane@prod"] = &clientcmdapi.Context{Cluster: "prod", AuthInfo: "jane", Namespace: "team-a"}
	cfg.CurrentContext = "jane@prod"
	kc, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	write("q5/kubeconfig", string(kc))

	cases := []struct {
		name, src string
		pass      bool
		why       []string // fragments of one problem, for a failure
	}{
		{"yaml pass", "{path: q1/pods.yaml, format: yaml, expect: {items: [{name: web-2, restarts: 3}]}, expr: ['file.items.size() == 2']}", true, nil},
		{"yaml fail", "{path: q1/pods.yaml, format: yaml, ordered: [items], expect: {items: [{name: web-2}, {name: web-1}]}}", false,
			[]string{"items[0].name", `want "web-2", got "web-1"`}},
		{"json pass (quantities compare by value)", "{path: q2/count.json, format: json, expect: {count: 3, cpu: '0.25'}}", true, nil},
		{"json fail", "{path: q2/count.json, format: json, expr: ['file.count > 10.0']}", false, []string{"`file.count > 10.0` is false"}},
		{"text pass", `{path: q3/node.txt, format: text, matches: '^worker2\s*$'}`, true, nil},
		{"text fail", `{path: q3/node.txt, format: text, matches: '^worker$'}`, false, []string{"text does not match /^worker$/"}},
		{"kubeconfig pass", "{path: q5/kubeconfig, format: kubeconfig, expect: {currentContext: jane@prod, contexts: {jane@prod: {namespace: team-a, user: jane}}, clusters: {prod: {server: 'https://10.0.0.1:6443'}}, users: {jane: {hasToken: true}}}}", true, nil},
		{"kubeconfig fail", "{path: q5/kubeconfig, format: kubeconfig, expect: {contexts: {jane@prod: {namespace: team-b}}}}", false,
			[]string{"namespace", `want "team-b", got "team-a"`}},
		{"missing file", "{path: q6/none.yaml, format: yaml}", false,
			[]string{filepath.Join(env.AnswerDir, "q6", "none.yaml") + " does not exist"}},
		{"invalid json", "{path: q4/broken.json, format: json}", false, []string{"broken.json is not valid json"}},
		// Facts need the lab, which this Env lacks: the look fails saying so
		// (facts_unit_test.go has every source, with a lab).
		{"a fact without a lab", "{path: q3/node.txt, format: text, facts: {n: {object: {apiVersion: v1, kind: Node, name: worker2}}}, expr: ['file.trim() == facts.n.metadata.name']}", false,
			[]string{"fact n: no lab to read Node worker2 from"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			chk := build(t, "answerFile", c.src)
			if c.pass {
				obs := unitPass(t, chk, env)
				unitWantContains(t, "actual", obs.Actual, "matches")
				return
			}
			unitFail(t, chk, env, c.why...)
		})
	}
}
