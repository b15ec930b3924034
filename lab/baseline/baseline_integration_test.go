package baseline_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/simtest"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/baseline"
	"github.com/ckalab/ckalab/scenarios/steps"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

var sl *simtest.Lab

func TestMain(m *testing.M) { os.Exit(simtest.Main(m, &sl)) }

const (
	controlPlane = "ckalab-control-plane"
	worker       = "ckalab-worker"
	worker2      = "ckalab-worker2"
)

func compare(t *testing.T, l *simtest.Lab) *baseline.Plan {
	t.Helper()
	p, err := baseline.Compare(context.Background(), l.Cluster, l.Baseline, baseline.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func apply(t *testing.T, c *lab.Cluster, manifest string) {
	t.Helper()
	st := steps.Spec{Action: &steps.Apply{Manifest: manifest}}
	if _, err := st.Run(context.Background(), steps.Env{Cluster: c}); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, c *lab.Cluster, list ...steps.Spec) {
	t.Helper()
	if _, err := steps.RunAll(context.Background(), steps.Env{Cluster: c}, list); err != nil {
		t.Fatal(err)
	}
}

// TestFreshLabIsItsBaseline: lab up records the baseline when the lab is
// ready, and nothing drifts by itself afterwards (controllers, kwok).
func TestFreshLabIsItsBaseline(t *testing.T) {
	l := simtest.Need(t, sl)
	if p := compare(t, l); !p.Empty() {
		t.Fatalf("a fresh lab differs from its baseline: %v", p.Describe())
	}
	if len(l.Baseline.Nodes) != 3 || !slices.Contains(l.Baseline.Namespaces, "kube-system") {
		t.Errorf("baseline nodes %d, namespaces %v", len(l.Baseline.Nodes), l.Baseline.Namespaces)
	}
	if _, ok := l.Baseline.Objects["storage.k8s.io/StorageClass standard"]; !ok {
		t.Error("the default StorageClass is not in the baseline")
	}
}

// TestRestoreUndoesWhatALearnerLeaves changes a lab as weeks of practice
// would, everywhere, and brings it back: the comparison is empty after.
func TestRestoreUndoesWhatALearnerLeaves(t *testing.T) {
	l := simtest.Need(t, sl)
	c := l.Cluster
	ctx := context.Background()
	run(t, c,
		steps.Spec{Action: &steps.Taint{Node: worker, Key: "type", Value: "db", Effect: "NoSchedule"}},
		steps.Spec{Action: &steps.Patch{Ref: lab.Ref{APIVersion: "v1", Kind: "Node", Name: worker2}, Patch: map[string]any{"spec": map[string]any{"unschedulable": true}}}},
		steps.Spec{Action: &steps.Patch{Ref: lab.Ref{APIVersion: "v1", Kind: "Node", Name: controlPlane}, Patch: map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"disk": "ssd", "kubernetes.io/os": nil}, "annotations": map[string]any{"team": "a"}}}}},
	)
	apply(t, c, `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 30
      containers: [{name: c, image: nginx:1.27}]
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-logs}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  hostPath: {path: /mnt/logs}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: logs, namespace: default}
spec:
  storageClassName: ""
  volumeName: pv-logs
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 500Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: logger, namespace: default}
spec:
  terminationGracePeriodSeconds: 30
  containers: [{name: c, image: busybox:1.36, command: [sleep, infinity]}]
  volumes: [{name: v, persistentVolumeClaim: {claimName: logs}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: deployer}
rules: [{apiGroups: [apps], resources: [deployments], verbs: [get]}]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-slow
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
`)
	run(t, c,
		steps.Spec{Action: &steps.Patch{Ref: lab.Ref{APIVersion: "storage.k8s.io/v1", Kind: "StorageClass", Name: "standard"}, Type: "merge",
			Patch: map[string]any{"metadata": map[string]any{"annotations": map[string]any{"storageclass.kubernetes.io/is-default-class": "false"}}}}},
		steps.Spec{Action: &steps.Wait{Ref: lab.Ref{APIVersion: "v1", Kind: "PersistentVolumeClaim", Namespace: "default", Name: "logs"}, For: "object.status.phase == 'Bound'"}},
	)

	// A learner may delete what no scenario step may.
	if err := c.Kube.RbacV1().ClusterRoles().Delete(ctx, "system:aggregate-to-view", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	got := compare(t, l).Describe()
	for _, want := range []string{
		"taint type=db:NoSchedule removed from " + worker,
		worker2 + " uncordoned",
		"label disk removed from " + controlPlane,
		"label kubernetes.io/os=linux put back on " + controlPlane,
		"annotation team removed from " + controlPlane,
		"namespace shop deleted",
		"PersistentVolumeClaim default/logs deleted",
		"Pod default/logger deleted",
		"PersistentVolume pv-logs deleted",
		"ClusterRole deployer deleted",
		"StorageClass local-slow deleted",
		"StorageClass standard restored",
		"ClusterRole system:aggregate-to-view recreated",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("differences lack %q:\n %s", want, strings.Join(got, "\n "))
		}
	}
	p := compare(t, l)
	start := time.Now()
	if err := p.Apply(ctx, c, baseline.ApplyOptions{WaitNamespaces: true}); err != nil {
		t.Fatal(err)
	}
	t.Logf("restored %d differences in %s", len(got), time.Since(start).Round(time.Millisecond))
	if after := compare(t, l); !after.Empty() {
		t.Errorf("after restoring, the lab still differs: %v", after.Describe())
	}
}

// TestKeptNamespaceIsEmptiedAndReset: a namespace the next setup makes
// again is emptied, its labels reset, and not deleted (no 5 s wait).
func TestKeptNamespaceIsEmptiedAndReset(t *testing.T) {
	l := simtest.Need(t, sl)
	c := l.Cluster
	ctx := context.Background()
	apply(t, c, `apiVersion: v1
kind: Namespace
metadata: {name: kept, labels: {pod-security.kubernetes.io/enforce: restricted}, annotations: {note: x}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c1, namespace: kept}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: kept}
`)
	before, err := c.Kube.CoreV1().Namespaces().Get(ctx, "kept", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := baseline.Compare(ctx, c, l.Baseline, baseline.CompareOptions{Keep: []string{"kept"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Describe(); !slices.Equal(got, []string{"namespace kept emptied (2 objects)"}) {
		t.Errorf("differences %v", got)
	}
	if err := p.Apply(ctx, c, baseline.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	after, err := c.Kube.CoreV1().Namespaces().Get(ctx, "kept", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.UID != before.UID || len(after.Labels) != 1 || len(after.Annotations) != 0 {
		t.Errorf("kept namespace: uid %s→%s, labels %v, annotations %v", before.UID, after.UID, after.Labels, after.Annotations)
	}
	cms, err := c.Kube.CoreV1().ConfigMaps("kept").List(ctx, metav1.ListOptions{})
	if err != nil || len(cms.Items) != 1 || cms.Items[0].Name != "kube-root-ca.crt" {
		t.Errorf("configmaps left in kept: %v %v", cms, err)
	}
	if p := compare(t, l); !slices.Equal(p.Describe(), []string{"namespace kept deleted"}) {
		t.Errorf("without keeping it: %v", p.Describe())
	}
	if err := compare(t, l).Apply(ctx, c, baseline.ApplyOptions{WaitNamespaces: true}); err != nil {
		t.Fatal(err)
	}
}

// TestHeldDeletionIsExplained: a claim that a finalizer holds keeps its
// volume; the error names both, and ckalab strips no finalizer.
func TestHeldDeletionIsExplained(t *testing.T) {
	l := simtest.Need(t, sl)
	c := l.Cluster
	ctx := context.Background()
	apply(t, c, `apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-held}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  hostPath: {path: /mnt/held}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: held, namespace: default, finalizers: [example.com/hold]}
spec:
  storageClassName: ""
  volumeName: pv-held
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`)
	release := func() {
		patch := []byte(`{"metadata":{"finalizers":null}}`)
		_, _ = c.Kube.CoreV1().PersistentVolumeClaims("default").Patch(ctx, "held", types.MergePatchType, patch, metav1.PatchOptions{})
	}
	t.Cleanup(func() {
		release()
		_ = compare(t, l).Apply(ctx, c, baseline.ApplyOptions{})
	})
	run(t, c, steps.Spec{Action: &steps.Wait{Ref: lab.Ref{APIVersion: "v1", Kind: "PersistentVolumeClaim", Namespace: "default", Name: "held"}, For: "object.status.phase == 'Bound'"}})
	err := compare(t, l).Apply(ctx, c, baseline.ApplyOptions{Timeout: 2 * time.Second})
	if err == nil {
		t.Fatal("restore succeeded although a finalizer holds the claim")
	}
	for _, want := range []string{"PersistentVolumeClaim default/held is waiting for finalizer example.com/hold", "PersistentVolume pv-held is held by claim default/held"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	pvc, err := c.Kube.CoreV1().PersistentVolumeClaims("default").Get(ctx, "held", metav1.GetOptions{})
	if err != nil || !slices.Contains(pvc.Finalizers, "example.com/hold") {
		t.Errorf("the claim's finalizers changed: %v, %v", pvc, err)
	}
	release()
	if err := compare(t, l).Apply(ctx, c, baseline.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if p := compare(t, l); !p.Empty() {
		t.Errorf("still differs: %v", p.Describe())
	}
}
