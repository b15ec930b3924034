package lab

import "slices"

// SystemNamespaces are the namespaces every cluster has. No scenario owns
// them: a step may patch them (a Pod Security label) but not delete or
// replace them, and a scenario's `namespaces:` may not list them (a reset
// would delete them). A function rather than a variable: no caller can
// change the list.
func SystemNamespaces() []string {
	return []string{"default", "kube-system", "kube-public", "kube-node-lease"}
}

// IsSystemNamespace reports whether ns is one of SystemNamespaces.
func IsSystemNamespace(ns string) bool { return slices.Contains(SystemNamespaces(), ns) }
