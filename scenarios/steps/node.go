package steps

import "github.com/ckalab/ckalab/lab"

// nodeChange is what a step that changes a node's taints or
// schedulability changes: a patch of the Node.
func nodeChange(name string) []Change {
	return []Change{{Verb: VerbPatch, Object: lab.Ref{APIVersion: "v1", Kind: "Node", Name: name}}}
}

// nodeFileChange is a file or folder a node step changes inside the node
// (p): a change of the Node, at p.
func nodeFileChange(node, p string) Change {
	return Change{Verb: VerbPatch, Object: lab.Ref{APIVersion: "v1", Kind: "Node", Name: node}, Path: p}
}
