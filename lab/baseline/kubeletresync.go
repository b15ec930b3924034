package baseline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ckalab/ckalab/lab"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Once etcd is back on its own data and the control plane restarted, the
// kubelets still hold what their informers listed from the data etcd ran
// on before (see the top of etcd.go). On a kind lab they did not list
// again: the mirror pods of the restarted kube-controller-manager and
// kube-scheduler never came back, and new pods stayed Pending on their
// node for good (a worker's kubelet never saw them). So Apply restarts
// the kubelet of every node of the lab, side by side, and waits until
// each node reports a heartbeat from after the restart and every static
// pod of the baseline's manifests shows its mirror pod, Ready: both are
// written by a kubelet that listed the API afresh.

// heartbeatSlack: the API keeps whole seconds of a heartbeat (RFC 3339 on
// the wire), so one posted in the second of the restart reads as up to a
// second before it.
const heartbeatSlack = time.Second

// kubeletReadTimeout bounds one round of reads of the nodes and their
// mirror pods, so that an API server that hangs cannot outlast the wait's
// own timeout by much.
const kubeletReadTimeout = 10 * time.Second

// switchesEtcdData says whether etcd's data changed, or may have changed,
// under the kubelets: a node's etcd was brought back to the data its
// baseline names. A restore folder without a changed manifest counts too:
// a reset interrupted before it restarted the kubelets leaves only that.
func switchesEtcdData(etcd []EtcdReturn) bool {
	return slices.ContainsFunc(etcd, func(e EtcdReturn) bool { return e.DataDir != "" })
}

// staticMirror is the mirror pod a baseline manifest's static pod has
// once a kubelet runs it.
type staticMirror struct {
	MirrorPod
	manifest string
}

// labNodes are the baseline's nodes, sorted: those of the API and those
// whose files it recorded (the same ones, in a lab with node access).
func (b *Baseline) labNodes() []string {
	nodes := slices.Collect(maps.Keys(b.Nodes))
	for n := range b.NodeFiles {
		if !slices.Contains(nodes, n) {
			nodes = append(nodes, n)
		}
	}
	slices.Sort(nodes)
	return nodes
}

// mirrorPodsOf are the mirror pods of the static pods that the baseline's
// manifests define on node, in manifest order.
func (b *Baseline) mirrorPodsOf(node string) []staticMirror {
	nf := b.NodeFiles[node]
	var out []staticMirror
	for _, p := range slices.Sorted(maps.Keys(nf.Files)) {
		if !isStaticPodManifest(p) {
			continue
		}
		for _, r := range staticPods(nf.Files[p]) {
			// The kubelet's name for a mirror pod (its node name lower
			// case), as mirrorPodsGoing has it.
			m := MirrorPod{Node: node, Namespace: r.namespace, Name: r.name + "-" + strings.ToLower(node)}
			if !slices.ContainsFunc(out, func(o staticMirror) bool { return o.MirrorPod == m }) {
				out = append(out, staticMirror{MirrorPod: m, manifest: p})
			}
		}
	}
	return out
}

// resyncKubelets restarts the kubelet of every node of the baseline, side
// by side, and waits until they are back (waitKubeletsBack).
func resyncKubelets(ctx context.Context, c *lab.Cluster, exec lab.Execer, b *Baseline, opts ApplyOptions) error {
	nodes := b.labNodes()
	// Taken before the first restart: a heartbeat at or after it is a
	// new kubelet's.
	restarted := opts.Now()
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, node := range nodes {
		wg.Go(func() { errs[i] = lab.NodeUnit(ctx, exec, node, "kubelet", "restart") })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("restart the kubelets once etcd was back on its own data: %w", err)
	}
	return waitKubeletsBack(ctx, c, b, nodes, restarted, opts)
}

// kubeletBehind is one thing a restarted kubelet has not done yet.
type kubeletBehind struct{ node, what string }

// waitKubeletsBack waits until every node is Ready with a heartbeat from
// since on (less heartbeatSlack), and has the mirror pods of its baseline
// static pods, Ready. Nodes and pods are read one by one (GET): a handful
// of objects, read from etcd rather than from a cache. A read that fails
// is tried again: the API server has just restarted.
func waitKubeletsBack(ctx context.Context, c *lab.Cluster, b *Baseline, nodes []string, since time.Time, opts ApplyOptions) error {
	err := poll(ctx, opts.ControlPlaneTimeout, opts.Interval, func() (bool, string, error) {
		rctx, cancel := context.WithTimeout(ctx, kubeletReadTimeout)
		defer cancel()
		var behind []kubeletBehind
		for _, node := range nodes {
			if what := nodeBehind(rctx, c, node, since); what != "" {
				// Its mirror pods are the old kubelet's until it reports.
				behind = append(behind, kubeletBehind{node, what})
				continue
			}
			for _, m := range b.mirrorPodsOf(node) {
				if what := mirrorPodBehind(rctx, c, m); what != "" {
					behind = append(behind, kubeletBehind{node, what})
				}
			}
		}
		if len(behind) == 0 {
			return true, "", nil
		}
		msg := behind[0].what
		if len(behind) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(behind)-1)
		}
		return false, fmt.Sprintf("%s; on node %s, `journalctl -u kubelet` says why", msg, behind[0].node), nil
	})
	if err != nil {
		return fmt.Errorf("the kubelets restarted once etcd was back on its own data are not back: %w", err)
	}
	return nil
}

// nodeBehind says what a node's restarted kubelet has not reported yet
// ("": it is Ready, with a heartbeat since the restart).
func nodeBehind(ctx context.Context, c *lab.Cluster, node string, since time.Time) string {
	n, err := c.Kube.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "node " + node + " is not in the API (its kubelet registers it)"
	case err != nil:
		return fmt.Sprintf("node %s could not be read: %v", node, err)
	}
	var ready *corev1.NodeCondition
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == corev1.NodeReady {
			ready = &n.Status.Conditions[i]
		}
	}
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	switch {
	case ready == nil:
		return "node " + node + " has no Ready condition"
	case ready.LastHeartbeatTime.Time.Before(since.Add(-heartbeatSlack)):
		return fmt.Sprintf("node %s has reported no heartbeat since its kubelet restarted at %s (last %s)",
			node, stamp(since), stamp(ready.LastHeartbeatTime.Time))
	case ready.Status != corev1.ConditionTrue:
		return fmt.Sprintf("node %s is not Ready (%s: %s)", node, ready.Reason, ready.Message)
	}
	return ""
}

// mirrorPodBehind says what a static pod's mirror pod lacks ("": it is
// there and Ready).
func mirrorPodBehind(ctx context.Context, c *lab.Cluster, m staticMirror) string {
	pod, err := c.Kube.CoreV1().Pods(m.Namespace).Get(ctx, m.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Sprintf("%s, the mirror pod of %s on node %s, is missing", m.MirrorPod, m.manifest, m.Node)
	case err != nil:
		return fmt.Sprintf("%s could not be read: %v", m.MirrorPod, err)
	case !isMirrorPod(pod):
		return fmt.Sprintf("%s is not the mirror pod of %s on node %s: another pod has its name", m.MirrorPod, m.manifest, m.Node)
	case !podReady(pod):
		return fmt.Sprintf("%s, the mirror pod of %s on node %s, is not Ready", m.MirrorPod, m.manifest, m.Node)
	}
	return ""
}

// podReady says whether a pod's Ready condition is True.
func podReady(pod *corev1.Pod) bool {
	return slices.ContainsFunc(pod.Status.Conditions, func(c corev1.PodCondition) bool {
		return c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue
	})
}
