package checks_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/internal/fakelab"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"
)

// The metrics API and the APIService are not in client-go's scheme, and
// their resources are not what the fake guesses from the kinds (NodeMetrics
// are "nodes"): metricsLab stores them in a dynamic fake of their own,
// under their real resources, with their list kinds.
var (
	unitAPIServices = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}
	unitNodeMetrics = schema.GroupVersionResource{Group: "metrics.k8s.io", Version: "v1beta1", Resource: "nodes"}
	unitPodMetrics  = schema.GroupVersionResource{Group: "metrics.k8s.io", Version: "v1beta1", Resource: "pods"}
)

// metricsLab is a unit lab holding the nodes and pods of manifest (typed,
// as the check reads them) and the APIService and metrics of metrics
// (dynamic).
func metricsLab(t *testing.T, manifest, metrics string) *unitLab {
	t.Helper()
	l := newUnitLab(t, manifest)
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		unitAPIServices: "APIServiceList",
		unitNodeMetrics: "NodeMetricsList",
		unitPodMetrics:  "PodMetricsList",
	})
	for _, u := range fakelab.Objects(t, metrics) {
		gvr := map[string]schema.GroupVersionResource{"APIService": unitAPIServices, "NodeMetrics": unitNodeMetrics, "PodMetrics": unitPodMetrics}[u.GetKind()]
		if gvr.Empty() {
			t.Fatalf("metricsLab: %s is not a metrics kind", u.GetKind())
		}
		if err := dyn.Tracker().Create(gvr, u, u.GetNamespace()); err != nil {
			t.Fatalf("metricsLab: %v", err)
		}
	}
	l.Cluster.Dynamic, l.Dynamic = dyn, dyn
	return l
}

const metricsUnitNodes = `
apiVersion: v1
kind: Node
metadata: {name: cp}
---
apiVersion: v1
kind: Node
metadata: {name: w1}
---
apiVersion: v1
kind: Node
metadata: {name: w2}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: team-a, labels: {app: web}}
spec: {nodeName: w1, containers: [{name: nginx, image: nginx:1.27}]}
status: {phase: Running}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, namespace: team-a, labels: {app: web}}
spec: {nodeName: w2, containers: [{name: nginx, image: nginx:1.27}]}
status: {phase: Running}
---
# Pending: no kubelet runs it yet, so it has no metrics and needs none.
apiVersion: v1
kind: Pod
metadata: {name: batch-1, namespace: team-a, labels: {app: batch}}
spec: {containers: [{name: main, image: busybox:1.36}]}
status: {phase: Pending}
---
apiVersion: v1
kind: Pod
metadata: {name: db-1, namespace: team-a, labels: {app: db}}
spec: {nodeName: w1, containers: [{name: redis, image: redis:7}]}
status: {phase: Running}
`

// apiService is the metrics APIService with its Available condition.
func apiService(status, reason, message string) string {
	return fmt.Sprintf(`
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec:
  group: metrics.k8s.io
  version: v1beta1
  service: {name: metrics-server, namespace: kube-system}
status:
  conditions: [{type: Available, status: %q, reason: %s, message: %q}]
`, status, reason, message)
}

func nodeMetrics(node, cpu, memory string) string {
	return fmt.Sprintf(`
apiVersion: metrics.k8s.io/v1beta1
kind: NodeMetrics
metadata: {name: %s}
timestamp: "2026-11-02T10:00:00Z"
window: 15s
usage: {cpu: %s, memory: %s}
`, node, cpu, memory)
}

func podMetrics(ns, name string) string {
	return fmt.Sprintf(`
apiVersion: metrics.k8s.io/v1beta1
kind: PodMetrics
metadata: {name: %s, namespace: %s}
timestamp: "2026-11-02T10:00:00Z"
window: 15s
containers: [{name: main, usage: {cpu: 1m, memory: 12Mi}}]
`, name, ns)
}

func metricsObjects(docs ...string) string { return strings.Join(docs, "\n---\n") }

var (
	apiAvailable = apiService("True", "Passed", "all checks passed")
	// What a metrics server that cannot scrape any kubelet looks like from
	// the API: its pod is never Ready, its Service has no endpoints.
	apiNoEndpoints = apiService("False", "MissingEndpoints", `endpoints for service/metrics-server in "kube-system" have no addresses with port name "https"`)
	allNodeMetrics = []string{
		nodeMetrics("cp", "151234567n", "831488Ki"),
		nodeMetrics("w1", "40m", "300Mi"),
		nodeMetrics("w2", "0.05", "1Gi"),
	}
)

func TestMetricsUnit(t *testing.T) {
	t.Parallel()
	all := metricsObjects(append([]string{apiAvailable, podMetrics("team-a", "web-1"), podMetrics("team-a", "web-2"), podMetrics("team-a", "db-1")}, allNodeMetrics...)...)

	t.Run("pass: every node and every Running pod of the namespace, usage as kubectl top shows it", func(t *testing.T) {
		l := metricsLab(t, metricsUnitNodes, all)
		obs := unitPass(t, build(t, "metrics", `{pods: {namespace: team-a}}`), l.Env)
		want := "NodeMetrics for 3/3 nodes (cp: 152m CPU, 812Mi; w1: 40m CPU, 300Mi; w2: 50m CPU, 1024Mi), PodMetrics for 3/3 Running pods in team-a"
		if obs.Actual != want {
			t.Errorf("actual %q, want %q", obs.Actual, want)
		}
		unitWantContains(t, "expected", obs.Expected, "APIService v1beta1.metrics.k8s.io Available", "NodeMetrics for every node", "PodMetrics for every Running pod in team-a")
	})

	t.Run("pass: the nodes listed and the pods of a label", func(t *testing.T) {
		l := metricsLab(t, metricsUnitNodes, metricsObjects(apiAvailable, allNodeMetrics[1], podMetrics("team-a", "web-1"), podMetrics("team-a", "web-2")))
		obs := unitPass(t, build(t, "metrics", `{nodes: [w1], pods: {namespace: team-a, labels: {app: web}}}`), l.Env)
		if want := "NodeMetrics for 1/1 nodes (w1: 40m CPU, 300Mi), PodMetrics for 2/2 Running pods with labels app=web in team-a"; obs.Actual != want {
			t.Errorf("actual %q, want %q", obs.Actual, want)
		}
	})

	t.Run("fail: the APIService is not Available, and the report gives its condition", func(t *testing.T) {
		l := metricsLab(t, metricsUnitNodes, metricsObjects(append([]string{apiNoEndpoints}, allNodeMetrics...)...))
		obs := unitFail(t, build(t, "metrics", `{}`), l.Env,
			`APIService v1beta1.metrics.k8s.io is not Available (Available=False MissingEndpoints: endpoints for service/metrics-server in "kube-system" have no addresses with port name "https")`,
			"the metrics server behind Service kube-system/metrics-server", "logs")
		if want := `APIService v1beta1.metrics.k8s.io is not Available (Available=False MissingEndpoints: endpoints for service/metrics-server in "kube-system" have no addresses with port name "https")`; obs.Actual != want {
			t.Errorf("actual %q, want %q", obs.Actual, want)
		}
		if len(obs.Problems) != 1 {
			t.Errorf("problems %q: the metrics are not judged while their API is down", obs.Problems)
		}
	})

	t.Run("fail: a discovery check that failed on the metrics server's certificate", func(t *testing.T) {
		msg := `failing or missing response from https://10.96.12.7:443/apis/metrics.k8s.io/v1beta1: Get "https://10.96.12.7:443/apis/metrics.k8s.io/v1beta1": tls: failed to verify certificate: x509: certificate signed by unknown authority`
		l := metricsLab(t, metricsUnitNodes, apiService("False", "FailedDiscoveryCheck", msg))
		unitFail(t, build(t, "metrics", `{}`), l.Env, "FailedDiscoveryCheck: "+msg)
	})

	t.Run("fail: no APIService, no metrics server", func(t *testing.T) {
		l := metricsLab(t, metricsUnitNodes, "")
		unitFail(t, build(t, "metrics", `{}`), l.Env, "no APIService v1beta1.metrics.k8s.io: no metrics server is installed")
	})

	t.Run("fail: a node without NodeMetrics", func(t *testing.T) {
		l := metricsLab(t, metricsUnitNodes, metricsObjects(apiAvailable, allNodeMetrics[0], allNodeMetrics[1]))
		obs := unitFail(t, build(t, "metrics", `{}`), l.Env, "no NodeMetrics for node w2", "x509")
		if want := "NodeMetrics for 2/3 nodes (cp: 152m CPU, 812Mi; w1: 40m CPU, 300Mi), none for w2"; obs.Actual != want {
			t.Errorf("actual %q, want %q", obs.Actual, want)
		}
		if len(obs.Problems) != 1 {
			t.Errorf("problems %q, want w2's only", obs.Problems)
		}
	})

	t.Run("fail: a listed node without NodeMetrics", func(t *testing.T) {
		l := metricsLab(t, metricsUnitNodes, metricsObjects(apiAvailable, allNodeMetrics[0]))
		unitFail(t, build(t, "metrics", `{nodes: [cp, w1]}`), l.Env, "no NodeMetrics for node w1")
	})

	t.Run("fail: no PodMetrics in the namespace", func(t *testing.T) {
		l := metricsLab(t, metricsUnitNodes, metricsObjects(append([]string{apiAvailable, podMetrics("team-b", "web-1")}, allNodeMetrics...)...))
		obs := unitFail(t, build(t, "metrics", `{pods: {namespace: team-a, labels: {app: web}}}`), l.Env, "no PodMetrics for pod web-1, web-2 in team-a")
		unitWantContains(t, "actual", obs.Actual, "NodeMetrics for 3/3 nodes", "PodMetrics for 0/2 Running pods with labels app=web in team-a, none for web-1, web-2")
	})

	t.Run("fail: no Running pod to show metrics of", func(t *testing.T) {
		l := metricsLab(t, metricsUnitNodes, all)
		unitFail(t, build(t, "metrics", `{pods: {namespace: team-a, labels: {app: batch}}}`), l.Env, "no Running pod with labels app=batch in team-a")
	})

	t.Run("fail: the metrics API answers an error", func(t *testing.T) {
		l := metricsLab(t, metricsUnitNodes, all)
		l.Dynamic.PrependReactor("list", "nodes", func(a clienttesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewServiceUnavailable("the server is currently unable to handle the request")
		})
		unitFail(t, build(t, "metrics", `{}`), l.Env, "the metrics API serves no NodeMetrics", "unable to handle the request")
	})

	t.Run("error: the APIService cannot be read", func(t *testing.T) {
		l := metricsLab(t, metricsUnitNodes, all)
		l.Dynamic.PrependReactor("get", "apiservices", func(a clienttesting.Action) (bool, runtime.Object, error) {
			return true, nil, errors.New("connection refused")
		})
		obs := unitFail(t, build(t, "metrics", `{}`), l.Env, "get APIService v1beta1.metrics.k8s.io: connection refused")
		unitWantContains(t, "actual", obs.Actual, "error: ")
	})

	t.Run("invalid specs", func(t *testing.T) {
		unitWantInvalid(t, "metrics", `{pods: {labels: {app: web}}}`, "metrics.pods.namespace: required")
		unitWantInvalid(t, "metrics", `{nodes: [cp, ""]}`, "metrics.nodes[1]: empty node name")
		unitWantInvalid(t, "metrics", `{nodes: [cp, cp]}`, "metrics.nodes[1]: node cp is listed twice")
		unitWantInvalid(t, "metrics", `{node: cp}`, "unknown field")
	})
}
