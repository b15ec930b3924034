package checks

import (
	"context"
	"fmt"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2"
)

// toleratesSpec: the selected pods (or workloads' pod templates) tolerate a
// taint as the scheduler judges it: Exists tolerations, empty keys and empty
// effects count, not just a field-by-field copy of the taint. With node,
// the taint must also still be on that node (removing the taint is not
// tolerating it).
type toleratesSpec struct {
	target `yaml:",inline"`
	Node   string `yaml:"node"`
	Taint  struct {
		Key    string `yaml:"key"`
		Value  string `yaml:"value"`
		Effect string `yaml:"effect"`
	} `yaml:"taint"`
}

type toleratesCheck struct {
	spec  toleratesSpec
	taint corev1.Taint
}

func newTolerates(body *yaml.Node, path string) (grader.Check, yamlx.Problems) {
	c := &toleratesCheck{}
	ps := yamlx.Decode(body, path, &c.spec)
	if c.spec.APIVersion == "" && c.spec.Kind == "" {
		c.spec.APIVersion, c.spec.Kind = "v1", "Pod"
	}
	ps = append(ps, c.spec.target.validate(body, path)...)
	c.taint = corev1.Taint{Key: c.spec.Taint.Key, Value: c.spec.Taint.Value, Effect: corev1.TaintEffect(c.spec.Taint.Effect)}
	if c.taint.Key == "" {
		ps.Add(body, yamlx.Join(path, "taint.key"), "required")
	}
	switch c.taint.Effect {
	case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
	default:
		ps.Add(body, yamlx.Join(path, "taint.effect"), "got %q, want NoSchedule, PreferNoSchedule or NoExecute", c.taint.Effect)
	}
	return c, ps
}

// podSpec returns the pod spec of a pod, or the template of a workload.
func podSpec(obj map[string]any) (*corev1.PodSpec, error) {
	spec, _ := obj["spec"].(map[string]any)
	if tmpl, ok := spec["template"].(map[string]any); ok {
		spec, _ = tmpl["spec"].(map[string]any)
	}
	if jt, ok := spec["jobTemplate"].(map[string]any); ok { // CronJob
		s, _ := jt["spec"].(map[string]any)
		t, _ := s["template"].(map[string]any)
		spec, _ = t["spec"].(map[string]any)
	}
	var ps corev1.PodSpec
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(spec, &ps); err != nil {
		return nil, fmt.Errorf("read pod spec: %w", err)
	}
	return &ps, nil
}

// Observe passes when every selected object tolerates the taint.
func (c *toleratesCheck) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	obs := grader.Observation{Expected: fmt.Sprintf("%s tolerates taint %s", c.spec.describe(), c.taint.ToString())}
	if c.spec.Node != "" {
		obs.Expected += " of node " + c.spec.Node
		node, err := env.Cluster.Kube.CoreV1().Nodes().Get(ctx, c.spec.Node, metav1.GetOptions{})
		if err != nil {
			return failed(err)
		}
		onNode := false
		for _, t := range node.Spec.Taints {
			if t.MatchTaint(&c.taint) && t.Value == c.taint.Value {
				onNode = true
			}
		}
		if !onNode {
			obs.Problems = append(obs.Problems, fmt.Sprintf("node %s no longer has taint %s: it must stay", c.spec.Node, c.taint.ToString()))
		}
	}
	objs, err := c.spec.find(ctx, env)
	if err != nil {
		return failed(err)
	}
	if len(objs) == 0 {
		obs.Actual = "no " + c.spec.describe()
		obs.Problems = []string{"not found: " + c.spec.describe()}
		return obs
	}
	for _, o := range objs {
		ps, err := podSpec(o.Object)
		if err != nil {
			return failed(err)
		}
		tolerated := false
		for _, t := range ps.Tolerations {
			if t.ToleratesTaint(klog.Background(), &c.taint, true) {
				tolerated = true
				break
			}
		}
		if !tolerated {
			obs.Problems = append(obs.Problems, fmt.Sprintf("%s %s has no toleration for %s (its tolerations: %s)",
				c.spec.Kind, objectName(o), c.taint.ToString(), renderTolerations(ps.Tolerations)))
		}
	}
	obs.Passed = len(obs.Problems) == 0
	if obs.Passed {
		obs.Actual = "tolerated"
	} else {
		obs.Actual = "not tolerated"
	}
	return obs
}

func renderTolerations(ts []corev1.Toleration) string {
	if len(ts) == 0 {
		return "none"
	}
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ", "
		}
		op := t.Operator
		if op == "" {
			op = corev1.TolerationOpEqual
		}
		s += fmt.Sprintf("%s %s %s:%s", t.Key, op, t.Value, t.Effect)
	}
	return s
}
