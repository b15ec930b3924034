package checks

import (
	"context"
	"fmt"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// staticPodSpec: the kubelet of node runs a static pod named name (the
// name in its manifest) in namespace (default "default", as the kubelet
// puts a manifest without one): its mirror pod <name>-<node> exists, comes
// from a manifest file, and is Running and Ready; restarts do not matter.
// A pod created through the API under that name is not one. With
// manifestIn: staticPodPath, the manifest must also be in the folder the
// kubelet's own config names (not a hard-coded /etc/kubernetes/manifests),
// which needs node access.
type staticPodSpec struct {
	Node       string `yaml:"node"`
	Name       string `yaml:"name"`
	Namespace  string `yaml:"namespace"`
	ManifestIn string `yaml:"manifestIn"`
}

type staticPodCheck struct{ spec staticPodSpec }

func newStaticPod(body *yaml.Node, p string) (grader.Check, yamlx.Problems) {
	c := &staticPodCheck{}
	ps := yamlx.Decode(body, p, &c.spec)
	if c.spec.Node == "" {
		ps.Add(body, yamlx.Join(p, "node"), "required")
	}
	if c.spec.Name == "" {
		ps.Add(body, yamlx.Join(p, "name"), "required: the pod's name in its manifest (its mirror pod is NAME-NODE)")
	}
	if c.spec.Namespace == "" {
		c.spec.Namespace = "default"
	}
	if m := c.spec.ManifestIn; m != "" && m != "staticPodPath" {
		ps.Add(valueOf(body, "manifestIn"), yamlx.Join(p, "manifestIn"), "got %q, want staticPodPath (the folder the kubelet's config names)", m)
	}
	return c, ps
}

func (c *staticPodCheck) mirrorName() string { return c.spec.Name + "-" + c.spec.Node }

// NodeName implements grader.NodeCheck: only manifestIn looks inside the
// node; the mirror pod is the API's.
func (c *staticPodCheck) NodeName() string {
	if c.spec.ManifestIn == "" {
		return ""
	}
	return c.spec.Node
}

func (c *staticPodCheck) expected() string {
	s := fmt.Sprintf("static pod %s on node %s: mirror pod %s/%s Running and Ready", c.spec.Name, c.spec.Node, c.spec.Namespace, c.mirrorName())
	if c.spec.ManifestIn != "" {
		s += ", its manifest in the kubelet's staticPodPath"
	}
	return s
}

// Observe reads the mirror pod and, with manifestIn, the node's static pod
// path.
func (c *staticPodCheck) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	obs := grader.Observation{Expected: c.expected()}
	mirror := c.spec.Namespace + "/" + c.mirrorName()
	p, err := env.Cluster.Kube.CoreV1().Pods(c.spec.Namespace).Get(ctx, c.mirrorName(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		obs.Actual = "no mirror pod " + mirror
		obs.Problems = append(obs.Problems, fmt.Sprintf("no mirror pod %s: the kubelet on %s runs no static pod %s in namespace %s (is its manifest in the static pod path, and valid?)",
			mirror, c.spec.Node, c.spec.Name, c.spec.Namespace))
	case err != nil:
		return failedExpecting(obs.Expected, fmt.Errorf("get pod %s: %w", mirror, err))
	default:
		obs.Actual = fmt.Sprintf("pod %s on %s: %s", mirror, p.Spec.NodeName, mirrorPodState(*p))
		obs.Problems = append(obs.Problems, mirrorPodProblems(*p, c.spec.Node)...)
	}
	if c.spec.ManifestIn != "" {
		file, err := c.manifest(ctx, env)
		if err != nil {
			obs.Problems = append(obs.Problems, err.Error())
		} else {
			obs.Actual += "; manifest " + file
		}
	}
	obs.Passed = len(obs.Problems) == 0
	return obs
}

// manifest finds the pod's manifest in the kubelet's static pod path.
func (c *staticPodCheck) manifest(ctx context.Context, env *grader.Env) (string, error) {
	ctx, exec, cancel, err := onNode(ctx, env)
	defer cancel()
	if err != nil {
		return "", fmt.Errorf("manifestIn: %w", err)
	}
	dir, err := staticPodPath(ctx, exec, c.spec.Node)
	if err != nil {
		return "", err
	}
	file, err := staticManifest(ctx, exec, c.spec.Node, dir, c.spec.Namespace, c.spec.Name)
	if err != nil {
		return "", err
	}
	if file == "" {
		return "", fmt.Errorf("no manifest of pod %s/%s in %s, the kubelet's staticPodPath on %s", c.spec.Namespace, c.spec.Name, dir, c.spec.Node)
	}
	return file, nil
}
