package scenarios_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/grader/checks"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/steps"
)

// TestConflicts: scenarios conflict when they own the same namespace,
// node or object; the same kind name in another API group is another
// object.
func TestConflicts(t *testing.T) {
	mk := func(id string, nss []string, owns scenarios.Owns) *scenarios.Scenario {
		s := &scenarios.Scenario{}
		s.ID, s.Namespaces, s.Owns = id, nss, owns
		return s
	}
	pv := scenarios.ObjectRef{APIVersion: "v1", Kind: "PersistentVolume", Name: "pv-logs"}
	all := []*scenarios.Scenario{
		mk("a", []string{"shop"}, scenarios.Owns{Nodes: []string{"w1"}}),
		mk("b", []string{"sched"}, scenarios.Owns{Nodes: []string{"w1"}, Objects: []scenarios.ObjectRef{pv}}),
		mk("c", []string{"shop"}, scenarios.Owns{Objects: []scenarios.ObjectRef{{APIVersion: "example.com/v1", Kind: "PersistentVolume", Name: "pv-logs"}}}),
		mk("d", nil, scenarios.Owns{Objects: []scenarios.ObjectRef{pv}}),
		mk("e", []string{"free"}, scenarios.Owns{Nodes: []string{"w2"}}),
	}
	got := scenarios.Conflicts(all)
	want := []scenarios.Conflict{
		{A: "a", B: "b", Shared: []string{"node w1"}},
		{A: "a", B: "c", Shared: []string{"namespace shop"}},
		{A: "b", B: "d", Shared: []string{"PersistentVolume pv-logs"}},
	}
	if !slices.EqualFunc(got, want, func(x, y scenarios.Conflict) bool {
		return x.A == y.A && x.B == y.B && slices.Equal(x.Shared, y.Shared)
	}) {
		t.Errorf("conflicts %+v\nwant %+v", got, want)
	}
}

// TestBuiltinConflicts: built-in scenarios conflict only where they must,
// over a node they change (a taint, a drain, a stopped kubelet, a static
// pod's manifest); never over a namespace or an object, which a new
// scenario can always name differently, nor over answers in a task's
// course folder on a node (crictl-inspect, etcd-backup, kubeadm-certs own
// no node). A scenario that owns a node joins this list.
// TestUsesConflicts: a scenario that uses a node another owns conflicts
// with it; two that only use it do not.
func TestUsesConflicts(t *testing.T) {
	a := &scenarios.Scenario{File: scenarios.File{ID: "a", Uses: scenarios.Uses{Nodes: []string{"n1", "n2"}}}}
	b := &scenarios.Scenario{File: scenarios.File{ID: "b", Owns: scenarios.Owns{Nodes: []string{"n2"}}}}
	c := &scenarios.Scenario{File: scenarios.File{ID: "c", Uses: scenarios.Uses{Nodes: []string{"n1", "n2"}}}}
	got := scenarios.Conflicts([]*scenarios.Scenario{a, b, c})
	want := []scenarios.Conflict{
		{A: "a", B: "b", Shared: []string{"node n2 (a uses it)"}},
		{A: "b", B: "c", Shared: []string{"node n2 (c uses it)"}},
	}
	if !slices.EqualFunc(got, want, func(x, y scenarios.Conflict) bool {
		return x.A == y.A && x.B == y.B && slices.Equal(x.Shared, y.Shared)
	}) {
		t.Errorf("conflicts %+v\nwant %+v", got, want)
	}
}

func TestBuiltinConflicts(t *testing.T) {
	cat := builtinCatalog(t)
	all, err := cat.LoadAll(scenarios.DefaultTemplateData())
	if err != nil {
		t.Fatal(err)
	}
	got := scenarios.Conflicts(all)
	// The lab has one default StorageClass, standard: the scenarios that
	// move the default elsewhere must both change it, and cannot share a lab.
	sharedObject := map[[3]string]bool{
		{"default-storageclass", "storageclass-binding-mode", "StorageClass.storage.k8s.io standard"}: true,
	}
	for _, c := range got {
		for _, s := range c.Shared {
			if !strings.HasPrefix(s, "node ") && !sharedObject[[3]string{c.A, c.B, s}] {
				t.Errorf("%s and %s both own %s: give one of them another", c.A, c.B, s)
			}
		}
	}
	const (
		cp = "node ckalab-control-plane"
		w1 = "node ckalab-worker"
		w2 = "node ckalab-worker2"
	)
	uses := func(node, id string) string { return node + " (" + id + " uses it)" }
	want := []scenarios.Conflict{
		{A: "controlplane-broken", B: "crictl-inspect", Shared: []string{uses(cp, "crictl-inspect")}},
		{A: "controlplane-broken", B: "daemonset-everywhere", Shared: []string{uses(cp, "daemonset-everywhere")}},
		{A: "controlplane-broken", B: "etcd-restore", Shared: []string{cp}},
		{A: "controlplane-broken", B: "metrics-server", Shared: []string{uses(cp, "metrics-server")}},
		{A: "controlplane-broken", B: "node-affinity-spread", Shared: []string{cp}},
		{A: "controlplane-broken", B: "pod-anti-affinity", Shared: []string{uses(cp, "pod-anti-affinity")}},
		{A: "crictl-inspect", B: "etcd-restore", Shared: []string{uses(cp, "crictl-inspect")}},
		{A: "crictl-inspect", B: "node-affinity-spread", Shared: []string{uses(cp, "crictl-inspect")}},
		{A: "daemonset-everywhere", B: "drain-worker", Shared: []string{uses(w1, "daemonset-everywhere")}},
		{A: "daemonset-everywhere", B: "etcd-restore", Shared: []string{uses(cp, "daemonset-everywhere")}},
		{A: "daemonset-everywhere", B: "kubelet-broken", Shared: []string{uses(w2, "daemonset-everywhere")}},
		{A: "daemonset-everywhere", B: "node-affinity-spread", Shared: []string{uses(cp, "daemonset-everywhere"), uses(w2, "daemonset-everywhere")}},
		{A: "daemonset-everywhere", B: "node-notready", Shared: []string{uses(w2, "daemonset-everywhere")}},
		{A: "daemonset-everywhere", B: "pdb-blocks-drain", Shared: []string{uses(w1, "daemonset-everywhere")}},
		{A: "daemonset-everywhere", B: "pod-pending", Shared: []string{uses(w2, "daemonset-everywhere")}},
		{A: "daemonset-everywhere", B: "runtimeclass-handler", Shared: []string{uses(w2, "daemonset-everywhere")}},
		{A: "daemonset-everywhere", B: "static-pod", Shared: []string{uses(w1, "daemonset-everywhere"), uses(w2, "daemonset-everywhere")}},
		{A: "daemonset-everywhere", B: "taint-toleration", Shared: []string{uses(w1, "daemonset-everywhere")}},
		{A: "default-storageclass", B: "storageclass-binding-mode", Shared: []string{"StorageClass.storage.k8s.io standard"}},
		{A: "drain-worker", B: "metrics-server", Shared: []string{uses(w1, "metrics-server")}},
		{A: "drain-worker", B: "pdb-blocks-drain", Shared: []string{w1}},
		{A: "drain-worker", B: "pod-anti-affinity", Shared: []string{uses(w1, "pod-anti-affinity")}},
		{A: "drain-worker", B: "pod-connectivity", Shared: []string{uses(w1, "pod-connectivity")}},
		{A: "drain-worker", B: "priority-preemption", Shared: []string{uses(w1, "priority-preemption")}},
		{A: "drain-worker", B: "static-pod", Shared: []string{w1}},
		{A: "drain-worker", B: "storageclass-binding-mode", Shared: []string{uses(w1, "storageclass-binding-mode")}},
		{A: "drain-worker", B: "taint-toleration", Shared: []string{w1}},
		{A: "etcd-restore", B: "metrics-server", Shared: []string{uses(cp, "metrics-server")}},
		{A: "etcd-restore", B: "node-affinity-spread", Shared: []string{cp}},
		{A: "etcd-restore", B: "pod-anti-affinity", Shared: []string{uses(cp, "pod-anti-affinity")}},
		{A: "kubelet-broken", B: "metrics-server", Shared: []string{uses(w2, "metrics-server")}},
		{A: "kubelet-broken", B: "node-affinity-spread", Shared: []string{w2}},
		{A: "kubelet-broken", B: "node-notready", Shared: []string{w2}},
		{A: "kubelet-broken", B: "pod-anti-affinity", Shared: []string{uses(w2, "pod-anti-affinity")}},
		{A: "kubelet-broken", B: "pod-connectivity", Shared: []string{uses(w2, "pod-connectivity")}},
		{A: "kubelet-broken", B: "pod-pending", Shared: []string{w2}},
		{A: "kubelet-broken", B: "runtimeclass-handler", Shared: []string{w2}},
		{A: "kubelet-broken", B: "static-pod", Shared: []string{w2}},
		{A: "metrics-server", B: "node-affinity-spread", Shared: []string{uses(cp, "metrics-server"), uses(w2, "metrics-server")}},
		{A: "metrics-server", B: "node-notready", Shared: []string{uses(w2, "metrics-server")}},
		{A: "metrics-server", B: "pdb-blocks-drain", Shared: []string{uses(w1, "metrics-server")}},
		{A: "metrics-server", B: "pod-pending", Shared: []string{uses(w2, "metrics-server")}},
		{A: "metrics-server", B: "runtimeclass-handler", Shared: []string{uses(w2, "metrics-server")}},
		{A: "metrics-server", B: "static-pod", Shared: []string{uses(w1, "metrics-server"), uses(w2, "metrics-server")}},
		{A: "metrics-server", B: "taint-toleration", Shared: []string{uses(w1, "metrics-server")}},
		{A: "node-affinity-spread", B: "node-notready", Shared: []string{w2}},
		{A: "node-affinity-spread", B: "pod-anti-affinity", Shared: []string{uses(cp, "pod-anti-affinity"), uses(w2, "pod-anti-affinity")}},
		{A: "node-affinity-spread", B: "pod-connectivity", Shared: []string{uses(w2, "pod-connectivity")}},
		{A: "node-affinity-spread", B: "pod-pending", Shared: []string{w2}},
		{A: "node-affinity-spread", B: "runtimeclass-handler", Shared: []string{w2}},
		{A: "node-affinity-spread", B: "static-pod", Shared: []string{w2}},
		{A: "node-notready", B: "pod-anti-affinity", Shared: []string{uses(w2, "pod-anti-affinity")}},
		{A: "node-notready", B: "pod-connectivity", Shared: []string{uses(w2, "pod-connectivity")}},
		{A: "node-notready", B: "pod-pending", Shared: []string{w2}},
		{A: "node-notready", B: "runtimeclass-handler", Shared: []string{w2}},
		{A: "node-notready", B: "static-pod", Shared: []string{w2}},
		{A: "pdb-blocks-drain", B: "pod-anti-affinity", Shared: []string{uses(w1, "pod-anti-affinity")}},
		{A: "pdb-blocks-drain", B: "pod-connectivity", Shared: []string{uses(w1, "pod-connectivity")}},
		{A: "pdb-blocks-drain", B: "priority-preemption", Shared: []string{uses(w1, "priority-preemption")}},
		{A: "pdb-blocks-drain", B: "static-pod", Shared: []string{w1}},
		{A: "pdb-blocks-drain", B: "storageclass-binding-mode", Shared: []string{uses(w1, "storageclass-binding-mode")}},
		{A: "pdb-blocks-drain", B: "taint-toleration", Shared: []string{w1}},
		{A: "pod-anti-affinity", B: "pod-pending", Shared: []string{uses(w2, "pod-anti-affinity")}},
		{A: "pod-anti-affinity", B: "runtimeclass-handler", Shared: []string{uses(w2, "pod-anti-affinity")}},
		{A: "pod-anti-affinity", B: "static-pod", Shared: []string{uses(w1, "pod-anti-affinity"), uses(w2, "pod-anti-affinity")}},
		{A: "pod-anti-affinity", B: "taint-toleration", Shared: []string{uses(w1, "pod-anti-affinity")}},
		{A: "pod-connectivity", B: "pod-pending", Shared: []string{uses(w2, "pod-connectivity")}},
		{A: "pod-connectivity", B: "runtimeclass-handler", Shared: []string{uses(w2, "pod-connectivity")}},
		{A: "pod-connectivity", B: "static-pod", Shared: []string{uses(w1, "pod-connectivity"), uses(w2, "pod-connectivity")}},
		{A: "pod-connectivity", B: "taint-toleration", Shared: []string{uses(w1, "pod-connectivity")}},
		{A: "pod-pending", B: "runtimeclass-handler", Shared: []string{w2}},
		{A: "pod-pending", B: "static-pod", Shared: []string{w2}},
		{A: "priority-preemption", B: "static-pod", Shared: []string{uses(w1, "priority-preemption")}},
		{A: "priority-preemption", B: "taint-toleration", Shared: []string{uses(w1, "priority-preemption")}},
		{A: "runtimeclass-handler", B: "static-pod", Shared: []string{w2}},
		{A: "static-pod", B: "storageclass-binding-mode", Shared: []string{uses(w1, "storageclass-binding-mode")}},
		{A: "static-pod", B: "taint-toleration", Shared: []string{w1}},
		{A: "storageclass-binding-mode", B: "taint-toleration", Shared: []string{uses(w1, "storageclass-binding-mode")}},
	}
	if !slices.EqualFunc(got, want, func(x, y scenarios.Conflict) bool {
		return x.A == y.A && x.B == y.B && slices.Equal(x.Shared, y.Shared)
	}) {
		t.Errorf("conflicts %+v\nwant %+v", got, want)
	}
}

// courseScenario writes its answers in its course folder on a node, the
// way crictl-inspect, etcd-backup and kubeadm-certs do, plus the steps
// given; it owns what owns says.
func courseScenario(id, owns, extra string) string {
	return `apiVersion: ckalab.dev/v1alpha1
kind: Scenario
id: ` + id + `
title: Course
domain: troubleshooting
competency: Troubleshoot clusters and nodes
difficulty: easy
minutes: 1
needs: [api, node]
` + owns + `
task: Write the answers in {{ .Course }}.
setup:
- nodeFile: {node: {{ .Nodes.Worker }}, path: "{{ .Course }}/README", content: "answers here\n"}
checks:
- {id: x, title: x, points: 1, nodeFile: {node: {{ .Nodes.Worker }}, path: "{{ .Course }}/ids"}}
solution:
  explain: x
  steps:
  - nodeCommand: {node: {{ .Nodes.Worker }}, command: [crictl, ps, -q], saveOutput: "{{ .Course }}/ids"}
  - nodeCommand: {node: {{ .Nodes.Worker }}, command: [crictl, ps]}
  - nodeCommand: {node: {{ .Nodes.ControlPlane }}, command: [etcdctl, snapshot, save, "{{ .Course }}/etcd.db"]}
  - nodeFile: {node: {{ .Nodes.Worker }}, path: "{{ .Course }}/ids", moveTo: "{{ .Course }}/old/ids"}
  - nodeFile: {node: {{ .Nodes.Worker }}, path: "{{ .Course }}/README", remove: true}
` + extra
}

// TestCourseFolderOwnsNothing: files a scenario's node steps write, move
// or remove in its task's course folder ({{ .Course }}) need no
// owns.nodes, as the folder is the task's own in practice and in an exam,
// so such a scenario conflicts with none that owns the node.
func TestCourseFolderOwnsNothing(t *testing.T) {
	exam := scenarios.DefaultTemplateData()
	exam.Course = "/opt/course/3"
	practice := scenarios.DefaultTemplateData()
	practice.Course = "/opt/course/answers"
	var loaded []*scenarios.Scenario
	for _, td := range []scenarios.TemplateData{scenarios.DefaultTemplateData(), exam, practice} {
		s, err := loader().Parse("c.yaml", []byte(courseScenario("answers", "", "")), nil, td)
		if err != nil {
			t.Fatalf("course %s: %v", td.Course, err)
		}
		loaded = append(loaded, s)
	}
	if n := loaded[1].Setup[0].Action.(*steps.NodeFile).Path; n != "/opt/course/3/README" {
		t.Errorf("rendered path %q, want /opt/course/3/README", n)
	}
	owner := &scenarios.Scenario{}
	owner.ID, owner.Owns = "breaker", scenarios.Owns{Nodes: []string{"ckalab-worker", "ckalab-control-plane"}}
	if got := scenarios.Conflicts([]*scenarios.Scenario{loaded[0], owner}); len(got) != 0 {
		t.Errorf("conflicts %+v, want none", got)
	}
}

// TestCourseFolderElsewhereOwnsTheNode: what a node step changes outside
// its task's course folder is a change of the node, which owns.nodes must
// list: another task's folder, a file moved out of the course folder, a
// unit's state, a restored data folder; and no course folder outside
// /opt/course/ makes the node's other files the task's own.
func TestCourseFolderElsewhereOwnsTheNode(t *testing.T) {
	const extra = `  - nodeFile: {node: {{ .Nodes.Worker }}, path: /opt/course/1/ids, content: "x\n"}
  - nodeFile: {node: {{ .Nodes.Worker }}, path: "{{ .Course }}/web.yaml", moveTo: /etc/kubernetes/manifests/web.yaml}
  - nodeService: {node: {{ .Nodes.Worker2 }}, unit: kubelet, action: restart}
  - nodeCommand: {node: {{ .Nodes.ControlPlane }}, command: [etcdutl, snapshot, restore, "{{ .Course }}/etcd.db", --data-dir, /var/lib/etcd-from-backup]}
`
	_, err := loader().Parse("c.yaml", []byte(courseScenario("elsewhere", "", extra)), nil, scenarios.DefaultTemplateData())
	wantLines(t, err, []string{
		"c.yaml:24: solution.steps[5].nodeFile: changes node ckalab-worker, which owns.nodes does not list (/opt/course/1/ids is outside the task's course folder, {{ .Course }}, whose files need none)",
		"c.yaml:25: solution.steps[6].nodeFile: changes node ckalab-worker, which owns.nodes does not list",
		"c.yaml:26: solution.steps[7].nodeService: changes node ckalab-worker2, which owns.nodes does not list",
		"c.yaml:27: solution.steps[8].nodeCommand: changes node ckalab-control-plane, which owns.nodes does not list",
	})
	owns := "owns: {nodes: [{{ .Nodes.ControlPlane }}, {{ .Nodes.Worker }}, {{ .Nodes.Worker2 }}]}"
	if _, err := loader().Parse("c.yaml", []byte(courseScenario("elsewhere", owns, extra)), nil, scenarios.DefaultTemplateData()); err != nil {
		t.Errorf("with owns.nodes: %v", err)
	}

	// A course folder outside /opt/course/ (a runner's mistake) is no
	// course folder: the static pod path stays the node's.
	td := scenarios.DefaultTemplateData()
	td.Course = "/etc/kubernetes/manifests"
	_, err = loader().Parse("c.yaml", []byte(courseScenario("outside", "", "")), nil, td)
	wantLines(t, err, []string{
		"c.yaml:13: setup[0].nodeFile: changes node ckalab-worker, which owns.nodes does not list",
		"c.yaml:19: solution.steps[0].nodeCommand: changes node ckalab-worker, which owns.nodes does not list",
		"c.yaml:21: solution.steps[2].nodeCommand: changes node ckalab-control-plane, which owns.nodes does not list",
		"c.yaml:22: solution.steps[3].nodeFile: changes node ckalab-worker, which owns.nodes does not list",
		"c.yaml:23: solution.steps[4].nodeFile: changes node ckalab-worker, which owns.nodes does not list",
	})
}

// TestOwnershipProblems: what steps change must be declared, each
// undeclared change reported with its line.
func TestOwnershipProblems(t *testing.T) {
	const file = `apiVersion: ckalab.dev/v1alpha1
kind: Scenario
id: owner
title: Owner
domain: cluster-architecture
competency: Manage role based access control (RBAC)
difficulty: easy
minutes: 1
needs: [api]
namespaces: [mine]
owns:
  objects:
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, name: declared}
  - {apiVersion: v1, kind: Node, name: n}
task: x
checks:
- {id: x, title: x, points: 1, absent: {apiVersion: v1, kind: ConfigMap, namespace: mine, name: x}}
solution:
  explain: x
  steps:
  - apply:
      manifest: |
        apiVersion: v1
        kind: Namespace
        metadata: {name: other}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: declared}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: undeclared}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: declared}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: in-mine, namespace: mine}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: in-default}
  - patch: {apiVersion: v1, kind: Node, name: ckalab-worker, patch: {metadata: {labels: {a: b}}}}
`
	_, err := scenarios.Loader{CheckTypes: checks.All()}.Parse("o.yaml", []byte(file), nil, scenarios.DefaultTemplateData())
	wantLines(t, err, []string{
		"o.yaml:14: owns.objects[1]: list namespaces under namespaces and nodes under owns.nodes",
		"o.yaml:22: solution.steps[0].apply: makes namespace other, which namespaces does not list",
		"o.yaml:22: solution.steps[0].apply: changes ClusterRoleBinding undeclared (a cluster-scoped object), which owns.objects does not list",
		"o.yaml:22: solution.steps[0].apply: changes ConfigMap default/in-default (outside the scenario's namespaces), which owns.objects does not list",
		"o.yaml:43: solution.steps[1].patch: changes node ckalab-worker, which owns.nodes does not list",
	})
}

// TestLabBreakingScenario: what the issue found a shared scenario could do
// to the lab is refused at validate time, each with its line.
func TestLabBreakingScenario(t *testing.T) {
	const file = `apiVersion: ckalab.dev/v1alpha1
kind: Scenario
id: breaker
title: Breaker
domain: cluster-architecture
competency: Manage role based access control (RBAC)
difficulty: easy
minutes: 1
needs: [api]
namespaces: [mine, kube-node-lease, default]
task: x
setup:
- delete: {apiVersion: v1, kind: Node, name: ckalab-worker}
- delete: {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
- delete: {apiVersion: v1, kind: ConfigMap, namespace: kube-public, name: ckalab-lab}
- delete: {apiVersion: v1, kind: Pod, labels: {app: web}}
- delete: {apiVersion: v1, kind: Pod, namespace: kube-system, labels: {app: web}}
- delete: {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, labels: {app: web}}
- delete: {apiVersion: v1, kind: Pod, namespace: mine, labels: {app: web}}
checks:
- {id: x, title: x, points: 1, absent: {apiVersion: v1, kind: ConfigMap, namespace: mine, name: x}}
solution: {explain: x, steps: [{delete: {apiVersion: v1, kind: ConfigMap, namespace: mine, name: x}}]}
`
	_, err := scenarios.Loader{CheckTypes: checks.All()}.Parse("b.yaml", []byte(file), nil, scenarios.DefaultTemplateData())
	wantLines(t, err, []string{
		"b.yaml:10: namespaces[1]: kube-node-lease belongs to the lab, not to a scenario: list only namespaces the scenario makes",
		"b.yaml:10: namespaces[2]: default belongs to the lab, not to a scenario: list only namespaces the scenario makes",
		"b.yaml:13: setup[0].delete: refused to delete Node ckalab-worker: the lab's nodes may not be deleted or replaced (taint, drain or a patch of labels or spec.unschedulable change a node)",
		"b.yaml:14: setup[1].delete: refused to delete ClusterRoleBindings by labels: objects labelled kubernetes.io/bootstrapping are Kubernetes' own defaults",
		"b.yaml:15: setup[2].delete: refused to delete ConfigMap kube-public/ckalab-lab: it is the marker that makes this cluster a ckalab lab",
		"b.yaml:16: setup[3].delete: deletes Pods by labels in every namespace; give the namespace (one of the scenario's namespaces)",
		"b.yaml:17: setup[4].delete: deletes Pods by labels in namespace kube-system, which namespaces does not list",
		"b.yaml:18: setup[5].delete: deletes cluster-scoped ClusterRoles by labels; delete each by name and list it under owns.objects",
	})
}
