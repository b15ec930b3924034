package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/ckalab/ckalab/lab"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

// Apply server-side applies manifests, given inline or as a file of the
// scenario's folder.
type Apply struct {
	Manifest string `yaml:"manifest,omitempty" json:"manifest,omitempty"`
	File     string `yaml:"file,omitempty" json:"file,omitempty"`
}

// Objects reads and decodes the step's manifests (inline, or the file in
// dir).
func (a *Apply) Objects(dir fs.FS) ([]*unstructured.Unstructured, error) {
	data := []byte(a.Manifest)
	if a.File != "" {
		var err error
		if data, err = ReadScenarioFile(dir, a.File); err != nil {
			return nil, err
		}
	}
	return DecodeManifests(data)
}

// Validate wants exactly one of manifest and file, and manifests that
// decode, whose pod specs cannot reach the host (podsafety.go).
func (a *Apply) Validate(v *Validation) {
	if (a.Manifest == "") == (a.File == "") {
		v.Add("", "set exactly one of manifest and file")
		return
	}
	field := "manifest"
	if a.File != "" {
		field = "file"
	}
	objs, err := a.Objects(v.Dir)
	if err != nil {
		v.Add(field, "%v", err)
		return
	}
	checkManifests(v, field, objs)
}

// Images are those of the manifests' containers.
func (a *Apply) Images(dir fs.FS) []string {
	objs, err := a.Objects(dir)
	if err != nil {
		return nil
	}
	docs := make([]any, len(objs))
	for i, o := range objs {
		docs[i] = o.Object
	}
	return containerImages(docs...)
}

// Changes are the manifests' objects, with the labels they give them.
func (a *Apply) Changes(dir fs.FS) []Change {
	objs, err := a.Objects(dir)
	if err != nil {
		return nil
	}
	out := make([]Change, len(objs))
	for i, o := range objs {
		out[i] = Change{Verb: VerbApply, Object: lab.RefTo(o), Labels: o.GetLabels()}
	}
	return out
}

// Run applies every object, namespaced ones without a namespace in
// default. Every object is checked before the first is applied, so a
// refused step changes nothing.
func (a *Apply) Run(ctx context.Context, env Env) ([]string, error) {
	objs, err := a.Objects(env.Files)
	if err != nil {
		return nil, err
	}
	if err := refuseManifests(VerbApply, objs); err != nil {
		return nil, err
	}
	clients := make([]dynamic.ResourceInterface, len(objs))
	for i, obj := range objs {
		ri, namespaced, err := lab.Client(env.Cluster, obj.GetAPIVersion(), obj.GetKind(), obj.GetNamespace())
		if err != nil {
			return nil, err
		}
		if namespaced && obj.GetNamespace() == "" {
			obj.SetNamespace(metav1.NamespaceDefault)
			ri, _, _ = lab.Client(env.Cluster, obj.GetAPIVersion(), obj.GetKind(), metav1.NamespaceDefault)
		}
		live, err := getLive(ctx, ri, obj.GetName())
		if err != nil {
			return nil, err
		}
		if err := protectLive(VerbApply, lab.RefTo(obj), live, obj.GetLabels()); err != nil {
			return nil, err
		}
		if err := refuseLive(VerbApply, lab.RefTo(obj), live, true); err != nil {
			return nil, err
		}
		clients[i] = ri
	}
	var changed []string
	for i, obj := range objs {
		ref := lab.Ref{Kind: obj.GetKind(), Name: obj.GetName(), Namespace: obj.GetNamespace()}
		if err := applyObject(ctx, clients[i], obj); err != nil {
			return changed, fmt.Errorf("apply %s: %w", ref, err)
		}
		changed = append(changed, "applied "+ref.String())
	}
	return changed, nil
}

// serviceAccountWait is how long an apply waits for a new namespace's
// default ServiceAccount.
const serviceAccountWait = 30 * time.Second

// applyObject applies one object. A pod in a namespace made a moment ago
// may meet "serviceaccount default not found": the ServiceAccount
// controller, in the controller manager, has not made the namespace's
// default account yet (seen on kind right after a scenario restarted the
// controller manager). That is a wait, not a mistake of the scenario:
// retry it a while, then fail with the API's words.
func applyObject(ctx context.Context, ri dynamic.ResourceInterface, obj *unstructured.Unstructured) error {
	var last error
	err := poll(ctx, serviceAccountWait, func() (bool, string, error) {
		_, last = ri.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
		if last != nil && missingServiceAccount(last) {
			return false, last.Error(), nil
		}
		return true, "", last
	})
	var te *TimeoutError
	if errors.As(err, &te) {
		return last
	}
	return err
}

// missingServiceAccount is the admission's refusal of a pod whose
// ServiceAccount does not exist (yet).
func missingServiceAccount(err error) bool {
	return apierrors.IsForbidden(err) && strings.Contains(err.Error(), "serviceaccount") && strings.Contains(err.Error(), "not found")
}
