package checks

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// readySpec: the pods of a workload (through its selector), or with labels,
// or one pod by name, in a namespace are Ready (every one that is not
// terminating), optionally exactly count of them, only on some nodes, never
// on others, or one on every node. With steadyFor they must also stay Ready,
// without a container restart, over that window: a pod that is Ready for a
// moment between crashes is not a running workload.
type readySpec struct {
	Namespace  string            `yaml:"namespace"`
	Workload   *workloadRef      `yaml:"workload"`
	Labels     map[string]string `yaml:"labels"`
	Name       string            `yaml:"name"`
	Count      *int              `yaml:"count"`
	Nodes      []string          `yaml:"nodes"`
	AvoidNodes []string          `yaml:"avoidNodes"`
	EveryNode  bool              `yaml:"everyNode"`
	// A pointer, so that an explicit 0s is reported rather than read as
	// "not set".
	SteadyFor *yamlx.Duration `yaml:"steadyFor"`
}

// maxSteadyFor bounds steadyFor: every check of a scenario is graded
// concurrently, so the longest window is roughly what a grade costs.
const maxSteadyFor = 60 * time.Second

type readyCheck struct {
	spec readySpec
	// wait sleeps through the steadiness window and returns ctx's error
	// if it ends first; tests replace it to change the cluster meanwhile.
	wait func(ctx context.Context, d time.Duration) error
	// now is the clock the pods' own timestamps are compared with.
	now func() time.Time
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func newReady(body *yaml.Node, path string) (grader.Check, yamlx.Problems) {
	c := &readyCheck{wait: sleepCtx, now: time.Now}
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
	steadyPath := yamlx.Join(path, "steadyFor")
	if d := c.spec.SteadyFor; d != nil && (d.Duration <= 0 || d.Duration > maxSteadyFor) && !reported(ps, steadyPath) {
		ps.Add(valueOf(body, "steadyFor"), steadyPath, "got %s, want more than 0s and at most %s", d.Duration, maxSteadyFor)
	}
	return c, ps
}

// reported says whether decoding already found a problem at path (a value
// that is no duration decodes as 0s; "got 0s" would only confuse).
func reported(ps yamlx.Problems, path string) bool {
	for _, p := range ps {
		if p.Path == path {
			return true
		}
	}
	return false
}

// valueOf is the node of a mapping's key, for a problem's line; the mapping
// itself when the key is missing.
func valueOf(mapping *yaml.Node, key string) *yaml.Node {
	if mapping.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(mapping.Content); i += 2 {
			if mapping.Content[i].Value == key {
				return mapping.Content[i+1]
			}
		}
	}
	return mapping
}

func isReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podReadiness says how a pod stands, for reports: "Ready", "Pending (not
// scheduled)" or "not Ready (<phase>)". ready, staticPod and
// componentHealth word it alike.
func podReadiness(p corev1.Pod) string {
	switch {
	case p.Spec.NodeName == "":
		return "Pending (not scheduled)"
	case !isReady(p):
		return "not Ready (" + string(p.Status.Phase) + ")"
	}
	return "Ready"
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
		ri, _, err := lab.Client(env.Cluster, apiVersion, w.Kind, c.spec.Namespace)
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
	if c.spec.SteadyFor != nil {
		parts = append(parts, "still Ready with no container restart "+c.spec.SteadyFor.Duration.String()+" later")
	}
	return strings.Join(parts, ", ")
}

// Observe lists the pods and judges them; with steadyFor it looks again
// once the window has passed and compares the two looks.
func (c *readyCheck) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	first, before := c.observeOnce(ctx, env)
	if !first.Passed || c.spec.SteadyFor == nil {
		return first
	}
	window := c.spec.SteadyFor.Duration
	if since, ok := steadySince(before); ok && !since.After(c.now().Add(-window-timestampSlack)) {
		// The cluster's own record already covers the window: every pod
		// Ready, and every container running without a restart, since
		// before it began. Looking again later would only cost the
		// window (an exam grades 16 tasks in a second).
		first.Actual += fmt.Sprintf("; all Ready with no container restart since %s, more than %s ago", since.Local().Format("15:04:05"), window)
		return first
	}
	if err := c.wait(ctx, window); err != nil {
		first.Passed = false
		first.Problems = append(first.Problems, fmt.Sprintf("stopped before the %s steadiness window ended: %v", window, err))
		return first
	}
	second, after := c.observeOnce(ctx, env)
	if after == nil {
		// The second look failed outright (an API error): its own
		// observation says why.
		return second
	}
	problems, summary := steadiness(before, after, window)
	second.Problems = append(second.Problems, problems...)
	second.Actual += "; " + summary
	second.Passed = len(second.Problems) == 0
	return second
}

// podState is what steadiness compares of one pod between two looks.
type podState struct {
	name     string
	ready    bool
	restarts map[string]int32 // by container name, init containers included
	// steadySince is when the pod last became Ready or a container of it
	// last (re)started, whichever is later; zero when the pod's status
	// does not say (a container not running, a condition without a time).
	steadySince time.Time
}

// timestampSlack covers the API's one-second resolution of timestamps:
// a pod Ready "since 10:00:00" may have become Ready at 10:00:00.999.
const timestampSlack = time.Second

// steadySince is the latest steadySince of the pods, and whether every
// pod has one.
func steadySince(pods map[types.UID]podState) (time.Time, bool) {
	var latest time.Time
	for _, p := range pods {
		if p.steadySince.IsZero() {
			return time.Time{}, false
		}
		if p.steadySince.After(latest) {
			latest = p.steadySince
		}
	}
	return latest, len(pods) > 0
}

// isRunOnceInit says whether name is an init container of p that runs to
// completion (not a sidecar).
func isRunOnceInit(p corev1.Pod, name string) bool {
	for _, c := range p.Spec.InitContainers {
		if c.Name == name {
			return c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways
		}
	}
	return false
}

// podSteadySince reads from a pod's status since when it has been Ready
// with every container running (see podState.steadySince).
func podSteadySince(p corev1.Pod) time.Time {
	var since time.Time
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			since = c.LastTransitionTime.Time
		}
	}
	if since.IsZero() {
		return time.Time{}
	}
	statuses := append(slices.Clone(p.Status.ContainerStatuses), p.Status.InitContainerStatuses...)
	for _, s := range statuses {
		switch {
		case s.State.Running != nil && !s.State.Running.StartedAt.IsZero():
			if s.State.Running.StartedAt.After(since) {
				since = s.State.Running.StartedAt.Time
			}
		case s.State.Terminated != nil && isRunOnceInit(p, s.Name):
			// An init container that finished: it does not run any more
			// (a sidecar, restartPolicy Always, must be running).
		default:
			return time.Time{}
		}
	}
	return since
}

// steadiness compares the pods of two looks a window apart: the same pods
// (by UID, so that a pod deleted and recreated under its name counts as
// replaced), still Ready, and no container's restartCount grown. A count
// above 0 that stays put is fine: the pod is steady now.
func steadiness(before, after map[types.UID]podState, window time.Duration) ([]string, string) {
	var problems, restarted []string
	var sumBefore, sumAfter int32
	readyAfter := 0
	for uid, b := range before {
		a, ok := after[uid]
		if !ok {
			problems = append(problems, fmt.Sprintf("pod %s was deleted or replaced during the %s window", b.name, window))
			continue
		}
		if a.ready {
			readyAfter++
		}
		for name, n := range b.restarts {
			m, ok := a.restarts[name]
			if !ok {
				continue
			}
			sumBefore += n
			sumAfter += m
			if m > n {
				restarted = append(restarted, b.name+"/"+name)
				problems = append(problems, fmt.Sprintf("pod %s container %s restarted during the %s window (restartCount %d→%d)", b.name, name, window, n, m))
			}
		}
	}
	for uid, a := range after {
		if _, ok := before[uid]; !ok {
			problems = append(problems, fmt.Sprintf("pod %s appeared during the %s window", a.name, window))
		}
	}
	sort.Strings(problems)
	sort.Strings(restarted)
	summary := fmt.Sprintf("%d/%d Ready, restarts %d→%d over %s", readyAfter, len(before), sumBefore, sumAfter, window)
	if len(restarted) > 0 {
		summary += " (restarted: " + strings.Join(restarted, ", ") + ")"
	}
	return problems, summary
}

// observeOnce lists the pods and judges them once. It also returns the
// live pods' states for steadiness, nil when the pods could not be listed.
func (c *readyCheck) observeOnce(ctx context.Context, env *grader.Env) (grader.Observation, map[types.UID]podState) {
	obs := grader.Observation{Expected: c.expected()}
	opts, err := c.listOptions(ctx, env)
	if err != nil {
		return failed(err), nil
	}
	list, err := env.Cluster.Kube.CoreV1().Pods(c.spec.Namespace).List(ctx, opts)
	if err != nil {
		return failed(fmt.Errorf("list pods %s in %s: %w", c.selection(), c.spec.Namespace, err)), nil
	}
	pods := map[types.UID]podState{}
	readyPerNode := map[string]int{}
	ready, live := 0, 0
	var states []string
	for _, p := range list.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		live++
		pods[p.UID] = podState{name: p.Name, ready: isReady(p), restarts: restartCounts(p), steadySince: podSteadySince(p)}
		node := p.Spec.NodeName
		state := podReadiness(p)
		switch {
		case node == "":
			node = "-"
		case state == "Ready":
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
			return failed(fmt.Errorf("list nodes: %w", err)), nil
		}
		for _, n := range nodes.Items {
			if got := readyPerNode[n.Name]; got != 1 {
				obs.Problems = append(obs.Problems, fmt.Sprintf("node %s has %d Ready pod(s), want 1", n.Name, got))
			}
		}
	}
	obs.Passed = len(obs.Problems) == 0
	return obs, pods
}

// restartCounts are a pod's containers' restart counts by name. Init
// containers count too: a restartable one (a sidecar) crash-loops like any
// other container.
func restartCounts(p corev1.Pod) map[string]int32 {
	out := map[string]int32{}
	for _, s := range p.Status.InitContainerStatuses {
		out[s.Name] = s.RestartCount
	}
	for _, s := range p.Status.ContainerStatuses {
		out[s.Name] = s.RestartCount
	}
	return out
}
