package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// componentHealthSpec: a cluster component works (the troubleshooting
// tasks' outcome). kubelet: the Node's Ready condition is True and, on a
// lab with node access, systemd says the kubelet unit is active (a Node
// stays Ready for about 40s after its kubelet stops); on one node, or on
// every node. The control-plane components: their mirror pod in
// kube-system (label component=NAME) on the control-plane node, or on
// every node labelled node-role.kubernetes.io/control-plane, is Running
// and Ready; for kube-apiserver the API also answers /readyz.
type componentHealthSpec struct {
	Component string `yaml:"component"`
	Node      string `yaml:"node"`
}

// The components componentHealth judges.
func components() []string {
	return []string{"kubelet", "kube-apiserver", "kube-scheduler", "kube-controller-manager", "etcd"}
}

const controlPlaneLabel = "node-role.kubernetes.io/control-plane"

type componentHealthCheck struct {
	spec componentHealthSpec
	// readyz asks the API server's /readyz; tests replace it, since the
	// fake clientset has no REST client for it.
	readyz func(ctx context.Context, env *grader.Env) error
}

func newComponentHealth(body *yaml.Node, p string) (grader.Check, yamlx.Problems) {
	c := &componentHealthCheck{readyz: apiReadyz}
	ps := yamlx.Decode(body, p, &c.spec)
	if !slices.Contains(components(), c.spec.Component) {
		ps.Add(valueOf(body, "component"), yamlx.Join(p, "component"), "got %q, want one of %s", c.spec.Component, strings.Join(components(), ", "))
	}
	return c, ps
}

func (c *componentHealthCheck) expected() string {
	where := "every node"
	if c.spec.Node != "" {
		where = "node " + c.spec.Node
	}
	if c.spec.Component == "kubelet" {
		return "the kubelet on " + where + ": Node Ready, and its unit active (where the lab reaches nodes)"
	}
	if c.spec.Node == "" {
		where = "every control-plane node"
	}
	s := fmt.Sprintf("%s on %s: its mirror pod in kube-system Running and Ready", c.spec.Component, where)
	if c.spec.Component == "kube-apiserver" {
		s += ", and /readyz ok"
	}
	return s
}

// Observe judges the component once.
func (c *componentHealthCheck) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	obs := grader.Observation{Expected: c.expected()}
	var actual, problems []string
	var err error
	if c.spec.Component == "kubelet" {
		actual, problems, err = c.kubelets(ctx, env)
	} else {
		actual, problems, err = c.mirrorPods(ctx, env)
	}
	if err != nil {
		return failedExpecting(obs.Expected, err)
	}
	if c.spec.Component == "kube-apiserver" {
		if err := c.readyz(ctx, env); err != nil {
			actual = append(actual, "/readyz failed")
			problems = append(problems, err.Error())
		} else {
			actual = append(actual, "/readyz ok")
		}
	}
	obs.Actual = strings.Join(actual, "; ")
	obs.Problems = problems
	obs.Passed = len(problems) == 0
	return obs
}

// kubelets judges the kubelet of the node, or of every node.
func (c *componentHealthCheck) kubelets(ctx context.Context, env *grader.Env) (actual, problems []string, err error) {
	var nodes []corev1.Node
	if c.spec.Node != "" {
		n, err := env.Cluster.Kube.CoreV1().Nodes().Get(ctx, c.spec.Node, metav1.GetOptions{})
		if err != nil {
			return nil, nil, fmt.Errorf("get node %s: %w", c.spec.Node, err)
		}
		nodes = []corev1.Node{*n}
	} else {
		list, err := env.Cluster.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, nil, fmt.Errorf("list nodes: %w", err)
		}
		nodes = list.Items
	}
	exec, noAccess := nodeAccess(env)
	for _, n := range nodes {
		ready, why := nodeReady(n)
		state := "Ready"
		if !ready {
			state = "not Ready"
			problems = append(problems, fmt.Sprintf("node %s is not Ready (%s)", n.Name, why))
		}
		if noAccess == nil {
			st, err := c.unit(ctx, exec, n.Name)
			if err != nil {
				return nil, nil, err
			}
			state += ", kubelet " + st
			if st != "active" {
				problems = append(problems, fmt.Sprintf("the kubelet on %s is %s, want active (systemctl is-active kubelet)", n.Name, st))
			}
		}
		actual = append(actual, n.Name+": "+state)
	}
	if len(nodes) == 0 {
		problems = append(problems, "no nodes")
	}
	if noAccess != nil {
		actual = append(actual, "the kubelet units were not asked: this lab gives no access to its nodes")
	}
	return actual, problems, nil
}

// unit asks systemd for the kubelet's active state on a node.
func (c *componentHealthCheck) unit(ctx context.Context, exec lab.Execer, node string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, nodeExecTimeout)
	defer cancel()
	st, err := lab.NodeUnitState(ctx, exec, node, "kubelet")
	if err != nil {
		return "", err
	}
	return st.Active, nil
}

// nodeReady is a Node's Ready condition, and its reason when not True.
func nodeReady(n corev1.Node) (bool, string) {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			if c.Status == corev1.ConditionTrue {
				return true, ""
			}
			return false, strings.TrimSpace(fmt.Sprintf("Ready=%s %s %s", c.Status, c.Reason, c.Message))
		}
	}
	return false, "no Ready condition"
}

// mirrorPods judges a control-plane component's mirror pods, one per
// control-plane node (or on the node named).
func (c *componentHealthCheck) mirrorPods(ctx context.Context, env *grader.Env) (actual, problems []string, err error) {
	nodes := []string{c.spec.Node}
	if c.spec.Node == "" {
		list, err := env.Cluster.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: controlPlaneLabel})
		if err != nil {
			return nil, nil, fmt.Errorf("list control-plane nodes: %w", err)
		}
		nodes = nodes[:0]
		for _, n := range list.Items {
			nodes = append(nodes, n.Name)
		}
		if len(nodes) == 0 {
			return []string{"no control-plane node"}, []string{"no node is labelled " + controlPlaneLabel + ": name the node that runs " + c.spec.Component}, nil
		}
	}
	sel := labels.SelectorFromSet(labels.Set{"component": c.spec.Component}).String()
	pods, err := env.Cluster.Kube.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, nil, fmt.Errorf("list pods %s in kube-system: %w", sel, err)
	}
	for _, node := range nodes {
		a, p := c.mirrorPodOn(env, pods.Items, node, sel)
		actual = append(actual, a)
		problems = append(problems, p...)
	}
	return actual, problems, nil
}

// mirrorPodOn judges the component's pods on one node: one of them must
// be a healthy mirror pod.
func (c *componentHealthCheck) mirrorPodOn(env *grader.Env, pods []corev1.Pod, node, sel string) (string, []string) {
	var problems, states []string
	for _, p := range pods {
		if p.Spec.NodeName != node {
			continue
		}
		probs := mirrorPodProblems(p, node)
		if len(probs) == 0 {
			return fmt.Sprintf("%s on %s: pod %s Running and Ready", c.spec.Component, node, p.Name), nil
		}
		states = append(states, "pod "+p.Name+" "+mirrorPodState(p))
		problems = append(problems, probs...)
	}
	if len(states) > 0 {
		return fmt.Sprintf("%s on %s: %s", c.spec.Component, node, strings.Join(states, ", ")), problems
	}
	msg := fmt.Sprintf("no %s mirror pod (kube-system, %s) on node %s: its static pod manifest is missing or invalid, or the kubelet is down", c.spec.Component, sel, node)
	if _, err := nodeAccess(env); err != nil {
		msg += "; this lab may not run its control plane as static pods at all: " + err.Error()
	}
	return fmt.Sprintf("%s on %s: no mirror pod", c.spec.Component, node), []string{msg}
}

// apiReadyz asks the API server's /readyz through the discovery REST
// client: a GET, like every request of the grader.
func apiReadyz(ctx context.Context, env *grader.Env) error {
	rc := env.Cluster.Kube.Discovery().RESTClient()
	if rc == nil {
		return errors.New("/readyz: this cluster client has no REST client")
	}
	body, err := rc.Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil {
		if failing := failingChecks(body); failing != "" {
			return fmt.Errorf("/readyz: %w (failing: %s)", err, failing)
		}
		return fmt.Errorf("/readyz: %w", err)
	}
	if got := strings.TrimSpace(string(body)); got != "ok" {
		return fmt.Errorf("/readyz answered %q, want ok", excerpt(body, 200))
	}
	return nil
}

// failingChecks picks the "[-]name failed" lines of a /readyz answer.
func failingChecks(body []byte) string {
	var out []string
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, "[-]") {
			out = append(out, strings.TrimPrefix(l, "[-]"))
		}
	}
	return strings.Join(out, ", ")
}
