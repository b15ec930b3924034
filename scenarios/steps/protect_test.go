package steps_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/internal/simtest"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios/steps"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Each step would break the lab; validation names it (no lab needed).
var lastingDamage = map[string]string{
	"delete a node":                  "delete: {apiVersion: v1, kind: Node, name: ckalab-worker}",
	"replace a node":                 `apply: {manifest: '{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "ckalab-worker"}}'}`,
	"delete nodes by label":          "delete: {apiVersion: v1, kind: Node, labels: {a: b}}",
	"delete kube-system":             "delete: {apiVersion: v1, kind: Namespace, name: kube-system}",
	"delete default":                 "delete: {apiVersion: v1, kind: Namespace, name: default}",
	"replace kube-node-lease":        `apply: {manifest: '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-node-lease"}}'}`,
	"delete namespaces by label":     "delete: {apiVersion: v1, kind: Namespace, labels: {a: b}}",
	"delete the rbac defaults":       "delete: {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, labels: {kubernetes.io/bootstrapping: rbac-defaults}}",
	"patch a system: role":           "patch: {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, name: 'system:node', patch: {rules: []}}",
	"apply a bootstrapping-labelled": `apply: {manifest: '{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "x", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}}}'}`,
	"delete the lab marker":          "delete: {apiVersion: v1, kind: ConfigMap, namespace: kube-public, name: ckalab-lab}",
	"patch the lab marker":           "patch: {apiVersion: v1, kind: ConfigMap, namespace: kube-public, name: ckalab-lab, patch: {data: {provider: x}}}",
}

func TestValidateRefusesStepsThatBreakTheLab(t *testing.T) {
	for name, src := range lastingDamage {
		t.Run(name, func(t *testing.T) {
			s, node := parse(t, src)
			ps, _ := s.Validate("setup[0]", node, nil)
			if len(ps) != 1 {
				t.Fatalf("problems %v, want exactly one", ps)
			}
			if ps[0].Line != 1 || !strings.Contains(ps[0].Msg, "refused to") {
				t.Errorf("problem %+v, want line 1 and 'refused to'", ps[0])
			}
		})
	}
}

func TestValidateAllowsWhatScenariosNeed(t *testing.T) {
	for _, src := range []string{
		"patch: {apiVersion: v1, kind: Node, name: ckalab-worker, patch: {spec: {unschedulable: true}}}",
		"patch: {apiVersion: v1, kind: Namespace, name: default, patch: {metadata: {labels: {pod-security.kubernetes.io/enforce: baseline}}}}",
		"delete: {apiVersion: apps/v1, kind: Deployment, namespace: kube-system, name: coredns}",
		"delete: {apiVersion: v1, kind: Pod, namespace: shop, labels: {app: web}}",
		`apply: {manifest: '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}'}`,
	} {
		s, node := parse(t, src)
		if ps, _ := s.Validate("setup[0]", node, nil); len(ps) > 0 {
			t.Errorf("%s: problems %v, want none", src, ps)
		}
	}
}

// At run time the live objects are judged: a selector that validation
// cannot see through, or an object whose labels only the cluster knows.
func TestRunRefusesStepsThatBreakTheLab(t *testing.T) {
	l := simtest.Need(t, sl)
	ctx := context.Background()
	env := steps.Env{Cluster: l.Cluster}
	before, err := l.Cluster.Kube.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]steps.Spec{
		// cluster-admin is not named system:*; only its label protects it.
		"patch cluster-admin":      {Action: &steps.Patch{Ref: lab.Ref{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "cluster-admin"}, Patch: map[string]any{"subjects": []any{}}}},
		"apply over cluster-admin": {Action: &steps.Apply{Manifest: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: cluster-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: []\n"}},
		// a selector that matches the defaults without naming the label
		"delete by another label": {Action: &steps.Delete{Ref: lab.Ref{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"}, Labels: map[string]string{}}},
		"delete the marker":       {Action: &steps.Delete{Ref: lab.Ref{APIVersion: "v1", Kind: "ConfigMap", Namespace: lab.MarkerNamespace, Name: lab.MarkerName}}},
		"delete a node":           {Action: &steps.Delete{Ref: lab.Ref{APIVersion: "v1", Kind: "Node", Name: worker}}},
	} {
		t.Run(name, func(t *testing.T) {
			changed, err := s.Run(ctx, env)
			var pe *steps.ProtectedError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a ProtectedError", err)
			}
			if len(changed) > 0 {
				t.Errorf("changed %v, want nothing", changed)
			}
		})
	}
	after, err := l.Cluster.Kube.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Items) != len(before.Items) {
		t.Errorf("%d ClusterRoleBindings before, %d after", len(before.Items), len(after.Items))
	}
	if _, err := lab.ReadMarker(ctx, l.Cluster.Kube); err != nil {
		t.Errorf("marker: %v", err)
	}
	if _, err := l.Cluster.Kube.CoreV1().Nodes().Get(ctx, worker, metav1.GetOptions{}); err != nil {
		t.Errorf("node %s: %v", worker, err)
	}
}
