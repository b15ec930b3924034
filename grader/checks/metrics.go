package checks

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// metricsSpec: the resource metrics API works, as `kubectl top` needs it.
// The APIService v1beta1.metrics.k8s.io is Available (the API server
// reaches a Ready metrics server behind it), it serves NodeMetrics for
// every node (or the nodes listed), and, with pods, PodMetrics for every
// Running pod of a namespace (with labels: of those pods only).
//
// The metrics API is read with the dynamic client at its fixed group and
// version (metrics.k8s.io/v1beta1, the only one there is), not through the
// RESTMapper: while the API is unavailable, discovery of its group fails
// and a mapper would only say "no matches for kind", where the APIService's
// condition says why.
type metricsSpec struct {
	Nodes []string     `yaml:"nodes"`
	Pods  *metricsPods `yaml:"pods"`
}

// metricsPods selects the pods whose PodMetrics must be served.
type metricsPods struct {
	Namespace string            `yaml:"namespace"`
	Labels    map[string]string `yaml:"labels"`
}

// The metrics API's APIService and resources.
const metricsAPIService = "v1beta1.metrics.k8s.io"

var (
	apiServicesGVR = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}
	nodeMetricsGVR = schema.GroupVersionResource{Group: "metrics.k8s.io", Version: "v1beta1", Resource: "nodes"}
	podMetricsGVR  = schema.GroupVersionResource{Group: "metrics.k8s.io", Version: "v1beta1", Resource: "pods"}
)

// metricsNodesShown bounds the nodes whose usage the report lists.
const metricsNodesShown = 5

type metricsCheck struct{ spec metricsSpec }

func newMetrics(body *yaml.Node, p string) (grader.Check, yamlx.Problems) {
	c := &metricsCheck{}
	ps := yamlx.Decode(body, p, &c.spec)
	for i, n := range c.spec.Nodes {
		at, path := seqItem(valueOf(body, "nodes"), i), yamlx.Index(yamlx.Join(p, "nodes"), i)
		switch {
		case n == "":
			ps.Add(at, path, "empty node name")
		case slices.Index(c.spec.Nodes, n) < i:
			ps.Add(at, path, "node %s is listed twice", n)
		}
	}
	if pods := yamlx.Join(p, "pods"); c.spec.Pods != nil && c.spec.Pods.Namespace == "" && !ps.Explains(pods) {
		ps.Add(valueOf(body, "pods"), yamlx.Join(pods, "namespace"), "required: the namespace whose pods kubectl top pods shows")
	}
	return c, ps
}

// seqItem is the i-th element of a sequence node, or the node itself.
func seqItem(seq *yaml.Node, i int) *yaml.Node {
	if seq.Kind == yaml.SequenceNode && i < len(seq.Content) {
		return seq.Content[i]
	}
	return seq
}

func (c *metricsCheck) expected() string {
	nodes := "every node"
	if len(c.spec.Nodes) > 0 {
		nodes = "node " + strings.Join(c.spec.Nodes, ", ")
	}
	s := "APIService " + metricsAPIService + " Available and NodeMetrics for " + nodes + " (kubectl top nodes works)"
	if c.spec.Pods != nil {
		s += ", PodMetrics for every Running pod " + c.podsWhere() + " (kubectl top pods works)"
	}
	return s
}

// podsWhere says which pods: "in team-a" or "with labels app=web in team-a".
func (c *metricsCheck) podsWhere() string {
	if len(c.spec.Pods.Labels) == 0 {
		return "in " + c.spec.Pods.Namespace
	}
	return "with labels " + labels.SelectorFromSet(c.spec.Pods.Labels).String() + " in " + c.spec.Pods.Namespace
}

// Observe reads the APIService, then, when it is Available, the metrics.
func (c *metricsCheck) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	obs := grader.Observation{Expected: c.expected()}
	down, problem, err := metricsAPIDown(ctx, env)
	if err != nil {
		return failedExpecting(obs.Expected, err)
	}
	if down != "" {
		// The metrics API answers nothing then ("the server is currently
		// unable to handle the request"); the condition says why.
		obs.Actual = down
		obs.Problems = []string{problem}
		return obs
	}
	var actual []string
	a, problems, err := c.nodeMetrics(ctx, env)
	if err != nil {
		return failedExpecting(obs.Expected, err)
	}
	actual = append(actual, a)
	obs.Problems = append(obs.Problems, problems...)
	if c.spec.Pods != nil {
		a, problems, err := c.podMetrics(ctx, env)
		if err != nil {
			return failedExpecting(obs.Expected, err)
		}
		actual = append(actual, a)
		obs.Problems = append(obs.Problems, problems...)
	}
	obs.Actual = strings.Join(actual, ", ")
	obs.Passed = len(obs.Problems) == 0
	return obs
}

// metricsAPIDown says what the APIService of the metrics API is like when
// it is missing or not Available (down, and a problem that says what to
// look at next; both "" when it is Available); err is a failure to read it.
func metricsAPIDown(ctx context.Context, env *grader.Env) (down, problem string, err error) {
	svc, err := env.Cluster.Dynamic.Resource(apiServicesGVR).Get(ctx, metricsAPIService, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		down = "no APIService " + metricsAPIService
		return down, down + ": no metrics server is installed (kubectl get apiservices)", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("get APIService %s: %w", metricsAPIService, err)
	}
	status, reason, message := "", "", ""
	conds, _, _ := unstructured.NestedSlice(svc.Object, "status", "conditions")
	for _, cond := range conds {
		m, ok := cond.(map[string]any)
		if !ok || m["type"] != "Available" {
			continue
		}
		status, _ = m["status"].(string)
		reason, _ = m["reason"].(string)
		message, _ = m["message"].(string)
	}
	if status == "True" {
		return "", "", nil
	}
	why := "no Available condition yet"
	if status != "" {
		why = strings.TrimSpace(fmt.Sprintf("Available=%s %s: %s", status, reason, message))
	}
	down = fmt.Sprintf("APIService %s is not Available (%s)", metricsAPIService, strings.TrimSuffix(why, ":"))
	problem = down
	ns, _, _ := unstructured.NestedString(svc.Object, "spec", "service", "namespace")
	name, _, _ := unstructured.NestedString(svc.Object, "spec", "service", "name")
	if name != "" {
		problem += fmt.Sprintf(": the API server gets no answer from the metrics server behind Service %s/%s. "+
			"Are its pods Ready (kubectl -n %s get pods,endpointslices)? Their logs say why not", ns, name, ns)
	}
	return down, problem, nil
}

// nodeMetrics lists NodeMetrics (as kubectl top nodes does) and wants one
// for every node asked for.
func (c *metricsCheck) nodeMetrics(ctx context.Context, env *grader.Env) (string, []string, error) {
	want := c.spec.Nodes
	if len(want) == 0 {
		list, err := env.Cluster.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return "", nil, fmt.Errorf("list nodes: %w", err)
		}
		for _, n := range list.Items {
			want = append(want, n.Name)
		}
		slices.Sort(want)
		if len(want) == 0 {
			return "no nodes", []string{"the cluster has no nodes"}, nil
		}
	}
	list, err := env.Cluster.Dynamic.Resource(nodeMetricsGVR).List(ctx, metav1.ListOptions{})
	if err != nil {
		msg := fmt.Sprintf("the metrics API serves no NodeMetrics: %v", err)
		return "NodeMetrics: " + err.Error(), []string{msg}, nil
	}
	usage := map[string]string{}
	for _, m := range list.Items {
		usage[m.GetName()] = usageOf(m.Object, "usage")
	}
	var shown, missing, problems []string
	for _, n := range want {
		u, ok := usage[n]
		if !ok {
			missing = append(missing, n)
			problems = append(problems, fmt.Sprintf("no NodeMetrics for node %s: the metrics server has not scraped its kubelet (yet); its logs say why (a kubelet's certificate it does not trust shows as x509 errors)", n))
			continue
		}
		if len(shown) < metricsNodesShown {
			shown = append(shown, n+": "+u)
		} else if len(shown) == metricsNodesShown {
			shown = append(shown, "…")
		}
	}
	s := fmt.Sprintf("NodeMetrics for %d/%d nodes", len(want)-len(missing), len(want))
	if len(shown) > 0 {
		s += " (" + strings.Join(shown, "; ") + ")"
	}
	if len(missing) > 0 {
		s += ", none for " + strings.Join(missing, ", ")
	}
	return s, problems, nil
}

// podMetrics lists the Running pods asked for and the namespace's
// PodMetrics (as kubectl top pods does), and wants one for each pod.
func (c *metricsCheck) podMetrics(ctx context.Context, env *grader.Env) (string, []string, error) {
	ns := c.spec.Pods.Namespace
	sel := labels.SelectorFromSet(c.spec.Pods.Labels).String()
	pods, err := env.Cluster.Kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return "", nil, fmt.Errorf("list pods %s: %w", c.podsWhere(), err)
	}
	var want []string
	for i := range pods.Items {
		if running(&pods.Items[i]) {
			want = append(want, pods.Items[i].Name)
		}
	}
	slices.Sort(want)
	if len(want) == 0 {
		return "no Running pod " + c.podsWhere(), []string{"no Running pod " + c.podsWhere() + ": no pod to show metrics of"}, nil
	}
	list, err := env.Cluster.Dynamic.Resource(podMetricsGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		msg := fmt.Sprintf("the metrics API serves no PodMetrics in %s: %v", ns, err)
		return "PodMetrics: " + err.Error(), []string{msg}, nil
	}
	have := map[string]bool{}
	for _, m := range list.Items {
		have[m.GetName()] = true
	}
	var missing, problems []string
	for _, p := range want {
		if !have[p] {
			missing = append(missing, p)
		}
	}
	s := fmt.Sprintf("PodMetrics for %d/%d Running pods %s", len(want)-len(missing), len(want), c.podsWhere())
	if len(missing) > 0 {
		s += ", none for " + strings.Join(missing, ", ")
		problems = append(problems, fmt.Sprintf("no PodMetrics for pod %s in %s: the metrics server has no usage of it from its node's kubelet (yet; a pod started less than a minute ago has none)",
			strings.Join(missing, ", "), ns))
	}
	return s, problems, nil
}

// usageOf renders a metrics object's usage (at path, a ResourceList) as
// kubectl top does: "152m CPU, 812Mi".
func usageOf(obj map[string]any, path ...string) string {
	u, _, _ := unstructured.NestedMap(obj, path...)
	quantity := func(name corev1.ResourceName) (resource.Quantity, bool) {
		v, ok := u[string(name)]
		if !ok {
			return resource.Quantity{}, false
		}
		q, err := resource.ParseQuantity(fmt.Sprint(v)) // a string from the API; a number from a hand-written object
		return q, err == nil
	}
	cpu, memory := "?", "?"
	if q, ok := quantity(corev1.ResourceCPU); ok {
		cpu = fmt.Sprintf("%dm", q.MilliValue())
	}
	if q, ok := quantity(corev1.ResourceMemory); ok {
		memory = fmt.Sprintf("%dMi", q.Value()/(1024*1024))
	}
	return cpu + " CPU, " + memory
}
