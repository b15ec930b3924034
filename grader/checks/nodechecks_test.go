package checks_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/simtest"
)

// The node check kinds on the sim lab, against a real API server. The sim
// gives no node access and runs its control plane as processes, not static
// pods, so what can be proven here is what the API alone decides: a
// mirror pod's judgement, the Node's Ready condition, /readyz through the
// real discovery REST client, and that the kinds needing nodes say so
// rather than fail like a wrong answer. Running on a kind node (files,
// commands, the kubelet's unit and static pod path, real mirror pods and
// pod logs; kwok pods have no logs) is covered by the kind end-to-end run
// (`make e2e`: every scenario's `scenario test` on a kind lab).
func TestNodeChecksOnSim(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	env := envFor(t, c)

	t.Run("the kinds that need node access say which lab they need", func(t *testing.T) {
		for _, chk := range []struct{ kind, src string }{
			{"nodeFile", fmt.Sprintf(`{node: %s, path: /var/lib/kubelet/config.yaml}`, worker)},
			{"nodeCommand", fmt.Sprintf(`{node: %s, command: [systemctl, is-active, kubelet]}`, worker)},
		} {
			obs := mustFailNow(t, build(t, chk.kind, chk.src), env)
			wantProblem(t, obs, "this check needs a lab with node access (kind); the sim lab has none")
		}
	})

	t.Run("componentHealth kubelet: the Node's Ready condition, units not asked", func(t *testing.T) {
		obs := mustPass(t, build(t, "componentHealth", fmt.Sprintf(`{component: kubelet, node: %s}`, worker)), env, 10*time.Second)
		if want := worker + ": Ready; the kubelet units were not asked: this lab gives no access to its nodes"; obs.Actual != want {
			t.Errorf("actual %q, want %q", obs.Actual, want)
		}
	})

	t.Run("componentHealth kube-apiserver: /readyz answers, but the sim has no mirror pod", func(t *testing.T) {
		obs := mustFailNow(t, build(t, "componentHealth", `{component: kube-apiserver}`), env)
		wantProblem(t, obs, "no kube-apiserver mirror pod (kube-system, component=kube-apiserver) on node "+controlPlane,
			"this lab may not run its control plane as static pods at all")
		if len(obs.Problems) != 1 {
			t.Errorf("problems %q: /readyz should be ok", obs.Problems)
		}
		unitWantContains(t, "actual", obs.Actual, "/readyz ok")
	})

	t.Run("staticPod: a mirror pod as a kubelet would post it", func(t *testing.T) {
		ns := newNS(t, c)
		// The API server accepts the mirror annotations from an admin;
		// kwok then runs the pod on its node like any other.
		create(t, c, ns, fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata:
  name: web-%[1]s
  annotations: {kubernetes.io/config.mirror: 0a1b2c, kubernetes.io/config.source: file, kubernetes.io/config.hash: 0a1b2c}
spec:
  nodeName: %[1]s
  containers: [{name: web, image: nginx:1}]
---
apiVersion: v1
kind: Pod
metadata: {name: api-%[1]s}
spec:
  nodeName: %[1]s
  containers: [{name: web, image: nginx:1}]
`, worker))
		obs := mustPass(t, build(t, "staticPod", fmt.Sprintf(`{node: %s, name: web, namespace: %s}`, worker, ns)), env, 30*time.Second)
		if want := fmt.Sprintf("pod %s/web-%s on %s: Running and Ready", ns, worker, worker); obs.Actual != want {
			t.Errorf("actual %q, want %q", obs.Actual, want)
		}
		obs = mustFailNow(t, build(t, "staticPod", fmt.Sprintf(`{node: %s, name: api, namespace: %s}`, worker, ns)), env)
		wantProblem(t, obs, "pod api-"+worker+" is not a mirror pod")
		obs = mustFailNow(t, build(t, "staticPod", fmt.Sprintf(`{node: %s, name: web, namespace: %s, manifestIn: staticPodPath}`, worker, ns)), env)
		wantProblem(t, obs, "manifestIn: this check needs a lab with node access (kind)")
	})
}
