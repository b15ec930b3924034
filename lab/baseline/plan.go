package baseline

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/ckalab/ckalab/lab"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// Plan is what differs between a lab and its baseline, and how to undo it.
type Plan struct {
	// Delete are the objects made since the baseline, owned ones included
	// (deleting them directly spares the garbage collector's grace periods).
	Delete []Target
	// DeleteNamespaces are namespaces made since the baseline; Keep ones
	// are in EmptyNamespaces instead.
	DeleteNamespaces []string
	// EmptyNamespaces are made since the baseline but kept (emptied, their
	// labels and annotations reset): the next setup makes them again, and
	// keeping them spares the namespace controller's fixed deletion delay.
	EmptyNamespaces []NamespaceReset
	// Nodes whose labels, annotations, taints or schedulability changed.
	Nodes []NodeFix
	// Restore are baseline objects changed or deleted since.
	Restore []Restore
	// Files are node files and services changed since (labs with node access).
	Files []FileFix
	// MirrorPods are those of the static pod manifests Files remove or
	// replace by another pod's; Apply waits until the kubelet has deleted
	// them.
	MirrorPods []MirrorPod
	// Etcd are the nodes whose etcd runs, or may have run, on data other
	// than its own (a restored snapshot), or whose etcd is down: Apply
	// brings etcd back and restarts the control plane and every node's
	// kubelet before it compares or changes any object (etcd.go). With
	// them, the plan holds only node files: the objects, namespaces and
	// nodes are compared and undone once the API serves etcd's own data.
	Etcd []EtcdReturn
	// Authz says that the API server enforces RBAC from stale caches
	// (authz.go): Apply restarts it, last, if it still does then.
	Authz *AuthzFix
	// Unfixable are differences ckalab cannot undo (a node deleted).
	Unfixable []string
	// Terminating are namespaces made since the baseline and already
	// being deleted (by an earlier reset): no difference, but a lab
	// reset that waits for namespaces waits for them too.
	Terminating []string

	// summary lines for objects: only those not owned by another target.
	deleted []string
	// later: what Apply compares once etcd is back (with Etcd).
	later *laterCompare
}

// Target is an object to delete.
type Target struct {
	Resource  Resource
	Namespace string
	Name      string
	UID       types.UID
}

func (t Target) String() string {
	if t.Namespace == "" {
		return t.Resource.Kind + " " + t.Name
	}
	return t.Resource.Kind + " " + t.Namespace + "/" + t.Name
}

// NamespaceReset is a kept namespace and whether its metadata changed.
type NamespaceReset struct {
	Name        string
	Objects     int
	Metadata    bool
	Terminating bool
}

// NodeFix is one node's way back to the baseline.
type NodeFix struct {
	Name    string
	Want    NodeState
	Changes []string
}

// Restore is a baseline object to write back.
type Restore struct {
	Object Object
	// Current is the object now; nil when it was deleted.
	Current *unstructured.Unstructured
}

func (r Restore) String() string {
	if r.Current == nil {
		return r.target() + " recreated"
	}
	return r.target() + " restored"
}

func (r Restore) target() string {
	return Target{Resource: r.Object.Resource, Namespace: r.Object.Namespace, Name: r.Object.Name}.String()
}

// Empty says whether the lab is at its baseline.
func (p *Plan) Empty() bool {
	return len(p.Delete) == 0 && len(p.DeleteNamespaces) == 0 && len(p.Nodes) == 0 && len(p.Restore) == 0 &&
		len(p.Files) == 0 && len(p.Etcd) == 0 && p.Authz == nil && len(p.Unfixable) == 0 && !slices.ContainsFunc(p.EmptyNamespaces, func(n NamespaceReset) bool {
		return n.Objects > 0 || n.Metadata || n.Terminating
	})
}

// Describe lists the differences in words, one per line, as a learner
// reads them ("taint type=db:NoSchedule removed from ckalab-worker").
func (p *Plan) Describe() []string {
	var out []string
	for _, n := range p.Nodes {
		out = append(out, n.Changes...)
	}
	for _, ns := range p.DeleteNamespaces {
		out = append(out, "namespace "+ns+" deleted")
	}
	for _, n := range p.EmptyNamespaces {
		if n.Objects > 0 {
			out = append(out, fmt.Sprintf("namespace %s emptied (%d objects)", n.Name, n.Objects))
		}
	}
	out = append(out, p.deleted...)
	for _, r := range p.Restore {
		out = append(out, r.String())
	}
	for _, f := range p.Files {
		if !f.restoreFolder() {
			out = append(out, f.String())
		}
	}
	for _, e := range p.Etcd {
		out = append(out, e.String())
	}
	if p.later != nil {
		out = append(out, "then the objects, namespaces and nodes compared with the baseline, and undone")
	}
	if p.Authz != nil {
		out = append(out, p.Authz.String())
	}
	return append(out, p.Unfixable...)
}

// CompareOptions tune Compare.
type CompareOptions struct {
	// Keep are namespaces made since the baseline that the caller is
	// about to make again: they are emptied rather than deleted.
	Keep []string
	// Exec reaches inside nodes, to compare node files (nil: not compared).
	Exec lab.Execer
}

// Compare lists what differs between the lab and its baseline.
func Compare(ctx context.Context, c *lab.Cluster, b *Baseline, opts CompareOptions) (*Plan, error) {
	p := &Plan{}
	// The nodes' files first: while etcd runs on other data than its own,
	// or not at all, the API answers for that data, or not at all; the
	// rest is compared once Apply has put etcd back (etcd.go).
	if opts.Exec != nil && b.NodeFiles != nil {
		if err := p.compareFiles(ctx, opts.Exec, b); err != nil {
			return nil, err
		}
		if len(p.Etcd) > 0 {
			p.later = &laterCompare{baseline: b, opts: opts}
			return p, nil
		}
	}
	if err := p.compareNodes(ctx, c, b); err != nil {
		return nil, err
	}
	nss, err := c.Kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	extra := map[string]bool{}
	for _, ns := range nss.Items {
		if b.hasNamespace(ns.Name) {
			continue
		}
		kept := slices.Contains(opts.Keep, ns.Name)
		if ns.DeletionTimestamp != nil && !kept {
			p.Terminating = append(p.Terminating, ns.Name)
			continue
		}
		extra[ns.Name] = true
		if !kept {
			p.DeleteNamespaces = append(p.DeleteNamespaces, ns.Name)
			continue
		}
		p.EmptyNamespaces = append(p.EmptyNamespaces, NamespaceReset{
			Name: ns.Name, Metadata: namespaceMetadataChanged(&ns), Terminating: ns.DeletionTimestamp != nil,
		})
	}
	inv, err := inventoryOf(ctx, c)
	if err != nil {
		return nil, err
	}
	p.compareObjects(b, inv, extra)
	stale, err := authzStale(ctx, c)
	if err != nil {
		return nil, err
	}
	if stale != "" {
		p.Authz = &AuthzFix{Stale: stale, Restart: b.apiServers()}
	}
	return p, nil
}

// namespaceMetadataChanged: a namespace made since the baseline has only
// the label the API server gives every namespace, once reset.
func namespaceMetadataChanged(ns *corev1.Namespace) bool {
	for k := range ns.Labels {
		if k != corev1.LabelMetadataName {
			return true
		}
	}
	return len(ns.Annotations) > 0
}

func (p *Plan) compareNodes(ctx context.Context, c *lab.Cluster, b *Baseline) error {
	nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	now := map[string]*corev1.Node{}
	for i := range nodes.Items {
		now[nodes.Items[i].Name] = &nodes.Items[i]
	}
	for _, name := range slices.Sorted(maps.Keys(b.Nodes)) {
		n, ok := now[name]
		if !ok {
			p.Unfixable = append(p.Unfixable, "node "+name+" was deleted; only a new lab brings it back")
			continue
		}
		want := b.Nodes[name]
		if changes := nodeChanges(name, want, nodeState(n)); len(changes) > 0 {
			p.Nodes = append(p.Nodes, NodeFix{Name: name, Want: want, Changes: changes})
		}
	}
	return nil
}

// nodeChanges describes how a node's state has to change to match want.
func nodeChanges(name string, want, got NodeState) []string {
	var out []string
	for _, t := range got.Taints {
		if !slices.ContainsFunc(want.Taints, func(w corev1.Taint) bool { return sameTaint(w, t) }) {
			out = append(out, "taint "+t.ToString()+" removed from "+name)
		}
	}
	for _, t := range want.Taints {
		if !slices.ContainsFunc(got.Taints, func(g corev1.Taint) bool { return sameTaint(g, t) }) {
			out = append(out, "taint "+t.ToString()+" put back on "+name)
		}
	}
	if got.Unschedulable != want.Unschedulable {
		if want.Unschedulable {
			out = append(out, name+" cordoned again")
		} else {
			out = append(out, name+" uncordoned")
		}
	}
	out = append(out, mapChanges("label", name, want.Labels, got.Labels)...)
	return append(out, mapChanges("annotation", name, want.Annotations, got.Annotations)...)
}

func sameTaint(a, b corev1.Taint) bool {
	return a.Key == b.Key && a.Effect == b.Effect && a.Value == b.Value
}

func mapChanges(what, node string, want, got map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(got)) {
		w, ok := want[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s %s removed from %s", what, k, node))
		case w != got[k]:
			out = append(out, fmt.Sprintf("%s %s=%s put back on %s", what, k, w, node))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if _, ok := got[k]; !ok {
			out = append(out, fmt.Sprintf("%s %s=%s put back on %s", what, k, want[k], node))
		}
	}
	return out
}

// namespaceDefault: what the control plane puts into every namespace; a
// kept namespace keeps them, as a new one would have them.
func namespaceDefault(o listed) bool {
	return (o.res.Group == "" && o.res.Resource == "serviceaccounts" && o.u.GetName() == "default") ||
		(o.res.Group == "" && o.res.Resource == "configmaps" && o.u.GetName() == "kube-root-ca.crt")
}

// madeByKubernetes: objects the control plane makes and keeps by itself,
// possibly a moment after the baseline was taken (a namespace's defaults,
// API registrations of CRDs, RBAC and flow-control defaults). They are
// never the learner's; deleting them would only start a tug of war.
func madeByKubernetes(o listed) bool {
	l, a := o.u.GetLabels(), o.u.GetAnnotations()
	switch {
	case namespaceDefault(o),
		l["kube-aggregator.kubernetes.io/automanaged"] != "",
		l["kubernetes.io/bootstrapping"] == "rbac-defaults",
		a["apf.kubernetes.io/autoupdate-spec"] != "",
		o.u.GetNamespace() == "kube-system" && o.u.GetName() == "kube-apiserver-legacy-service-account-token-tracking":
		return true
	}
	return false
}

func (p *Plan) compareObjects(b *Baseline, inv *inventory, extraNS map[string]bool) {
	going := map[string]bool{}
	for _, ns := range p.Terminating {
		going[ns] = true // the namespace controller empties them
	}
	made := map[int]bool{}
	var madeBySomeone func(i int, depth int) bool
	// made since the baseline: not a baseline object, and not owned by an
	// object that is (a new pod of a system DaemonSet stays).
	madeBySomeone = func(i int, depth int) bool {
		if v, ok := made[i]; ok {
			return v
		}
		o := inv.objects[i]
		v := func() bool {
			if madeByKubernetes(o) {
				return false
			}
			if extraNS[o.u.GetNamespace()] {
				return true
			}
			if _, ok := b.Objects[Key(o.res, o.u.GetNamespace(), o.u.GetName())]; ok {
				return false
			}
			owners := o.u.GetOwnerReferences()
			if len(owners) == 0 || depth > 10 {
				return true
			}
			for _, ow := range owners {
				j, found := inv.byUID[string(ow.UID)]
				switch {
				case found && !madeBySomeone(j, depth+1):
					return false
				case !found && ow.Kind == "Node":
					return false // mirror pods: the kubelet's, from a static manifest
				}
			}
			return true
		}()
		made[i] = v
		return v
	}
	for i, o := range inv.objects {
		if going[o.u.GetNamespace()] || !madeBySomeone(i, 0) {
			continue
		}
		t := Target{Resource: o.res, Namespace: o.u.GetNamespace(), Name: o.u.GetName(), UID: o.u.GetUID()}
		p.Delete = append(p.Delete, t)
		if extraNS[t.Namespace] {
			for k := range p.EmptyNamespaces {
				if p.EmptyNamespaces[k].Name == t.Namespace {
					p.EmptyNamespaces[k].Objects++
				}
			}
			continue
		}
		if !ownedByTarget(o, inv, made) {
			p.deleted = append(p.deleted, t.String()+" deleted")
		}
	}
	current := map[string]*unstructured.Unstructured{}
	for i := range inv.objects {
		o := &inv.objects[i]
		current[Key(o.res, o.u.GetNamespace(), o.u.GetName())] = &o.u
	}
	for _, key := range slices.Sorted(maps.Keys(b.Objects)) {
		want := b.Objects[key]
		if want.Content == nil {
			continue
		}
		got, ok := current[key]
		if !ok {
			p.Restore = append(p.Restore, Restore{Object: want})
			continue
		}
		if got.GetDeletionTimestamp() == nil && canonical(normalize(got.Object)) != canonical(want.Content) {
			p.Restore = append(p.Restore, Restore{Object: want, Current: got})
		}
	}
}

// ownedByTarget: the object goes with an owner that is deleted too, so a
// summary names the owner only.
func ownedByTarget(o listed, inv *inventory, made map[int]bool) bool {
	for _, ow := range o.u.GetOwnerReferences() {
		if j, ok := inv.byUID[string(ow.UID)]; ok && made[j] {
			return true
		}
	}
	return false
}

// canonical renders JSON content comparably: numbers read from the
// baseline file are float64, from the API int64; both print alike.
func canonical(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return "unencodable: " + err.Error()
	}
	return string(data)
}
