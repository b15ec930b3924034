package checks_test

import "testing"

func TestAbsentUnit(t *testing.T) {
	t.Parallel()
	l := newUnitLab(t, `
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: shop, labels: {tier: debug}}
spec: {containers: [{name: main, image: busybox:1.36}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {tier: front}}
spec:
  containers: [{name: main, image: nginx:1.27}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: too-much}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: ci, namespace: shop}]
`)

	t.Run("pass: no such object", func(t *testing.T) {
		chk := build(t, "absent", `{apiVersion: v1, kind: Pod, name: gone, namespace: shop}`)
		obs := unitPass(t, chk, l.Env)
		if obs.Actual != "none (0 candidate(s) checked)" {
			t.Errorf("actual %q", obs.Actual)
		}
		if obs.Expected != `no Pod "gone" in namespace shop` {
			t.Errorf("expected %q", obs.Expected)
		}
	})

	t.Run("pass: candidates exist but none matches", func(t *testing.T) {
		chk := build(t, "absent", `
apiVersion: v1
kind: Pod
namespace: shop
expr: ["object.spec.containers.exists(c, c.image.startsWith('busybox:')) && object.metadata.labels.tier == 'front'"]
`)
		obs := unitPass(t, chk, l.Env)
		if obs.Actual != "none (2 candidate(s) checked)" {
			t.Errorf("actual %q", obs.Actual)
		}
	})

	t.Run("fail: the object is still there", func(t *testing.T) {
		chk := build(t, "absent", `{apiVersion: v1, kind: Pod, namespace: shop, labels: {tier: debug}}`)
		obs := unitFail(t, chk, l.Env, "Pod shop/debug should not be there")
		if obs.Actual != "Pod shop/debug" || len(obs.Problems) != 1 {
			t.Errorf("actual %q, problems %q", obs.Actual, obs.Problems)
		}
	})

	t.Run("fail: a cluster-scoped object that matches", func(t *testing.T) {
		chk := build(t, "absent", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
expect: {roleRef: {name: cluster-admin}, subjects: [{name: ci}]}
`)
		unitFail(t, chk, l.Env, "ClusterRoleBinding too-much should not be there")
	})

	t.Run("an API error is no pass", func(t *testing.T) {
		// "absent" must not mistake "could not look" for "not there".
		chk := build(t, "absent", `{apiVersion: example.com/v1, kind: Widget, name: w}`)
		obs := unitFail(t, chk, l.Env, "example.com/v1 Widget")
		unitWantContains(t, "actual", obs.Actual, "error: ")
	})
}
