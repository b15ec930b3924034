package checks

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab/actions"
	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// readySpec: the pods of a workload (through its selector), or with labels,
// or one pod by name, in a namespace are Ready (every one that is not
// terminating), optionally exactly count of them, only on some nodes, never
// on others, or one on every node.
type readySpec struct {
	Namespace  string            `yaml:"namespace"`
	Workload   *workloadRef      `yaml:"workload"`
	Labels     map[string]string `yaml:"labels"`
	Name       string            `yaml:"name"`
	Count      *int              `yaml:"count"`
	Nodes      []string          `yaml:"nodes"`
	AvoidNodes []string          `yaml:"avoidNodes"`
	EveryNode  bool              `yaml:"everyNode"`
}

type readyCheck struct{ spec readySpec }

func newReady(body *yaml.Node, path string) (grader.Check, yamlx.Problems) {
	c := &readyCheck{}
	ps := yamlx.Decode(body, path, &c.spec)
	if c.spec.Namespace == "" {
		ps.Add(body, yamlx.Join(path, "namespace"), "required")
	}
	set := 0
	for _, given := range []bool{c.spec.Workload != nil, len(c.spec.Labels) > 0, c.spec.Name != ""} {
		if given {
			set++
		}
	}
	if set != 1 {
		ps.Add(body, path, "select the pods with exactly one of workload, labels and name")
	}
	if w := c.spec.Workload; w != nil && (w.Kind == "" || w.Name == "") {
		ps.Add(body, yamlx.Join(path, "workload"), "kind and name are required")
	}
	if c.spec.Count != nil && *c.spec.Count < 0 {
		ps.Add(body, yamlx.Join(path, "count"), "must not be negative")
	}
	return c, ps
}

func isReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// workloadRef names a Deployment, DaemonSet, StatefulSet, ReplicaSet or Job
// whose selector picks the pods (the user chooses the labels).
type workloadRef struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Name       string `yaml:"name"`
}

func (c *readyCheck) selection() string {
	switch {
	case c.spec.Workload != nil:
		return "of " + c.spec.Workload.Kind + " " + c.spec.Workload.Name
	case c.spec.Name != "":
		return "named " + c.spec.Name
	}
	return "with labels " + labels.SelectorFromSet(c.spec.Labels).String()
}

// listOptions resolves the selection to a pod list query.
func (c *readyCheck) listOptions(ctx context.Context, env *grader.Env) (metav1.ListOptions, error) {
	switch {
	case c.spec.Name != "":
		return metav1.ListOptions{FieldSelector: "metadata.name=" + c.spec.Name}, nil
	case c.spec.Workload != nil:
		w := c.spec.Workload
		apiVersion := w.APIVersion
		if apiVersion == "" {
			apiVersion = "apps/v1"
		}
		ri, _, err := actions.Client(env.Cluster, apiVersion, w.Kind, c.spec.Namespace)
		if err != nil {
			return metav1.ListOptions{}, err
		}
		obj, err := ri.Get(ctx, w.Name, metav1.GetOptions{})
		if err != nil {
			return metav1.ListOptions{}, fmt.Errorf("%s %s: %w", w.Kind, w.Name, err)
		}
		raw, found, _ := unstructured.NestedMap(obj.Object, "spec", "selector")
		if !found {
			return metav1.ListOptions{}, fmt.Errorf("%s %s has no spec.selector", w.Kind, w.Name)
		}
		var ls metav1.LabelSelector
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &ls); err != nil {
			return metav1.ListOptions{}, err
		}
		sel, err := metav1.LabelSelectorAsSelector(&ls)
		if err != nil {
			return metav1.ListOptions{}, err
		}
		return metav1.ListOptions{LabelSelector: sel.String()}, nil
	}
	return metav1.ListOptions{LabelSelector: labels.SelectorFromSet(c.spec.Labels).String()}, nil
}

func (c *readyCheck) expected() string {
	sel := c.selection()
	var parts []string
	switch {
	case c.spec.EveryNode:
		parts = append(parts, fmt.Sprintf("one Ready pod %s on every node", sel))
	case c.spec.Count != nil:
		parts = append(parts, fmt.Sprintf("%d Ready pod(s) %s", *c.spec.Count, sel))
	default:
		parts = append(parts, fmt.Sprintf("Ready pods %s", sel))
	}
	parts[0] += " in namespace " + c.spec.Namespace
	if len(c.spec.Nodes) > 0 {
		parts = append(parts, "only on "+strings.Join(c.spec.Nodes, ", "))
	}
	if len(c.spec.AvoidNodes) > 0 {
		parts = append(parts, "none on "+strings.Join(c.spec.AvoidNodes, ", "))
	}
	return strings.Join(parts, ", ")
}

// Observe lists the pods and judges them.
func (c *readyCheck) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	obs := grader.Observation{Expected: c.expected()}
	opts, err := c.listOptions(ctx, env)
	if err != nil {
		return failed(err)
	}
	list, err := env.Cluster.Kube.CoreV1().Pods(c.spec.Namespace).List(ctx, opts)
	if err != nil {
		return failed(err)
	}
	readyPerNode := map[string]int{}
	ready, live := 0, 0
	var states []string
	for _, p := range list.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		live++
		node := p.Spec.NodeName
		state := "Ready"
		switch {
		case node == "":
			state = "Pending (not scheduled)"
			node = "-"
		case !isReady(p):
			state = "not Ready (" + string(p.Status.Phase) + ")"
		default:
			ready++
			readyPerNode[node]++
		}
		states = append(states, fmt.Sprintf("%s on %s: %s", p.Name, node, state))
		if state != "Ready" {
			obs.Problems = append(obs.Problems, fmt.Sprintf("pod %s is %s", p.Name, state))
		}
		if slices.Contains(c.spec.AvoidNodes, node) {
			obs.Problems = append(obs.Problems, fmt.Sprintf("pod %s runs on %s, which it must avoid", p.Name, node))
		}
		if len(c.spec.Nodes) > 0 && node != "-" && !slices.Contains(c.spec.Nodes, node) {
			obs.Problems = append(obs.Problems, fmt.Sprintf("pod %s runs on %s, want only %s", p.Name, node, strings.Join(c.spec.Nodes, ", ")))
		}
	}
	sort.Strings(states)
	if len(states) == 0 {
		obs.Actual = "no pods"
	} else {
		obs.Actual = strings.Join(states, "; ")
	}
	switch {
	case c.spec.Count != nil && ready != *c.spec.Count:
		obs.Problems = append(obs.Problems, fmt.Sprintf("%d Ready pod(s), want %d", ready, *c.spec.Count))
	case c.spec.Count == nil && live == 0:
		obs.Problems = append(obs.Problems, "no pods match")
	}
	if c.spec.EveryNode {
		nodes, err := env.Cluster.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return failed(err)
		}
		for _, n := range nodes.Items {
			if got := readyPerNode[n.Name]; got != 1 {
				obs.Problems = append(obs.Problems, fmt.Sprintf("node %s has %d Ready pod(s), want 1", n.Name, got))
			}
		}
	}
	obs.Passed = len(obs.Problems) == 0
	return obs
}
