package checks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// podExecTimeout bounds one command in a pod, as nodeExecTimeout does on a
// node: the grader polls a check until its timeout, but nothing else
// bounds a single look, and a command that never ends (a follow, a read
// of stdin, a probe of an address that drops packets) would hang the
// grade.
const podExecTimeout = 10 * time.Second

// podRef selects one pod in a namespace: by name, or the first Running
// pod (by name) with labels. A command runs in one pod, so a selector that
// matches several picks one the same way at every look. (podLogs shares
// the fields and their validation, and reads every selected pod.)
type podRef struct {
	Namespace string            `yaml:"namespace"`
	Name      string            `yaml:"name"`
	Labels    map[string]string `yaml:"labels"`
}

// validate adds the selection's problems; at is the mapping that holds it.
func (r podRef) validate(at *yaml.Node, path string, ps *yamlx.Problems) {
	if r.Namespace == "" {
		ps.Add(at, yamlx.Join(path, "namespace"), "required")
	}
	if (r.Name == "") == (len(r.Labels) == 0) {
		ps.Add(at, path, "select the pod with exactly one of name and labels")
	}
}

// String names the selection: "pod web/client" or "a Running pod with
// labels app=client in web".
func (r podRef) String() string {
	if r.Name != "" {
		return "pod " + r.Namespace + "/" + r.Name
	}
	return "a Running pod with labels " + labels.SelectorFromSet(r.Labels).String() + " in " + r.Namespace
}

// find returns the selected pod, Running and not terminating: a command
// cannot run in any other, and the API server's answer for one (a 400
// about the pod's phase) would read like the learner's mistake.
func (r podRef) find(ctx context.Context, env *grader.Env) (*corev1.Pod, error) {
	pods := env.Cluster.Kube.CoreV1().Pods(r.Namespace)
	if r.Name != "" {
		p, err := pods.Get(ctx, r.Name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("get pod %s/%s: %w", r.Namespace, r.Name, err)
		}
		if !running(p) {
			return nil, fmt.Errorf("pod %s/%s is %s, not Running", r.Namespace, r.Name, phaseOf(p))
		}
		return p, nil
	}
	sel := labels.SelectorFromSet(r.Labels).String()
	list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list pods with labels %s in %s: %w", sel, r.Namespace, err)
	}
	slices.SortFunc(list.Items, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	var seen []string
	for i := range list.Items {
		p := &list.Items[i]
		if running(p) {
			return p, nil
		}
		seen = append(seen, p.Name+" "+phaseOf(p))
	}
	if len(seen) == 0 {
		return nil, fmt.Errorf("no pod with labels %s in namespace %s", sel, r.Namespace)
	}
	return nil, fmt.Errorf("no Running pod with labels %s in namespace %s (%s)", sel, r.Namespace, strings.Join(seen, ", "))
}

func running(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil
}

// phaseOf is a pod's phase for a message, "terminating" when it is being
// deleted.
func phaseOf(p *corev1.Pod) string {
	switch {
	case p.DeletionTimestamp != nil:
		return "terminating"
	case p.Status.Phase == "":
		return "Pending"
	}
	return string(p.Status.Phase)
}

// inPods is the lab's pod exec and ctx bounded by podExecTimeout; cancel
// is never nil. A Cluster made without one (not through lab.NewCluster)
// gets an error that says so rather than a failure that looks like the
// learner's.
func inPods(ctx context.Context, env *grader.Env) (context.Context, lab.PodExecer, context.CancelFunc, error) {
	if env.Cluster == nil || env.Cluster.Pods == nil {
		return ctx, nil, func() {}, fmt.Errorf("this check runs commands in pods, and this lab offers no pod exec")
	}
	ctx, cancel := context.WithTimeout(ctx, podExecTimeout)
	return ctx, env.Cluster.Pods, cancel, nil
}
