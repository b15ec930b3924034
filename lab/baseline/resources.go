package baseline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ckalab/ckalab/lab"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
)

// Resource is an API resource the baseline covers.
type Resource struct {
	Group      string `json:"group,omitempty"`
	Version    string `json:"version"`
	Resource   string `json:"resource"`
	Kind       string `json:"kind"`
	Namespaced bool   `json:"namespaced,omitempty"`
}

// GVR is the resource for the dynamic client.
func (r Resource) GVR() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: r.Group, Version: r.Version, Resource: r.Resource}
}

// GroupKind renders "apps/Deployment", or "Pod" for the core group.
func (r Resource) GroupKind() string {
	if r.Group == "" {
		return r.Kind
	}
	return r.Group + "/" + r.Kind
}

// skipped are resources the baseline leaves alone: Kubernetes writes them
// itself all the time (events, leases, endpoints, IP allocations, CSINode
// of each kubelet), or they have their own handling (nodes, namespaces).
var skipped = map[schema.GroupResource]bool{
	{Resource: "nodes"}:                                               true,
	{Resource: "namespaces"}:                                          true,
	{Resource: "events"}:                                              true,
	{Group: "events.k8s.io", Resource: "events"}:                      true,
	{Resource: "endpoints"}:                                           true,
	{Group: "discovery.k8s.io", Resource: "endpointslices"}:           true,
	{Group: "coordination.k8s.io", Resource: "leases"}:                true,
	{Group: "coordination.k8s.io", Resource: "leasecandidates"}:       true,
	{Group: "networking.k8s.io", Resource: "ipaddresses"}:             true,
	{Group: "networking.k8s.io", Resource: "servicecidrs"}:            true,
	{Group: "storage.k8s.io", Resource: "csinodes"}:                   true,
	{Group: "storage.k8s.io", Resource: "volumeattachments"}:          true,
	{Group: "storage.k8s.io", Resource: "csistoragecapacities"}:       true,
	{Group: "internal.apiserver.k8s.io", Resource: "storageversions"}: true,
	{Group: "resource.k8s.io", Resource: "resourceslices"}:            true,
}

// discover lists the resources a learner can create and ckalab can delete.
func discover(c *lab.Cluster) ([]Resource, error) {
	lists, err := c.Kube.Discovery().ServerPreferredResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		// A failed aggregated API (metrics-server down) leaves the others.
		return nil, fmt.Errorf("discover API resources: %w", err)
	}
	var out []Resource
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if skipped[schema.GroupResource{Group: gv.Group, Resource: r.Name}] ||
				!slices.Contains(r.Verbs, "list") || !slices.Contains(r.Verbs, "delete") ||
				strings.Contains(r.Name, "/") { // subresources
				continue
			}
			out = append(out, Resource{Group: gv.Group, Version: gv.Version, Resource: r.Name, Kind: r.Kind, Namespaced: r.Namespaced})
		}
	}
	slices.SortFunc(out, func(a, b Resource) int {
		if a.GroupKind() < b.GroupKind() {
			return -1
		}
		if a.GroupKind() > b.GroupKind() {
			return 1
		}
		return 0
	})
	return out, nil
}

// restorableResources are the kinds whose changes Apply writes back: what
// a task or a learner may change in the lab's own objects (the default
// StorageClass, a system ConfigMap or Deployment, RBAC), and whose content
// no controller rewrites by itself.
var restorableResources = map[schema.GroupResource]bool{
	{Group: "storage.k8s.io", Resource: "storageclasses"}:                 true,
	{Group: "scheduling.k8s.io", Resource: "priorityclasses"}:             true,
	{Group: "networking.k8s.io", Resource: "ingressclasses"}:              true,
	{Group: "node.k8s.io", Resource: "runtimeclasses"}:                    true,
	{Group: "rbac.authorization.k8s.io", Resource: "clusterroles"}:        true,
	{Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"}: true,
	{Group: "rbac.authorization.k8s.io", Resource: "roles"}:               true,
	{Group: "rbac.authorization.k8s.io", Resource: "rolebindings"}:        true,
	{Resource: "configmaps"}:                                              true,
	{Resource: "services"}:                                                true,
	{Group: "apps", Resource: "deployments"}:                              true,
	{Group: "apps", Resource: "daemonsets"}:                               true,
}

// managedObjects are objects of restorable kinds that Kubernetes keeps up
// to date itself.
var managedObjects = map[string]bool{
	"kube-public/cluster-info":                       true, // bootstrap signer
	"kube-system/extension-apiserver-authentication": true, // API server
	"default/kubernetes":                             true, // API server's endpoint reconciler
}

func restorable(r Resource, namespace, name string) bool {
	if !restorableResources[schema.GroupResource{Group: r.Group, Resource: r.Resource}] {
		return false
	}
	if r.Resource == "configmaps" && name == "kube-root-ca.crt" {
		return false
	}
	return !managedObjects[namespace+"/"+name]
}

// volatileAnnotations change without anyone meaning to change the object.
var volatileAnnotations = []string{
	"deployment.kubernetes.io/revision",
	"deprecated.daemonset.template.generation",
	"kubectl.kubernetes.io/last-applied-configuration",
}

// normalize keeps what defines an object: no status, no server-kept
// metadata. Aggregated ClusterRoles get their rules from the aggregation
// controller, so only their aggregationRule counts.
func normalize(obj map[string]any) map[string]any {
	u := (&unstructured.Unstructured{Object: obj}).DeepCopy()
	out := u.Object
	delete(out, "status")
	md, _ := out["metadata"].(map[string]any)
	for _, f := range []string{"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"} {
		delete(md, f)
	}
	if ann, ok := md["annotations"].(map[string]any); ok {
		for _, a := range volatileAnnotations {
			delete(ann, a)
		}
		if len(ann) == 0 {
			delete(md, "annotations")
		}
	}
	if _, ok := out["aggregationRule"]; ok {
		delete(out, "rules")
	}
	return out
}

// listed is one object found in the lab.
type listed struct {
	res Resource
	u   unstructured.Unstructured
}

// inventory is every object of the covered resources.
type inventory struct {
	objects []listed
	byUID   map[string]int
}

// parallelLists bounds concurrent LIST requests: enough to hide latency,
// few enough not to crowd a two-core machine's API server.
const parallelLists = 8

// inventoryOf lists every object of the resources the baseline covers,
// each resource cluster-wide in one request.
func inventoryOf(ctx context.Context, c *lab.Cluster) (*inventory, error) {
	res, err := discover(c)
	if err != nil {
		return nil, err
	}
	type job struct{ res Resource }
	jobs := make([]job, len(res))
	for i, r := range res {
		jobs[i] = job{res: r}
	}
	results := make([][]unstructured.Unstructured, len(jobs))
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, parallelLists)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			l, err := c.Dynamic.Resource(j.res.GVR()).List(ctx, metav1.ListOptions{})
			switch {
			case apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) || apierrors.IsForbidden(err):
				// A resource that went away (a CRD deleted a moment ago).
			case err != nil:
				errs[i] = fmt.Errorf("list %s: %w", j.res.GroupKind(), err)
			default:
				results[i] = l.Items
			}
		}()
	}
	wg.Wait()
	inv := &inventory{byUID: map[string]int{}}
	for i, items := range results {
		if errs[i] != nil {
			return nil, errs[i]
		}
		for _, u := range items {
			inv.byUID[string(u.GetUID())] = len(inv.objects)
			inv.objects = append(inv.objects, listed{res: jobs[i].res, u: u})
		}
	}
	return inv, nil
}
