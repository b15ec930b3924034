package steps

import (
	"context"
	"fmt"
	"io/fs"
	"maps"

	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/explain"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// Delete removes one object, or those matching labels, and waits until they
// are gone. A missing object is not an error.
type Delete struct {
	lab.Ref `yaml:",inline"`
	Labels  map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Timeout yamlx.Duration    `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// Validate wants the kind, and a name unless labels select.
func (d *Delete) Validate(v *Validation) { requireRef(v, d.Ref, len(d.Labels) == 0) }

// Changes is the deleted object, or the selection.
func (d *Delete) Changes(fs.FS) []Change {
	if d.Name != "" {
		return []Change{{Verb: VerbDelete, Object: d.Ref}}
	}
	sel := map[string]string{}
	maps.Copy(sel, d.Labels)
	return []Change{{Verb: VerbDelete, Object: d.Ref, Selector: sel}}
}

// Run deletes in the foreground (dependents first) and waits for the
// deleted objects themselves to be gone.
func (d *Delete) Run(ctx context.Context, env Env) ([]string, error) {
	objs, err := lab.Find(ctx, env.Cluster, d.Ref, d.Labels)
	if err != nil {
		return nil, err
	}
	// A selector's matches are only known now: check them all before the
	// first delete, so a refused step changes nothing.
	for _, o := range objs {
		r := lab.Ref{APIVersion: d.APIVersion, Kind: d.Kind, Name: o.GetName(), Namespace: o.GetNamespace()}
		if err := protectLive(VerbDelete, r, &o, nil); err != nil {
			return nil, err
		}
	}
	var changed []string
	deleted := map[types.UID]bool{}
	for _, o := range objs {
		ri, _, err := lab.Client(env.Cluster, d.APIVersion, d.Kind, o.GetNamespace())
		if err != nil {
			return changed, err
		}
		ref := lab.Ref{Kind: d.Kind, Name: o.GetName(), Namespace: o.GetNamespace()}
		policy := metav1.DeletePropagationForeground
		if err := ri.Delete(ctx, o.GetName(), metav1.DeleteOptions{PropagationPolicy: &policy}); err != nil && !apierrors.IsNotFound(err) {
			return changed, fmt.Errorf("delete %s: %w", ref, err)
		}
		deleted[o.GetUID()] = true
		changed = append(changed, "deleted "+ref.String())
	}
	// Wait for the deleted objects themselves: a controller may already
	// have made replacements with the same labels.
	var left []unstructured.Unstructured
	err = poll(ctx, or(d.Timeout.Duration, defaultDelete), func() (bool, string, error) {
		found, err := lab.Find(ctx, env.Cluster, d.Ref, d.Labels)
		if err != nil {
			return false, "", err
		}
		left = left[:0]
		for _, o := range found {
			if deleted[o.GetUID()] {
				left = append(left, o)
			}
		}
		if len(left) > 0 {
			return false, explain.Ref(left[0]) + " is still there", nil
		}
		return true, "", nil
	})
	err = explainTimeout(ctx, err, "deletion of "+target(d.Ref, d.Labels), func(ctx context.Context) ([]string, error) {
		return explainDeletion(ctx, env.Cluster.Kube, left)
	})
	return changed, err
}
