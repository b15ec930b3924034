package steps_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/simtest"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios/steps"
	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var sl *simtest.Lab

func TestMain(m *testing.M) { os.Exit(simtest.Main(m, &sl)) }

// Shared with every package's integration tests.
var (
	newNS   = simtest.Namespace
	waitFor = simtest.WaitFor
)

const (
	controlPlane = "ckalab-control-plane"
	worker       = "ckalab-worker"
	worker2      = "ckalab-worker2"
)

// parse decodes one step from YAML as a scenario file holds it, and
// returns its node for Validate.
func parse(t *testing.T, src string) (steps.Spec, *yaml.Node) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	var s steps.Spec
	if err := doc.Content[0].Decode(&s); err != nil {
		t.Fatalf("decode step: %v", err)
	}
	return s, doc.Content[0]
}

// step parses a step and fails the test if it does not validate.
func step(t *testing.T, src string) steps.Spec {
	t.Helper()
	s, node := parse(t, src)
	if ps, _ := s.Validate("step", node, nil); len(ps) > 0 {
		t.Fatalf("step %q: problems %v", src, ps)
	}
	return s
}

func run(t *testing.T, env steps.Env, s steps.Spec) []string {
	t.Helper()
	changed, err := s.Run(context.Background(), env)
	if err != nil {
		t.Fatalf("%s: %v", s.Name(), err)
	}
	return changed
}

// podsOf lists the pods with a label selector.
func podsOf(t *testing.T, c *lab.Cluster, ns, selector string) []corev1.Pod {
	t.Helper()
	list, err := c.Kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func readyPods(pods []corev1.Pod) int {
	n := 0
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				n++
			}
		}
	}
	return n
}

func waitReady(t *testing.T, c *lab.Cluster, ns, selector string, n int) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	waitFor(t, 60*time.Second, fmt.Sprintf("%d Ready pods %s", n, selector), func() (bool, string) {
		pods = podsOf(t, c, ns, selector)
		got := readyPods(pods)
		return got == n && len(pods) == n, fmt.Sprintf("%d Ready of %d", got, len(pods))
	})
	return pods
}

func deployment(ns, name string, replicas int, nodeSelector string) string {
	sel := ""
	if nodeSelector != "" {
		sel = "\n      nodeSelector: {kubernetes.io/hostname: " + nodeSelector + "}"
	}
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: %[2]s, namespace: %[1]s}
spec:
  replicas: %[3]d
  selector: {matchLabels: {app: %[2]s}}
  template:
    metadata: {labels: {app: %[2]s}}
    spec:%[4]s
      containers:
      - {name: main, image: nginx:1}
`, ns, name, replicas, sel)
}

// apply applies a manifest through the apply action.
func apply(t *testing.T, env steps.Env, manifest string) []string {
	t.Helper()
	return run(t, env, steps.Spec{Action: &steps.Apply{Manifest: manifest}})
}

func mustContain(t *testing.T, s string, fragments ...string) {
	t.Helper()
	for _, f := range fragments {
		if !strings.Contains(s, f) {
			t.Errorf("%q does not contain %q", s, f)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
