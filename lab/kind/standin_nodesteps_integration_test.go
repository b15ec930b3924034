package kind_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/baseline"
	"github.com/ckalab/ckalab/lab/kind"
	"github.com/ckalab/ckalab/scenarios/steps"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// testNodeSteps runs the node steps through the provider's exec on the
// stand-in nodes cp and w1 (the commands of lab/nodeops.go, which the
// stand-in answers as a node would), then records, compares and restores
// them with the baseline. The API side is a lab of fakes: the stand-in
// has no API server, and the node side is what this test is about.
func testNodeSteps(t *testing.T, p *kind.Provider, cp, w1 string) {
	ctx := t.Context()
	const sched, off = "/etc/kubernetes/manifests/kube-scheduler.yaml", "/etc/kubernetes/manifests-off/kube-scheduler.yaml"
	for _, n := range []string{cp, w1} {
		if err := lab.WriteNodeFile(ctx, p, n, "/var/lib/kubelet/config.yaml", []byte("kind: KubeletConfiguration\n"), "0644"); err != nil {
			t.Fatal(err)
		}
	}
	if err := lab.WriteNodeFile(ctx, p, cp, sched, []byte("kind: Pod\n"), "0600"); err != nil {
		t.Fatal(err)
	}
	c := fakelab.New(t, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: cp}}, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: w1}})
	c.Exec = p
	b, err := baseline.Record(ctx, c, baseline.RecordOptions{Exec: p})
	if err != nil {
		t.Fatal(err)
	}
	if nf := b.NodeFiles[cp]; nf.Files[sched] != "kind: Pod\n" || nf.Units["kubelet"] != "active" || nf.Enabled["containerd"] != "enabled" {
		t.Fatalf("baseline of %s: %+v", cp, nf)
	}

	// Steps made in code are checked as they run, as written ones are by
	// validate too.
	changed, err := steps.RunAll(ctx, steps.Env{Cluster: c}, []steps.Spec{
		{Action: &steps.NodeFile{Node: cp, Path: sched, MoveTo: off}},
		{Action: &steps.NodeFile{Node: cp, Path: "/opt/course/1/answer.txt", Content: "42", Mode: "0600"}},
		{Action: &steps.NodeFile{Node: w1, Path: "/var/lib/kubelet/config.yaml", Remove: true}},
		{Action: &steps.NodeService{Node: w1, Unit: "kubelet", Action: "stop"}},
		{Action: &steps.NodeService{Node: cp, Unit: "containerd", Action: "disable"}},
		{Action: &steps.NodeCommand{Node: cp, Command: []string{"crictl", "ps", "--name", "etcd", "-q"}, SaveOutput: "/opt/course/2/container-id"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("changed: %s", strings.Join(changed, "; "))
	if got := nodeFile(t, p, cp, off); got != "kind: Pod\n" {
		t.Errorf("moved manifest: %q", got)
	}
	if got := nodeFile(t, p, cp, "/opt/course/2/container-id"); got != "4f6e2a1b9c3d\n" {
		t.Errorf("saved output: %q", got)
	}
	if _, found, err := lab.ReadNodeFile(ctx, p, w1, "/var/lib/kubelet/config.yaml"); found || err != nil {
		t.Errorf("removed file: found %v, %v", found, err)
	}
	if st, err := lab.NodeUnitState(ctx, p, w1, "kubelet"); err != nil || st.Active != "inactive" {
		t.Errorf("stopped kubelet: %+v, %v", st, err)
	}
	failing := steps.Spec{Action: &steps.NodeCommand{Node: cp, Command: []string{"crictl", "inspect", "nope"}}}
	_, err = failing.Run(ctx, steps.Env{Cluster: c})
	if err == nil || !strings.Contains(err.Error(), `exit 1: getting the status of the container "nope": not found`) {
		t.Errorf("failing node command: %v, want its exit code and stderr", err)
	}

	compare := func() *baseline.Plan {
		t.Helper()
		plan, err := baseline.Compare(ctx, c, b, baseline.CompareOptions{Exec: p})
		if err != nil {
			t.Fatal(err)
		}
		return plan
	}
	plan := compare()
	want := []string{
		sched + " restored on " + cp,
		"/etc/kubernetes/manifests-off/ removed from " + cp,
		"/opt/course/ removed from " + cp,
		"containerd enabled again on " + cp,
		"/var/lib/kubelet/config.yaml restored on " + w1,
		"kubelet started again on " + w1,
	}
	if got := plan.Describe(); !slices.Equal(got, want) {
		t.Errorf("reset plans\n %s\nwant\n %s", strings.Join(got, "\n "), strings.Join(want, "\n "))
	}
	if err := plan.Apply(context.WithoutCancel(ctx), c, baseline.ApplyOptions{Exec: p}); err != nil {
		t.Fatal(err)
	}
	if left := compare(); !left.Empty() {
		t.Errorf("after reset: %q", left.Describe())
	}
	if _, found, err := lab.ReadNodeFile(ctx, p, cp, "/opt/course/2/container-id"); found || err != nil {
		t.Errorf("saved answer after reset: found %v, %v", found, err)
	}
}
