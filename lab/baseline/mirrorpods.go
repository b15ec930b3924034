package baseline

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ckalab/ckalab/lab"
	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A static pod manifest that reset removes from a node (one a scenario or
// a learner added) or replaces by one of another pod leaves its mirror pod
// behind for a few seconds, until the kubelet notices and deletes it; the
// next setup, or the next grade, would see it. So the plan names those
// mirror pods, read from the manifests before they change, and Apply waits
// until they are gone.

// staticPodDir is the folder the kubelet reads static pod manifests from
// (kubeadm's staticPodPath; reset restores the kubelet's configuration
// that names it). The kubelet reads only the files directly in it, and
// skips hidden ones.
const staticPodDir = "/etc/kubernetes/manifests"

// MirrorPod is the mirror pod of a static pod manifest that reset removes
// or replaces: Apply waits until it is gone.
type MirrorPod struct {
	Node      string
	Namespace string
	// Name is the static pod's name and its node's: "<pod>-<node>".
	Name string
}

func (m MirrorPod) String() string { return "pod " + m.Namespace + "/" + m.Name }

// podRef is a static pod as its manifest names it.
type podRef struct{ namespace, name string }

// staticPods are the pods a manifest defines as the kubelet reads it (a Pod,
// or a PodList), in namespace "default" unless it names one. A manifest the
// kubelet cannot read defines none, and has no mirror pod.
func staticPods(manifest string) []podRef {
	type meta struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	}
	var m struct {
		Kind     string `yaml:"kind"`
		Metadata meta   `yaml:"metadata"`
		Items    []struct {
			Metadata meta `yaml:"metadata"`
		} `yaml:"items"`
	}
	if err := yaml.Unmarshal([]byte(manifest), &m); err != nil {
		return nil
	}
	metas := []meta{m.Metadata}
	if m.Kind == "PodList" {
		metas = nil
		for _, it := range m.Items {
			metas = append(metas, it.Metadata)
		}
	}
	var out []podRef
	for _, md := range metas {
		if md.Name == "" {
			continue
		}
		ns := md.Namespace
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		out = append(out, podRef{namespace: ns, name: md.Name})
	}
	return out
}

// isStaticPodManifest says whether the kubelet reads the file as a static
// pod manifest.
func isStaticPodManifest(p string) bool {
	return path.Dir(p) == staticPodDir && !strings.HasPrefix(path.Base(p), ".")
}

// mirrorPodsGoing are the mirror pods of the manifests that the fixes
// remove or write back (got holds their content now), but for the pods the
// node's baseline manifests define: those stay (the kubelet updates them).
func mirrorPodsGoing(node string, want NodeFiles, got lab.NodeListing, fixes []FileFix) []MirrorPod {
	touched := func(p string) bool {
		return slices.ContainsFunc(fixes, func(f FileFix) bool {
			return f.Unit == "" && (f.Path == p || f.Folder && strings.HasPrefix(p, f.Path+"/"))
		})
	}
	kept := map[podRef]bool{}
	for p, content := range want.Files {
		if isStaticPodManifest(p) {
			for _, r := range staticPods(content) {
				kept[r] = true
			}
		}
	}
	going := map[podRef]bool{}
	for p, content := range got.Files {
		if !isStaticPodManifest(p) || !touched(p) {
			continue
		}
		for _, r := range staticPods(content) {
			if !kept[r] {
				going[r] = true
			}
		}
	}
	var out []MirrorPod
	for _, r := range slices.SortedFunc(maps.Keys(going), func(a, b podRef) int {
		return strings.Compare(a.namespace+"/"+a.name, b.namespace+"/"+b.name)
	}) {
		// The kubelet's name for a mirror pod (its node name lower case).
		out = append(out, MirrorPod{Node: node, Namespace: r.namespace, Name: r.name + "-" + strings.ToLower(node)})
	}
	return out
}

// isMirrorPod says whether a pod is the kubelet's mirror of a static pod
// from a file, rather than a pod someone made with the same name.
func isMirrorPod(p *corev1.Pod) bool {
	_, mirror := p.Annotations[corev1.MirrorPodAnnotationKey]
	return mirror || p.Annotations["kubernetes.io/config.source"] == "file"
}

// waitMirrorPodsGone waits until none of the mirror pods is left, up to
// opts.Timeout. A read that fails is tried again: the API server may be
// restarting (its own manifest restored).
func waitMirrorPodsGone(ctx context.Context, c *lab.Cluster, pods []MirrorPod, opts ApplyOptions) error {
	deadline := time.Now().Add(opts.Timeout)
	for len(pods) > 0 {
		var left []MirrorPod
		var readErr error
		for _, m := range pods {
			pod, err := c.Kube.CoreV1().Pods(m.Namespace).Get(ctx, m.Name, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
			case err != nil:
				left, readErr = append(left, m), err
			case isMirrorPod(pod):
				left = append(left, m)
			}
		}
		pods = left
		if len(pods) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("%s, the mirror pod of a static pod manifest reset removed from node %s, is still there after %s",
				pods[0], pods[0].Node, opts.Timeout)
			if len(pods) > 1 {
				msg += fmt.Sprintf(" (and %d more)", len(pods)-1)
			}
			if readErr != nil {
				msg += fmt.Sprintf(" (last read: %v)", readErr)
			}
			return fmt.Errorf("%s: is the kubelet of %s running?", msg, pods[0].Node)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s to go from node %s: %w", pods[0], pods[0].Node, ctx.Err())
		case <-time.After(opts.Interval):
		}
	}
	return nil
}
