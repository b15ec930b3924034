package checks_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/internal/fakelab"
)

// mirrorPod is a pod as the kubelet of node mirrors a static pod (source
// "file", unless source says otherwise; "" leaves out both annotations: a
// pod made through the API), with its state.
func mirrorPod(namespace, name, node, source, phase string, ready bool, labels string) string {
	annotations := ""
	if source != "" {
		annotations = fmt.Sprintf("annotations: {kubernetes.io/config.mirror: 1f2e3d, kubernetes.io/config.source: %s, kubernetes.io/config.hash: 1f2e3d},", source)
	}
	status, waiting := "True", ""
	if !ready {
		status = "False"
		waiting = ", state: {waiting: {reason: CrashLoopBackOff}}"
	}
	return fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata: {name: %s-%s, namespace: %s, %s labels: {%s}}
spec: {nodeName: %s, containers: [{name: %s, image: "busybox:1.36"}]}
status:
  phase: %s
  conditions: [{type: Ready, status: %q}]
  containerStatuses: [{name: %s, ready: %v, restartCount: 4, image: "busybox:1.36", imageID: ""%s}]
`, name, node, namespace, annotations, labels, node, name, phase, status, name, ready, waiting)
}

// answerFind makes fake nodes answer the static pod path listing (find -L
// DIR -maxdepth 1 -type f) from their files.
func answerFind(nodes *fakelab.Nodes) {
	nodes.Run = func(node string, argv []string, _ []byte) (string, string, int, bool) {
		if len(argv) != 7 || argv[0] != "find" || argv[1] != "-L" || strings.Join(argv[3:], " ") != "-maxdepth 1 -type f" {
			return "", "", 0, false
		}
		dir := argv[2]
		if _, ok := nodes.File(node, dir); ok {
			return dir + "\n", "", 0, true
		}
		files := nodes.Dir(node, dir)
		if len(files) == 0 {
			return "", "find: '" + dir + "': No such file or directory\n", 1, true
		}
		return strings.Join(files, "\n") + "\n", "", 0, true
	}
}

func staticPodManifest(namespace, name string) string {
	ns := ""
	if namespace != "" {
		ns = "\n  namespace: " + namespace
	}
	return fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s%s\nspec:\n  containers: [{name: %s, image: busybox:1.36}]\n", name, ns, name)
}

func TestStaticPodUnit(t *testing.T) {
	t.Parallel()
	objects := strings.Join([]string{
		mirrorPod("default", "web-static", "w1", "file", "Running", true, "app: web"),
		mirrorPod("default", "fake", "w1", "", "Running", true, "app: fake"),
		mirrorPod("default", "crashy", "w1", "file", "Running", false, "app: crashy"),
		mirrorPod("kube-system", "probe", "w1", "http", "Running", true, "app: probe"),
	}, "\n---\n")
	newLab := func(t *testing.T) (*unitLab, *fakelab.Nodes) {
		l := newUnitLab(t, objects)
		nodes := l.withNodes("cp", "w1")
		answerFind(nodes)
		nodes.SetFile("w1", "/var/lib/kubelet/config.yaml", kubeletConfig)
		nodes.SetFile("w1", "/etc/kubernetes/manifests/web.yaml", staticPodManifest("", "web-static"))
		nodes.SetFile("w1", "/etc/kubernetes/manifests/.web-old.yaml", staticPodManifest("", "old"))
		nodes.SetFile("w1", "/etc/kubernetes/manifests/crashy.yaml", staticPodManifest("default", "crashy"))
		return l, nodes
	}

	t.Run("pass: the mirror pod is Running and Ready (restarts do not matter)", func(t *testing.T) {
		l, _ := newLab(t)
		obs := unitPass(t, build(t, "staticPod", `{node: w1, name: web-static}`), l.Env)
		if obs.Actual != "pod default/web-static-w1 on w1: Running and Ready" {
			t.Errorf("actual %q", obs.Actual)
		}
		unitWantContains(t, "expected", obs.Expected, "static pod web-static on node w1: mirror pod default/web-static-w1 Running and Ready")
	})

	t.Run("pass: manifestIn finds it in the kubelet's staticPodPath, whatever the file's name", func(t *testing.T) {
		l, _ := newLab(t)
		obs := unitPass(t, build(t, "staticPod", `{node: w1, name: web-static, manifestIn: staticPodPath}`), l.Env)
		unitWantContains(t, "actual", obs.Actual, "; manifest /etc/kubernetes/manifests/web.yaml")
		unitWantContains(t, "expected", obs.Expected, "its manifest in the kubelet's staticPodPath")
	})

	t.Run("fail: the kubelet's staticPodPath is elsewhere", func(t *testing.T) {
		l, nodes := newLab(t)
		nodes.SetFile("w1", "/var/lib/kubelet/config.yaml", strings.Replace(kubeletConfig, "/etc/kubernetes/manifests", "/etc/kubelet.d", 1))
		nodes.SetFile("w1", "/etc/kubelet.d/other.yaml", staticPodManifest("", "other"))
		obs := unitFail(t, build(t, "staticPod", `{node: w1, name: web-static, manifestIn: staticPodPath}`), l.Env,
			"no manifest of pod default/web-static in /etc/kubelet.d, the kubelet's staticPodPath on w1")
		if len(obs.Problems) != 1 {
			t.Errorf("problems %q: the mirror pod itself is fine", obs.Problems)
		}
	})

	t.Run("fail: a manifest in another namespace, or hidden, is not the pod's", func(t *testing.T) {
		l, _ := newLab(t)
		unitFail(t, build(t, "staticPod", `{node: w1, name: crashy, namespace: kube-system, manifestIn: staticPodPath}`), l.Env,
			"no manifest of pod kube-system/crashy in /etc/kubernetes/manifests")
		unitFail(t, build(t, "staticPod", `{node: w1, name: old, manifestIn: staticPodPath}`), l.Env, "no manifest of pod default/old")
	})

	t.Run("fail: the kubelet config sets no staticPodPath, or is missing", func(t *testing.T) {
		l, nodes := newLab(t)
		nodes.SetFile("w1", "/var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\n")
		chk := build(t, "staticPod", `{node: w1, name: web-static, manifestIn: staticPodPath}`)
		unitFail(t, chk, l.Env, "sets no staticPodPath")
		l.Cluster.Exec = fakelab.NewNodes("w1")
		unitFail(t, chk, l.Env, "the kubelet's config /var/lib/kubelet/config.yaml is not on node w1")
	})

	t.Run("fail: no mirror pod", func(t *testing.T) {
		l, _ := newLab(t)
		obs := unitFail(t, build(t, "staticPod", `{node: cp, name: web-static}`), l.Env,
			"no mirror pod default/web-static-cp: the kubelet on cp runs no static pod web-static in namespace default")
		if obs.Actual != "no mirror pod default/web-static-cp" {
			t.Errorf("actual %q", obs.Actual)
		}
	})

	t.Run("fail: a pod made through the API under the mirror's name", func(t *testing.T) {
		l, _ := newLab(t)
		unitFail(t, build(t, "staticPod", `{node: w1, name: fake}`), l.Env, "pod fake-w1 is not a mirror pod (no kubernetes.io/config.mirror annotation)")
	})

	t.Run("fail: from another source than a file", func(t *testing.T) {
		l, _ := newLab(t)
		unitFail(t, build(t, "staticPod", `{node: w1, name: probe, namespace: kube-system}`), l.Env, `pod probe-w1 comes from source "http", want "file"`)
	})

	t.Run("fail: crash-looping", func(t *testing.T) {
		l, _ := newLab(t)
		obs := unitFail(t, build(t, "staticPod", `{node: w1, name: crashy, manifestIn: staticPodPath}`), l.Env,
			"pod crashy-w1 is not Ready (Running; crashy: CrashLoopBackOff), want Running and Ready")
		unitWantContains(t, "actual", obs.Actual, "manifest /etc/kubernetes/manifests/crashy.yaml")
	})

	t.Run("no node access: the mirror pod is judged, manifestIn says what it needs", func(t *testing.T) {
		l := newUnitLab(t, objects)
		unitPass(t, build(t, "staticPod", `{node: w1, name: web-static}`), l.Env)
		unitFail(t, build(t, "staticPod", `{node: w1, name: web-static, manifestIn: staticPodPath}`), l.Env,
			"manifestIn: this check needs a lab with node access (kind)")
	})
}

func TestStaticPodValidation(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ src, want string }{
		{`{name: web}`, "staticPod.node: required"},
		{`{node: w1}`, "staticPod.name: required"},
		{`{node: w1, name: web, manifestIn: /etc/kubernetes/manifests}`, `staticPod.manifestIn: got "/etc/kubernetes/manifests", want staticPodPath`},
	} {
		unitWantInvalid(t, "staticPod", c.src, c.want)
	}
}
