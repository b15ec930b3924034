package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// snapshot maps each object and answer file a scenario can touch to a
// version: resourceVersions for objects (marked when the object was
// already being deleted), content hashes for files.
type snapshot map[string]string

// terminatingMark prefixes the version of an object that has a deletion
// timestamp: a deletion asked for before the snapshot (an earlier
// scenario's namespace, which its cleanup deletes in the background, and
// which a controller manager that scenario broke finishes late), so its
// going away afterwards is not a change anyone made since.
const terminatingMark = "terminating@"

// kinds a scenario's namespaces may hold, and cluster-scoped kinds that
// scenarios and solutions change.
var (
	namespacedKinds = [][2]string{
		{"v1", "Pod"}, {"v1", "Service"}, {"v1", "ConfigMap"}, {"v1", "Secret"}, {"v1", "ServiceAccount"},
		{"v1", "PersistentVolumeClaim"}, {"v1", "LimitRange"}, {"v1", "ResourceQuota"},
		{"apps/v1", "Deployment"}, {"apps/v1", "ReplicaSet"}, {"apps/v1", "DaemonSet"}, {"apps/v1", "StatefulSet"},
		{"batch/v1", "Job"}, {"batch/v1", "CronJob"},
		{"rbac.authorization.k8s.io/v1", "Role"}, {"rbac.authorization.k8s.io/v1", "RoleBinding"},
		{"networking.k8s.io/v1", "NetworkPolicy"},
	}
	clusterKinds = [][2]string{
		{"v1", "Namespace"}, {"v1", "PersistentVolume"}, {"storage.k8s.io/v1", "StorageClass"},
		{"rbac.authorization.k8s.io/v1", "ClusterRole"}, {"rbac.authorization.k8s.io/v1", "ClusterRoleBinding"},
	}
)

func (r *Runner) snapshot(ctx context.Context, s *scenarios.Scenario) (snapshot, error) {
	snap := snapshot{}
	add := func(apiVersion, kind, ns string) error {
		ri, _, err := lab.Client(r.Cluster, apiVersion, kind, ns)
		if err != nil {
			return err
		}
		list, err := ri.List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list %s: %w", kind, err)
		}
		for _, o := range list.Items {
			version := o.GetResourceVersion()
			if o.GetDeletionTimestamp() != nil {
				version = terminatingMark + version
			}
			snap[kind+" "+o.GetNamespace()+"/"+o.GetName()] = version
		}
		return nil
	}
	for _, ns := range s.Namespaces {
		for _, k := range namespacedKinds {
			if err := add(k[0], k[1], ns); err != nil {
				return nil, err
			}
		}
	}
	for _, k := range clusterKinds {
		if err := add(k[0], k[1], ""); err != nil {
			return nil, err
		}
	}
	// Nodes: kwok and kubelets update their status all the time; what a
	// grader could wrongly change is the spec, labels or annotations.
	nodes, err := r.Cluster.Dynamic.Resource(nodeGVR).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	for _, n := range nodes.Items {
		snap["Node "+n.GetName()] = nodeFingerprint(n)
	}
	dir := r.AnswerDir(s.ID)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		snap["file "+path] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	return snap, nil
}

func nodeFingerprint(n unstructured.Unstructured) string {
	data, _ := json.Marshal([]any{n.Object["spec"], n.GetLabels(), n.GetAnnotations()})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// diff describes what changed between two snapshots ("" when nothing).
// An object that was already terminating may be gone after.
func (s snapshot) diff(after snapshot) string {
	var changes []string
	for k, v := range s {
		if w, ok := after[k]; !ok {
			if strings.HasPrefix(v, terminatingMark) {
				continue
			}
			changes = append(changes, k+" deleted")
		} else if w != v {
			changes = append(changes, k+" modified")
		}
	}
	for k := range after {
		if _, ok := s[k]; !ok {
			changes = append(changes, k+" created")
		}
	}
	sort.Strings(changes)
	return strings.Join(changes, ", ")
}

var nodeGVR = corev1GVR("nodes")

func corev1GVR(resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Version: "v1", Resource: resource}
}

// missedByList returns the objects the after snapshot lacks that a GET
// still finds at the version before had: unchanged, only missing from a
// LIST (the API server's watch cache right after etcd is restored under
// it lists less than etcd holds). Each key is added to after, so that
// diff does not report it, and returned, so that the report says so.
func (r *Runner) missedByList(ctx context.Context, before, after snapshot) ([]string, error) {
	apiVersions := map[string]string{}
	for _, k := range append(slices.Clone(namespacedKinds), clusterKinds...) {
		apiVersions[k[1]] = k[0]
	}
	var missed []string
	for key, version := range before {
		if _, ok := after[key]; ok {
			continue
		}
		kind, ref, ok := strings.Cut(key, " ")
		apiVersion, known := apiVersions[kind]
		if !ok || !known {
			continue // a file or a node: no cache between us and it
		}
		ns, name, _ := strings.Cut(ref, "/")
		ri, _, err := lab.Client(r.Cluster, apiVersion, kind, ns)
		if err != nil {
			return nil, err
		}
		o, err := ri.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("get %s: %w", key, err)
		}
		if o.GetResourceVersion() == strings.TrimPrefix(version, terminatingMark) {
			after[key] = version
			missed = append(missed, key)
		}
	}
	sort.Strings(missed)
	return missed, nil
}
