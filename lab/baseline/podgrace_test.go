package baseline

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestGraceFor: a kubelet that reports confirms a pod's end, so the pod
// gets a short grace period; on a silent node or on no node, none.
func TestGraceFor(t *testing.T) {
	ready := map[string]bool{"w1": true}
	for _, tc := range []struct {
		node string
		want int64
	}{{"w1", resetGracePeriod}, {"w2", 0}, {"", 0}} {
		pod := &corev1.Pod{Spec: corev1.PodSpec{NodeName: tc.node}}
		if got := *graceFor(pod, ready); got != tc.want {
			t.Errorf("pod on %q: grace %d, want %d", tc.node, got, tc.want)
		}
	}
}
