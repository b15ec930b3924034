package steps

import (
	"context"
	"fmt"
	"io/fs"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// Taint adds (or with remove, takes off) a node taint, as `kubectl taint`
// does. It is a read-modify-write of spec.taints: the list has no merge key,
// so a strategic merge patch would replace every taint of the node.
type Taint struct {
	Node   string `yaml:"node" json:"node"`
	Key    string `yaml:"key" json:"key"`
	Value  string `yaml:"value,omitempty" json:"value,omitempty"`
	Effect string `yaml:"effect,omitempty" json:"effect,omitempty"`
	// Remove takes the taint off; without an effect, every taint with the key.
	Remove bool `yaml:"remove,omitempty" json:"remove,omitempty"`
}

// Validate wants the node, the key, and an effect (unless it removes).
func (t *Taint) Validate(v *Validation) {
	if t.Node == "" {
		v.Add("node", "required")
	}
	if t.Key == "" {
		v.Add("key", "required")
	}
	switch t.Effect {
	case "NoSchedule", "PreferNoSchedule", "NoExecute":
	case "":
		if !t.Remove {
			v.Add("effect", "required: NoSchedule, PreferNoSchedule or NoExecute")
		}
	default:
		v.Add("effect", "got %q, want NoSchedule, PreferNoSchedule or NoExecute", t.Effect)
	}
}

// Changes is the node.
func (t *Taint) Changes(fs.FS) []Change { return nodeChange(t.Node) }

// Run changes the node's taints; removing a taint it does not have changes
// nothing, not even the node's resourceVersion.
func (t *Taint) Run(ctx context.Context, env Env) ([]string, error) {
	nodes := env.Cluster.Kube.CoreV1().Nodes()
	want := corev1.Taint{Key: t.Key, Value: t.Value, Effect: corev1.TaintEffect(t.Effect)}
	var change string
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		node, err := nodes.Get(ctx, t.Node, metav1.GetOptions{})
		if err != nil {
			return err
		}
		var kept []corev1.Taint
		found := false
		for _, old := range node.Spec.Taints {
			same := old.Key == want.Key && (want.Effect == "" || old.Effect == want.Effect)
			if same {
				// Removed, or replaced by want: keeping a taint with the
				// same key and effect but another value would make the
				// node invalid (taints are unique by key and effect).
				found = true
				continue
			}
			kept = append(kept, old)
		}
		switch {
		case t.Remove && !found:
			change = ""
			return nil
		case t.Remove:
			change = "removed taint " + t.Key + " from node " + t.Node
		default:
			kept = append(kept, want)
			change = "tainted node " + t.Node + " " + want.ToString()
		}
		node.Spec.Taints = kept
		_, err = nodes.Update(ctx, node, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("taint node %s: %w", t.Node, err)
	}
	if change == "" {
		return nil, nil
	}
	return []string{change}, nil
}
