package baseline

import (
	"context"
	"fmt"

	"github.com/ckalab/ckalab/lab"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// A reset deletes a pod with a short grace period when a kubelet can
// confirm it: the API object then goes only once the kubelet has stopped
// its containers. A grace period of 0 removes the object at once while the
// containers may run on for seconds: the next scenario's setup would share
// the node with them (crictl ps would list both a scenario's old and new
// container, old pods would still answer on their IPs). `sleep` ignores
// SIGTERM, so 1 s rather than the pod's own 30 s: the kubelet kills it
// then. A pod on a node whose kubelet does not report (a scenario stopped
// it) or on no node is deleted at once: nothing would ever confirm it.
const resetGracePeriod = int64(1)

// readyNodes lists the nodes whose Ready condition is True.
func readyNodes(ctx context.Context, c *lab.Cluster) (map[string]bool, error) {
	nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	ready := map[string]bool{}
	for _, n := range nodes.Items {
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				ready[n.Name] = true
			}
		}
	}
	return ready, nil
}

// graceFor is the grace period a reset deletes pod with (see
// resetGracePeriod).
func graceFor(pod *corev1.Pod, ready map[string]bool) *int64 {
	g := int64(0)
	if pod.Spec.NodeName != "" && ready[pod.Spec.NodeName] {
		g = resetGracePeriod
	}
	return &g
}

// deletePod deletes one pod with the grace period graceFor gives it, if
// it is still the pod with uid (when uid is set).
func deletePod(ctx context.Context, c *lab.Cluster, pod *corev1.Pod, uid types.UID, ready map[string]bool) error {
	opts := metav1.DeleteOptions{GracePeriodSeconds: graceFor(pod, ready)}
	if uid != "" {
		opts.Preconditions = &metav1.Preconditions{UID: &uid}
	}
	err := c.Kube.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, opts)
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}
