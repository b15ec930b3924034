package baseline

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ckalab/ckalab/lab"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// After etcd's data changed under them, the lab's own API clients that run
// in pods kept what their informers had listed from the other data, even
// once the API server restarted (kind lab, 2026-12-06): kube-proxy and
// the network policy agent went on with Services, pods and policies of the
// restored store, so traffic that a new NetworkPolicy denied went through
// and a new Service's traffic was refused. Their informers did not list
// again by themselves. The restore procedure restarts every component
// after a restore; reset does too: once the kubelets are back, it deletes
// the pods of the baseline's DaemonSets and Deployments (kube-proxy,
// CoreDNS, the CNI and network policy agents, the storage provisioner),
// whose controllers make new ones that list the API afresh, and waits
// until the new pods are Ready.

// systemWorkload is a baseline DaemonSet or Deployment whose pods reset
// restarts.
type systemWorkload struct {
	kind, namespace, name string
}

func (w systemWorkload) String() string { return w.kind + " " + w.namespace + "/" + w.name }

// systemWorkloads are the baseline's DaemonSets and Deployments, sorted.
func (b *Baseline) systemWorkloads() []systemWorkload {
	var out []systemWorkload
	for _, k := range slices.Sorted(maps.Keys(b.Objects)) {
		o := b.Objects[k]
		if o.Resource.Group == "apps" && (o.Resource.Kind == "DaemonSet" || o.Resource.Kind == "Deployment") {
			out = append(out, systemWorkload{kind: o.Resource.Kind, namespace: o.Namespace, name: o.Name})
		}
	}
	return out
}

// workloadPods are the pods of a workload now (by its selector), and how
// many it wants.
func workloadPods(ctx context.Context, c *lab.Cluster, w systemWorkload) ([]corev1.Pod, int, error) {
	var sel *metav1.LabelSelector
	want := 0
	switch w.kind {
	case "DaemonSet":
		ds, err := c.Kube.AppsV1().DaemonSets(w.namespace).Get(ctx, w.name, metav1.GetOptions{})
		if err != nil {
			return nil, 0, err
		}
		sel, want = ds.Spec.Selector, int(ds.Status.DesiredNumberScheduled)
	default:
		d, err := c.Kube.AppsV1().Deployments(w.namespace).Get(ctx, w.name, metav1.GetOptions{})
		if err != nil {
			return nil, 0, err
		}
		sel, want = d.Spec.Selector, 1
		if d.Spec.Replicas != nil {
			want = int(*d.Spec.Replicas)
		}
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || s.Empty() || s == labels.Nothing() {
		return nil, 0, fmt.Errorf("%s: its selector selects no pods to restart", w)
	}
	pods, err := c.Kube.CoreV1().Pods(w.namespace).List(ctx, metav1.ListOptions{LabelSelector: s.String()})
	if err != nil {
		return nil, 0, err
	}
	return pods.Items, want, nil
}

// restartSystemPods deletes the pods of the baseline's DaemonSets and
// Deployments and waits until each has as many new pods, Ready, as it
// wants.
func restartSystemPods(ctx context.Context, c *lab.Cluster, b *Baseline, opts ApplyOptions) error {
	workloads := b.systemWorkloads()
	old := map[types.UID]bool{}
	for _, w := range workloads {
		pods, _, err := workloadPods(ctx, c, w)
		if apierrors.IsNotFound(err) {
			continue // the objects' comparison, later, makes it again
		}
		if err != nil {
			return fmt.Errorf("restart the pods of %s once etcd was back on its own data: %w", w, err)
		}
		for _, p := range pods {
			if isMirrorPod(&p) || p.DeletionTimestamp != nil {
				continue
			}
			// Their own grace period: these programs stop promptly on
			// SIGTERM (CoreDNS after its lame-duck pause).
			err := c.Kube.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{
				Preconditions: &metav1.Preconditions{UID: &p.UID},
			})
			if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				return fmt.Errorf("restart pod %s/%s of %s: %w", p.Namespace, p.Name, w, err)
			}
			old[p.UID] = true
		}
	}
	err := poll(ctx, opts.ControlPlaneTimeout, opts.Interval, func() (bool, string, error) {
		for _, w := range workloads {
			pods, want, err := workloadPods(ctx, c, w)
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return false, fmt.Sprintf("%s could not be read: %v", w, err), nil
			}
			ready, stale, made := 0, 0, 0
			var waiting []string
			for _, p := range pods {
				switch {
				case old[p.UID]:
					stale++
				case p.DeletionTimestamp == nil && podReady(&p):
					ready++
					made++
				case p.DeletionTimestamp == nil:
					made++
					waiting = append(waiting, podWaiting(&p))
				}
			}
			if stale > 0 || ready < want {
				why := "none made yet: its controller (in kube-controller-manager) has not acted"
				if made > 0 {
					why = fmt.Sprintf("%d made, not Ready: %s", made, strings.Join(waiting, "; "))
				}
				return false, fmt.Sprintf("%s has %d of %d new pods Ready (%s; %d old ones still there); `kubectl -n %s describe %s %s` says more",
					w, ready, want, why, stale, w.namespace, strings.ToLower(w.kind), w.name), nil
			}
		}
		return true, "", nil
	})
	if err != nil {
		return fmt.Errorf("the lab's system pods restarted once etcd was back on its own data are not back: %w", err)
	}
	return nil
}

// podWaiting says where a pod that is not Ready stands: its node, phase,
// and the reason its first waiting container gives (ContainerCreating,
// ImagePullBackOff, CrashLoopBackOff).
func podWaiting(p *corev1.Pod) string {
	node := p.Spec.NodeName
	if node == "" {
		node = "no node yet"
	}
	state := string(p.Status.Phase)
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Waiting != nil && cs.State.Waiting.Reason != "" {
			state += "/" + cs.State.Waiting.Reason
			break
		}
	}
	return p.Name + " on " + node + ": " + state
}
