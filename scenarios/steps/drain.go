package steps

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/ckalab/ckalab/internal/yamlx"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Drain cordons a node and evicts its pods as `kubectl drain
// --ignore-daemonsets --delete-emptydir-data --force` does.
type Drain struct {
	Node    string         `yaml:"node" json:"node"`
	Timeout yamlx.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// Validate wants the node.
func (d *Drain) Validate(v *Validation) {
	if d.Node == "" {
		v.Add("node", "required")
	}
}

// Changes is the node (cordoned). The pods it evicts are only known when
// it runs; their controllers make them again elsewhere.
func (d *Drain) Changes(fs.FS) []Change { return nodeChange(d.Node) }

// Run cordons the node, then evicts its pods (not those of DaemonSets, nor
// mirror pods) until none is left; an eviction a PodDisruptionBudget
// refuses is tried again until the timeout.
func (d *Drain) Run(ctx context.Context, env Env) ([]string, error) {
	kube := env.Cluster.Kube
	patch := []byte(`{"spec":{"unschedulable":true}}`)
	if _, err := kube.CoreV1().Nodes().Patch(ctx, d.Node, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager}); err != nil {
		return nil, fmt.Errorf("cordon %s: %w", d.Node, err)
	}
	changed := []string{"cordoned node " + d.Node}
	evictable := func() ([]corev1.Pod, error) {
		pods, err := kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + d.Node})
		if err != nil {
			return nil, err
		}
		var out []corev1.Pod
		for _, p := range pods.Items {
			if isDaemonSetPod(p) || p.Annotations[corev1.MirrorPodAnnotationKey] != "" {
				continue
			}
			out = append(out, p)
		}
		return out, nil
	}
	err := poll(ctx, or(d.Timeout.Duration, defaultWait), func() (bool, string, error) {
		pods, err := evictable()
		if err != nil {
			return false, "", err
		}
		if len(pods) == 0 {
			return true, "", nil
		}
		var blocked string
		for _, p := range pods {
			if p.DeletionTimestamp != nil {
				continue
			}
			ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace}}
			err := kube.PolicyV1().Evictions(p.Namespace).Evict(ctx, ev)
			switch {
			case err == nil:
				changed = append(changed, "evicted pod "+p.Namespace+"/"+p.Name)
			case apierrors.IsNotFound(err):
			case apierrors.IsForbidden(err) && apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
				// No eviction is accepted in a namespace being deleted; its
				// pods go with it (kubectl drain waits for them too).
			case apierrors.IsTooManyRequests(err):
				blocked = fmt.Sprintf("eviction of %s/%s refused by a PodDisruptionBudget", p.Namespace, p.Name)
			default:
				return false, "", fmt.Errorf("evict %s/%s: %w", p.Namespace, p.Name, err)
			}
		}
		if blocked != "" {
			return false, blocked, nil
		}
		return false, fmt.Sprintf("%d pod(s) still on %s", len(pods), d.Node), nil
	})
	return changed, err
}

func isDaemonSetPod(p corev1.Pod) bool {
	for _, o := range p.OwnerReferences {
		if o.Kind == "DaemonSet" && o.Controller != nil && *o.Controller {
			return true
		}
	}
	return false
}
