package baseline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/explain"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"
)

// FieldManager names ckalab's baseline writes in managedFields.
const FieldManager = "ckalab-baseline"

// ApplyOptions tune Plan.Apply.
type ApplyOptions struct {
	// Exec reaches inside nodes (needed when the plan has Files).
	Exec lab.Execer
	// Timeout bounds each wait for deletions, mirror pods' included
	// (default 60s).
	Timeout time.Duration
	// WaitNamespaces waits until deleted namespaces are gone. Without it
	// they finish terminating in the background: the namespace controller
	// waits a fixed 5 s before it even starts, and nothing is left in them.
	WaitNamespaces bool
	// Interval between looks while waiting (default 100ms).
	Interval time.Duration
	// ControlPlaneTimeout bounds each wait while etcd goes back to its own
	// data (a plan with Etcd): for etcd, for the control plane's old
	// processes to stop and new ones to answer, for the restarted
	// kubelets to report and show their mirror pods, for the API to
	// compare the objects (default 3m).
	ControlPlaneTimeout time.Duration
	// Now is the time the kubelets are restarted at, after etcd went
	// back to its own data: a node's heartbeat from before it is the old
	// kubelet's (default time.Now). Waits are bounded by the real clock.
	Now func() time.Time

	// apiReady says whether the API server answers (tests replace it).
	apiReady func(context.Context, *lab.Cluster) error
}

func (o ApplyOptions) withDefaults() ApplyOptions {
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.Interval <= 0 {
		o.Interval = 100 * time.Millisecond
	}
	if o.ControlPlaneTimeout <= 0 {
		o.ControlPlaneTimeout = 3 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.apiReady == nil {
		o.apiReady = apiReady
	}
	return o
}

// Apply brings the lab back to its baseline. Learner-made objects go first
// (pods with a 1 s grace period on Ready nodes, so that their containers
// are stopped when they are gone, then the rest, waiting until each is gone:
// a claim must be gone before its volume can go), then namespaces, nodes,
// changed baseline objects and node files; last it waits until the mirror
// pods of static pod manifests it removed are gone. A plan that takes
// etcd back to its own data (Etcd) goes the other way round: node files
// first, etcd, the control plane and the kubelets, then the rest (etcd.go).
func (p *Plan) Apply(ctx context.Context, c *lab.Cluster, opts ApplyOptions) error {
	opts = opts.withDefaults()
	if len(p.Etcd) > 0 {
		return p.applyEtcdFirst(ctx, c, opts)
	}
	if err := deleteTargets(ctx, c, p.Delete); err != nil {
		return err
	}
	if err := waitGone(ctx, c, p.Delete, opts); err != nil {
		return err
	}
	for _, ns := range p.DeleteNamespaces {
		err := c.Kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete namespace %s: %w", ns, err)
		}
	}
	// Pods a controller made while its owner was being deleted, and pods
	// of namespaces an earlier reset deleted, would otherwise hold their
	// namespace for their own grace period (30 s; `sleep` ignores SIGTERM).
	if err := deletePodsOf(ctx, c, append(slices.Clone(p.DeleteNamespaces), p.Terminating...)); err != nil {
		return err
	}
	var terminating []string
	for _, n := range p.EmptyNamespaces {
		if n.Terminating {
			terminating = append(terminating, n.Name)
		} else if n.Metadata {
			if err := resetNamespace(ctx, c, n.Name); err != nil {
				return err
			}
		}
	}
	if opts.WaitNamespaces {
		terminating = append(append(terminating, p.DeleteNamespaces...), p.Terminating...)
	}
	if err := WaitNamespaces(ctx, c, terminating, opts.Timeout, opts.Interval); err != nil {
		return err
	}
	for _, n := range p.Nodes {
		if err := fixNode(ctx, c, n); err != nil {
			return err
		}
	}
	for _, r := range p.Restore {
		if err := restore(ctx, c, r); err != nil {
			return err
		}
	}
	if len(p.Files) > 0 {
		if opts.Exec == nil {
			return errors.New("node files changed, but this lab gives no access to its nodes")
		}
		if err := applyFiles(ctx, opts.Exec, p.Files); err != nil {
			return err
		}
		if err := waitMirrorPodsGone(ctx, c, p.MirrorPods, opts); err != nil {
			return err
		}
	}
	if len(p.Unfixable) > 0 {
		return errors.New(strings.Join(p.Unfixable, "; "))
	}
	if p.Authz != nil {
		return p.Authz.apply(ctx, c, opts)
	}
	return nil
}

// deletePodsOf deletes every pod of the namespaces, each with the grace
// period graceFor gives it.
func deletePodsOf(ctx context.Context, c *lab.Cluster, namespaces []string) error {
	if len(namespaces) == 0 {
		return nil
	}
	ready, err := readyNodes(ctx, c)
	if err != nil {
		return err
	}
	for _, ns := range namespaces {
		pods, err := c.Kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("list the pods of namespace %s: %w", ns, err)
		}
		if err != nil {
			continue
		}
		for i := range pods.Items {
			if err := deletePod(ctx, c, &pods.Items[i], "", ready); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleteTargets deletes the objects in the background, their controllers
// first (so that none makes a pod after the pods are gone), then pods with
// the short grace period of graceFor; each only if it is still the object
// the plan saw (UID precondition).
func deleteTargets(ctx context.Context, c *lab.Cluster, targets []Target) error {
	background := metav1.DeletePropagationBackground
	var ready map[string]bool
	for _, pods := range []bool{false, true} {
		for _, t := range targets {
			isPod := t.Resource.Group == "" && t.Resource.Resource == "pods"
			if isPod != pods {
				continue
			}
			if isPod {
				if err := deleteTargetPod(ctx, c, t, &ready); err != nil {
					return err
				}
				continue
			}
			uid := t.UID
			opts := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}, PropagationPolicy: &background}
			err := resourceClient(c, t.Resource, t.Namespace).Delete(ctx, t.Name, opts)
			if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				return fmt.Errorf("delete %s: %w", t, err)
			}
		}
	}
	return nil
}

// deleteTargetPod deletes a pod the plan named; ready (the Ready nodes)
// is listed on first use.
func deleteTargetPod(ctx context.Context, c *lab.Cluster, t Target, ready *map[string]bool) error {
	pod, err := c.Kube.CoreV1().Pods(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", t, err)
	}
	if *ready == nil {
		if *ready, err = readyNodes(ctx, c); err != nil {
			return err
		}
	}
	return deletePod(ctx, c, pod, t.UID, *ready)
}

func resourceClient(c *lab.Cluster, r Resource, namespace string) dynamic.ResourceInterface {
	ri := c.Dynamic.Resource(r.GVR())
	if r.Namespaced && namespace != "" {
		return ri.Namespace(namespace)
	}
	return ri
}

// waitGone waits until no target exists any more (by UID), and explains
// what holds the ones that stay.
func waitGone(ctx context.Context, c *lab.Cluster, targets []Target, opts ApplyOptions) error {
	if len(targets) == 0 {
		return nil
	}
	byRes := map[Resource]map[types.UID]Target{}
	for _, t := range targets {
		if byRes[t.Resource] == nil {
			byRes[t.Resource] = map[types.UID]Target{}
		}
		byRes[t.Resource][t.UID] = t
	}
	deadline := time.Now().Add(opts.Timeout)
	for {
		var left []unstructured.Unstructured
		for r, want := range byRes {
			l, err := resourceClient(c, r, "").List(ctx, metav1.ListOptions{})
			if apierrors.IsNotFound(err) {
				delete(byRes, r) // the resource itself went (its CRD was deleted)
				continue
			}
			if err != nil {
				return fmt.Errorf("list %s: %w", r.GroupKind(), err)
			}
			still := map[types.UID]Target{}
			for _, u := range l.Items {
				if t, ok := want[u.GetUID()]; ok {
					still[t.UID] = t
					left = append(left, u)
				}
			}
			byRes[r] = still
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still there after %s: %s", opts.Timeout, explainHeld(ctx, c, left))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(opts.Interval):
		}
	}
}

// explainHeld says what keeps objects from going: their finalizers and,
// for volumes and claims, who uses them.
func explainHeld(ctx context.Context, c *lab.Cluster, objs []unstructured.Unstructured) string {
	var out []string
	for i, u := range objs {
		if i == explain.MaxExplained {
			out = append(out, fmt.Sprintf("and %d more", len(objs)-i))
			break
		}
		why, err := explain.Deletion(ctx, c.Kube, u)
		if err != nil {
			why = append(why, explain.Ref(u)+" is still there (could not read more: "+err.Error()+")")
		}
		out = append(out, why...)
	}
	return strings.Join(out, "; ")
}

// WaitNamespaces waits until none of the namespaces is terminating any
// more (gone, or made again), saying on timeout what still holds each.
func WaitNamespaces(ctx context.Context, c *lab.Cluster, names []string, timeout, interval time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, ns := range names {
		for {
			got, err := c.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			if apierrors.IsNotFound(err) || (err == nil && got.DeletionTimestamp == nil) {
				break
			}
			if err != nil {
				return fmt.Errorf("namespace %s: %w", ns, err)
			}
			if time.Now().After(deadline) {
				var why []string
				for _, cond := range got.Status.Conditions {
					if cond.Status == corev1.ConditionTrue {
						why = append(why, cond.Message)
					}
				}
				return fmt.Errorf("namespace %s is still terminating after %s: %s", ns, timeout, strings.Join(why, "; "))
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("namespace %s is still terminating: %w", ns, ctx.Err())
			case <-time.After(interval):
			}
		}
	}
	return nil
}

// resetNamespace leaves a kept namespace with the metadata a new one has.
func resetNamespace(ctx context.Context, c *lab.Cluster, name string) error {
	nss := c.Kube.CoreV1().Namespaces()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ns, err := nss.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		ns.Labels = map[string]string{corev1.LabelMetadataName: name}
		ns.Annotations = nil
		_, err = nss.Update(ctx, ns, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	})
	if err != nil {
		return fmt.Errorf("reset namespace %s: %w", name, err)
	}
	return nil
}

// fixNode puts a node's labels, own annotations, taints and
// schedulability back, keeping what Kubernetes' components manage.
func fixNode(ctx context.Context, c *lab.Cluster, fix NodeFix) error {
	nodes := c.Kube.CoreV1().Nodes()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := nodes.Get(ctx, fix.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		n.Labels = maps.Clone(fix.Want.Labels)
		for k := range n.Annotations {
			if ownAnnotation(k) {
				delete(n.Annotations, k)
			}
		}
		if len(fix.Want.Annotations) > 0 && n.Annotations == nil {
			n.Annotations = map[string]string{}
		}
		maps.Copy(n.Annotations, fix.Want.Annotations)
		taints := slices.DeleteFunc(n.Spec.Taints, func(t corev1.Taint) bool { return !healthTaint(t) })
		n.Spec.Taints = append(taints, fix.Want.Taints...)
		n.Spec.Unschedulable = fix.Want.Unschedulable
		_, err = nodes.Update(ctx, n, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	})
	if err != nil {
		return fmt.Errorf("restore node %s: %w", fix.Name, err)
	}
	return nil
}

// restore writes a baseline object back, or makes it again.
func restore(ctx context.Context, c *lab.Cluster, r Restore) error {
	o := r.Object
	data, err := json.Marshal(o.Content)
	if err != nil {
		return fmt.Errorf("%s: %w", r, err)
	}
	ri := resourceClient(c, o.Resource, o.Namespace)
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		want := &unstructured.Unstructured{}
		if err := want.UnmarshalJSON(data); err != nil {
			return err
		}
		cur, err := ri.Get(ctx, o.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			_, err = ri.Create(ctx, want, metav1.CreateOptions{FieldManager: FieldManager})
			return err
		}
		if err != nil {
			return err
		}
		want.SetResourceVersion(cur.GetResourceVersion())
		_, err = ri.Update(ctx, want, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", r.target(), err)
	}
	return nil
}
