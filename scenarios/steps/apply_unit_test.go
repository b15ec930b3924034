package steps_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios/steps"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clienttesting "k8s.io/client-go/testing"
)

// protectedObjects are what a step may never change: the lab's marker and
// an RBAC default (only its live label protects cluster-admin).
const protectedObjects = `
apiVersion: v1
kind: ConfigMap
metadata: {name: ckalab-lab, namespace: kube-public}
data: {provider: sim}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cluster-admin, uid: crb-uid, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: "system:masters"}]
`

// getObject reads an object through the lab's dynamic client; nil when
// it does not exist.
func getObject(t *testing.T, c *lab.Cluster, r lab.Ref) *unstructured.Unstructured {
	t.Helper()
	ri, _, err := lab.Client(c, r.APIVersion, r.Kind, r.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	o, err := ri.Get(context.Background(), r.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func configMap(ns, name string) lab.Ref {
	return lab.Ref{APIVersion: "v1", Kind: "ConfigMap", Namespace: ns, Name: name}
}

func TestApplyUnit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := fakelab.New(t, fakelab.Manifest(t, protectedObjects)...)
	env := steps.Env{Cluster: c}

	t.Run("applies every object, namespaced ones without a namespace in default", func(t *testing.T) {
		got := run(t, env, step(t, `
apply:
  manifest: |
    apiVersion: v1
    kind: Namespace
    metadata: {name: shop}
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: cfg, namespace: shop}
    data: {mode: dev}
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: plain}
    data: {a: b}
`))
		want := []string{"applied Namespace shop", "applied ConfigMap shop/cfg", "applied ConfigMap default/plain"}
		if !equal(got, want) {
			t.Errorf("changed %q, want %q", got, want)
		}
		if getObject(t, c, lab.Ref{APIVersion: "v1", Kind: "Namespace", Name: "shop"}) == nil || getObject(t, c, configMap("default", "plain")) == nil {
			t.Error("objects not applied")
		}

		// Applying a changed manifest changes the object.
		apply(t, env, "{apiVersion: v1, kind: ConfigMap, metadata: {name: cfg, namespace: shop}, data: {mode: prod}}")
		if mode, _, _ := unstructured.NestedString(getObject(t, c, configMap("shop", "cfg")).Object, "data", "mode"); mode != "prod" {
			t.Errorf("data.mode %q after applying prod", mode)
		}
	})

	t.Run("a refused step changes nothing", func(t *testing.T) {
		for name, manifest := range map[string]string{
			"over cluster-admin (its live label)": "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: cluster-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: []\n",
			"over the lab's marker":               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ckalab-lab, namespace: kube-public}\ndata: {provider: none}\n",
		} {
			// An allowed object first: it must not be applied either.
			s := steps.Spec{Action: &steps.Apply{Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first, namespace: default}\n---\n" + manifest}}
			changed, err := s.Run(ctx, env)
			var pe *steps.ProtectedError
			if !errors.As(err, &pe) || pe.Action != "apply" {
				t.Errorf("%s: err %v, want a ProtectedError", name, err)
			}
			if len(changed) > 0 || getObject(t, c, configMap("default", "first")) != nil {
				t.Errorf("%s: changed %q; the first object is there: %v", name, changed, getObject(t, c, configMap("default", "first")) != nil)
			}
		}
		crb := getObject(t, c, lab.Ref{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "cluster-admin"})
		if subjects, _, _ := unstructured.NestedSlice(crb.Object, "subjects"); len(subjects) != 1 {
			t.Errorf("cluster-admin's subjects %v", subjects)
		}
		if p, _, _ := unstructured.NestedString(getObject(t, c, configMap("kube-public", "ckalab-lab")).Object, "data", "provider"); p != "sim" {
			t.Errorf("marker's provider %q", p)
		}
	})

	t.Run("an unknown kind is an error naming it", func(t *testing.T) {
		_, err := steps.Spec{Action: &steps.Apply{Manifest: `{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}`}}.Run(ctx, env)
		if err == nil || !strings.Contains(err.Error(), "example.com/v1 Widget") {
			t.Errorf("err %v", err)
		}
	})
}

// TestApplyWaitsForTheDefaultServiceAccount: a pod applied into a
// namespace whose default ServiceAccount the controller manager has not
// made yet is retried, not failed; another refusal is not.
func TestApplyWaitsForTheDefaultServiceAccount(t *testing.T) {
	t.Parallel()
	c := fakelab.New(t)
	_, dyn := fakelab.Fakes(c)
	refusals := 3
	dyn.PrependReactor("patch", "pods", func(clienttesting.Action) (bool, runtime.Object, error) {
		if refusals == 0 {
			return false, nil, nil
		}
		refusals--
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "web",
			errors.New(`error looking up service account ops/default: serviceaccount "default" not found`))
	})
	env := steps.Env{Cluster: c}
	s, _ := parse(t, "apply:\n  manifest: |\n    apiVersion: v1\n    kind: Pod\n    metadata: {name: web, namespace: ops}\n    spec: {containers: [{name: c, image: nginx:1.27}]}\n")
	if changed, err := s.Run(context.Background(), env); err != nil || len(changed) != 1 || refusals != 0 {
		t.Errorf("changed %q, err %v, %d refusals left", changed, err, refusals)
	}

	dyn.PrependReactor("patch", "pods", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "web", errors.New("exceeded quota"))
	})
	if _, err := s.Run(context.Background(), env); err == nil || !strings.Contains(err.Error(), "exceeded quota") {
		t.Errorf("another refusal: %v", err)
	}
}
