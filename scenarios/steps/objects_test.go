package steps_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ckalab/ckalab/internal/simtest"
	"github.com/ckalab/ckalab/scenarios/steps"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestApplyInlineMultiDocIdempotent(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ctx := context.Background()
	ns := simtest.UniqueName(t)
	simtest.DeleteNamespaceAtCleanup(t, c, ns)
	env := steps.Env{Cluster: c}
	s := step(t, fmt.Sprintf(`
apply:
  manifest: |
    apiVersion: v1
    kind: Namespace
    metadata: {name: %[1]s}
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: cfg, namespace: %[1]s}
    data: {mode: dev}
`, ns))
	want := []string{"applied Namespace " + ns, "applied ConfigMap " + ns + "/cfg"}
	if got := run(t, env, s); !equal(got, want) {
		t.Errorf("changed %q, want %q", got, want)
	}
	cm, err := c.Kube.CoreV1().ConfigMaps(ns).Get(ctx, "cfg", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["mode"] != "dev" {
		t.Errorf("data %v", cm.Data)
	}
	managers := map[string]bool{}
	for _, m := range cm.ManagedFields {
		managers[m.Manager] = m.Operation == metav1.ManagedFieldsOperationApply
	}
	if !managers[steps.FieldManager] {
		t.Errorf("managed fields %v, want a server-side apply by %q", cm.ManagedFields, steps.FieldManager)
	}

	// Applying again changes nothing and is no error.
	if got := run(t, env, s); !equal(got, want) {
		t.Errorf("second apply changed %q, want %q", got, want)
	}
	again, err := c.Kube.CoreV1().ConfigMaps(ns).Get(ctx, "cfg", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.ResourceVersion != cm.ResourceVersion {
		t.Errorf("re-apply of the same manifest wrote the object (resourceVersion %s → %s)", cm.ResourceVersion, again.ResourceVersion)
	}

	// Applying a changed manifest takes over the fields, even from another manager.
	again.Data["mode"] = "edited-by-hand"
	if _, err := c.Kube.CoreV1().ConfigMaps(ns).Update(ctx, again, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	apply(t, env, fmt.Sprintf("{apiVersion: v1, kind: ConfigMap, metadata: {name: cfg, namespace: %s}, data: {mode: prod}}", ns))
	cm, err = c.Kube.CoreV1().ConfigMaps(ns).Get(ctx, "cfg", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["mode"] != "prod" {
		t.Errorf("data %v after applying mode prod", cm.Data)
	}
}

func TestApplyDefaultNamespace(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ctx := context.Background()
	name := simtest.UniqueName(t)
	t.Cleanup(func() {
		_ = c.Kube.CoreV1().ConfigMaps("default").Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	env := steps.Env{Cluster: c}
	got := apply(t, env, fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {a: b}\n", name))
	if want := "applied ConfigMap default/" + name; len(got) != 1 || got[0] != want {
		t.Errorf("changed %q, want [%q]", got, want)
	}
	if _, err := c.Kube.CoreV1().ConfigMaps("default").Get(ctx, name, metav1.GetOptions{}); err != nil {
		t.Fatalf("ConfigMap not in default: %v", err)
	}

	// JSON works too, and an unknown kind is an error naming it.
	_, err := steps.Spec{Action: &steps.Apply{Manifest: `{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}`}}.Run(ctx, env)
	if err == nil || !strings.Contains(err.Error(), "example.com/v1 Widget") {
		t.Errorf("unknown kind: err %v", err)
	}
}

func TestApplyFile(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ctx := context.Background()
	ns := newNS(t, c)
	files := fstest.MapFS{
		"manifests/cm.yaml": {Data: []byte(fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-file, namespace: %s}\ndata: {k: v}\n", ns))},
		"secret.txt":        {Data: []byte("not a manifest: [")},
	}
	env := steps.Env{Cluster: c, Files: files}

	s, node := parse(t, "apply: {file: manifests/cm.yaml}")
	if ps, _ := s.Validate("setup[0]", node, files); len(ps) > 0 {
		t.Errorf("problems %v", ps)
	}
	got := run(t, env, s)
	if want := "applied ConfigMap " + ns + "/from-file"; len(got) != 1 || got[0] != want {
		t.Errorf("changed %q", got)
	}
	cm, err := c.Kube.CoreV1().ConfigMaps(ns).Get(ctx, "from-file", metav1.GetOptions{})
	if err != nil || cm.Data["k"] != "v" {
		t.Fatalf("ConfigMap %v, %v", cm, err)
	}

	for file, want := range map[string]string{
		"../manifests/cm.yaml":  `"../manifests/cm.yaml" must be a relative path inside its folder`,
		"/etc/passwd":           `"/etc/passwd" must be a relative path`,
		"manifests/../cm.yaml":  "must be a relative path",
		"manifests\\cm.yaml":    "must be a relative path",
		"manifests/none.yaml":   "read manifests/none.yaml",
		"secret.txt":            "document 1",
		"manifests/./cm.yaml":   "must be a relative path",
		"manifests/cm.yaml/../": "must be a relative path",
	} {
		s := steps.Spec{Action: &steps.Apply{File: file}}
		_, err := s.Run(ctx, env)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("apply file %q: err %v, want %q", file, err, want)
		}
		ps, _ := s.Validate("setup[0]", nil, files)
		if len(ps) != 1 || ps[0].Path != "setup[0].apply.file" || !strings.Contains(ps[0].Msg, want) {
			t.Errorf("validate file %q: problems %v, want one at setup[0].apply.file: %q", file, ps, want)
		}
	}

	// Without a scenario folder there is nothing to read.
	_, err = steps.Spec{Action: &steps.Apply{File: "manifests/cm.yaml"}}.Run(ctx, steps.Env{Cluster: c})
	if err == nil || !strings.Contains(err.Error(), "the scenario has no folder") {
		t.Errorf("no folder: err %v", err)
	}
}

func TestPatch(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ctx := context.Background()
	ns := newNS(t, c)
	env := steps.Env{Cluster: c}
	apply(t, env, webWithSidecar(ns))
	deps := c.Kube.AppsV1().Deployments(ns)

	// strategic (the default) merges containers by name.
	got := run(t, env, step(t, fmt.Sprintf(`
patch:
  apiVersion: apps/v1
  kind: Deployment
  name: web
  namespace: %s
  patch:
    spec:
      template:
        spec:
          containers:
          - {name: sidecar, image: "busybox:2"}
`, ns)))
	if want := "patched Deployment " + ns + "/web"; len(got) != 1 || got[0] != want {
		t.Errorf("changed %q, want [%q]", got, want)
	}
	d, err := deps.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cs := d.Spec.Template.Spec.Containers
	if len(cs) != 2 || cs[0].Name != "app" || cs[0].Image != "nginx:1" || cs[1].Image != "busybox:2" {
		t.Errorf("containers after strategic patch: %+v", cs)
	}
	patched := false
	for _, m := range d.ManagedFields {
		patched = patched || (m.Manager == steps.FieldManager && m.Operation == metav1.ManagedFieldsOperationUpdate)
	}
	if !patched {
		t.Errorf("managed fields %+v, want an update by %q", d.ManagedFields, steps.FieldManager)
	}

	// merge: maps merge, lists are replaced.
	run(t, env, step(t, fmt.Sprintf(`
patch:
  apiVersion: apps/v1
  kind: Deployment
  name: web
  namespace: %s
  type: merge
  patch:
    metadata: {labels: {tier: frontend}}
    spec:
      template:
        spec:
          containers:
          - {name: app, image: "nginx:2"}
`, ns)))
	d, err = deps.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cs = d.Spec.Template.Spec.Containers
	if len(cs) != 1 || cs[0].Image != "nginx:2" {
		t.Errorf("containers after merge patch: %+v, want only app with nginx:2", cs)
	}
	if d.Labels["app"] != "web" || d.Labels["tier"] != "frontend" {
		t.Errorf("labels %v, want app and tier", d.Labels)
	}

	// json: operations.
	run(t, env, step(t, fmt.Sprintf(`
patch:
  apiVersion: apps/v1
  kind: Deployment
  name: web
  namespace: %s
  type: json
  patch:
  - {op: replace, path: /spec/replicas, value: 3}
  - {op: remove, path: /metadata/labels/tier}
`, ns)))
	d, err = deps.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 3 || d.Labels["tier"] != "" {
		t.Errorf("replicas %d, labels %v after json patch", *d.Spec.Replicas, d.Labels)
	}

	// A json patch whose test fails is an error.
	_, err = step(t, fmt.Sprintf(`
patch: {apiVersion: apps/v1, kind: Deployment, name: web, namespace: %s, type: json, patch: [{op: test, path: /spec/replicas, value: 1}]}
`, ns)).Run(ctx, env)
	if err == nil {
		t.Error("json patch with a failing test op: no error")
	}

	// Patching a missing object is an error.
	_, err = step(t, fmt.Sprintf(`
patch: {apiVersion: apps/v1, kind: Deployment, name: nope, namespace: %s, patch: {spec: {replicas: 2}}}
`, ns)).Run(ctx, env)
	if err == nil || !apierrors.IsNotFound(err) || !strings.Contains(err.Error(), "patch Deployment "+ns+"/nope") {
		t.Errorf("missing object: err %v, want a not-found error naming it", err)
	}
}

func TestDeleteByNameWaitsUntilGone(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ctx := context.Background()
	ns := newNS(t, c)
	env := steps.Env{Cluster: c}
	apply(t, env, deployment(ns, "web", 2, ""))
	waitReady(t, c, ns, "app=web", 2)

	got := run(t, env, step(t, fmt.Sprintf(`
delete: {apiVersion: apps/v1, kind: Deployment, name: web, namespace: %s, timeout: 30s}
`, ns)))
	if want := "deleted Deployment " + ns + "/web"; len(got) != 1 || got[0] != want {
		t.Errorf("changed %q, want [%q]", got, want)
	}
	if _, err := c.Kube.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Deployment still there after delete returned: %v", err)
	}
	// Foreground deletion: the ReplicaSet and pods went first.
	rs, err := c.Kube.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Items) != 0 {
		t.Errorf("%d ReplicaSets left", len(rs.Items))
	}
	if pods := podsOf(t, c, ns, "app=web"); len(pods) != 0 {
		t.Errorf("%d pods left", len(pods))
	}

	// Cluster-scoped objects by name.
	role := simtest.UniqueName(t)
	apply(t, env, fmt.Sprintf("{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: %s}, rules: []}", role))
	t.Cleanup(func() {
		_ = c.Kube.RbacV1().ClusterRoles().Delete(context.Background(), role, metav1.DeleteOptions{})
	})
	got = run(t, env, step(t, fmt.Sprintf("delete: {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, name: %s}", role)))
	if want := "deleted ClusterRole " + role; len(got) != 1 || got[0] != want {
		t.Errorf("changed %q, want [%q]", got, want)
	}
	if _, err := c.Kube.RbacV1().ClusterRoles().Get(ctx, role, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("ClusterRole still there: %v", err)
	}
}

func TestDeleteByLabelsOwnedPods(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := steps.Env{Cluster: c}
	apply(t, env, deployment(ns, "rs", 2, ""))
	before := waitReady(t, c, ns, "app=rs", 2)
	old := map[types.UID]string{}
	var want []string
	for _, p := range before {
		old[p.UID] = p.Name
		want = append(want, "deleted Pod "+ns+"/"+p.Name)
	}

	// The ReplicaSet replaces the pods at once, with the same labels: the
	// step must wait for the deleted pods, not for no pod to match.
	start := time.Now()
	got := run(t, env, step(t, fmt.Sprintf(`
delete:
  apiVersion: v1
  kind: Pod
  namespace: %s
  labels: {app: rs}
  timeout: 20s
`, ns)))
	if !sameSet(got, want) {
		t.Errorf("changed %q, want %q", got, want)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("delete took %s", d)
	}
	for _, p := range podsOf(t, c, ns, "app=rs") {
		if name, ok := old[p.UID]; ok {
			t.Errorf("deleted pod %s still there after delete returned", name)
		}
	}
	after := waitReady(t, c, ns, "app=rs", 2)
	for _, p := range after {
		if _, ok := old[p.UID]; ok {
			t.Errorf("pod %s is an old one", p.Name)
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestDeleteMissingIsNoError(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := steps.Env{Cluster: c}
	for _, src := range []string{
		fmt.Sprintf("delete: {apiVersion: v1, kind: ConfigMap, name: nope, namespace: %s}", ns),
		fmt.Sprintf("delete: {apiVersion: v1, kind: Pod, namespace: %s, labels: {app: nothing}}", ns),
		"delete: {apiVersion: v1, kind: ConfigMap, name: nope, namespace: no-such-namespace-at-all}",
		"delete: {apiVersion: storage.k8s.io/v1, kind: StorageClass, name: no-such-class}",
	} {
		changed, err := step(t, src).Run(context.Background(), env)
		if err != nil || len(changed) != 0 {
			t.Errorf("%s: changed %q, err %v; want nothing and no error", src, changed, err)
		}
	}
	_, err := step(t, "delete: {apiVersion: v1, kind: Gadget, name: g}").Run(context.Background(), env)
	if err == nil || !strings.Contains(err.Error(), "v1 Gadget") {
		t.Errorf("unknown kind: err %v", err)
	}
}

func TestWait(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ctx := context.Background()
	ns := newNS(t, c)
	env := steps.Env{Cluster: c}
	apply(t, env, deployment(ns, "web", 2, worker))

	// readyReplicas appears only once the controllers and kwok did their part.
	start := time.Now()
	run(t, env, step(t, fmt.Sprintf(`
wait:
  apiVersion: apps/v1
  kind: Deployment
  name: web
  namespace: %s
  for: has(object.status.readyReplicas) && object.status.readyReplicas == 2
  timeout: 60s
`, ns)))
	if n := readyPods(podsOf(t, c, ns, "app=web")); n != 2 {
		t.Errorf("wait returned with %d Ready pods", n)
	}
	t.Logf("deployment ready after %s", time.Since(start))

	run(t, env, step(t, fmt.Sprintf(`
wait:
  apiVersion: v1
  kind: Pod
  namespace: %s
  labels: {app: web}
  for: objects.size() == 2 && objects.all(p, p.spec.nodeName == '%s' && p.status.phase == 'Running')
  timeout: 10s
`, ns, worker)))

	// A timeout says what the objects are like in words; the condition
	// itself (or the last evaluation error) is only the detail.
	var pods []string
	for _, p := range podsOf(t, c, ns, "app=web") {
		pods = append(pods, ns+"/"+p.Name+" on node "+worker)
	}
	for _, tc := range []struct{ src, want, detail string }{
		{fmt.Sprintf(`wait: {apiVersion: apps/v1, kind: Deployment, name: web, namespace: %s, for: "object.spec.replicas == 5", timeout: 300ms}`, ns),
			"still waiting after 300ms for Deployment " + ns + "/web: spec.replicas is 2",
			"`object.spec.replicas == 5` is false"},
		{fmt.Sprintf(`wait: {apiVersion: v1, kind: ConfigMap, name: nope, namespace: %s, for: "true", timeout: 200ms}`, ns),
			"still waiting after 200ms for ConfigMap " + ns + "/nope: it does not exist",
			"ConfigMap " + ns + "/nope not found"},
		{fmt.Sprintf(`wait: {apiVersion: apps/v1, kind: Deployment, name: web, namespace: %s, for: "object.spec.nope == 1", timeout: 200ms}`, ns),
			"still waiting after 200ms for Deployment " + ns + "/web: spec.nope is not set",
			"no such key: nope"},
		{fmt.Sprintf(`wait: {apiVersion: v1, kind: Pod, labels: {app: web}, namespace: %s, for: "objects.size() == 3", timeout: 200ms}`, ns),
			"still waiting after 200ms for Pods labelled app=web in " + ns + ": 2 match now: " + strings.Join(pods, ", "),
			"`objects.size() == 3` is false"},
	} {
		start := time.Now()
		_, err := step(t, tc.src).Run(ctx, env)
		var te *steps.TimeoutError
		if !errors.As(err, &te) || err.Error() != tc.want || te.Detail != tc.detail {
			t.Errorf("%s: err %v, want %q with detail %q", tc.src, err, tc.want, tc.detail)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %s", tc.src, d)
		}
	}

	// A cancelled context stops the wait.
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err := step(t, fmt.Sprintf(`wait: {apiVersion: v1, kind: ConfigMap, name: nope, namespace: %s, for: "true", timeout: 60s}`, ns)).Run(cctx, env)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled wait: err %v after %s", err, time.Since(start))
	}
}
