// Package steps is the step language of scenarios: what a setup, a cleanup
// or a solution may do to a lab (apply manifests, patch, delete, wait for a
// condition, drain or taint a node, write a file into the answer folder,
// and on a kind lab write files, run allowed tools and start or stop
// services inside a node: nodeaccess.go).
// Scenarios are data: these are the only things they can do, they never run
// a command on the user's machine, their file references cannot leave the
// scenario's folder, and no step may break the lab (protect.go).
//
// A step is written as one key naming its kind, whose body the kind
// decodes (Spec); each kind is one file of this package.
//
// Adding a step kind is one new file and one line in All below: the file
// holds the kind's type, implementing Action, and Images or Changes when it
// names container images or changes objects; the line registers it.
// Nothing else changes: decoding, validation, the protection rules, a
// scenario's ownership and its image list all go through the registry and
// those interfaces. Its unit test against internal/fakelab goes in a file
// of its own, listed in unitTestOf (kinds_unit_test.go), or
// TestEveryStepKindHasUnitTest fails.
package steps

import (
	"reflect"
	"slices"
)

// Type is a registered step kind (the code says type: kind already means
// a Kubernetes Kind and the kind lab).
type Type struct {
	// Name is the key that names the kind in a step ("apply").
	Name string
	// Summary says in one line what a step of the kind does.
	Summary string
	// New returns an empty body for the step's YAML to be decoded into.
	New func() Action
}

// Types are step kinds, in the order they are documented.
type Types []Type

// All returns every step kind.
func All() Types {
	return Types{
		{Name: "apply", Summary: "server-side apply manifests, inline or from a file of the scenario's folder", New: func() Action { return &Apply{} }},
		{Name: "patch", Summary: "patch one object (strategic, merge or JSON patch)", New: func() Action { return &Patch{} }},
		{Name: "delete", Summary: "delete one object, or those with labels, and wait until they are gone", New: func() Action { return &Delete{} }},
		{Name: "wait", Summary: "wait until a CEL expression over an object, or the objects with labels, is true", New: func() Action { return &Wait{} }},
		{Name: "drain", Summary: "cordon a node and evict its pods, as kubectl drain does", New: func() Action { return &Drain{} }},
		{Name: "taint", Summary: "add, replace or remove a node taint, as kubectl taint does", New: func() Action { return &Taint{} }},
		{Name: "writeFile", Summary: "write a file into the lab's answer folder", New: func() Action { return &WriteFile{} }},
		{Name: "nodeFile", Summary: "write, move or remove a file inside a lab node (kind), where reset restores it", New: func() Action { return &NodeFile{} }},
		{Name: "nodeService", Summary: "start, stop, restart, enable or disable the kubelet or containerd of a lab node (kind)", New: func() Action { return &NodeService{} }},
		{Name: "nodeCommand", Summary: "run an allowed node tool (etcdctl, crictl, kubeadm, openssl...) in a lab node (kind), no shell", New: func() Action { return &NodeCommand{} }},
	}
}

// Names lists the kinds' names, in order.
func (ks Types) Names() []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.Name
	}
	return out
}

// sorted lists the kinds' names in alphabetical order.
func (ks Types) sorted() []string {
	names := ks.Names()
	slices.Sort(names)
	return names
}

// Find returns the kind of a name.
func (ks Types) Find(name string) (Type, bool) {
	for _, k := range ks {
		if k.Name == name {
			return k, true
		}
	}
	return Type{}, false
}

// nameOf is the name of the kind whose body a is ("" for none).
func (ks Types) nameOf(a Action) string {
	t := reflect.TypeOf(a)
	for _, k := range ks {
		if reflect.TypeOf(k.New()) == t {
			return k.Name
		}
	}
	return ""
}
