// Package baseline records what a fresh lab looks like and brings a used lab
// back to it. A learner practises for weeks on one lab and an exam puts many
// tasks on it at once: whatever was done before (a taint left on a node, a
// claim in `default` bound to a scenario's volume, a StorageClass made the
// default), the lab must be as good as new whenever ckalab says so.
//
// Record takes the baseline when the lab is new (`lab up`); Compare lists
// what differs from it as a Plan; Plan.Apply undoes it. Objects the learner
// made are deleted together with everything they own (never by stripping
// finalizers), baseline objects that were changed or deleted are written
// back, nodes get their labels, taints and schedulability back.
package baseline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ckalab/ckalab/internal/safefs"
	"github.com/ckalab/ckalab/lab"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// FileName is the baseline's file in a lab's state folder.
const FileName = "baseline.json"

// formatVersion changes when the file's meaning changes; an older file is
// refused with advice rather than misread.
const formatVersion = 1

// Baseline is a fresh lab, as far as ckalab may change it.
type Baseline struct {
	Version int       `json:"version"`
	Taken   time.Time `json:"taken"`
	// Nodes: the parts of each node a scenario or a learner may change.
	Nodes map[string]NodeState `json:"nodes"`
	// Namespaces that existed.
	Namespaces []string `json:"namespaces"`
	// Objects that existed, by Key; the content of restorable ones.
	Objects map[string]Object `json:"objects"`
	// NodeFiles are files and services inside nodes (labs with node
	// access): static pod manifests, kubelet and containerd configuration.
	NodeFiles map[string]NodeFiles `json:"nodeFiles,omitempty"`
}

// NodeState is what a node looked like.
type NodeState struct {
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations are the node's own ones (not those of Kubernetes
	// components, which keep changing).
	Annotations map[string]string `json:"annotations,omitempty"`
	// Taints exclude those the node lifecycle controller manages
	// (node.kubernetes.io/*): they follow the node's health.
	Taints        []corev1.Taint `json:"taints,omitempty"`
	Unschedulable bool           `json:"unschedulable,omitempty"`
}

// Object is one object of the baseline.
type Object struct {
	Resource  Resource  `json:"resource"`
	Namespace string    `json:"namespace,omitempty"`
	Name      string    `json:"name"`
	UID       types.UID `json:"uid"`
	// Content is the object without its volatile fields, for kinds whose
	// changes Apply undoes.
	Content map[string]any `json:"content,omitempty"`
}

// Key names an object in a baseline: "apps/Deployment kube-system/coredns".
func Key(r Resource, namespace, name string) string {
	ns := namespace
	if ns != "" {
		ns += "/"
	}
	return r.GroupKind() + " " + ns + name
}

// Load reads a baseline file.
func Load(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoBaseline, path)
	}
	if err != nil {
		return nil, fmt.Errorf("read lab baseline: %w", err)
	}
	var b Baseline
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("lab baseline %s is unreadable: %w", path, err)
	}
	if b.Version != formatVersion {
		return nil, fmt.Errorf("%w: %s has format %d, this ckalab reads %d", ErrNoBaseline, path, b.Version, formatVersion)
	}
	return &b, nil
}

// ErrNoBaseline: the lab has no (readable) baseline, e.g. it was made by an
// older ckalab.
var ErrNoBaseline = errors.New("no baseline recorded for this lab")

// Save writes the baseline atomically (a reader never sees half a file).
func (b *Baseline) Save(path string) error {
	data, err := json.MarshalIndent(b, "", " ")
	if err != nil {
		return fmt.Errorf("encode lab baseline: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("lab baseline: %w", err)
	}
	if err := safefs.WriteAtomic(path, data); err != nil {
		return fmt.Errorf("write lab baseline: %w", err)
	}
	return nil
}

// RecordOptions tune Record.
type RecordOptions struct {
	// Exec reaches inside nodes; with it, node files are recorded too.
	Exec lab.Execer
	// Files are the node files to record (default DefaultNodeFiles).
	Files []string
	Now   func() time.Time
}

// Record takes the baseline of a lab as it is now.
func Record(ctx context.Context, c *lab.Cluster, opts RecordOptions) (*Baseline, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	b := &Baseline{Version: formatVersion, Taken: opts.Now().UTC(), Nodes: map[string]NodeState{}, Objects: map[string]Object{}}
	nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	for _, n := range nodes.Items {
		b.Nodes[n.Name] = nodeState(&n)
	}
	nss, err := c.Kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	for _, ns := range nss.Items {
		b.Namespaces = append(b.Namespaces, ns.Name)
	}
	slices.Sort(b.Namespaces)
	inv, err := inventoryOf(ctx, c)
	if err != nil {
		return nil, err
	}
	for _, o := range inv.objects {
		obj := Object{Resource: o.res, Namespace: o.u.GetNamespace(), Name: o.u.GetName(), UID: o.u.GetUID()}
		if restorable(o.res, o.u.GetNamespace(), o.u.GetName()) {
			obj.Content = normalize(o.u.Object)
		}
		b.Objects[Key(o.res, obj.Namespace, obj.Name)] = obj
	}
	if opts.Exec != nil {
		files := opts.Files
		if files == nil {
			files = DefaultNodeFiles()
		}
		b.NodeFiles = map[string]NodeFiles{}
		for name := range b.Nodes {
			nf, err := recordNodeFiles(ctx, opts.Exec, name, files)
			if err != nil {
				return nil, err
			}
			b.NodeFiles[name] = nf
		}
	}
	return b, nil
}

// RecordFile records the baseline and saves it at path.
func RecordFile(ctx context.Context, c *lab.Cluster, path string, opts RecordOptions) error {
	b, err := Record(ctx, c, opts)
	if err != nil {
		return fmt.Errorf("record the lab's baseline: %w", err)
	}
	return b.Save(path)
}

// hasNamespace says whether the namespace existed.
func (b *Baseline) hasNamespace(ns string) bool {
	_, found := slices.BinarySearch(b.Namespaces, ns)
	return found
}

// nodeState keeps what may be restored of a node.
func nodeState(n *corev1.Node) NodeState {
	st := NodeState{Labels: n.Labels, Unschedulable: n.Spec.Unschedulable}
	for k, v := range n.Annotations {
		if ownAnnotation(k) {
			if st.Annotations == nil {
				st.Annotations = map[string]string{}
			}
			st.Annotations[k] = v
		}
	}
	for _, t := range n.Spec.Taints {
		if !healthTaint(t) {
			t.TimeAdded = nil
			st.Taints = append(st.Taints, t)
		}
	}
	return st
}

// healthTaint: the node lifecycle controller puts node.kubernetes.io/*
// taints on and off as the node's health changes (not-ready, unreachable,
// unschedulable mirrors spec.unschedulable); restoring them would fight it.
func healthTaint(t corev1.Taint) bool {
	return strings.HasPrefix(t.Key, "node.kubernetes.io/")
}

// ownAnnotation: annotations in Kubernetes' own domains are written by its
// components (node TTL, attach-detach, kubeadm, kwok) and change by
// themselves; the others are the learner's or a scenario's.
func ownAnnotation(key string) bool {
	prefix, _, found := strings.Cut(key, "/")
	if !found {
		return true
	}
	return !(prefix == "kubernetes.io" || prefix == "k8s.io" ||
		strings.HasSuffix(prefix, ".kubernetes.io") || strings.HasSuffix(prefix, ".k8s.io"))
}
