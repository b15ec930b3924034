package steps_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/scenarios/steps"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestTaintUnit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	own := corev1.Taint{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule}
	env := steps.Env{Cluster: fakelab.New(t, unitNode("w1", own))}
	taints := func() []string {
		t.Helper()
		n, err := env.Cluster.Kube.CoreV1().Nodes().Get(ctx, "w1", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, taint := range n.Spec.Taints {
			out = append(out, taint.ToString())
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		name, src string
		changed   []string
		taints    []string // besides the node's own
	}{
		{"add", "taint: {node: w1, key: a, value: one, effect: NoSchedule}",
			[]string{"tainted node w1 a=one:NoSchedule"}, []string{"a=one:NoSchedule"}},
		{"add another effect of the key", "taint: {node: w1, key: a, effect: PreferNoSchedule}",
			[]string{"tainted node w1 a:PreferNoSchedule"}, []string{"a:PreferNoSchedule", "a=one:NoSchedule"}},
		{"the same again: no duplicate", "taint: {node: w1, key: a, value: one, effect: NoSchedule}",
			[]string{"tainted node w1 a=one:NoSchedule"}, []string{"a:PreferNoSchedule", "a=one:NoSchedule"}},
		{"a new value replaces the old", "taint: {node: w1, key: a, value: two, effect: NoSchedule}",
			[]string{"tainted node w1 a=two:NoSchedule"}, []string{"a:PreferNoSchedule", "a=two:NoSchedule"}},
		{"remove one effect", "taint: {node: w1, key: a, effect: PreferNoSchedule, remove: true}",
			[]string{"removed taint a from node w1"}, []string{"a=two:NoSchedule"}},
		{"remove a taint that is not there: nothing", "taint: {node: w1, key: never, remove: true}",
			nil, []string{"a=two:NoSchedule"}},
		{"remove every effect of the key", "taint: {node: w1, key: a, remove: true}",
			[]string{"removed taint a from node w1"}, nil},
	} {
		changed := run(t, env, step(t, tc.src))
		want := append([]string{own.ToString()}, tc.taints...)
		slices.Sort(want)
		if !equal(changed, tc.changed) || !equal(taints(), want) {
			t.Errorf("%s: changed %q, taints %q; want %q and %q", tc.name, changed, taints(), tc.changed, want)
		}
	}

	_, err := step(t, "taint: {node: no-such-node, key: k, effect: NoSchedule}").Run(ctx, env)
	if err == nil || !strings.Contains(err.Error(), "taint node no-such-node") || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing node: err %v", err)
	}
}
