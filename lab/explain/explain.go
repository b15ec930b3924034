// Package explain reads the cluster to say, in words a learner can act on,
// why something has not happened: why pods are not Ready (the scheduler's
// message, the taints they do not tolerate, crash loops, recent Warning
// events), why a workload is not done, what holds an object's deletion (a
// claim that holds its volume, pods that use a claim). Setup steps and the
// baseline restore use it when they time out; it only reads.
package explain

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
)

// A learner acts on a few reasons, not on a wall of them: beyond
// MaxExplained objects an explanation says how many more there are.
const (
	MaxExplained = 5
	maxEvents    = 3
)

// Pods says why each pod that is not Ready (or is terminating) is
// so: its phase, why it is not scheduled, its containers' waiting or
// terminated reasons, and its latest Warning events, as kubectl describe
// shows them. Ready and completed pods are not mentioned.
func Pods(ctx context.Context, kube kubernetes.Interface, pods []corev1.Pod) ([]string, error) {
	var stuck []corev1.Pod
	for _, p := range pods {
		if p.DeletionTimestamp != nil || (!podReady(p) && p.Status.Phase != corev1.PodSucceeded) {
			stuck = append(stuck, p)
		}
	}
	var out []string
	nodes := nodeLister(ctx, kube)
	for i, p := range stuck {
		if i == MaxExplained {
			out = append(out, fmt.Sprintf("and %d more pod(s)", len(stuck)-i))
			break
		}
		why := podState(p)
		out = append(out, why)
		taints, err := untoleratedTaints(p, nodes)
		if err != nil {
			return out, err
		}
		out = append(out, taints...)
		events, err := warningEvents(ctx, kube, p)
		if err != nil {
			return out, err
		}
		for _, ev := range events {
			// The scheduler's event repeats the PodScheduled message.
			if !strings.Contains(why, ev.Message) {
				out = append(out, fmt.Sprintf("event of pod %s/%s: %s %s: %s", p.Namespace, p.Name, ev.Type, ev.Reason, ev.Message))
			}
		}
	}
	return out, nil
}

func podReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podState is one line on a pod: its phase and what keeps it from Ready.
func podState(p corev1.Pod) string {
	head := fmt.Sprintf("pod %s/%s", p.Namespace, p.Name)
	if p.DeletionTimestamp != nil {
		return head + " is " + terminating(p)
	}
	phase := string(p.Status.Phase)
	if phase == "" {
		phase = string(corev1.PodPending)
	}
	if c := podCondition(p, corev1.PodScheduled); c != nil && c.Status == corev1.ConditionFalse {
		return head + " is " + phase + ": " + firstNonEmpty(c.Message, c.Reason, "not scheduled yet")
	}
	details := containerStates(p)
	if p.Status.Phase == corev1.PodFailed {
		details = append([]string{firstNonEmpty(p.Status.Message, p.Status.Reason)}, details...)
	}
	head += " is " + phase
	if p.Spec.NodeName != "" {
		head += " on node " + p.Spec.NodeName
	}
	if p.Status.Phase == corev1.PodRunning {
		head += " but not Ready"
	}
	details = nonEmpty(details)
	if len(details) == 0 {
		return head
	}
	return head + ": " + strings.Join(details, "; ")
}

// nodeLister lists the nodes once, when first asked: most explanations
// need none.
func nodeLister(ctx context.Context, kube kubernetes.Interface) func() ([]corev1.Node, error) {
	var nodes []corev1.Node
	var err error
	listed := false
	return func() ([]corev1.Node, error) {
		if !listed {
			listed = true
			var list *corev1.NodeList
			if list, err = kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil {
				err = fmt.Errorf("list nodes: %w", err)
			} else {
				nodes = list.Items
			}
		}
		return nodes, err
	}
}

// untoleratedTaints names the taints that keep a pod the scheduler refused
// off the nodes its nodeSelector allows: the scheduler's message counts
// such nodes ("2 node(s) had untolerated taint(s)") without naming the
// taints.
func untoleratedTaints(p corev1.Pod, nodes func() ([]corev1.Node, error)) ([]string, error) {
	c := podCondition(p, corev1.PodScheduled)
	if c == nil || c.Status != corev1.ConditionFalse || !strings.Contains(c.Message, "taint") {
		return nil, nil
	}
	all, err := nodes()
	if err != nil {
		return nil, err
	}
	allowed := labels.SelectorFromSet(p.Spec.NodeSelector)
	var out []string
	for _, n := range all {
		if !allowed.Matches(labels.Set(n.Labels)) {
			continue
		}
		var taints []string
		for _, t := range n.Spec.Taints {
			if t.Effect != corev1.TaintEffectPreferNoSchedule && !tolerated(p.Spec.Tolerations, t) {
				taints = append(taints, t.ToString())
			}
		}
		switch {
		case len(taints) == 0:
		case len(out) == MaxExplained:
			return append(out, "and more nodes"), nil
		case len(taints) == 1:
			out = append(out, fmt.Sprintf("pod %s/%s does not tolerate the taint %s of node %s", p.Namespace, p.Name, taints[0], n.Name))
		default:
			out = append(out, fmt.Sprintf("pod %s/%s does not tolerate the taints %s of node %s", p.Namespace, p.Name, strings.Join(taints, ", "), n.Name))
		}
	}
	return out, nil
}

func tolerated(tols []corev1.Toleration, t corev1.Taint) bool {
	for _, tol := range tols {
		// The zero logger discards: a library does not print. Lt and Gt
		// tolerations count where the cluster allows them.
		if tol.ToleratesTaint(klog.Logger{}, &t, true) {
			return true
		}
	}
	return false
}

func terminating(p corev1.Pod) string {
	if len(p.Finalizers) > 0 {
		return "terminating, waiting for finalizer " + strings.Join(p.Finalizers, ", ")
	}
	grace := ""
	if p.DeletionGracePeriodSeconds != nil {
		grace = fmt.Sprintf(" (grace period %ds)", *p.DeletionGracePeriodSeconds)
	}
	if p.Spec.NodeName == "" {
		return "terminating" + grace
	}
	return "terminating: waiting for the kubelet on node " + p.Spec.NodeName + " to stop it" + grace
}

func podCondition(p corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// containerStates says why each container (init containers first) is not
// running and ready.
func containerStates(p corev1.Pod) []string {
	var out []string
	for _, group := range []struct {
		what     string
		statuses []corev1.ContainerStatus
	}{{"init container", p.Status.InitContainerStatuses}, {"container", p.Status.ContainerStatuses}} {
		for _, s := range group.statuses {
			if why := containerState(s); why != "" {
				out = append(out, group.what+" "+s.Name+" "+why)
			}
		}
	}
	return out
}

func containerState(s corev1.ContainerStatus) string {
	switch st := s.State; {
	case st.Waiting != nil:
		why := "is waiting: " + firstNonEmpty(st.Waiting.Reason, "reason unknown")
		if t := s.LastTerminationState.Terminated; t != nil {
			why += fmt.Sprintf(" (last exit code %d%s)", t.ExitCode, prefixed(", ", t.Reason))
		}
		return why + prefixed(": ", st.Waiting.Message)
	case st.Terminated != nil:
		if st.Terminated.ExitCode == 0 {
			return ""
		}
		return fmt.Sprintf("terminated with exit code %d%s%s", st.Terminated.ExitCode, prefixed(" ", paren(st.Terminated.Reason)), prefixed(": ", st.Terminated.Message))
	case st.Running != nil && !s.Ready:
		return "is running but not ready (its readiness probe has not passed)"
	}
	return ""
}

// warningEvents are the latest Warning events of a pod, oldest first.
func warningEvents(ctx context.Context, kube kubernetes.Interface, p corev1.Pod) ([]corev1.Event, error) {
	list, err := kube.CoreV1().Events(p.Namespace).List(ctx, metav1.ListOptions{
		FieldSelector: "involvedObject.kind=Pod,involvedObject.name=" + p.Name,
	})
	if err != nil {
		return nil, fmt.Errorf("events of pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	var out []corev1.Event
	for _, ev := range list.Items {
		// The field selector is a hint some API servers (and fakes)
		// ignore; a pod of the same name may also have existed before.
		if ev.Type == corev1.EventTypeWarning && ev.InvolvedObject.Kind == "Pod" && ev.InvolvedObject.Name == p.Name &&
			(ev.InvolvedObject.UID == "" || ev.InvolvedObject.UID == p.UID) {
			out = append(out, ev)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return eventTime(out[i]).Before(eventTime(out[j])) })
	if len(out) > maxEvents {
		out = out[len(out)-maxEvents:]
	}
	return out, nil
}

// eventTime is when an event last happened, whichever API wrote it.
func eventTime(ev corev1.Event) time.Time {
	switch {
	case ev.Series != nil && !ev.Series.LastObservedTime.IsZero():
		return ev.Series.LastObservedTime.Time
	case !ev.LastTimestamp.IsZero():
		return ev.LastTimestamp.Time
	case !ev.EventTime.IsZero():
		return ev.EventTime.Time
	}
	return ev.CreationTimestamp.Time
}

// IsWorkload says whether the object runs pods that its selector finds.
func IsWorkload(o unstructured.Unstructured) bool {
	switch o.GroupVersionKind().GroupKind() {
	case schema.GroupKind{Group: "apps", Kind: "Deployment"}, schema.GroupKind{Group: "apps", Kind: "ReplicaSet"},
		schema.GroupKind{Group: "apps", Kind: "DaemonSet"}, schema.GroupKind{Group: "apps", Kind: "StatefulSet"},
		schema.GroupKind{Group: "batch", Kind: "Job"}:
		return true
	}
	return false
}

func IsPod(o unstructured.Unstructured) bool {
	return o.GroupVersionKind().GroupKind() == schema.GroupKind{Kind: "Pod"}
}

// Workload says why a workload is not done: its failing conditions
// (a quota that refused its pods, a Job past its backoff limit) and why its
// pods that are not Ready are so.
func Workload(ctx context.Context, kube kubernetes.Interface, o unstructured.Unstructured) ([]string, error) {
	out := workloadConditions(o)
	raw, found, err := unstructured.NestedMap(o.Object, "spec", "selector")
	if err != nil || !found {
		return out, nil
	}
	var ls metav1.LabelSelector
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &ls); err != nil {
		return out, fmt.Errorf("selector of %s: %w", Ref(o), err)
	}
	sel, err := metav1.LabelSelectorAsSelector(&ls)
	if err != nil {
		return out, fmt.Errorf("selector of %s: %w", Ref(o), err)
	}
	pods, err := kube.CoreV1().Pods(o.GetNamespace()).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return out, fmt.Errorf("pods of %s: %w", Ref(o), err)
	}
	why, err := Pods(ctx, kube, pods.Items)
	return append(out, why...), err
}

// workloadConditions are the conditions of a workload that say something
// is wrong, with their messages.
func workloadConditions(o unstructured.Unstructured) []string {
	bad := map[string]string{"ReplicaFailure": "True", "Failed": "True", "Available": "False", "Progressing": "False"}
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	var out []string
	for _, c := range conds {
		m, _ := c.(map[string]any)
		typ, _ := m["type"].(string)
		status, _ := m["status"].(string)
		if want, ok := bad[typ]; !ok || status != want {
			continue
		}
		msg, _ := m["message"].(string)
		reason, _ := m["reason"].(string)
		out = append(out, fmt.Sprintf("%s: %s is %s: %s", Ref(o), typ, status, firstNonEmpty(msg, reason)))
	}
	return out
}

// Deletion says what keeps an object that is being deleted: the
// finalizers it waits for and, for the well-known ones, what holds them.
func Deletion(ctx context.Context, kube kubernetes.Interface, o unstructured.Unstructured) ([]string, error) {
	ref := Ref(o)
	if o.GetDeletionTimestamp() == nil {
		return []string{ref + " is still there"}, nil
	}
	var out []string
	if o.GetKind() == "Namespace" && o.GetAPIVersion() == "v1" {
		out = append(out, namespaceConditions(o)...)
	}
	for _, f := range o.GetFinalizers() {
		why, err := finalizerHolder(ctx, kube, o, f)
		if err != nil {
			return out, err
		}
		out = append(out, ref+" "+why)
	}
	if len(out) == 0 && IsPod(o) {
		var p corev1.Pod
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &p); err != nil {
			return nil, fmt.Errorf("decode %s: %w", ref, err)
		}
		out = append(out, "pod "+p.Namespace+"/"+p.Name+" is "+terminating(p))
	}
	if len(out) == 0 {
		out = append(out, ref+" is being deleted")
	}
	return out, nil
}

// finalizerHolder says, after the object's name, what a finalizer waits for.
func finalizerHolder(ctx context.Context, kube kubernetes.Interface, o unstructured.Unstructured, f string) (string, error) {
	switch {
	case f == "kubernetes.io/pv-protection" && o.GetKind() == "PersistentVolume":
		claim, err := pvClaim(ctx, kube, o)
		if err != nil || claim == "" {
			return "is waiting for finalizer " + f, err
		}
		return "is held by claim " + claim, nil
	case f == "kubernetes.io/pvc-protection" && o.GetKind() == "PersistentVolumeClaim":
		users, err := claimUsers(ctx, kube, o.GetNamespace(), o.GetName())
		if err != nil || len(users) == 0 {
			return "is waiting for finalizer " + f, err
		}
		return "is used by " + strings.Join(users, ", "), nil
	case f == metav1.FinalizerDeleteDependents:
		return "is waiting for its dependents to be deleted first (finalizer " + f + ")", nil
	}
	return "is waiting for finalizer " + f, nil
}

// pvClaim is the claim (namespace/name) a volume is bound to, when that
// claim exists.
func pvClaim(ctx context.Context, kube kubernetes.Interface, o unstructured.Unstructured) (string, error) {
	ns, _, _ := unstructured.NestedString(o.Object, "spec", "claimRef", "namespace")
	name, _, _ := unstructured.NestedString(o.Object, "spec", "claimRef", "name")
	if name == "" {
		return "", nil
	}
	_, err := kube.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("claim %s/%s of %s: %w", ns, name, Ref(o), err)
	}
	return ns + "/" + name, nil
}

// claimUsers are the pods that mount a claim and have not finished, as the
// pvc-protection controller counts them.
func claimUsers(ctx context.Context, kube kubernetes.Interface, ns, claim string) ([]string, error) {
	pods, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("pods using claim %s/%s: %w", ns, claim, err)
	}
	var out []string
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		for _, v := range p.Spec.Volumes {
			if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claim {
				out = append(out, "pod "+p.Namespace+"/"+p.Name)
				break
			}
		}
	}
	return out, nil
}

// namespaceConditions are the messages of a terminating namespace's
// conditions that hold (content left, finalizers left, failures).
func namespaceConditions(o unstructured.Unstructured) []string {
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	var out []string
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["status"] != string(corev1.ConditionTrue) {
			continue
		}
		msg, _ := m["message"].(string)
		reason, _ := m["reason"].(string)
		out = append(out, Ref(o)+": "+firstNonEmpty(msg, reason))
	}
	return out
}

// Ref names an object as messages do: "Pod shop/web", "PersistentVolume pv-logs".
func Ref(o unstructured.Unstructured) string {
	if o.GetNamespace() == "" {
		return o.GetKind() + " " + o.GetName()
	}
	return o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}
