package steps_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios/steps"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// webWithSidecar is a Deployment web in ns with two containers, app and
// sidecar: patches of it show how each patch type treats lists.
func webWithSidecar(ns string) string {
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: %s, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: app, image: "nginx:1"}
      - {name: sidecar, image: "busybox:1"}
`, ns)
}

func TestPatchUnit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := fakelab.New(t, fakelab.Manifest(t, protectedObjects+"---"+webWithSidecar("shop"))...)
	env := steps.Env{Cluster: c}
	web := lab.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	containers := func() []any {
		cs, _, _ := unstructured.NestedSlice(getObject(t, c, web).Object, "spec", "template", "spec", "containers")
		return cs
	}
	image := func(c any) string { return c.(map[string]any)["image"].(string) }

	// strategic (the default) merges containers by name.
	got := run(t, env, step(t, `
patch:
  apiVersion: apps/v1
  kind: Deployment
  name: web
  namespace: shop
  patch: {spec: {template: {spec: {containers: [{name: sidecar, image: "busybox:2"}]}}}}
`))
	if !equal(got, []string{"patched Deployment shop/web"}) {
		t.Errorf("changed %q", got)
	}
	if cs := containers(); len(cs) != 2 || image(cs[0]) != "nginx:1" || image(cs[1]) != "busybox:2" {
		t.Errorf("containers after strategic patch: %v", cs)
	}

	// merge: maps merge, lists are replaced.
	run(t, env, step(t, `patch: {apiVersion: apps/v1, kind: Deployment, name: web, namespace: shop, type: merge, patch: {metadata: {labels: {tier: frontend}}, spec: {template: {spec: {containers: [{name: app, image: "nginx:2"}]}}}}}`))
	if cs := containers(); len(cs) != 1 || image(cs[0]) != "nginx:2" {
		t.Errorf("containers after merge patch: %v", cs)
	}
	if labels := getObject(t, c, web).GetLabels(); labels["app"] != "web" || labels["tier"] != "frontend" {
		t.Errorf("labels %v", labels)
	}

	// json: operations.
	run(t, env, step(t, `patch: {apiVersion: apps/v1, kind: Deployment, name: web, namespace: shop, type: json, patch: [{op: replace, path: /spec/replicas, value: 3}]}`))
	if n, _, _ := unstructured.NestedInt64(getObject(t, c, web).Object, "spec", "replicas"); n != 3 {
		t.Errorf("replicas %d after json patch", n)
	}

	// A missing object is an error naming it.
	_, err := step(t, `patch: {apiVersion: apps/v1, kind: Deployment, name: nope, namespace: shop, patch: {spec: {replicas: 2}}}`).Run(ctx, env)
	if !apierrors.IsNotFound(err) || !strings.Contains(err.Error(), "patch Deployment shop/nope") {
		t.Errorf("missing object: err %v", err)
	}

	// A protected object is refused and left as it was.
	for _, r := range []lab.Ref{
		{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "cluster-admin"},
		configMap("kube-public", "ckalab-lab"),
	} {
		changed, err := steps.Spec{Action: &steps.Patch{Ref: r, Type: "merge", Patch: map[string]any{"metadata": map[string]any{"labels": map[string]any{"x": "y"}}}}}.Run(ctx, env)
		var pe *steps.ProtectedError
		if !errors.As(err, &pe) || len(changed) > 0 {
			t.Errorf("%s: changed %q, err %v; want a ProtectedError", r, changed, err)
		}
		if getObject(t, c, r).GetLabels()["x"] != "" {
			t.Errorf("%s was patched", r)
		}
	}
}

// TestPatchSubresourceUnit: a patch of a CertificateSigningRequest's
// approval subresource (what `kubectl certificate approve` writes) goes to
// that subresource; any other subresource, or approval of another kind, is
// refused before it runs.
func TestPatchSubresourceUnit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := fakelab.New(t, fakelab.Manifest(t, `
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata: {name: jane}
spec:
  request: cmVxdWVzdA==
  signerName: kubernetes.io/kube-apiserver-client
  usages: [client auth]
`)...)
	env := steps.Env{Cluster: c}
	got := run(t, env, step(t, `
patch:
  apiVersion: certificates.k8s.io/v1
  kind: CertificateSigningRequest
  name: jane
  subresource: approval
  type: merge
  patch: {status: {conditions: [{type: Approved, status: "True", reason: KubectlApprove}]}}
`))
	if !equal(got, []string{"patched CertificateSigningRequest jane/approval"}) {
		t.Errorf("changed %q", got)
	}
	_, dyn := fakelab.Fakes(c)
	var sub []string
	for _, a := range dyn.Actions() {
		if a.GetVerb() == "patch" {
			sub = append(sub, a.GetSubresource())
		}
	}
	if !equal(sub, []string{"approval"}) {
		t.Errorf("patches went to subresources %q, want [approval]", sub)
	}

	refused(t, nil, map[string]string{
		`patch: {apiVersion: v1, kind: Pod, namespace: a, name: b, subresource: status, patch: {status: {phase: Running}}}`:                                       "want approval",
		`patch: {apiVersion: apps/v1, kind: Deployment, namespace: a, name: b, subresource: approval, patch: {spec: {replicas: 1}}}`:                              "not of a Deployment",
		`patch: {apiVersion: certificates.k8s.io/v1, kind: CertificateSigningRequest, name: jane, subresource: scale, type: merge, patch: {spec: {replicas: 1}}}`: "want approval",
	})
	// Run refuses it too, for a step built without validation.
	_, err := steps.Spec{Action: &steps.Patch{Ref: lab.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "a", Name: "b"},
		Subresource: "status", Patch: map[string]any{}}}.Run(ctx, env)
	if err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Errorf("Run of a status patch: err %v", err)
	}
}
