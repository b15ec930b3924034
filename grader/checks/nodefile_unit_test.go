package checks_test

import (
	"testing"

	"github.com/ckalab/ckalab/grader"
)

const schedulerManifest = `apiVersion: v1
kind: Pod
metadata:
  name: kube-scheduler
  namespace: kube-system
  labels: {component: kube-scheduler}
spec:
  containers:
  - name: kube-scheduler
    image: registry.k8s.io/kube-scheduler:v1.37.2
    command: [kube-scheduler, --kubeconfig=/etc/kubernetes/scheduler.conf, --leader-elect=true]
`

const kubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: /etc/kubernetes/manifests
cgroupDriver: systemd
evictionHard: {memory.available: 100Mi}
`

func TestNodeFileUnit(t *testing.T) {
	t.Parallel()
	l := newUnitLab(t, "")
	nodes := l.withNodes("cp", "w1")
	nodes.SetFile("cp", "/etc/kubernetes/manifests/kube-scheduler.yaml", schedulerManifest)
	nodes.SetFile("w1", "/var/lib/kubelet/config.yaml", kubeletConfig)
	nodes.SetFile("w1", "/etc/app/settings.json", `{"replicas": 3, "cpu": "250m"}`)
	nodes.SetFile("w1", "/etc/app/broken.yaml", "key: [unclosed\n")
	nodes.SetFile("w1", "/etc/hosts", "127.0.0.1 localhost\n10.0.0.5 registry.local\n")

	runUnitCases(t, "nodeFile", l.Env, []unitCase{
		{"yaml pass: a static pod manifest's fields and an expr", `
node: cp
path: /etc/kubernetes/manifests/kube-scheduler.yaml
yaml: {kind: Pod, metadata: {namespace: kube-system}, spec: {containers: [{image: "registry.k8s.io/kube-scheduler:v1.37.2"}]}}
expr: ["file.spec.containers[0].command.exists(a, a == '--leader-elect=true')"]
`, true, nil},
		{"yaml fail: a field differs", `
node: w1
path: /var/lib/kubelet/config.yaml
yaml: {staticPodPath: /etc/kubelet.d, cgroupDriver: systemd}
`, false, []string{"staticPodPath", `want "/etc/kubelet.d", got "/etc/kubernetes/manifests"`}},
		{"yaml: {} decodes for expr only", `
node: w1
path: /var/lib/kubelet/config.yaml
yaml: {}
expr: ["file.evictionHard['memory.available'] == '100Mi'"]
`, true, nil},
		{"expr fail", `
node: w1
path: /var/lib/kubelet/config.yaml
yaml: {}
expr: ["file.cgroupDriver == 'cgroupfs'"]
`, false, []string{"`file.cgroupDriver == 'cgroupfs'` is false"}},
		{"json pass (quantities by value)", `{node: w1, path: /etc/app/settings.json, json: {replicas: 3, cpu: "0.25"}}`, true, nil},
		{"json fail", `{node: w1, path: /etc/app/settings.json, json: {replicas: 5}}`, false, []string{"replicas", "want 5, got 3"}},
		{"text pass: contains and matches", `{node: w1, path: /etc/hosts, contains: registry.local, matches: '(?m)^10\.0\.0\.5\s'}`, true, nil},
		{"text fail: contains", `{node: w1, path: /etc/hosts, contains: mirror.local}`, false, []string{`text does not contain "mirror.local"`}},
		{"text fail: matches", `{node: w1, path: /etc/hosts, matches: '^10\.'}`, false, []string{`text does not match /^10\./`}},
		{"exists (the default) fails on a missing file", `{node: w1, path: /etc/kubernetes/manifests/kube-scheduler.yaml}`, false,
			[]string{"/etc/kubernetes/manifests/kube-scheduler.yaml on w1 does not exist"}},
		{"exists: false passes on a missing file", `{node: w1, path: /etc/kubernetes/manifests/kube-scheduler.yaml, exists: false}`, true, nil},
		{"exists: false fails when it is there", `{node: cp, path: /etc/kubernetes/manifests/kube-scheduler.yaml, exists: false}`, false,
			[]string{"kube-scheduler.yaml on cp exists; it should not"}},
		{"invalid yaml", `{node: w1, path: /etc/app/broken.yaml, yaml: {key: x}}`, false, []string{"/etc/app/broken.yaml on w1 is not valid yaml"}},
		{"an unknown node is an error", `{node: w9, path: /etc/hosts}`, false, []string{`no node "w9"`}},
		// Facts: facts_unit_test.go has every source.
		{"a fact that cannot be fetched fails the look", `{node: w1, path: /etc/hosts, facts: {pod: {object: {apiVersion: v1, kind: Pod, namespace: web, name: nginx}}},
  expr: ["!file.contains(facts.pod.metadata.name)"]}`, false, []string{"fact pod: Pod web/nginx not found"}},
	})

	t.Run("the file is read on the named node, with nodeops' read", func(t *testing.T) {
		before := len(nodes.Calls())
		obs := unitPass(t, build(t, "nodeFile", `{node: w1, path: /etc/hosts, contains: localhost}`), l.Env)
		calls := nodes.Calls()[before:]
		if len(calls) != 1 || calls[0].Node != "w1" || calls[0].Argv[len(calls[0].Argv)-1] != "/etc/hosts" || calls[0].Argv[0] != "sh" {
			t.Errorf("calls %v, want one read of /etc/hosts on w1", calls)
		}
		if obs.Actual != "/etc/hosts on w1 matches" {
			t.Errorf("actual %q", obs.Actual)
		}
		unitWantContains(t, "expected", obs.Expected, "file /etc/hosts on node w1", `containing "localhost"`)
	})

	t.Run("expected says the format and every rule", func(t *testing.T) {
		obs := unitFail(t, build(t, "nodeFile", `{node: w1, path: /var/lib/kubelet/config.yaml, yaml: {staticPodPath: /x}, expr: ["file.kind == 'K'"]}`), l.Env, "staticPodPath")
		unitWantContains(t, "expected", obs.Expected, "yaml file /var/lib/kubelet/config.yaml on node w1", `matching {"staticPodPath":"/x"}`, "where file.kind == 'K'")
		if obs.Actual != "/var/lib/kubelet/config.yaml on w1 differs" {
			t.Errorf("actual %q", obs.Actual)
		}
	})

	t.Run("a lab without node access (sim) says so", func(t *testing.T) {
		sim := newUnitLab(t, "")
		sim.Cluster.Info.Provider = "sim"
		obs := unitFail(t, build(t, "nodeFile", `{node: w1, path: /etc/hosts}`), sim.Env, "this check needs a lab with node access (kind); the sim lab has none")
		unitWantContains(t, "expected", obs.Expected, "file /etc/hosts on node w1")
	})
}

func TestNodeFileValidation(t *testing.T) {
	t.Parallel()
	cases := []struct{ src, want string }{
		{`{path: /etc/hosts}`, "nodeFile.node: required"},
		{`{node: w1, path: etc/hosts}`, `nodeFile.path: want an absolute, clean path on the node, got "etc/hosts"`},
		{`{node: w1, path: /etc/../etc/hosts}`, `nodeFile.path: want an absolute, clean path on the node`},
		{`{node: w1, path: /a, yaml: {a: 1}, json: {a: 1}}`, "set yaml or json, not both"},
		{`{node: w1, path: /a, exists: false, contains: x}`, "nodeFile.exists: a file that must not exist has no content to judge"},
		{`{node: w1, path: /a, matches: "("}`, "nodeFile.matches: error parsing regexp"},
		{`{node: w1, path: /a, expr: ["file.("]}`, "nodeFile.expr[0]: "},
		{`{node: w1, path: /a, ordered: [items]}`, "nodeFile.ordered: ordered applies to the lists of yaml or json"},
		{`{node: w1, path: /a, exist: false}`, `nodeFile.exist: unknown field (did you mean "exists"?)`},
	}
	for _, c := range cases {
		unitWantInvalid(t, "nodeFile", c.src, c.want)
	}
}

// TestNodeCheckNodeName: the kinds that look inside a node say which
// (grader.NodeCheck), so that a scenario can be asked for needs: [node].
func TestNodeCheckNodeName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ kind, src, want string }{
		{"nodeFile", `{node: cp, path: /etc/hosts}`, "cp"},
		{"nodeCommand", `{node: w1, command: [ls, /]}`, "w1"},
		{"staticPod", `{node: w1, name: web, manifestIn: staticPodPath}`, "w1"},
		{"staticPod", `{node: w1, name: web}`, ""},
	} {
		got := ""
		if n, ok := build(t, c.kind, c.src).(grader.NodeCheck); ok {
			got = n.NodeName()
		}
		if got != c.want {
			t.Errorf("%s %s: node %q, want %q", c.kind, c.src, got, c.want)
		}
	}
	for _, src := range []string{`{component: kubelet, node: w1}`, `{component: etcd}`} {
		if _, ok := build(t, "componentHealth", src).(grader.NodeCheck); ok {
			t.Errorf("componentHealth %s is a NodeCheck: it works (less thoroughly) without node access", src)
		}
	}
}
