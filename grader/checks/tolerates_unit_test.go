package checks_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const toleratesUnitObjects = `
apiVersion: v1
kind: Node
metadata: {name: gpu-node}
spec:
  taints: [{key: dedicated, value: gpu, effect: NoSchedule}]
---
apiVersion: v1
kind: Pod
metadata: {name: exists, namespace: shop, labels: {group: ok}}
spec:
  tolerations: [{key: dedicated, operator: Exists}]
  containers: [{name: main, image: nginx:1.27}]
---
apiVersion: v1
kind: Pod
metadata: {name: equal, namespace: shop, labels: {group: ok}}
spec:
  tolerations: [{key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}]
  containers: [{name: main, image: nginx:1.27}]
---
apiVersion: v1
kind: Pod
metadata: {name: wildcard, namespace: shop, labels: {group: ok}}
spec:
  tolerations: [{operator: Exists}]
  containers: [{name: main, image: nginx:1.27}]
---
apiVersion: v1
kind: Pod
metadata: {name: wrong-value, namespace: shop, labels: {group: bad}}
spec:
  tolerations: [{key: dedicated, value: cpu, effect: NoSchedule}]
  containers: [{name: main, image: nginx:1.27}]
---
apiVersion: v1
kind: Pod
metadata: {name: wrong-effect, namespace: shop, labels: {group: bad}}
spec:
  tolerations: [{key: dedicated, operator: Exists, effect: NoExecute}]
  containers: [{name: main, image: nginx:1.27}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: trainer, namespace: shop}
spec:
  selector: {matchLabels: {app: trainer}}
  template:
    metadata: {labels: {app: trainer}}
    spec:
      tolerations: [{key: dedicated, operator: Exists, effect: NoSchedule}]
      containers: [{name: main, image: trainer:1}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec:
  schedule: "0 0 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: main, image: job:1}]
`

func TestToleratesUnit(t *testing.T) {
	t.Parallel()
	l := newUnitLab(t, toleratesUnitObjects)

	t.Run("pass: Exists, Equal and an empty key tolerate, as the scheduler judges", func(t *testing.T) {
		chk := build(t, "tolerates", `
namespace: shop
labels: {group: ok}
node: gpu-node
taint: {key: dedicated, value: gpu, effect: NoSchedule}
`)
		obs := unitPass(t, chk, l.Env)
		if obs.Actual != "tolerated" {
			t.Errorf("actual %q", obs.Actual)
		}
		unitWantContains(t, "expected", obs.Expected, "Pod with labels group=ok in namespace shop tolerates taint dedicated=gpu:NoSchedule of node gpu-node")
	})

	t.Run("fail: a wrong value or effect does not tolerate", func(t *testing.T) {
		chk := build(t, "tolerates", `{namespace: shop, labels: {group: bad}, taint: {key: dedicated, value: gpu, effect: NoSchedule}}`)
		obs := unitFail(t, chk, l.Env,
			"Pod shop/wrong-value has no toleration for dedicated=gpu:NoSchedule (its tolerations: dedicated Equal cpu:NoSchedule)")
		unitWantProblem(t, obs, "Pod shop/wrong-effect has no toleration", "dedicated Exists :NoExecute")
		if obs.Actual != "not tolerated" || len(obs.Problems) != 2 {
			t.Errorf("actual %q, problems %q", obs.Actual, obs.Problems)
		}
	})

	t.Run("pod templates: Deployment passes, CronJob without tolerations fails", func(t *testing.T) {
		dep := build(t, "tolerates", `{apiVersion: apps/v1, kind: Deployment, name: trainer, namespace: shop, taint: {key: dedicated, value: gpu, effect: NoSchedule}}`)
		unitPass(t, dep, l.Env)
		cron := build(t, "tolerates", `{apiVersion: batch/v1, kind: CronJob, name: nightly, namespace: shop, taint: {key: dedicated, value: gpu, effect: NoSchedule}}`)
		unitFail(t, cron, l.Env, "CronJob shop/nightly has no toleration for dedicated=gpu:NoSchedule (its tolerations: none)")
	})

	t.Run("fail: no such pod", func(t *testing.T) {
		chk := build(t, "tolerates", `{name: ghost, namespace: shop, taint: {key: dedicated, value: gpu, effect: NoSchedule}}`)
		obs := unitFail(t, chk, l.Env, `not found: Pod "ghost" in namespace shop`)
		if obs.Actual != `no Pod "ghost" in namespace shop` {
			t.Errorf("actual %q", obs.Actual)
		}
	})

	t.Run("fail: removing the taint is not tolerating it", func(t *testing.T) {
		l := newUnitLab(t, toleratesUnitObjects)
		ctx := context.Background()
		n, err := l.Kube.CoreV1().Nodes().Get(ctx, "gpu-node", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "other", Effect: corev1.TaintEffectNoSchedule}}
		if _, err := l.Kube.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		chk := build(t, "tolerates", `{name: exists, namespace: shop, node: gpu-node, taint: {key: dedicated, value: gpu, effect: NoSchedule}}`)
		obs := unitFail(t, chk, l.Env, "node gpu-node no longer has taint dedicated=gpu:NoSchedule: it must stay")
		if len(obs.Problems) != 1 {
			t.Errorf("problems %q: the pod itself tolerates, only the node is wrong", obs.Problems)
		}
	})

	t.Run("fail: an unknown node is an error", func(t *testing.T) {
		chk := build(t, "tolerates", `{name: exists, namespace: shop, node: nowhere, taint: {key: dedicated, value: gpu, effect: NoSchedule}}`)
		obs := unitFail(t, chk, l.Env, `"nowhere" not found`)
		unitWantContains(t, "actual", obs.Actual, "error: ")
	})

	t.Run("validation", func(t *testing.T) {
		_, ps := buildProblems(t, "tolerates", `{name: x, namespace: shop, taint: {effect: Sometimes}}`)
		if len(ps) != 2 {
			t.Errorf("problems %q, want taint.key required and a bad effect", ps)
		}
	})
}
