package checks_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/grader/checks"
	"github.com/ckalab/ckalab/lab"
)

func componentNode(name string, controlPlane, ready bool) string {
	labels, status, reason := "", "True", "KubeletReady"
	if controlPlane {
		labels = "labels: {node-role.kubernetes.io/control-plane: ''}"
	}
	if !ready {
		status, reason = "Unknown", "NodeStatusUnknown"
	}
	return fmt.Sprintf(`
apiVersion: v1
kind: Node
metadata: {name: %s, %s}
status: {conditions: [{type: Ready, status: %q, reason: %s, message: "Kubelet stopped posting node status."}]}
`, name, labels, status, reason)
}

func componentHealthObjects() string {
	return strings.Join([]string{
		componentNode("cp", true, true),
		componentNode("w1", false, true),
		componentNode("w2", false, false),
		mirrorPod("kube-system", "kube-apiserver", "cp", "file", "Running", true, "component: kube-apiserver, tier: control-plane"),
		mirrorPod("kube-system", "kube-scheduler", "cp", "file", "Running", true, "component: kube-scheduler, tier: control-plane"),
		mirrorPod("kube-system", "kube-controller-manager", "cp", "file", "Running", false, "component: kube-controller-manager, tier: control-plane"),
		// An impostor: a pod with etcd's label, made through the API.
		mirrorPod("kube-system", "etcd", "w1", "", "Running", true, "component: etcd"),
	}, "\n---\n")
}

func TestComponentHealthUnit(t *testing.T) {
	t.Parallel()
	readyzOK := func(context.Context, *grader.Env) error { return nil }

	t.Run("kubelet: pass on a Ready node whose unit is active", func(t *testing.T) {
		l := newUnitLab(t, componentHealthObjects())
		l.withNodes("cp", "w1", "w2")
		obs := unitPass(t, build(t, "componentHealth", `{component: kubelet, node: w1}`), l.Env)
		if obs.Actual != "w1: Ready, kubelet active" {
			t.Errorf("actual %q", obs.Actual)
		}
		unitWantContains(t, "expected", obs.Expected, "the kubelet on node w1: Node Ready, and its unit active")
	})

	t.Run("kubelet: fail when its unit is stopped, though the Node is still Ready", func(t *testing.T) {
		l := newUnitLab(t, componentHealthObjects())
		nodes := l.withNodes("cp", "w1", "w2")
		nodes.SetUnit("w1", "kubelet", lab.UnitState{Active: "inactive", Enabled: "enabled"})
		obs := unitFail(t, build(t, "componentHealth", `{component: kubelet, node: w1}`), l.Env, "the kubelet on w1 is inactive, want active")
		if obs.Actual != "w1: Ready, kubelet inactive" {
			t.Errorf("actual %q", obs.Actual)
		}
	})

	t.Run("kubelet: fail on a node that is not Ready; every node by default", func(t *testing.T) {
		l := newUnitLab(t, componentHealthObjects())
		l.withNodes("cp", "w1", "w2")
		obs := unitFail(t, build(t, "componentHealth", `{component: kubelet}`), l.Env, "node w2 is not Ready (Ready=Unknown NodeStatusUnknown Kubelet stopped posting node status.)")
		if len(obs.Problems) != 1 {
			t.Errorf("problems %q, want w2's only", obs.Problems)
		}
		unitWantContains(t, "actual", obs.Actual, "cp: Ready, kubelet active", "w2: not Ready, kubelet active")
	})

	t.Run("kubelet: without node access the Node's condition decides, and the report says so", func(t *testing.T) {
		l := newUnitLab(t, componentHealthObjects())
		obs := unitPass(t, build(t, "componentHealth", `{component: kubelet, node: cp}`), l.Env)
		unitWantContains(t, "actual", obs.Actual, "cp: Ready", "the kubelet units were not asked: this lab gives no access to its nodes")
		unitFail(t, build(t, "componentHealth", `{component: kubelet, node: w2}`), l.Env, "node w2 is not Ready")
		unitFail(t, build(t, "componentHealth", `{component: kubelet, node: w9}`), l.Env, "get node w9", "not found")
	})

	t.Run("control plane: the mirror pod on the control-plane node is Running and Ready", func(t *testing.T) {
		l := newUnitLab(t, componentHealthObjects())
		obs := unitPass(t, build(t, "componentHealth", `{component: kube-scheduler}`), l.Env)
		if obs.Actual != "kube-scheduler on cp: pod kube-scheduler-cp Running and Ready" {
			t.Errorf("actual %q", obs.Actual)
		}
		unitWantContains(t, "expected", obs.Expected, "kube-scheduler on every control-plane node: its mirror pod in kube-system Running and Ready")
		unitPass(t, build(t, "componentHealth", `{component: kube-scheduler, node: cp}`), l.Env)
	})

	t.Run("control plane: fail when crash-looping", func(t *testing.T) {
		l := newUnitLab(t, componentHealthObjects())
		obs := unitFail(t, build(t, "componentHealth", `{component: kube-controller-manager}`), l.Env,
			"pod kube-controller-manager-cp is not Ready (Running; kube-controller-manager: CrashLoopBackOff)")
		unitWantContains(t, "actual", obs.Actual, "kube-controller-manager on cp: pod kube-controller-manager-cp not Ready")
	})

	t.Run("control plane: fail when the mirror pod is gone; an API-made pod elsewhere does not count", func(t *testing.T) {
		l := newUnitLab(t, componentHealthObjects())
		l.withNodes("cp", "w1", "w2")
		obs := unitFail(t, build(t, "componentHealth", `{component: etcd}`), l.Env,
			"no etcd mirror pod (kube-system, component=etcd) on node cp: its static pod manifest is missing or invalid, or the kubelet is down")
		if obs.Actual != "etcd on cp: no mirror pod" {
			t.Errorf("actual %q", obs.Actual)
		}
		unitFail(t, build(t, "componentHealth", `{component: etcd, node: w1}`), l.Env, "pod etcd-w1 is not a mirror pod")
	})

	t.Run("control plane: on a lab without node access, the report says why there may be none", func(t *testing.T) {
		l := newUnitLab(t, componentHealthObjects())
		l.Cluster.Info.Provider = "sim"
		unitFail(t, build(t, "componentHealth", `{component: etcd}`), l.Env,
			"no etcd mirror pod", "this lab may not run its control plane as static pods at all: this check needs a lab with node access (kind); the sim lab has none")
	})

	t.Run("control plane: fail without a control-plane node", func(t *testing.T) {
		l := newUnitLab(t, componentNode("w1", false, true))
		unitFail(t, build(t, "componentHealth", `{component: kube-scheduler}`), l.Env, "no node is labelled node-role.kubernetes.io/control-plane")
	})

	t.Run("kube-apiserver: the mirror pod and /readyz", func(t *testing.T) {
		l := newUnitLab(t, componentHealthObjects())
		chk := build(t, "componentHealth", `{component: kube-apiserver}`)
		checks.SetComponentReadyz(chk, readyzOK)
		obs := unitPass(t, chk, l.Env)
		if obs.Actual != "kube-apiserver on cp: pod kube-apiserver-cp Running and Ready; /readyz ok" {
			t.Errorf("actual %q", obs.Actual)
		}
		unitWantContains(t, "expected", obs.Expected, "and /readyz ok")

		checks.SetComponentReadyz(chk, func(context.Context, *grader.Env) error {
			return errors.New("/readyz: the server is currently unable to handle the request (failing: etcd failed: reason withheld)")
		})
		obs = unitFail(t, chk, l.Env, "/readyz", "failing: etcd failed")
		unitWantContains(t, "actual", obs.Actual, "/readyz failed")
	})

	t.Run("kube-apiserver: the fake clientset has no REST client for /readyz: a failure, not a panic", func(t *testing.T) {
		l := newUnitLab(t, componentHealthObjects())
		unitFail(t, build(t, "componentHealth", `{component: kube-apiserver}`), l.Env, "/readyz: this cluster client has no REST client")
	})
}

func TestComponentHealthValidation(t *testing.T) {
	t.Parallel()
	unitWantInvalid(t, "componentHealth", `{component: kube-proxy}`,
		`componentHealth.component: got "kube-proxy", want one of kubelet, kube-apiserver, kube-scheduler, kube-controller-manager, etcd`)
	unitWantInvalid(t, "componentHealth", `{node: cp}`, `componentHealth.component: got ""`)
}
