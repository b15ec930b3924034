package steps

import (
	"fmt"
	"maps"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Scenario folders are shared and downloaded, so a step is untrusted: it
// may change what a task needs, never what makes the lab a lab. These
// rules hold at validate time (from the changes a step says it makes) and
// again when the step runs (from the objects it would touch, with their
// live labels), because a label selector or an existing object's labels
// are only known then.

// bootstrappingLabel marks the RBAC defaults the API server makes
// (cluster-admin, system:*): deleting them locks everyone out.
const bootstrappingLabel = "kubernetes.io/bootstrapping"

// ProtectedError is a step refused because it would break the lab.
type ProtectedError struct {
	Action string // apply, patch, delete
	Object lab.Ref
	Why    string
}

func (e *ProtectedError) Error() string {
	what := e.Object.String()
	if e.Object.Name == "" {
		what = e.Object.Kind + "s by labels"
	}
	return fmt.Sprintf("refused to %s %s: %s", e.Action, what, e.Why)
}

// protect says why verb may not touch the object r with the given labels
// (nil when it may). verb is apply, patch or delete.
func protect(verb string, r lab.Ref, labels map[string]string) error {
	why := ""
	switch {
	case r.Kind == "Node" && verb != VerbPatch:
		why = "the lab's nodes may not be deleted or replaced (taint, drain or a patch of labels or spec.unschedulable change a node)"
	case r.Kind == "Namespace" && lab.IsSystemNamespace(r.Name) && verb != VerbPatch:
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
	return &ProtectedError{Action: verb, Object: r, Why: why}
}

// protectSelector refuses changes by label that could reach what protect
// guards, before any object is known.
func protectSelector(verb string, r lab.Ref, sel map[string]string) error {
	_, bootstrapping := sel[bootstrappingLabel]
	switch {
	case r.Kind == "Node" || r.Kind == "Namespace":
		return &ProtectedError{Action: verb, Object: r, Why: "nodes and namespaces are deleted by name only"}
	case bootstrapping:
		return &ProtectedError{Action: verb, Object: r, Why: "objects labelled " + bootstrappingLabel + " are Kubernetes' own defaults"}
	}
	return nil
}

// protectChange checks a change as a step says it makes it (validate
// time).
func protectChange(c Change) error {
	if c.Selector != nil {
		return protectSelector(c.Verb, c.Object, c.Selector)
	}
	return protect(c.Verb, c.Object, c.Labels)
}

// protectLive checks an object about to be changed, with the labels it has
// in the cluster (live; nil when it does not exist yet) and those a
// manifest gives it.
func protectLive(verb string, r lab.Ref, live *unstructured.Unstructured, labels map[string]string) error {
	all := map[string]string{}
	if live != nil {
		maps.Copy(all, live.GetLabels())
	}
	maps.Copy(all, labels)
	return protect(verb, r, all)
}
