package lab

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WaitReady polls until the lab can run pods (see NotReady), calling alive
// each round so that a provider fails fast when a component died.
func WaitReady(ctx context.Context, c *Cluster, info Info, timeout, interval time.Duration, alive func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		last := NotReady(ctx, c, info)
		if last == "" {
			return nil
		}
		if err := alive(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lab not ready after %s: %s", timeout, last)
		case <-time.After(interval):
		}
	}
}

// NotReady says what the lab still lacks before scenarios can run, or "":
// every node Ready and untainted by the node lifecycle controller, the
// default ServiceAccount, and every kube-system pod (DNS, network, storage)
// Ready.
func NotReady(ctx context.Context, c *Cluster, info Info) string {
	nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "list nodes: " + err.Error()
	}
	ready := map[string]bool{}
	for _, n := range nodes.Items {
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				ready[n.Name] = true
			}
		}
		// The node lifecycle controller taints new nodes not-ready and
		// lifts the taint a moment after they turn Ready; until then the
		// scheduler keeps pods off them.
		for _, t := range n.Spec.Taints {
			if t.Key == corev1.TaintNodeNotReady || t.Key == corev1.TaintNodeUnreachable {
				return "node " + n.Name + " still has the " + t.Key + " taint"
			}
		}
	}
	for _, n := range info.Nodes {
		if !ready[n.Name] {
			return "node " + n.Name + " is not Ready"
		}
	}
	// Pods cannot be created in a namespace before its default
	// ServiceAccount exists.
	if _, err := c.Kube.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{}); err != nil {
		return "default ServiceAccount: " + err.Error()
	}
	pods, err := c.Kube.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "list kube-system pods: " + err.Error()
	}
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodSucceeded {
			continue
		}
		if !podReady(p) {
			return "kube-system pod " + p.Name + " is not Ready"
		}
	}
	return ""
}

func podReady(p corev1.Pod) bool {
	for _, cond := range p.Status.Conditions {
		if cond.Type == corev1.PodReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}
