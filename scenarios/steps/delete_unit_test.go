package steps_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios/steps"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"
)

const deleteUnitObjects = `
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: shop, uid: uid-a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: stuck, namespace: shop, uid: uid-stuck, finalizers: [example.com/hold]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, uid: uid-web-1, labels: {app: web}}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, namespace: shop, uid: uid-web-2, labels: {app: web}}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, uid: uid-db, labels: {app: db}}
---
apiVersion: v1
kind: Node
metadata: {name: w1, uid: uid-w1}
`

// holdFinalized makes the dynamic fake keep an object with finalizers
// when it is deleted, marked as being deleted, as the API server does.
func holdFinalized(tracker clienttesting.ObjectTracker) clienttesting.ReactionFunc {
	return func(action clienttesting.Action) (bool, runtime.Object, error) {
		da := action.(clienttesting.DeleteAction)
		obj, err := tracker.Get(da.GetResource(), da.GetNamespace(), da.GetName())
		if err != nil {
			return false, nil, nil
		}
		acc, _ := obj.(metav1.Object)
		if len(acc.GetFinalizers()) == 0 {
			return false, nil, nil
		}
		now := metav1.Now()
		acc.SetDeletionTimestamp(&now)
		return true, nil, tracker.Update(da.GetResource(), obj, da.GetNamespace())
	}
}

func TestDeleteUnit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := fakelab.New(t, fakelab.Manifest(t, protectedObjects+"---"+deleteUnitObjects)...)
	_, dyn := fakelab.Fakes(c)
	dyn.PrependReactor("delete", "*", holdFinalized(dyn.Tracker()))
	env := steps.Env{Cluster: c}
	pod := func(name string) lab.Ref {
		return lab.Ref{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: name}
	}

	t.Run("by name, and waits until it is gone", func(t *testing.T) {
		got := run(t, env, step(t, "delete: {apiVersion: v1, kind: ConfigMap, name: a, namespace: shop}"))
		if !equal(got, []string{"deleted ConfigMap shop/a"}) || getObject(t, c, configMap("shop", "a")) != nil {
			t.Errorf("changed %q; still there: %v", got, getObject(t, c, configMap("shop", "a")) != nil)
		}
	})

	t.Run("by labels, only those", func(t *testing.T) {
		got := run(t, env, step(t, "delete: {apiVersion: v1, kind: Pod, namespace: shop, labels: {app: web}}"))
		if !equal(got, []string{"deleted Pod shop/web-1", "deleted Pod shop/web-2"}) {
			t.Errorf("changed %q", got)
		}
		if getObject(t, c, pod("web-1")) != nil || getObject(t, c, pod("web-2")) != nil || getObject(t, c, pod("db")) == nil {
			t.Error("the wrong pods are gone")
		}
	})

	t.Run("a missing object is no error", func(t *testing.T) {
		for _, src := range []string{
			"delete: {apiVersion: v1, kind: ConfigMap, name: nope, namespace: shop}",
			"delete: {apiVersion: v1, kind: Pod, namespace: shop, labels: {app: nothing}}",
		} {
			changed, err := step(t, src).Run(ctx, env)
			if err != nil || len(changed) != 0 {
				t.Errorf("%s: changed %q, err %v", src, changed, err)
			}
		}
	})

	t.Run("an object that stays: a timeout saying what holds it", func(t *testing.T) {
		start := time.Now()
		changed, err := step(t, "delete: {apiVersion: v1, kind: ConfigMap, name: stuck, namespace: shop, timeout: 300ms}").Run(ctx, env)
		var te *steps.TimeoutError
		if !errors.As(err, &te) {
			t.Fatalf("err %v, want a *TimeoutError", err)
		}
		if want := "still waiting after 300ms for deletion of ConfigMap shop/stuck: ConfigMap shop/stuck is waiting for finalizer example.com/hold"; err.Error() != want {
			t.Errorf("err\n%s\nwant\n%s", err, want)
		}
		if te.Detail != "ConfigMap shop/stuck is still there" || !equal(changed, []string{"deleted ConfigMap shop/stuck"}) {
			t.Errorf("detail %q, changed %q", te.Detail, changed)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %s", d)
		}
	})

	t.Run("protected objects are refused, and nothing is deleted", func(t *testing.T) {
		for _, s := range []steps.Spec{
			{Action: &steps.Delete{Ref: lab.Ref{APIVersion: "v1", Kind: "Node", Name: "w1"}}},
			{Action: &steps.Delete{Ref: configMap("kube-public", "ckalab-lab")}},
			// a selector that reaches an RBAC default without naming its label
			{Action: &steps.Delete{Ref: lab.Ref{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"}, Labels: map[string]string{}}},
		} {
			changed, err := s.Run(ctx, env)
			var pe *steps.ProtectedError
			if !errors.As(err, &pe) || len(changed) > 0 || !strings.HasPrefix(err.Error(), "refused to delete ") {
				t.Errorf("%+v: changed %q, err %v; want a ProtectedError", s.Action, changed, err)
			}
		}
		for _, r := range []lab.Ref{
			{APIVersion: "v1", Kind: "Node", Name: "w1"},
			configMap("kube-public", "ckalab-lab"),
			{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "cluster-admin"},
		} {
			if getObject(t, c, r) == nil {
				t.Errorf("%s was deleted", r)
			}
		}
	})

	t.Run("an unknown propagation policy is refused", func(t *testing.T) {
		refused(t, nil, map[string]string{
			"delete: {apiVersion: v1, kind: ConfigMap, name: a, namespace: shop, propagation: Sideways}":   `step.delete.propagation: got "Sideways", want one of Foreground, Background, Orphan (default Foreground)`,
			"delete: {apiVersion: v1, kind: ConfigMap, name: a, namespace: shop, propagation: background}": `got "background", want one of`,
		})
		bad := steps.Spec{Action: &steps.Delete{Ref: configMap("shop", "db"), Propagation: "Cascade"}}
		if changed, err := bad.Run(ctx, env); err == nil || len(changed) > 0 || !strings.Contains(err.Error(), `propagation got "Cascade"`) {
			t.Errorf("made in code: changed %q, err %v; want it refused", changed, err)
		}
	})

	t.Run("propagation: what is sent, and what is waited for", testDeletePropagation)

	t.Run("an unknown kind is an error naming it", func(t *testing.T) {
		_, err := step(t, "delete: {apiVersion: v1, kind: Gadget, name: g}").Run(ctx, env)
		if err == nil || !strings.Contains(err.Error(), "v1 Gadget") {
			t.Errorf("err %v", err)
		}
	})
}

// testDeletePropagation: the policy a delete step sends, and what it waits
// for, on an API server whose garbage collector does not run (a scenario
// broke the controller manager): the object of a foreground or orphan
// deletion then keeps its finalizer for good, and only a background
// deletion ends.
func testDeletePropagation(t *testing.T) {
	ctx := context.Background()
	c := fakelab.New(t, fakelab.Manifest(t, `
apiVersion: v1
kind: ConfigMap
metadata: {name: fg, namespace: shop, uid: uid-fg}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: bg, namespace: shop, uid: uid-bg}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: or, namespace: shop, uid: uid-or}
---
apiVersion: v1
kind: Pod
metadata:
  name: dependent
  namespace: shop
  uid: uid-dependent
  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: bg, uid: uid-bg}]
`)...)
	_, dyn := fakelab.Fakes(c)
	var policies []string
	dyn.PrependReactor("delete", "*", func(action clienttesting.Action) (bool, runtime.Object, error) {
		da := action.(clienttesting.DeleteAction)
		p := da.GetDeleteOptions().PropagationPolicy
		if p == nil {
			policies = append(policies, da.GetName()+"=<none>")
			return false, nil, nil
		}
		policies = append(policies, da.GetName()+"="+string(*p))
		// The API server marks the object and leaves it to the garbage
		// collector, which never comes.
		finalizer := map[metav1.DeletionPropagation]string{
			metav1.DeletePropagationForeground: metav1.FinalizerDeleteDependents,
			metav1.DeletePropagationOrphan:     metav1.FinalizerOrphanDependents,
		}[*p]
		if finalizer == "" {
			return false, nil, nil
		}
		obj, err := dyn.Tracker().Get(da.GetResource(), da.GetNamespace(), da.GetName())
		if err != nil {
			return false, nil, nil
		}
		acc := obj.(metav1.Object)
		now := metav1.Now()
		acc.SetDeletionTimestamp(&now)
		acc.SetFinalizers(append(acc.GetFinalizers(), finalizer))
		return true, nil, dyn.Tracker().Update(da.GetResource(), obj, da.GetNamespace())
	})
	env := steps.Env{Cluster: c}

	// Background: the object is gone at once; its dependent stays for the
	// garbage collector, and the step does not wait for it.
	got := run(t, env, step(t, "delete: {apiVersion: v1, kind: ConfigMap, name: bg, namespace: shop, propagation: Background, timeout: 2s}"))
	if !equal(got, []string{"deleted ConfigMap shop/bg"}) || getObject(t, c, configMap("shop", "bg")) != nil {
		t.Errorf("background: changed %q; still there: %v", got, getObject(t, c, configMap("shop", "bg")) != nil)
	}
	if getObject(t, c, lab.Ref{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: "dependent"}) == nil {
		t.Error("background: the dependent went too, which only the garbage collector does")
	}
	// The default, Foreground, and Orphan wait for the garbage collector.
	for _, tc := range []struct{ src, finalizer string }{
		{"delete: {apiVersion: v1, kind: ConfigMap, name: fg, namespace: shop, timeout: 200ms}", "foregroundDeletion"},
		{"delete: {apiVersion: v1, kind: ConfigMap, name: or, namespace: shop, propagation: Orphan, timeout: 200ms}", "orphan"},
	} {
		_, err := step(t, tc.src).Run(ctx, env)
		var te *steps.TimeoutError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), "finalizer "+tc.finalizer) {
			t.Errorf("%s: err %v, want a timeout naming finalizer %s", tc.src, err, tc.finalizer)
		}
	}
	if want := []string{"bg=Background", "fg=Foreground", "or=Orphan"}; !equal(policies, want) {
		t.Errorf("sent policies %q, want %q", policies, want)
	}
}
