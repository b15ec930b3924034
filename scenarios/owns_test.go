package scenarios_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/grader/checks"
	"github.com/ckalab/ckalab/scenarios"
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
// over a node they change (a taint, a stopped kubelet, answers in its
// /opt/course); never over a namespace or an object, which a new scenario
// can always name differently.
func TestBuiltinConflicts(t *testing.T) {
	cat := builtinCatalog(t)
	all, err := cat.LoadAll(scenarios.DefaultTemplateData())
	if err != nil {
		t.Fatal(err)
	}
	got := scenarios.Conflicts(all)
	for _, c := range got {
		for _, s := range c.Shared {
			if !strings.HasPrefix(s, "node ") {
				t.Errorf("%s and %s both own %s: give one of them another", c.A, c.B, s)
			}
		}
	}
	for _, want := range []scenarios.Conflict{
		{A: "drain-worker", B: "taint-toleration", Shared: []string{"node ckalab-worker"}},
		{A: "kubelet-broken", B: "node-notready", Shared: []string{"node ckalab-worker2"}},
		{A: "controlplane-broken", B: "etcd-backup", Shared: []string{"node ckalab-control-plane"}},
	} {
		if !slices.ContainsFunc(got, func(c scenarios.Conflict) bool {
			return c.A == want.A && c.B == want.B && slices.Equal(c.Shared, want.Shared)
		}) {
			t.Errorf("no conflict %+v in %+v", want, got)
		}
	}
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
