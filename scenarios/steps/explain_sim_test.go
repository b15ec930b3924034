package steps_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/simtest"
	"github.com/ckalab/ckalab/scenarios/steps"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// timeoutOf runs a step that must time out and returns its error.
func timeoutOf(t *testing.T, env steps.Env, src string) *steps.TimeoutError {
	t.Helper()
	_, err := step(t, src).Run(context.Background(), env)
	var te *steps.TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("%s: err %v, want a *TimeoutError", src, err)
	}
	return te
}

// TestWaitExplainsUntoleratedTaint changes a node: like the tests of
// node_test.go it does not call t.Parallel, and restores the node.
func TestWaitExplainsUntoleratedTaint(t *testing.T) {
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	restoreNode(t, c, worker2)
	env := steps.Env{Cluster: c}
	key := "ckalab.test/" + simtest.UniqueName(t)
	run(t, env, steps.Spec{Action: &steps.Taint{Node: worker2, Key: key, Value: "db", Effect: "NoSchedule"}})
	apply(t, env, fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata: {name: pinned, namespace: %[1]s}
spec:
  nodeSelector: {kubernetes.io/hostname: %[2]s}
  containers: [{name: main, image: nginx:1}]
`, ns, worker2))
	apply(t, env, deployment(ns, "web", 1, worker2))

	ready := "has(object.status.conditions) && object.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')"
	te := timeoutOf(t, env, fmt.Sprintf(`wait: {apiVersion: v1, kind: Pod, name: pinned, namespace: %s, for: "%s", timeout: 3s}`, ns, ready))
	t.Logf("pod: %v", te)
	// The scheduler counts the tainted nodes; the taint is named from the node.
	mustContain(t, te.Error(), "still waiting after 3s for Pod "+ns+"/pinned:", "pod "+ns+"/pinned is Pending: ", "untolerated taint",
		"pod "+ns+"/pinned does not tolerate the taint "+key+"=db:NoSchedule of node "+worker2)
	if strings.Contains(te.Error(), "object.status") || strings.Contains(te.Error(), "is false") {
		t.Errorf("the CEL expression is in the message: %v", te)
	}
	if te.Detail != "`"+ready+"` is false" {
		t.Errorf("detail %q, want the expression", te.Detail)
	}

	// A wait on a workload explains its pods.
	te = timeoutOf(t, env, fmt.Sprintf(`wait: {apiVersion: apps/v1, kind: Deployment, name: web, namespace: %s, for: "has(object.status.readyReplicas)", timeout: 3s}`, ns))
	t.Logf("deployment: %v", te)
	mustContain(t, te.Error(), "for Deployment "+ns+"/web:", "pod "+ns+"/web-", " is Pending: ", "untolerated taint", key+"=db:NoSchedule of node "+worker2)
}

// TestDeleteExplainsBoundVolume deletes a volume that a claim in another
// namespace holds: pv-protection keeps it, and the error names the claim.
func TestDeleteExplainsBoundVolume(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ctx := context.Background()
	ns := newNS(t, c)
	pv := simtest.UniqueName(t)
	env := steps.Env{Cluster: c}
	t.Cleanup(func() {
		// The claim goes first; then nothing holds the volume.
		ctx := context.Background()
		if err := c.Kube.CoreV1().PersistentVolumeClaims(ns).Delete(ctx, "logs", metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete claim: %v", err)
		}
		if err := c.Kube.CoreV1().PersistentVolumes().Delete(ctx, pv, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete volume: %v", err)
		}
		waitFor(t, 30*time.Second, "volume "+pv+" gone", func() (bool, string) {
			_, err := c.Kube.CoreV1().PersistentVolumes().Get(ctx, pv, metav1.GetOptions{})
			return apierrors.IsNotFound(err), fmt.Sprint(err)
		})
	})
	apply(t, env, fmt.Sprintf(`
apiVersion: v1
kind: PersistentVolume
metadata: {name: %[1]s}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  hostPath: {path: /mnt/%[1]s}
  claimRef: {namespace: %[2]s, name: logs}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: logs, namespace: %[2]s}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  volumeName: %[1]s
  resources: {requests: {storage: 1Gi}}
`, pv, ns))
	waitFor(t, 30*time.Second, "volume "+pv+" bound and protected", func() (bool, string) {
		v, err := c.Kube.CoreV1().PersistentVolumes().Get(ctx, pv, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		protected := false
		for _, f := range v.Finalizers {
			protected = protected || f == "kubernetes.io/pv-protection"
		}
		return v.Status.Phase == corev1.VolumeBound && protected, fmt.Sprintf("phase %s, finalizers %v", v.Status.Phase, v.Finalizers)
	})

	te := timeoutOf(t, env, fmt.Sprintf("delete: {apiVersion: v1, kind: PersistentVolume, name: %s, timeout: 3s}", pv))
	t.Logf("volume: %v", te)
	mustContain(t, te.Error(), "still waiting after 3s for deletion of PersistentVolume "+pv+":", "PersistentVolume "+pv+" is held by claim "+ns+"/logs")
	if te.Detail != "PersistentVolume "+pv+" is still there" {
		t.Errorf("detail %q", te.Detail)
	}
}
