package checks_test

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const matchUnitObjects = `
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop, labels: {app: web}}
data: {mode: dev, level: "3"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: other, namespace: shop, labels: {app: web}}
data: {mode: test}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: main
        image: nginx:1.27
        resources: {limits: {memory: 128Mi}}
`

func TestMatchUnit(t *testing.T) {
	t.Parallel()
	l := newUnitLab(t, matchUnitObjects)

	t.Run("pass by name with expect and expr", func(t *testing.T) {
		chk := build(t, "match", `
apiVersion: v1
kind: ConfigMap
name: settings
namespace: shop
expect:
  metadata: {labels: {app: web}}
  data: {mode: dev}
expr: ["object.data.level == '3'"]
`)
		obs := unitPass(t, chk, l.Env)
		if obs.Actual != "ConfigMap shop/settings matches" {
			t.Errorf("actual %q", obs.Actual)
		}
		unitWantContains(t, "expected", obs.Expected, `ConfigMap "settings" in namespace shop`, `"mode":"dev"`, "where object.data.level == '3'")
	})

	t.Run("pass on a workload in another group", func(t *testing.T) {
		chk := build(t, "match", `
apiVersion: apps/v1
kind: Deployment
name: web
namespace: shop
expect: {spec: {replicas: 3, template: {spec: {containers: [{name: main, image: nginx:1.27}]}}}}
`)
		unitPass(t, chk, l.Env)
	})

	t.Run("fail names each difference", func(t *testing.T) {
		chk := build(t, "match", `
apiVersion: v1
kind: ConfigMap
name: settings
namespace: shop
expect:
  data: {mode: prod, level: "3", missing: x}
  metadata: {labels: {app: null}}
expr: ["object.data.mode == 'prod'"]
`)
		obs := unitFail(t, chk, l.Env, "data.mode", `want "prod", got "dev"`)
		unitWantProblem(t, obs, "data.missing", "missing")
		unitWantProblem(t, obs, "metadata.labels.app", "want it unset")
		unitWantProblem(t, obs, "`object.data.mode == 'prod'` is false")
		if len(obs.Problems) != 4 {
			t.Errorf("problems %q, want exactly 4 (level matches)", obs.Problems)
		}
		if obs.Actual != "ConfigMap shop/settings differs" {
			t.Errorf("actual %q", obs.Actual)
		}
	})

	t.Run("fail when the object is missing", func(t *testing.T) {
		chk := build(t, "match", `{apiVersion: v1, kind: ConfigMap, name: nope, namespace: shop}`)
		obs := unitFail(t, chk, l.Env, `not found: ConfigMap "nope" in namespace shop`)
		if obs.Actual != `no ConfigMap "nope" in namespace shop` {
			t.Errorf("actual %q", obs.Actual)
		}
	})

	t.Run("labels: any candidate passes, else the closest is reported", func(t *testing.T) {
		any := build(t, "match", `
apiVersion: v1
kind: ConfigMap
namespace: shop
labels: {app: web}
expect: {data: {mode: test}}
expr: ["objects.size() == 2"]
`)
		obs := unitPass(t, any, l.Env)
		if obs.Actual != "ConfigMap shop/other matches" {
			t.Errorf("actual %q", obs.Actual)
		}
		none := build(t, "match", `
apiVersion: v1
kind: ConfigMap
namespace: shop
labels: {app: web}
expect: {data: {mode: dev, level: "4"}}
`)
		obs = unitFail(t, none, l.Env, "data.level", `want "4", got "3"`)
		if obs.Actual != "ConfigMap shop/settings differs (closest of 2 candidates)" {
			t.Errorf("actual %q", obs.Actual)
		}
		if len(obs.Problems) != 1 {
			t.Errorf("problems %q, want the closest candidate's only", obs.Problems)
		}
	})

	t.Run("later change is seen by the next look", func(t *testing.T) {
		l := newUnitLab(t, matchUnitObjects)
		chk := build(t, "match", `{apiVersion: v1, kind: ConfigMap, name: settings, namespace: shop, expect: {data: {mode: prod}}}`)
		unitFail(t, chk, l.Env, "data.mode")
		cms := l.Dynamic.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Namespace("shop")
		cm, err := cms.Get(context.Background(), "settings", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cm.Object["data"].(map[string]any)["mode"] = "prod"
		if _, err := cms.Update(context.Background(), cm, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		unitPass(t, chk, l.Env)
	})

	t.Run("an unknown kind is an error, not a pass", func(t *testing.T) {
		chk := build(t, "match", `{apiVersion: example.com/v1, kind: Widget, name: w, namespace: shop}`)
		obs := unitFail(t, chk, l.Env, "example.com/v1 Widget")
		unitWantContains(t, "actual", obs.Actual, "error: ")
	})
}
