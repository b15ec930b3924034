package checks

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
)

// What the kubelet writes on the mirror pod of a static pod (the API's
// copy of a pod the kubelet runs from a manifest): the mirror annotation,
// and the source the pod came from ("file" for a manifest in its static
// pod path, "http" for a manifest URL).
const (
	mirrorAnnotation = "kubernetes.io/config.mirror"
	sourceAnnotation = "kubernetes.io/config.source"
)

// kubeletConfigPath is where kubeadm writes the kubelet's configuration;
// its staticPodPath says where the static pod manifests are (kubeadm's
// /etc/kubernetes/manifests, but a task may move it).
const kubeletConfigPath = "/var/lib/kubelet/config.yaml"

// maxStaticManifests bounds the files read from a static pod path in one
// look.
const maxStaticManifests = 100

// mirrorPodProblems says why p is not the Running and Ready mirror pod of
// a static pod from a manifest file on node; restarts do not matter.
func mirrorPodProblems(p corev1.Pod, node string) []string {
	var out []string
	if _, ok := p.Annotations[mirrorAnnotation]; !ok {
		out = append(out, fmt.Sprintf("pod %s is not a mirror pod (no %s annotation): it was created through the API, not by a kubelet from a manifest", p.Name, mirrorAnnotation))
	} else if src := p.Annotations[sourceAnnotation]; src != "file" {
		out = append(out, fmt.Sprintf("pod %s comes from source %q, want \"file\" (a manifest in the kubelet's static pod path)", p.Name, src))
	}
	if p.Spec.NodeName != node {
		out = append(out, fmt.Sprintf("pod %s is on node %q, want %s", p.Name, p.Spec.NodeName, node))
	}
	if st := mirrorPodState(p); st != "Running and Ready" {
		out = append(out, fmt.Sprintf("pod %s is %s, want Running and Ready", p.Name, st))
	}
	return out
}

// mirrorPodState is "Running and Ready", else podReadiness's words with
// the reasons its containers wait (CrashLoopBackOff, ErrImagePull), which
// say what is wrong with a static pod's manifest.
func mirrorPodState(p corev1.Pod) string {
	st := podReadiness(p)
	if st == "Ready" {
		if p.Status.Phase == corev1.PodRunning {
			return "Running and Ready"
		}
		st = "Ready but " + string(p.Status.Phase)
	}
	var waiting []string
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && w.Reason != "" {
			waiting = append(waiting, cs.Name+": "+w.Reason)
		}
	}
	switch {
	case len(waiting) == 0:
	case strings.HasSuffix(st, ")"): // "not Ready (Running; main: CrashLoopBackOff)"
		st = strings.TrimSuffix(st, ")") + "; " + strings.Join(waiting, ", ") + ")"
	default:
		st += " (" + strings.Join(waiting, ", ") + ")"
	}
	return st
}

// staticPodPath reads the kubelet's static pod path from its config on a
// node.
func staticPodPath(ctx context.Context, exec lab.Execer, node string) (string, error) {
	raw, found, err := lab.ReadNodeFile(ctx, exec, node, kubeletConfigPath)
	if err != nil {
		return "", err
	}
	if !found {
		return "", fmt.Errorf("the kubelet's config %s is not on node %s", kubeletConfigPath, node)
	}
	var cfg struct {
		StaticPodPath string `yaml:"staticPodPath"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		return "", fmt.Errorf("the kubelet's config %s on %s: %w", kubeletConfigPath, node, err)
	}
	if cfg.StaticPodPath == "" {
		return "", fmt.Errorf("the kubelet's config %s on %s sets no staticPodPath: that kubelet runs no static pods from files", kubeletConfigPath, node)
	}
	if !path.IsAbs(cfg.StaticPodPath) {
		return "", fmt.Errorf("the kubelet's staticPodPath %q on %s is not an absolute path", cfg.StaticPodPath, node)
	}
	return cfg.StaticPodPath, nil
}

// staticManifest finds, in a static pod path (a folder, or one file), the
// manifest the kubelet reads as pod namespace/name: among the regular
// files (symlinks followed) whose names do not start with a dot, as the
// kubelet reads them. It returns "" when none declares that pod.
func staticManifest(ctx context.Context, exec lab.Execer, node, dir, namespace, name string) (string, error) {
	// find, not ls: it prints full paths whether dir is a folder or a
	// file, and -L -type f follows symlinks as the kubelet does.
	stdout, stderr, code, err := exec.Exec(ctx, node, []string{"find", "-L", dir, "-maxdepth", "1", "-type", "f"}, nil)
	if err != nil {
		return "", fmt.Errorf("list %s on %s: %w", dir, node, err)
	}
	if code != 0 {
		return "", fmt.Errorf("list %s on %s: exit %d: %s", dir, node, code, excerpt(stderr, 200))
	}
	read := 0
	for _, file := range strings.Split(strings.TrimSpace(string(stdout)), "\n") {
		if file == "" || strings.HasPrefix(path.Base(file), ".") {
			continue
		}
		if read++; read > maxStaticManifests {
			return "", fmt.Errorf("%s on %s holds more than %d files", dir, node, maxStaticManifests)
		}
		raw, found, err := lab.ReadNodeFile(ctx, exec, node, file)
		if err != nil {
			return "", err
		}
		if found && declaresPod(raw, namespace, name) {
			return file, nil
		}
	}
	return "", nil
}

// declaresPod says whether a manifest (YAML or JSON) is pod namespace/name;
// a manifest without a namespace puts its pod in "default", as the
// kubelet does.
func declaresPod(raw []byte, namespace, name string) bool {
	var m struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name      string `yaml:"name"`
			Namespace string `yaml:"namespace"`
		} `yaml:"metadata"`
	}
	if yaml.Unmarshal(raw, &m) != nil || m.Kind != "Pod" {
		return false
	}
	ns := m.Metadata.Namespace
	if ns == "" {
		ns = "default"
	}
	return m.Metadata.Name == name && ns == namespace
}
