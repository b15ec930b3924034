package baseline

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

func TestNodeChanges(t *testing.T) {
	want := NodeState{
		Labels:      map[string]string{"kubernetes.io/hostname": "w"},
		Annotations: map[string]string{"team": "a"},
		Taints:      []corev1.Taint{{Key: "role", Value: "x", Effect: corev1.TaintEffectNoSchedule}},
	}
	got := NodeState{
		Labels:        map[string]string{"kubernetes.io/hostname": "w", "disk": "ssd"},
		Taints:        []corev1.Taint{{Key: "role", Value: "y", Effect: corev1.TaintEffectNoSchedule}, {Key: "type", Value: "db", Effect: corev1.TaintEffectNoSchedule}},
		Unschedulable: true,
	}
	gotLines := nodeChanges("w", want, got)
	wantLines := []string{
		"taint role=y:NoSchedule removed from w",
		"taint type=db:NoSchedule removed from w",
		"taint role=x:NoSchedule put back on w",
		"w uncordoned",
		"label disk removed from w",
		"annotation team=a put back on w",
	}
	if !slices.Equal(gotLines, wantLines) {
		t.Errorf("changes:\n %s\nwant:\n %s", strings.Join(gotLines, "\n "), strings.Join(wantLines, "\n "))
	}
	if c := nodeChanges("w", want, want); len(c) != 0 {
		t.Errorf("a node at its baseline has changes %v", c)
	}
}

func TestNodeStateKeepsOnlyWhatMayBeRestored(t *testing.T) {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "w", Annotations: map[string]string{
			"node.alpha.kubernetes.io/ttl": "0", "kubeadm.alpha.kubernetes.io/cri-socket": "x", "kwok.x-k8s.io/node": "fake",
			"team": "a", "example.com/owner": "me",
		}},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{
			{Key: "node.kubernetes.io/not-ready", Effect: corev1.TaintEffectNoExecute},
			{Key: "type", Value: "db", Effect: corev1.TaintEffectNoSchedule},
		}},
	}
	st := nodeState(n)
	if len(st.Annotations) != 3 || st.Annotations["team"] != "a" || st.Annotations["example.com/owner"] != "me" || st.Annotations["kwok.x-k8s.io/node"] != "fake" {
		t.Errorf("annotations %v: want the node's own ones (team, example.com/owner, kwok's: not a Kubernetes domain)", st.Annotations)
	}
	if len(st.Taints) != 1 || st.Taints[0].Key != "type" {
		t.Errorf("taints %v: want type only (health taints follow the node's state)", st.Taints)
	}
}

func obj(apiVersion, kind, ns, name, uid string, owners ...metav1.OwnerReference) unstructured.Unstructured {
	u := unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	u.SetUID(types.UID(uid))
	u.SetOwnerReferences(owners)
	return u
}

func owner(kind, uid string) metav1.OwnerReference {
	return metav1.OwnerReference{Kind: kind, UID: types.UID(uid), Name: uid}
}

// TestCompareObjectsOwnership: objects made since the baseline are deleted
// with what they own; new objects owned by baseline objects (a system
// DaemonSet's new pod) and mirror pods stay; baseline objects whose content
// changed are restored.
func TestCompareObjectsOwnership(t *testing.T) {
	pods := Resource{Version: "v1", Resource: "pods", Kind: "Pod", Namespaced: true}
	ds := Resource{Group: "apps", Version: "v1", Resource: "daemonsets", Kind: "DaemonSet", Namespaced: true}
	deploy := Resource{Group: "apps", Version: "v1", Resource: "deployments", Kind: "Deployment", Namespaced: true}
	rs := Resource{Group: "apps", Version: "v1", Resource: "replicasets", Kind: "ReplicaSet", Namespaced: true}
	pvs := Resource{Version: "v1", Resource: "persistentvolumes", Kind: "PersistentVolume"}
	cms := Resource{Version: "v1", Resource: "configmaps", Kind: "ConfigMap", Namespaced: true}
	sas := Resource{Version: "v1", Resource: "serviceaccounts", Kind: "ServiceAccount", Namespaced: true}

	crs := Resource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles", Kind: "ClusterRole"}
	bootstrapRole := obj("rbac.authorization.k8s.io/v1", "ClusterRole", "", "system:late", "cr1")
	bootstrapRole.SetLabels(map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"})
	proxy := obj("apps/v1", "DaemonSet", "kube-system", "kube-proxy", "ds1")
	coredns := obj("v1", "ConfigMap", "kube-system", "coredns", "cm1")
	coredns.Object["data"] = map[string]any{"Corefile": "changed"}
	b := &Baseline{Objects: map[string]Object{
		Key(ds, "kube-system", "kube-proxy"): {Resource: ds, Namespace: "kube-system", Name: "kube-proxy", UID: "ds1"},
		Key(cms, "kube-system", "coredns"): {Resource: cms, Namespace: "kube-system", Name: "coredns", UID: "cm1",
			Content: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "coredns", "namespace": "kube-system"}, "data": map[string]any{"Corefile": "original"}}},
		Key(cms, "kube-system", "gone"): {Resource: cms, Namespace: "kube-system", Name: "gone", UID: "cm2",
			Content: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "gone", "namespace": "kube-system"}}},
	}}
	items := []listed{
		{ds, proxy},
		{pods, obj("v1", "Pod", "kube-system", "kube-proxy-new", "p1", owner("DaemonSet", "ds1"))},
		{pods, obj("v1", "Pod", "kube-system", "etcd-cp", "p2", owner("Node", "node1"))},
		{deploy, obj("apps/v1", "Deployment", "default", "web", "d1")},
		{rs, obj("apps/v1", "ReplicaSet", "default", "web-1", "rs1", owner("Deployment", "d1"))},
		{pods, obj("v1", "Pod", "default", "web-1-a", "p3", owner("ReplicaSet", "rs1"))},
		{pods, obj("v1", "Pod", "default", "orphan", "p4", owner("ReplicaSet", "gone"))},
		{pvs, obj("v1", "PersistentVolume", "", "pv-logs", "pv1")},
		{cms, coredns},
		{cms, obj("v1", "ConfigMap", "shop", "kube-root-ca.crt", "cm3")},
		{sas, obj("v1", "ServiceAccount", "shop", "default", "sa1")},
		{sas, obj("v1", "ServiceAccount", "shop", "builder", "sa2")},
		// made by the control plane a moment after the baseline was taken
		{cms, obj("v1", "ConfigMap", "kube-node-lease", "kube-root-ca.crt", "cm4")},
		{crs, bootstrapRole},
	}
	inv := &inventory{byUID: map[string]int{}}
	for i, o := range items {
		inv.byUID[string(o.u.GetUID())] = i
		inv.objects = append(inv.objects, o)
	}
	p := &Plan{EmptyNamespaces: []NamespaceReset{{Name: "shop"}}}
	p.compareObjects(b, inv, map[string]bool{"shop": true})
	var deleted []string
	for _, d := range p.Delete {
		deleted = append(deleted, d.String())
	}
	wantDeleted := []string{"Deployment default/web", "ReplicaSet default/web-1", "Pod default/web-1-a", "Pod default/orphan", "PersistentVolume pv-logs", "ServiceAccount shop/builder"}
	if !slices.Equal(deleted, wantDeleted) {
		t.Errorf("delete %v\nwant   %v", deleted, wantDeleted)
	}
	if p.EmptyNamespaces[0].Objects != 1 {
		t.Errorf("namespace shop: %d objects to delete, want 1 (its defaults stay)", p.EmptyNamespaces[0].Objects)
	}
	wantLines := []string{"namespace shop emptied (1 objects)", "Deployment default/web deleted", "Pod default/orphan deleted", "PersistentVolume pv-logs deleted", "ConfigMap kube-system/coredns restored", "ConfigMap kube-system/gone recreated"}
	if got := p.Describe(); !slices.Equal(got, wantLines) {
		t.Errorf("describe:\n %s\nwant:\n %s", strings.Join(got, "\n "), strings.Join(wantLines, "\n "))
	}
}

// TestNormalizeIgnoresServerFields: what the server keeps (status,
// resourceVersion, managedFields, a Deployment's revision) is no change.
func TestNormalizeIgnoresServerFields(t *testing.T) {
	a := map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "x", "resourceVersion": "1", "uid": "u", "generation": int64(1),
			"annotations": map[string]any{"deployment.kubernetes.io/revision": "1"}},
		"spec": map[string]any{"replicas": int64(2)}, "status": map[string]any{"readyReplicas": int64(2)}}
	b := map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "x", "resourceVersion": "9", "uid": "u", "generation": int64(3),
			"annotations": map[string]any{"deployment.kubernetes.io/revision": "4"}, "managedFields": []any{}},
		"spec": map[string]any{"replicas": float64(2)}, "status": map[string]any{}}
	if canonical(normalize(a)) != canonical(normalize(b)) {
		t.Errorf("%s\n!=\n%s", canonical(normalize(a)), canonical(normalize(b)))
	}
	if _, ok := a["status"]; !ok {
		t.Error("normalize changed its argument")
	}
	b["spec"] = map[string]any{"replicas": int64(0)}
	if canonical(normalize(a)) == canonical(normalize(b)) {
		t.Error("a scaled Deployment compares equal")
	}
}

func TestOwnAnnotation(t *testing.T) {
	for k, want := range map[string]bool{
		"team": true, "example.com/x": true, "kwok.x-k8s.io/node": true,
		"node.alpha.kubernetes.io/ttl": false, "volumes.kubernetes.io/controller-managed-attach-detach": false,
		"kubernetes.io/x": false, "csi.volume.k8s.io/nodeid": false,
	} {
		if ownAnnotation(k) != want {
			t.Errorf("ownAnnotation(%q) = %v, want %v", k, !want, want)
		}
	}
}

func TestSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "labs", "sim", FileName)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "no baseline") {
		t.Errorf("missing file: %v, want ErrNoBaseline", err)
	}
	b := &Baseline{Version: formatVersion, Namespaces: []string{"default"}, Nodes: map[string]NodeState{"n": {Unschedulable: true}}}
	must(t, b.Save(path))
	got, err := Load(path)
	if err != nil || !got.Nodes["n"].Unschedulable || !got.hasNamespace("default") {
		t.Fatalf("load: %+v, %v", got, err)
	}
	must(t, os.WriteFile(path, []byte(`{"version": 99}`), 0o600))
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "format 99") {
		t.Errorf("another format: %v", err)
	}
	must(t, os.WriteFile(path, []byte(`{`), 0o600))
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "unreadable") {
		t.Errorf("corrupt file: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
