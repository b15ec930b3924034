package checks

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// podLogsSpec: the log of a pod (by name, or any pod with labels), of one
// container (needed when the pod has several) or of its previous instance
// (what a crash-looping container said before it died), contains a string
// and matches a regular expression: the application saw its config, the
// sidecar ships the lines, the job printed its answer.
type podLogsSpec struct {
	// podRef's fields and validation; podLogs reads every pod the labels
	// select, not only the first Running one.
	podRef    `yaml:",inline"`
	Container string `yaml:"container"`
	Previous  bool   `yaml:"previous"`
	Contains  string `yaml:"contains"`
	Matches   string `yaml:"matches"`
}

// The part of a log podLogs reads: its last lines, at most so many bytes,
// as `kubectl logs --tail --limit-bytes` would. A chatty pod's whole log
// could be hundreds of MiB, read again at every look.
const (
	podLogTailLines  = 10000
	podLogLimitBytes = 4 << 20
)

type podLogsCheck struct {
	spec podLogsSpec
	re   *regexp.Regexp
}

func newPodLogs(body *yaml.Node, p string) (grader.Check, yamlx.Problems) {
	c := &podLogsCheck{}
	ps := yamlx.Decode(body, p, &c.spec)
	c.spec.podRef.validate(body, p, &ps)
	if c.spec.Contains == "" && c.spec.Matches == "" {
		ps.Add(body, p, "say what the log shows with contains or matches")
	}
	c.re = compileRegexp(valueOf(body, "matches"), p, "matches", c.spec.Matches, &ps)
	return c, ps
}

// selection names the pods: "pod NAME" or "pods with labels SELECTOR".
func (c *podLogsCheck) selection() string {
	if c.spec.Name != "" {
		return "pod " + c.spec.Name
	}
	return "pods with labels " + labels.SelectorFromSet(c.spec.Labels).String()
}

func (c *podLogsCheck) expected() string {
	var b strings.Builder
	b.WriteString("the ")
	if c.spec.Previous {
		b.WriteString("previous ")
	}
	b.WriteString("log of ")
	if c.spec.Container != "" {
		b.WriteString("container " + c.spec.Container + " of ")
	}
	if c.spec.Name == "" {
		b.WriteString("one of the ")
	}
	b.WriteString(c.selection() + " in namespace " + c.spec.Namespace)
	if c.spec.Contains != "" {
		fmt.Fprintf(&b, ", containing %q", c.spec.Contains)
	}
	if c.re != nil {
		b.WriteString(", matching /" + c.spec.Matches + "/")
	}
	return b.String()
}

// pods are the selected pods, sorted by name.
func (c *podLogsCheck) pods(ctx context.Context, env *grader.Env) ([]corev1.Pod, error) {
	pods := env.Cluster.Kube.CoreV1().Pods(c.spec.Namespace)
	if c.spec.Name != "" {
		p, err := pods.Get(ctx, c.spec.Name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("get pod %s/%s: %w", c.spec.Namespace, c.spec.Name, err)
		}
		return []corev1.Pod{*p}, nil
	}
	list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(c.spec.Labels).String()})
	if err != nil {
		return nil, fmt.Errorf("list pods with labels %s in %s: %w", labels.SelectorFromSet(c.spec.Labels), c.spec.Namespace, err)
	}
	slices.SortFunc(list.Items, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	return list.Items, nil
}

// judge reads one pod's log and says how it differs.
func (c *podLogsCheck) judge(ctx context.Context, env *grader.Env, p corev1.Pod) []string {
	tail, limit := int64(podLogTailLines), int64(podLogLimitBytes)
	opts := &corev1.PodLogOptions{Container: c.spec.Container, Previous: c.spec.Previous, TailLines: &tail, LimitBytes: &limit}
	log, err := env.Cluster.Kube.CoreV1().Pods(p.Namespace).GetLogs(p.Name, opts).DoRaw(ctx)
	if err != nil {
		return []string{fmt.Sprintf("pod %s: read its log: %v", p.Name, err)}
	}
	var out []string
	if c.spec.Contains != "" && !strings.Contains(string(log), c.spec.Contains) {
		out = append(out, fmt.Sprintf("pod %s: log does not contain %q", p.Name, c.spec.Contains))
	}
	if c.re != nil && !c.re.Match(log) {
		out = append(out, fmt.Sprintf("pod %s: log does not match /%s/", p.Name, c.spec.Matches))
	}
	if len(out) > 0 {
		out[len(out)-1] += fmt.Sprintf(" (its last lines: %q)", lastLines(log, 3))
	}
	return out
}

// lastLines is the end of a log, for a report.
func lastLines(log []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(log), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return excerpt([]byte(strings.Join(lines, "\n")), 300)
}

// Observe passes when any selected pod's log matches; otherwise it lists
// every pod's differences.
func (c *podLogsCheck) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	obs := grader.Observation{Expected: c.expected()}
	pods, err := c.pods(ctx, env)
	if err != nil {
		return failedExpecting(obs.Expected, err)
	}
	if len(pods) == 0 {
		obs.Actual = "no pods"
		obs.Problems = []string{"no " + c.selection() + " in namespace " + c.spec.Namespace}
		return obs
	}
	for _, p := range pods {
		probs := c.judge(ctx, env, p)
		if len(probs) == 0 {
			obs.Passed = true
			obs.Actual = "the log of pod " + p.Name + " matches"
			obs.Problems = nil
			return obs
		}
		obs.Problems = append(obs.Problems, probs...)
	}
	obs.Actual = fmt.Sprintf("no log matches (%d pod(s) read)", len(pods))
	return obs
}
