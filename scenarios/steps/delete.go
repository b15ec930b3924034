package steps

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

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
	// Propagation is the deletion's propagation policy, as kubectl's
	// --cascade: Foreground (the default: dependents go first, and the
	// object only after them), Background (the object goes at once, the
	// garbage collector removes its dependents later) or Orphan (its
	// dependents stay). Foreground and Orphan need the garbage collector,
	// which runs in the controller manager, to finish: with the
	// controller manager down (a scenario that breaks it), only
	// Background ends.
	Propagation string `yaml:"propagation,omitempty" json:"propagation,omitempty"`
}

// propagations are the policies Propagation may name, the default first.
func propagations() []metav1.DeletionPropagation {
	return []metav1.DeletionPropagation{
		metav1.DeletePropagationForeground, metav1.DeletePropagationBackground, metav1.DeletePropagationOrphan,
	}
}

// policy is the propagation policy to delete with; ok is false for a value
// that names none.
func (d *Delete) policy() (p metav1.DeletionPropagation, ok bool) {
	if d.Propagation == "" {
		return metav1.DeletePropagationForeground, true
	}
	p = metav1.DeletionPropagation(d.Propagation)
	return p, slices.Contains(propagations(), p)
}

// badPropagation says what is wrong with a Propagation that names no policy.
func (d *Delete) badPropagation() string {
	var names []string
	for _, p := range propagations() {
		names = append(names, string(p))
	}
	return fmt.Sprintf("got %q, want one of %s (default %s)", d.Propagation, strings.Join(names, ", "), names[0])
}

// Validate wants the kind, a name unless labels select, and a known
// propagation policy.
func (d *Delete) Validate(v *Validation) {
	requireRef(v, d.Ref, len(d.Labels) == 0)
	if _, ok := d.policy(); !ok {
		v.Add("propagation", "%s", d.badPropagation())
	}
}

// Changes is the deleted object, or the selection.
func (d *Delete) Changes(fs.FS) []Change {
	if d.Name != "" {
		return []Change{{Verb: VerbDelete, Object: d.Ref}}
	}
	sel := map[string]string{}
	maps.Copy(sel, d.Labels)
	return []Change{{Verb: VerbDelete, Object: d.Ref, Selector: sel}}
}

// Run deletes with the propagation policy (by default in the foreground:
// dependents first) and waits for the deleted objects themselves to be
// gone; with Background or Orphan that is as soon as the API server has
// removed them, whatever becomes of their dependents.
func (d *Delete) Run(ctx context.Context, env Env) ([]string, error) {
	// Checked again: a step made in code was never validated.
	policy, ok := d.policy()
	if !ok {
		return nil, fmt.Errorf("delete %s: propagation %s", target(d.Ref, d.Labels), d.badPropagation())
	}
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
