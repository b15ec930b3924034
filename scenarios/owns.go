package scenarios

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios/steps"
	"gopkg.in/yaml.v3"
)

// Owns is what a scenario changes beyond its namespaces. In practice mode
// the lab goes back to its baseline before each start, so ownership does
// not matter; an exam sets many scenarios up side by side, and two that
// own the same node or object cannot share a lab (see Conflicts).
type Owns struct {
	// Nodes the scenario's steps taint, cordon, drain or change. Files
	// written, moved or removed in the task's own course folder on a node
	// ({{ .Course }}) do not count: each task has its own folder, so no
	// other task meets them.
	Nodes []string `yaml:"nodes"`
	// Objects made or changed outside the scenario's namespaces:
	// cluster-scoped ones (a PersistentVolume, a StorageClass, a
	// ClusterRole) and objects in shared namespaces such as default.
	Objects []ObjectRef `yaml:"objects"`
}

// Uses is what a scenario needs working without changing it: in an exam,
// a task that owns (breaks, taints, drains) one of these nodes would take
// points from this one, so the two conflict. A DaemonSet on every node
// uses every node; a task read on one node's container runtime uses that
// node.
type Uses struct {
	// Nodes whose kubelet, container runtime and schedulability the
	// scenario's pods or checks rely on.
	Nodes []string `yaml:"nodes"`
}

// ObjectRef names one object a scenario owns: apiVersion, kind, name and
// (for a namespaced object) namespace.
type ObjectRef = lab.Ref

// clusterScoped are the cluster-scoped kinds scenarios may make; validation
// needs no lab, so this is a list rather than discovery.
var clusterScoped = []string{
	"Namespace", "Node", "PersistentVolume", "StorageClass", "CSIDriver", "VolumeAttachment",
	"ClusterRole", "ClusterRoleBinding", "PriorityClass", "IngressClass", "RuntimeClass",
	"CustomResourceDefinition", "APIService", "CertificateSigningRequest",
	"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
	"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
	"MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding", "FlowSchema", "PriorityLevelConfiguration",
	// Kinds of CRDs a scenario installs (Gateway API).
	"GatewayClass",
}

// touch is one thing a step changes.
type touch struct {
	node string // a node (taint, drain, a patch of a Node, a file in it)
	// path is the first file the step changes on node outside the task's
	// course folder ("" for a change of the node itself), for messages.
	path      string
	namespace string    // a Namespace object
	object    ObjectRef // any other object
	// selected are the objects a delete by labels removes: their names
	// are only known when it runs.
	selected *lab.Ref
}

// touches lists what a step changes, each node once; unreadable
// manifests give nothing (Validate reports them). Files in the task's
// course folder (course) are no change of their node.
func touches(st steps.Spec, dir fs.FS, course string) []touch {
	var out []touch
	for _, c := range st.Changes(dir) {
		r := c.Object
		switch {
		case c.Selector != nil:
			out = append(out, touch{selected: &r})
		case r.Kind == "Node" && inCourse(c.Path, course):
		case r.Kind == "Node":
			if !slices.ContainsFunc(out, func(t touch) bool { return t.node == r.Name }) {
				out = append(out, touch{node: r.Name, path: c.Path})
			}
		case r.Kind == "Namespace":
			out = append(out, touch{namespace: r.Name})
		default:
			if r.Namespace == "" && !slices.Contains(clusterScoped, r.Kind) {
				r.Namespace = "default" // as the steps do
			}
			out = append(out, touch{object: r})
		}
	}
	return out
}

// inCourse says whether p, a file or folder a step changes inside a node,
// is in the task's course folder, course: a folder in lab.CourseRoot
// ({{ .Course }}: /opt/course/<id> in practice, /opt/course/<N> for task N
// of an exam). Each task has its own, and reset empties them all, so
// what is in one is the task's alone and owns nothing of the node; a
// file elsewhere in lab.CourseRoot could be another task's.
func inCourse(p, course string) bool {
	return strings.HasPrefix(course, lab.CourseRoot+"/") && path.Clean(course) == course &&
		path.IsAbs(p) && path.Clean(p) == p && strings.HasPrefix(p, course+"/")
}

// ownershipProblems reports what a step changes that the scenario does not
// declare: its namespaces, owns.nodes, owns.objects. course is the task's
// course folder (TemplateData.Course).
func (f *File) ownershipProblems(st steps.Spec, dir fs.FS, p string, n *yaml.Node, course string) yamlx.Problems {
	var ps yamlx.Problems
	at := yamlx.At(n, st.Name())
	for _, t := range touches(st, dir, course) {
		switch {
		case t.node != "":
			if slices.Contains(f.Owns.Nodes, t.node) {
				break
			}
			why := ""
			if strings.HasPrefix(t.path, lab.CourseRoot+"/") {
				// Most likely a course folder written by hand.
				why = fmt.Sprintf(" (%s is outside the task's course folder, {{ .Course }}, whose files need none)", t.path)
			}
			ps.Add(at, yamlx.Join(p, st.Name()), "changes node %s, which owns.nodes does not list%s", t.node, why)
		case t.selected != nil:
			ps = append(ps, f.selectorProblems(*t.selected, at, yamlx.Join(p, st.Name()))...)
		case t.namespace != "":
			if !slices.Contains(f.Namespaces, t.namespace) {
				ps.Add(at, yamlx.Join(p, st.Name()), "makes namespace %s, which namespaces does not list", t.namespace)
			}
		case t.object.Namespace != "" && slices.Contains(f.Namespaces, t.object.Namespace):
		case !f.ownsObject(t.object):
			where := "a cluster-scoped object"
			if t.object.Namespace != "" {
				where = "outside the scenario's namespaces"
			}
			ps.Add(at, yamlx.Join(p, st.Name()), "changes %s (%s), which owns.objects does not list", t.object, where)
		}
	}
	return ps
}

// selectorProblems keeps a delete by labels inside the scenario's own
// namespaces: a selector has no names to declare, and without a namespace
// it would reach every namespace of the lab, kube-system included.
func (f *File) selectorProblems(r lab.Ref, at *yaml.Node, p string) yamlx.Problems {
	var ps yamlx.Problems
	switch {
	case slices.Contains(clusterScoped, r.Kind):
		ps.Add(at, p, "deletes cluster-scoped %ss by labels; delete each by name and list it under owns.objects", r.Kind)
	case r.Namespace == "":
		ps.Add(at, p, "deletes %ss by labels in every namespace; give the namespace (one of the scenario's namespaces)", r.Kind)
	case !slices.Contains(f.Namespaces, r.Namespace):
		ps.Add(at, p, "deletes %ss by labels in namespace %s, which namespaces does not list", r.Kind, r.Namespace)
	}
	return ps
}

func (f *File) ownsObject(r ObjectRef) bool {
	return slices.ContainsFunc(f.Owns.Objects, func(o ObjectRef) bool {
		return o.Kind == r.Kind && o.Name == r.Name && o.Namespace == r.Namespace && group(o.APIVersion) == group(r.APIVersion)
	})
}

// group is an apiVersion's group: v1 and v1beta1 of a kind are one object.
func group(apiVersion string) string {
	g, _, found := strings.Cut(apiVersion, "/")
	if !found {
		return ""
	}
	return g
}

// validateOwns checks the owns field itself.
func (f *File) validateOwns(root *yaml.Node) yamlx.Problems {
	var ps yamlx.Problems
	for i, r := range f.Owns.Objects {
		n := yamlx.Item(yamlx.At(root, "owns", "objects"), i)
		p := yamlx.Index("owns.objects", i)
		if r.APIVersion == "" || r.Kind == "" || r.Name == "" {
			ps.Add(n, p, "apiVersion, kind and name are required")
		}
		if r.Kind == "Namespace" || r.Kind == "Node" {
			ps.Add(n, p, "list namespaces under namespaces and nodes under owns.nodes")
		}
	}
	return ps
}

// Conflict is a pair of scenarios that cannot be set up on one lab at the
// same time.
type Conflict struct {
	A, B string
	// Shared are what both own ("node ckalab-worker").
	Shared []string
}

// usesOwned lists the nodes s uses that other owns, in words.
func (s *Scenario) usesOwned(other *Scenario) []string {
	var out []string
	for _, n := range s.Uses.Nodes {
		if slices.Contains(other.Owns.Nodes, n) {
			out = append(out, fmt.Sprintf("node %s (%s uses it)", n, s.ID))
		}
	}
	return out
}

// owned lists what a scenario owns, in words.
func (s *Scenario) owned() []string {
	var out []string
	for _, ns := range s.Namespaces {
		out = append(out, "namespace "+ns)
	}
	for _, n := range s.Owns.Nodes {
		out = append(out, "node "+n)
	}
	for _, o := range s.Owns.Objects {
		if g := group(o.APIVersion); g != "" {
			o.Kind += "." + g // a StorageClass is not a class of another group
		}
		out = append(out, o.String())
	}
	return out
}

// Conflicts lists the pairs of scenarios that own the same namespace, node
// or object, or where one owns a node the other uses.
func Conflicts(all []*Scenario) []Conflict {
	var out []Conflict
	for i, a := range all {
		mine := a.owned()
		for _, b := range all[i+1:] {
			var shared []string
			for _, o := range b.owned() {
				if slices.Contains(mine, o) {
					shared = append(shared, o)
				}
			}
			shared = append(shared, a.usesOwned(b)...)
			shared = append(shared, b.usesOwned(a)...)
			if len(shared) > 0 {
				out = append(out, Conflict{A: a.ID, B: b.ID, Shared: shared})
			}
		}
	}
	return out
}
