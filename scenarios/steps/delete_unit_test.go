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

	t.Run("an unknown kind is an error naming it", func(t *testing.T) {
		_, err := step(t, "delete: {apiVersion: v1, kind: Gadget, name: g}").Run(ctx, env)
		if err == nil || !strings.Contains(err.Error(), "v1 Gadget") {
			t.Errorf("err %v", err)
		}
	})
}
