package baseline_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/baseline"
	"github.com/ckalab/ckalab/scenarios/steps"
	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestResetUndoesNodeSteps runs every change a node step can make on a
// lab of fakes whose nodes are fakelab.Nodes, and shows that the baseline
// sees it and that applying the plan brings the nodes back to what they
// were: files, folders and units.
func TestResetUndoesNodeSteps(t *testing.T) {
	ctx := context.Background()
	const sched = "/etc/kubernetes/manifests/kube-scheduler.yaml"
	nodes := fakelab.NewNodes("cp", "w1")
	for _, n := range []string{"cp", "w1"} {
		nodes.SetFile(n, "/var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\n")
		nodes.SetFile(n, "/etc/containerd/config.toml", "version = 3\n")
		nodes.SetFile(n, "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", "[Service]\n")
		nodes.SetDir(n, "/opt/cni/bin")
	}
	// kubeadm's static pod manifests are 0600: reset must bring them back
	// so, also when they were moved away and come back as new files.
	nodes.SetFile("cp", sched, "kind: Pod\n")
	nodes.SetFileMode("cp", sched, 0o600)
	nodes.SetFile("cp", "/etc/kubernetes/manifests/etcd.yaml", "kind: Pod\n")
	nodes.SetFileMode("cp", "/etc/kubernetes/manifests/etcd.yaml", 0o600)
	nodes.SetDir("w1", "/etc/kubernetes/manifests")
	nodes.Run = func(node string, argv []string, _ []byte) (string, string, int, bool) {
		switch argv[0] {
		case "crictl":
			return "4f6e2a1b9c3d\n", "", 0, true
		case "etcdctl": // a snapshot larger than a listing reads
			nodes.SetFile(node, argv[3], strings.Repeat("x", lab.MaxNodeFileSize+1))
			return "", "", 0, true
		}
		return "", "", 0, false
	}
	c := fakelab.New(t, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "cp"}}, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w1"}})
	c.Exec = nodes
	b, err := baseline.Record(ctx, c, baseline.RecordOptions{Exec: nodes})
	if err != nil {
		t.Fatal(err)
	}
	fresh := nodeState(nodes)

	for _, tc := range []struct {
		step string
		want []string // the plan, in the baseline's words
	}{
		{"nodeFile: {node: cp, path: " + sched + ", moveTo: /etc/kubernetes/manifests-off/kube-scheduler.yaml}",
			[]string{sched + " restored on cp", "/etc/kubernetes/manifests-off/ removed from cp"}},
		{"nodeFile: {node: cp, path: " + sched + ", replace: {old: Pod, new: Pdo}}",
			[]string{sched + " restored on cp"}},
		// a mode changed alone
		{`nodeFile: {node: cp, path: /etc/kubernetes/manifests/etcd.yaml, content: "kind: Pod\n", mode: '0644'}`,
			[]string{"/etc/kubernetes/manifests/etcd.yaml restored on cp"}},
		{"nodeFile: {node: w1, path: /var/lib/kubelet/config.yaml, content: broken}",
			[]string{"/var/lib/kubelet/config.yaml restored on w1"}},
		{"nodeFile: {node: w1, path: /etc/kubernetes/manifests/web.yaml, content: 'kind: Pod', mode: '0600'}",
			[]string{"/etc/kubernetes/manifests/web.yaml removed from w1"}},
		{"nodeFile: {node: cp, path: /etc/systemd/system/kubelet.service.d/20-broken.conf, content: '[Service]'}",
			[]string{"/etc/systemd/system/kubelet.service.d/20-broken.conf removed from cp"}},
		{"nodeFile: {node: cp, path: /etc/containerd/config.toml, remove: true}",
			[]string{"/etc/containerd/config.toml restored on cp"}},
		{"nodeFile: {node: cp, path: /opt/course/1/deep/answer.txt, content: '42'}",
			[]string{"/opt/course/ removed from cp"}},
		{"nodeService: {node: w1, unit: kubelet, action: stop}",
			[]string{"kubelet started again on w1"}},
		{"nodeService: {node: cp, unit: containerd, action: disable}",
			[]string{"containerd enabled again on cp"}},
		{"nodeCommand: {node: cp, command: [crictl, ps, -q], saveOutput: /opt/course/2/container-id}",
			[]string{"/opt/course/ removed from cp"}},
		{"nodeCommand: {node: cp, command: [etcdctl, snapshot, save, /etc/kubernetes/manifests-off/etcd.db]}",
			[]string{"/etc/kubernetes/manifests-off/ removed from cp"}},
	} {
		if _, err := nodeStep(t, tc.step).Run(ctx, steps.Env{Cluster: c}); err != nil {
			t.Fatalf("%s: %v", tc.step, err)
		}
		if nodeState(nodes) == fresh {
			t.Fatalf("%s changed nothing", tc.step)
		}
		p, err := baseline.Compare(ctx, c, b, baseline.CompareOptions{Exec: nodes})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Describe(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: reset plans %q, want %q", tc.step, got, tc.want)
		}
		if err := p.Apply(ctx, c, baseline.ApplyOptions{Exec: nodes}); err != nil {
			t.Fatalf("%s: reset: %v", tc.step, err)
		}
		if got := nodeState(nodes); got != fresh {
			t.Errorf("%s: after reset the nodes are\n%s\nwant\n%s", tc.step, got, fresh)
		}
	}
	// What reset ran besides writing and removing: the services that read
	// a restored file restarted, systemd reloaded for a drop-in.
	var ran []string
	for _, call := range nodes.Calls() {
		if call.Argv[0] == "systemctl" && call.Argv[1] != "is-active" && call.Argv[1] != "is-enabled" {
			ran = append(ran, call.Node+": "+strings.Join(call.Argv, " "))
		}
	}
	for _, want := range []string{"w1: systemctl restart kubelet", "cp: systemctl daemon-reload", "cp: systemctl restart containerd", "cp: systemctl enable containerd"} {
		if !slices.Contains(ran, want) {
			t.Errorf("reset did not run %q (systemctl ran: %q)", want, ran)
		}
	}
}

// nodeStep decodes one step as a scenario file holds it.
func nodeStep(t *testing.T, src string) steps.Spec {
	t.Helper()
	var s steps.Spec
	if err := yaml.Unmarshal([]byte(src), &s); err != nil {
		t.Fatal(err)
	}
	if ps, _ := s.Validate("step", nil, nil); len(ps) > 0 {
		t.Fatalf("%s: %v", src, ps)
	}
	return s
}

// nodeState is every file (with its mode), folder and unit of the fake
// nodes, as text.
func nodeState(nodes *fakelab.Nodes) string {
	var b strings.Builder
	for _, n := range []string{"cp", "w1"} {
		for _, p := range nodes.Files(n) {
			c, _ := nodes.File(n, p)
			m, _ := nodes.FileMode(n, p)
			fmt.Fprintf(&b, "%s %s %v %q\n", n, p, m, c)
		}
		fmt.Fprintf(&b, "%s folders %q\n", n, nodes.Folders(n))
		for _, u := range baseline.NodeUnits() {
			fmt.Fprintf(&b, "%s %s %+v\n", n, u, nodes.Unit(n, u))
		}
	}
	return b.String()
}
