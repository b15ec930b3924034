package actions

import (
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Scenario folders are shared and downloaded, so a step is untrusted: it
// may change what a task needs, never what makes the lab a lab. These
// rules hold at validate time (from the step as written) and again when
// the step runs (from the objects it would touch, with their live labels),
// because a label selector or an existing object's labels are only known
// then.

// SystemNamespaces are the namespaces every cluster has. No scenario owns
// them: a step may patch them (a Pod Security label) but not delete or
// replace them, and `namespaces:` may not list them (the runner would
// delete them).
var SystemNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

// IsSystemNamespace reports whether ns is one of SystemNamespaces.
func IsSystemNamespace(ns string) bool { return slices.Contains(SystemNamespaces, ns) }

// bootstrappingLabel marks the RBAC defaults the API server makes
// (cluster-admin, system:*): deleting them locks everyone out.
const bootstrappingLabel = "kubernetes.io/bootstrapping"

// ProtectedError is a step refused because it would break the lab.
type ProtectedError struct {
	Action string // apply, patch, delete
	Object Ref
	Why    string
}

func (e *ProtectedError) Error() string {
	what := e.Object.String()
	if e.Object.Name == "" {
		what = e.Object.Kind + "s by labels"
	}
	return fmt.Sprintf("refused to %s %s: %s", e.Action, what, e.Why)
}

// protect says why action may not touch the object r with the given labels
// (nil when it may). action is apply, patch or delete.
func protect(action string, r Ref, labels map[string]string) error {
	why := ""
	switch {
	case r.Kind == "Node" && action != "patch":
		why = "the lab's nodes may not be deleted or replaced (taint, drain or a patch of labels or spec.unschedulable change a node)"
	case r.Kind == "Namespace" && IsSystemNamespace(r.Name) && action != "patch":
		why = "every cluster has this namespace; a step may patch it but not delete or replace it"
	case strings.HasPrefix(r.Name, "system:"):
		why = "objects named system:* belong to Kubernetes itself"
	case labels[bootstrappingLabel] != "":
		why = "objects labelled " + bootstrappingLabel + " are Kubernetes' own defaults (cluster-admin among them)"
	case r.Kind == "ConfigMap" && r.Namespace == lab.MarkerNamespace && r.Name == lab.MarkerName:
		why = "it is the marker that makes this cluster a ckalab lab"
	default:
		return nil
	}
	return &ProtectedError{Action: action, Object: r, Why: why}
}

// protectSelector refuses deletes by label that could reach what protect
// guards, before any object is known.
func protectSelector(r Ref, sel map[string]string) error {
	_, bootstrapping := sel[bootstrappingLabel]
	switch {
	case r.Kind == "Node" || r.Kind == "Namespace":
		return &ProtectedError{Action: "delete", Object: r, Why: "nodes and namespaces are deleted by name only"}
	case bootstrapping:
		return &ProtectedError{Action: "delete", Object: r, Why: "objects labelled " + bootstrappingLabel + " are Kubernetes' own defaults"}
	}
	return nil
}

// protectSpec checks a step as written (validate time). Manifests that do
// not decode give nothing: Validate reports them.
func (s Spec) protectSpec(dir fs.FS) []error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	switch {
	case s.Apply != nil:
		objs, _ := s.Apply.Objects(dir) // Validate reports what does not decode
		for _, o := range objs {
			add(protect("apply", RefTo(o), o.GetLabels()))
		}
	case s.Patch != nil:
		add(protect("patch", s.Patch.Ref, nil))
	case s.Delete != nil && s.Delete.Name != "":
		add(protect("delete", s.Delete.Ref, nil))
	case s.Delete != nil:
		add(protectSelector(s.Delete.Ref, s.Delete.Labels))
	}
	return errs
}

// RefTo names an object.
func RefTo(o *unstructured.Unstructured) Ref {
	return Ref{APIVersion: o.GetAPIVersion(), Kind: o.GetKind(), Name: o.GetName(), Namespace: o.GetNamespace()}
}

// protectLive checks an object about to be changed, with the labels it has
// in the cluster (live; nil when it does not exist yet) and those a
// manifest gives it.
func protectLive(action string, r Ref, live *unstructured.Unstructured, labels map[string]string) error {
	all := map[string]string{}
	if live != nil {
		maps.Copy(all, live.GetLabels())
	}
	maps.Copy(all, labels)
	return protect(action, r, all)
}
