package checks_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/grader/checks"
	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/internal/simtest"
	"github.com/ckalab/ckalab/lab"
	"gopkg.in/yaml.v3"
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

// build decodes a check body from YAML, as the scenario loader does, and
// fails the test on any validation problem.
func build(t *testing.T, kind, src string) grader.Check {
	t.Helper()
	chk, ps := buildProblems(t, kind, src)
	if len(ps) > 0 {
		t.Fatalf("%s check %q: unexpected problems %v", kind, src, ps)
	}
	return chk
}

func buildProblems(t *testing.T, kind, src string) (grader.Check, []string) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	k, ok := checks.All()[kind]
	if !ok {
		t.Fatalf("no check kind %q", kind)
	}
	chk, ps := k.New(doc.Content[0], kind)
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return chk, out
}

// create creates every object of a YAML manifest; namespaced objects
// without a namespace go to ns.
func create(t *testing.T, c *lab.Cluster, ns, manifest string) {
	t.Helper()
	for _, o := range fakelab.Objects(t, manifest) {
		ri, namespaced, err := lab.Client(c, o.GetAPIVersion(), o.GetKind(), "")
		if err != nil {
			t.Fatal(err)
		}
		if namespaced {
			if o.GetNamespace() == "" {
				o.SetNamespace(ns)
			}
			ri, _, _ = lab.Client(c, o.GetAPIVersion(), o.GetKind(), o.GetNamespace())
		}
		if _, err := ri.Create(context.Background(), o, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
}

// observeUntil observes the check until its verdict is want or the
// timeout passes, and returns the last observation. Controllers (and the
// RBAC authorizer's cache) need a moment after objects are created.
func observeUntil(t *testing.T, chk grader.Check, env *grader.Env, want bool, timeout time.Duration) grader.Observation {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		obs := chk.Observe(context.Background(), env)
		if obs.Passed == want || time.Now().After(deadline) {
			return obs
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func mustPass(t *testing.T, chk grader.Check, env *grader.Env, timeout time.Duration) grader.Observation {
	t.Helper()
	obs := observeUntil(t, chk, env, true, timeout)
	if !obs.Passed {
		t.Fatalf("check did not pass within %s: actual %q, problems %q", timeout, obs.Actual, obs.Problems)
	}
	if len(obs.Problems) != 0 {
		t.Errorf("passed with problems %q", obs.Problems)
	}
	return obs
}

func mustFailNow(t *testing.T, chk grader.Check, env *grader.Env) grader.Observation {
	t.Helper()
	obs := chk.Observe(context.Background(), env)
	if obs.Passed {
		t.Fatalf("check passed, want a failure: actual %q", obs.Actual)
	}
	if len(obs.Problems) == 0 {
		t.Errorf("failed without problems: actual %q", obs.Actual)
	}
	return obs
}

// hasProblem reports whether one problem contains every fragment.
func hasProblem(problems []string, fragments ...string) bool {
	for _, p := range problems {
		all := true
		for _, f := range fragments {
			if !strings.Contains(p, f) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func wantProblem(t *testing.T, obs grader.Observation, fragments ...string) {
	t.Helper()
	if !hasProblem(obs.Problems, fragments...) {
		t.Errorf("no problem containing %q; problems: %q (actual %q)", fragments, obs.Problems, obs.Actual)
	}
}

func envFor(t *testing.T, c *lab.Cluster) *grader.Env {
	return &grader.Env{Cluster: c, AnswerDir: t.TempDir()}
}
