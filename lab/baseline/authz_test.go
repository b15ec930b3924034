package baseline_test

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab/baseline"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

// TestResetRestartsAStaleAPIServer: an API server that denies what its
// bootstrap RBAC grants (its authorizer's caches lost ClusterRoles, as seen
// on a kind lab after etcd's data changed under it) makes the lab not as
// new, and reset restarts it (its manifest moved aside until its process is
// gone, then back) until it enforces its RBAC again.
func TestResetRestartsAStaleAPIServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, nodes, _, b, _ := etcdLab(t)
	kube, _ := fakelab.Fakes(c)
	const apiserver = "/etc/kubernetes/manifests/kube-apiserver.yaml"
	hidden := "/etc/kubernetes/manifests/.kube-apiserver.yaml.ckalab-restart"
	// Stale until the API server's manifest is moved back.
	var asked atomic.Int32
	kube.PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		asked.Add(1)
		sar := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SubjectAccessReview).DeepCopy()
		restarted := callIndex(nodes, 0, moves(hidden, apiserver)) >= 0
		if want := "system:serviceaccount:default:default"; sar.Spec.User != want {
			t.Errorf("probe asks for %s, want %s", sar.Spec.User, want)
		}
		sar.Status.Allowed = restarted
		if !restarted {
			sar.Status.EvaluationError = `clusterrole.rbac.authorization.k8s.io "system:basic-user" not found`
		}
		return true, sar, nil
	})

	p, err := baseline.Compare(ctx, c, b, baseline.CompareOptions{Exec: nodes})
	if err != nil {
		t.Fatal(err)
	}
	if p.Empty() {
		t.Fatal("a lab whose API server does not enforce its RBAC reads as new")
	}
	// etcdLab's restore task set up a namespace and a course folder too;
	// the API server's restart comes last.
	got := p.Describe()
	if len(got) != 3 || !strings.HasPrefix(got[2], "kube-apiserver restarted on cp: the API server does not enforce its own RBAC objects") ||
		!strings.Contains(got[2], `"system:basic-user" not found`) {
		t.Errorf("plan: %q", got)
	}
	err = p.Apply(ctx, c, baseline.ApplyOptions{Exec: nodes, Interval: time.Millisecond, Timeout: 5 * time.Second, ControlPlaneTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	aside, back := callIndex(nodes, 0, moves(apiserver, hidden)), callIndex(nodes, 0, moves(hidden, apiserver))
	if aside < 0 || back < aside {
		t.Errorf("the API server's manifest: moved aside at call %d, back at %d", aside, back)
	}
	if slices.ContainsFunc(nodes.Calls(), func(c fakelab.Call) bool {
		return slices.Contains(c.Argv, "/etc/kubernetes/manifests/kube-scheduler.yaml")
	}) {
		t.Error("reset restarted the scheduler too: only the API server's caches were stale")
	}
	p, err = baseline.Compare(ctx, c, b, baseline.CompareOptions{Exec: nodes})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Empty() {
		t.Errorf("after reset: %q", p.Describe())
	}
}

// TestResetStaleAPIServerWithoutNodes: a lab without node access cannot
// restart its API server; reset says so and what to do.
func TestResetStaleAPIServerWithoutNodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := fakelab.New(t)
	b, err := baseline.Record(ctx, c, baseline.RecordOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kube, _ := fakelab.Fakes(c)
	fakelab.DenyAll(&kube.Fake, `clusterrole.rbac.authorization.k8s.io "system:basic-user" not found`)
	p, err := baseline.Compare(ctx, c, b, baseline.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Apply(ctx, c, baseline.ApplyOptions{Interval: time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "restart the API server to fix it") || !strings.Contains(err.Error(), "system:basic-user") {
		t.Errorf("Apply: %v", err)
	}
}
