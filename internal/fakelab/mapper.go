package fakelab

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// kind is one kind the fake mapper knows, in one version (as a
// discovery-backed mapper resolves a bare resource to the preferred one).
type kind struct {
	apiVersion, kind string
	namespaced       bool
}

// kinds are the kinds the fake mapper knows; any other is a NoMatch, as a
// kind the API server does not serve.
func kinds() []kind {
	return []kind{
		{"v1", "Pod", true},
		{"v1", "ConfigMap", true},
		{"v1", "Secret", true},
		{"v1", "Service", true},
		{"v1", "ServiceAccount", true},
		{"v1", "PersistentVolumeClaim", true},
		{"v1", "PersistentVolume", false},
		{"v1", "Node", false},
		{"v1", "Namespace", false},
		{"apps/v1", "Deployment", true},
		{"apps/v1", "DaemonSet", true},
		{"apps/v1", "StatefulSet", true},
		{"apps/v1", "ReplicaSet", true},
		{"batch/v1", "Job", true},
		{"batch/v1", "CronJob", true},
		{"policy/v1", "PodDisruptionBudget", true},
		{"rbac.authorization.k8s.io/v1", "Role", true},
		{"rbac.authorization.k8s.io/v1", "RoleBinding", true},
		{"rbac.authorization.k8s.io/v1", "ClusterRole", false},
		{"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", false},
		{"networking.k8s.io/v1", "NetworkPolicy", true},
		{"storage.k8s.io/v1", "StorageClass", false},
		{"certificates.k8s.io/v1", "CertificateSigningRequest", false},
	}
}

// mapper is a fixed RESTMapper with the Reset lab.Cluster wants (there is
// no discovery cache to drop).
type mapper struct{ *meta.DefaultRESTMapper }

func (mapper) Reset() {}

func newMapper() mapper {
	m := meta.NewDefaultRESTMapper(nil)
	for _, k := range kinds() {
		gv, err := schema.ParseGroupVersion(k.apiVersion)
		if err != nil {
			panic(err) // the table above is constant
		}
		scope := meta.RESTScopeRoot
		if k.namespaced {
			scope = meta.RESTScopeNamespace
		}
		m.Add(gv.WithKind(k.kind), scope)
	}
	return mapper{m}
}
