package steps_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ckalab/ckalab/grader/checks"
	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/steps"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Pod specs a scenario writes may not reach the host (podsafety.go):
// each refused field, in each place a scenario writes a pod spec.

// podSpecs are pod specs (JSON, which is also YAML) with one refused
// field each, and the path under the pod spec and the fragment of the
// reason each problem names.
var podSpecs = []struct{ name, spec, want string }{
	{"privileged", `{"containers": [{"name": "c", "image": "busybox:1.36", "securityContext": {"privileged": true}}]}`,
		"containers[0].securityContext.privileged: a privileged container can reach the host through a kind node; scenarios may not create one"},
	{"privileged init container", `{"containers": [{"name": "c", "image": "busybox:1.36"}], "initContainers": [{"name": "i", "image": "busybox:1.36", "securityContext": {"privileged": true}}]}`,
		"initContainers[0].securityContext.privileged: a privileged container"},
	{"privileged ephemeral container", `{"containers": [{"name": "c", "image": "busybox:1.36"}], "ephemeralContainers": [{"name": "e", "image": "busybox:1.36", "securityContext": {"privileged": true}}]}`,
		"ephemeralContainers[0].securityContext.privileged: a privileged container"},
	{"SYS_ADMIN", `{"containers": [{"name": "c", "image": "busybox:1.36", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]}`,
		"containers[0].securityContext.capabilities.add[0]: SYS_ADMIN is not one the runtime grants every container anyway"},
	{"ALL capabilities", `{"containers": [{"name": "c", "image": "busybox:1.36", "securityContext": {"capabilities": {"add": ["ALL"]}}}]}`,
		"containers[0].securityContext.capabilities.add[0]: ALL is not one"},
	{"NET_ADMIN after an allowed one", `{"containers": [{"name": "c", "image": "busybox:1.36", "securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "CAP_NET_ADMIN"]}}}]}`,
		"containers[0].securityContext.capabilities.add[1]: CAP_NET_ADMIN is not one"},
	{"unmasked /proc", `{"containers": [{"name": "c", "image": "busybox:1.36", "securityContext": {"procMount": "Unmasked"}}]}`,
		"containers[0].securityContext.procMount: an unmasked /proc"},
	{"hostPID", `{"hostPID": true, "containers": [{"name": "c", "image": "busybox:1.36"}]}`, "hostPID: the node's process namespace"},
	{"hostIPC", `{"hostIPC": true, "containers": [{"name": "c", "image": "busybox:1.36"}]}`, "hostIPC: the node's IPC namespace"},
	{"hostNetwork", `{"hostNetwork": true, "containers": [{"name": "c", "image": "busybox:1.36"}]}`, "hostNetwork: the node's network namespace"},
	{"hostPath of /", `{"containers": [{"name": "c", "image": "busybox:1.36"}], "volumes": [{"name": "root", "hostPath": {"path": "/"}}]}`,
		`volumes[0].hostPath.path: "/" is outside the data folders a scenario may mount`},
}

// places are where a scenario writes a pod spec: a step with %s for the
// pod spec, and the path of the pod spec in what it writes.
var places = []struct{ name, step, at string }{
	{"Pod", `apply: {manifest: '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": %s}'}`,
		"step.apply.manifest: Pod p: spec."},
	{"Deployment's template", `apply: {manifest: '{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "shop"}, "spec": {"selector": {"matchLabels": {"app": "d"}}, "template": {"metadata": {"labels": {"app": "d"}}, "spec": %s}}}'}`,
		"step.apply.manifest: Deployment shop/d: spec.template.spec."},
	{"CronJob's jobTemplate", `apply: {manifest: '{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"}, "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": %s}}}}}'}`,
		"step.apply.manifest: CronJob cj: spec.jobTemplate.spec.template.spec."},
	{"static pod", `nodeFile: {node: cp, path: /etc/kubernetes/manifests/p.yaml, content: '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": %s}'}`,
		"step.nodeFile.content: Pod p: spec."},
	{"static pod put aside", `nodeFile: {node: cp, path: /etc/kubernetes/manifests-off/p.yaml, content: '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": %s}'}`,
		"step.nodeFile.content: Pod p: spec."},
	{"a Pod saved where a kubelet configuration could point staticPodPath", `nodeFile: {node: cp, path: /opt/course/p.yaml, content: '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": %s}'}`,
		"step.nodeFile.content: Pod p: spec."},
	{"strategic patch of a Deployment", `patch: {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: d, patch: {"spec": {"template": {"spec": %s}}}}`,
		"step.patch.patch: spec.template.spec."},
	{"merge patch of a Pod", `patch: {apiVersion: v1, kind: Pod, namespace: shop, name: p, type: merge, patch: {"spec": %s}}`,
		"step.patch.patch: spec."},
	{"patch of a CronJob", `patch: {apiVersion: batch/v1, kind: CronJob, namespace: shop, name: cj, patch: {"spec": {"jobTemplate": {"spec": {"template": {"spec": %s}}}}}}`,
		"step.patch.patch: spec.jobTemplate.spec.template.spec."},
	{"JSON patch replacing a pod spec", `patch: {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: d, type: json, patch: [{"op": "replace", "path": "/spec/template/spec", "value": %s}]}`,
		"step.patch.patch: [0] (replace /spec/template/spec) spec.template.spec."},
}

func TestPodSafetyRefusesEachFieldInEachPlace(t *testing.T) {
	t.Parallel()
	for _, pl := range places {
		for _, ps := range podSpecs {
			src := fmt.Sprintf(pl.step, ps.spec)
			got := problemsOf(t, src, nil)
			if want := pl.at + ps.want; len(got) != 1 || !strings.Contains(got[0], want) {
				t.Errorf("%s, %s: problems %q, want one containing %q", pl.name, ps.name, got, want)
			}
		}
	}
}

func TestPodSafetyEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	s, node := parse(t, `apply: {manifest: '{"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "ds"}, "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"hostPID": true, "hostNetwork": true, "containers": [{"name": "c", "image": "busybox:1.36", "securityContext": {"privileged": true, "capabilities": {"add": ["SYS_PTRACE", "SYS_MODULE"]}}}], "volumes": [{"name": "a", "hostPath": {"path": "/var/run/docker.sock"}}, {"name": "b", "hostPath": {"path": "/mnt/ok"}}, {"name": "c", "hostPath": {"path": "/etc/kubernetes"}}]}}}}'}`)
	ps, sound := s.Validate("setup[0]", node, nil)
	var got []string
	for _, p := range ps {
		if p.Line != 1 || p.Path != "setup[0].apply.manifest" {
			t.Errorf("problem %+v, want line 1 and setup[0].apply.manifest", p)
		}
		got = append(got, strings.SplitN(p.Msg, ":", 3)[1])
	}
	want := []string{" spec.template.spec.hostPID", " spec.template.spec.hostNetwork", " spec.template.spec.volumes[0].hostPath.path",
		" spec.template.spec.volumes[2].hostPath.path", " spec.template.spec.containers[0].securityContext.privileged",
		" spec.template.spec.containers[0].securityContext.capabilities.add[0]", " spec.template.spec.containers[0].securityContext.capabilities.add[1]"}
	if !equal(got, want) || sound {
		t.Errorf("fields %q, sound %v; want %q, not sound", got, sound, want)
	}
}

func TestPodSafetyHostPaths(t *testing.T) {
	t.Parallel()
	pod := `apply: {manifest: '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}], "volumes": [{"name": "v", "hostPath": {"path": "%s", "type": "DirectoryOrCreate"}}]}}'}`
	pv := `apply: {manifest: '{"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv"}, "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "%s": {"path": "%s"}}}'}`
	const outside, unclean, deep = "is outside the data folders", "must be an absolute path without ..", "is more than one folder deep"
	for p, want := range map[string]string{
		"/": outside, "/etc": outside, "/var": outside, "/proc": outside, "/sys": outside, "/dev": outside, "/run": outside,
		"/root": outside, "/usr": outside, "/lib": outside, "/var/lib/kubelet": outside, "/etc/kubernetes": outside,
		"/etc/kubernetes/pki": outside, "/var/run/docker.sock": outside, "/run/containerd/containerd.sock": outside,
		"/var/run/containerd/containerd.sock": outside, "/var/lib/containerd": outside, "/home": outside, "/opt": outside,
		"/opt/course": outside, "/mntx/data": outside,
		// The sim's controller manager, on the host, deletes released
		// hostPath volumes in /tmp.
		"/tmp/cache": outside, "/tmp/x/y": outside,
		// The allowed folders themselves: a container with one mounted
		// could plant a symbolic link for a later volume.
		"/mnt": outside, "/tmp": outside, "/opt/data": outside,
		"/mnt/../etc": unclean, "/tmp/../etc/x": unclean, "mnt/data": unclean, "/mnt/data/": unclean, "/mnt//data": unclean,
		"/mnt/./data": unclean, "": unclean, "/mnt/..": unclean,
		"/mnt/disks/ssd1": deep, "/opt/data/a/b": deep,
	} {
		for _, src := range []string{fmt.Sprintf(pod, p), fmt.Sprintf(pv, "hostPath", p), fmt.Sprintf(pv, "local", p)} {
			if got := problemsOf(t, src, nil); len(got) != 1 || !strings.Contains(got[0], want) || !strings.Contains(got[0], "hostPath.path: ") && !strings.Contains(got[0], "local.path: ") {
				t.Errorf("%s: problems %q, want one naming the path and %q", src, got, want)
			}
		}
	}
	for _, p := range []string{"/mnt/data", "/mnt/logs", "/srv/www", "/data/pv1", "/opt/data/pv1", "/var/lib/etcd-from-backup", "/var/lib/etcd-from-backup/restored"} {
		for _, src := range []string{fmt.Sprintf(pod, p), fmt.Sprintf(pv, "hostPath", p), fmt.Sprintf(pv, "local", p)} {
			if got := problemsOf(t, src, nil); len(got) > 0 {
				t.Errorf("%s: problems %q, want none", src, got)
			}
		}
	}
	if got := problemsOf(t, fmt.Sprintf(pv, "hostPath", "/etc"), nil); len(got) != 1 || !strings.HasPrefix(got[0], "step.apply.manifest: PersistentVolume pv: spec.hostPath.path: \"/etc\" is outside") {
		t.Errorf("PV: problems %q", got)
	}
}

// What scenarios need stays allowed.
func TestPodSafetyAllows(t *testing.T) {
	t.Parallel()
	files := fstest.MapFS{
		"static.yaml":  {Data: []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: c, image: nginx:1.27}]}\n")},
		"kubelet.yaml": {Data: []byte("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nstaticPodPath: /etc/kubernetes/manifests\n")},
		"config.toml":  {Data: []byte("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"registry.k8s.io/pause:3.10\"\n")},
		"dropin.conf":  {Data: []byte("[Service]\nEnvironment=\"KUBELET_EXTRA_ARGS=--v=2\"\n")},
	}
	for _, src := range []string{
		`apply: {manifest: '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"hostPID": false, "hostIPC": false, "hostNetwork": false, "containers": [{"name": "c", "image": "busybox:1.36", "securityContext": {"privileged": false, "allowPrivilegeEscalation": true, "runAsUser": 0, "procMount": "Default", "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "CAP_CHOWN", "kill", "SYS_CHROOT"]}}}], "volumes": [{"name": "d", "emptyDir": {}}, {"name": "h", "hostPath": {"path": "/mnt/data"}}]}}'}`,
		`apply: {manifest: '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"pod.yaml": "spec: {hostNetwork: true}"}}'}`,
		`apply: {manifest: '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "local-path-config", "namespace": "shop"}}'}`,
		"patch: {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: d, patch: {spec: {template: {spec: {containers: [{name: c, image: nginx:2}]}}}}}",
		"patch: {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: d, type: json, patch: [{op: replace, path: /spec/replicas, value: 3}, {op: add, path: /spec/template/spec/hostNetwork, value: false}, {op: remove, path: /spec/template/spec/hostNetwork}]}",
		"patch: {apiVersion: v1, kind: PersistentVolume, name: pv, patch: {spec: {persistentVolumeReclaimPolicy: Retain}}}",
		"patch: {apiVersion: v1, kind: Node, name: w1, patch: {spec: {unschedulable: true}}}",
		"nodeFile: {node: cp, path: /etc/kubernetes/manifests/web.yaml, from: static.yaml}",
		"nodeFile: {node: cp, path: /var/lib/kubelet/config.yaml, from: kubelet.yaml}",
		"nodeFile: {node: cp, path: /etc/containerd/config.toml, from: config.toml}",
		"nodeFile: {node: cp, path: /etc/systemd/system/kubelet.service.d/10-x.conf, from: dropin.conf}",
		`nodeFile: {node: cp, path: /opt/course/1/answer.txt, content: "42\n"}`,
		"nodeFile: {node: cp, path: /etc/kubernetes/manifests/kube-scheduler.yaml, replace: {old: kube-scheduler, new: kube-schedulr}}",
		// The node's own manifests, with their hostNetwork and hostPath,
		// are moved, not read.
		"nodeFile: {node: cp, path: /etc/kubernetes/manifests/etcd.yaml, moveTo: /etc/kubernetes/manifests-off/etcd.yaml}",
	} {
		if got := problemsOf(t, src, files); len(got) > 0 {
			t.Errorf("%s: problems %q, want none", src, got)
		}
	}
}

func TestPodSafetyRefuses(t *testing.T) {
	t.Parallel()
	files := fstest.MapFS{
		"bad.yaml":   {Data: []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  containers: [{name: c, image: busybox:1.36}]\n  volumes: [{name: r, hostPath: {path: /}}]\n")},
		"two.yaml":   {Data: []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: x}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {hostIPC: true, containers: [{name: c, image: x}]}\n")},
		"pod.json":   {Data: []byte(`{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"}, "spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "x"}]}}`)},
		"apply.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec:\n  template:\n    spec:\n      hostPID: true\n      containers: [{name: c, image: x}]\n")},
	}
	onePod := func(kind, spec string) string {
		return fmt.Sprintf(`apply: {manifest: '{"apiVersion": "apps/v1", "kind": "%s", "metadata": {"name": "w"}, "spec": {"template": {"spec": %s}}}'}`, kind, spec)
	}
	hostNet := `{"hostNetwork": true, "containers": [{"name": "c", "image": "x"}]}`
	refused(t, files, map[string]string{
		// Every kind that holds a pod template.
		onePod("ReplicaSet", hostNet):            "ReplicaSet w: spec.template.spec.hostNetwork: ",
		onePod("StatefulSet", hostNet):           "StatefulSet w: spec.template.spec.hostNetwork: ",
		onePod("DaemonSet", hostNet):             "DaemonSet w: spec.template.spec.hostNetwork: ",
		onePod("Job", hostNet):                   "Job w: spec.template.spec.hostNetwork: ",
		onePod("ReplicationController", hostNet): "ReplicationController w: spec.template.spec.hostNetwork: ",
		`apply: {manifest: '{"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"}, "template": {"spec": ` + hostNet + `}}'}`: "PodTemplate t: template.spec.hostNetwork: ",
		// A kind this does not know that holds a pod spec, and a List.
		`apply: {manifest: '{"apiVersion": "example.com/v1", "kind": "Runner", "metadata": {"name": "r"}, "spec": {"pod": {"containers": [{"name": "c", "image": "x", "securityContext": {"privileged": true}}]}}}'}`: "Runner r: spec.pod.containers[0].securityContext.privileged: a privileged container",
		`apply: {manifest: '{"apiVersion": "v1", "kind": "List", "metadata": {"name": "l"}, "items": [{"apiVersion": "v1", "kind": "PersistentVolume", "spec": {"hostPath": {"path": "/"}}}]}'}`:                      `List l: items[0].spec.hostPath.path: "/" is outside`,
		// A file of the scenario's folder.
		"apply: {file: apply.yaml}": "step.apply.file: StatefulSet s: spec.template.spec.hostPID: ",
		// kind's local-path provisioner makes pods from its ConfigMap.
		`apply: {manifest: '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "local-path-config", "namespace": "local-path-storage"}}'}`: "ConfigMap local-path-storage/local-path-config: metadata.name: kind's local-path provisioner runs helper pods",
		"patch: {apiVersion: v1, kind: ConfigMap, namespace: local-path-storage, name: local-path-config, patch: {data: {setup: x}}}":                  "step.patch.patch: kind's local-path provisioner runs helper pods",
		// Static pods from the scenario's folder, JSON, a second document.
		"nodeFile: {node: cp, path: /etc/kubernetes/manifests/bad.yaml, from: bad.yaml}": `step.nodeFile.from: Pod bad: spec.volumes[0].hostPath.path: "/" is outside`,
		"nodeFile: {node: cp, path: /etc/kubernetes/manifests/two.yaml, from: two.yaml}": "step.nodeFile.from: document 2 (Pod b): spec.hostIPC: ",
		"nodeFile: {node: cp, path: /etc/kubernetes/manifests/j.json, from: pod.json}":   "step.nodeFile.from: Pod j: spec.hostNetwork: ",
		// Patches: PersistentVolumes, JSON patches one operation at a time.
		"patch: {apiVersion: v1, kind: PersistentVolume, name: pv, patch: {spec: {hostPath: {path: /var/lib/kubelet}}}}":                                                                                                              `step.patch.patch: spec.hostPath.path: "/var/lib/kubelet" is outside`,
		"patch: {apiVersion: v1, kind: PersistentVolume, name: pv, type: merge, patch: {spec: {local: {path: /etc}}}}":                                                                                                                `step.patch.patch: spec.local.path: "/etc" is outside`,
		"patch: {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: d, type: json, patch: [{op: add, path: /spec/template/spec/hostNetwork, value: true}]}":                                                                "step.patch.patch: [0] (add /spec/template/spec/hostNetwork) spec.template.spec.hostNetwork: the node's network namespace",
		"patch: {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: d, type: json, patch: [{op: replace, path: /spec/replicas, value: 1}, {op: replace, path: /spec/template/spec/volumes/0/hostPath/path, value: /etc}]}": `step.patch.patch: [1] (replace /spec/template/spec/volumes/0/hostPath/path) spec.template.spec.volumes[0].hostPath.path: "/etc" is outside`,
		"patch: {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: d, type: json, patch: [{op: add, path: /spec/template/spec/containers/-, value: {name: x, image: x, securityContext: {privileged: true}}}]}":           "spec.template.spec.containers[0].securityContext.privileged: a privileged container",
		"patch: {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: d, type: json, patch: [{op: add, path: /spec/template/spec/containers/0/securityContext/capabilities/add/-, value: SYS_ADMIN}]}":                       "capabilities.add[0]: SYS_ADMIN is not one",
		"patch: {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: d, type: json, patch: [{op: copy, from: /spec/paused, path: /spec/template/spec/hostNetwork}]}":                                                        "step.patch.patch: [0] (copy /spec/template/spec/hostNetwork): a copy into hostNetwork could set it from another field",
		"patch: {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: d, type: json, patch: [{op: move, from: /metadata/annotations/p, path: /spec/template/spec/volumes/0/hostPath/path}]}":                                 "a move into hostPath",
		"patch: {apiVersion: v1, kind: PersistentVolume, name: pv, type: json, patch: [{op: replace, path: /spec/hostPath/path, value: /}]}":                                                                                          `spec.hostPath.path: "/" is outside`,
		// A replace that could write a refused field into a file as it is.
		"nodeFile: {node: cp, path: /etc/kubernetes/manifests/kube-apiserver.yaml, replace: {old: 'image:', new: \"securityContext: {privileged: true}\\n    image:\"}}": "step.nodeFile.replace.new: the new text names privileged, which could make a pod in the file reach the host",
		"nodeFile: {node: cp, path: /etc/kubernetes/manifests/etcd.yaml, replace: {old: 'hostNetwork: false', new: 'hostNetwork: true'}}":                                "names hostNetwork",
		"nodeFile: {node: cp, path: /etc/kubernetes/manifests/etcd.yaml, replace: {old: 'spec:', new: \"spec:\\n  hostPID: true\"}}":                                     "names hostPID",
		"nodeFile: {node: cp, path: /etc/kubernetes/manifests/etcd.yaml, replace: {old: 'spec:', new: \"spec:\\n  hostIPC: true\"}}":                                     "names hostIPC",
		"nodeFile: {node: cp, path: /etc/kubernetes/manifests/etcd.yaml, replace: {old: 'emptyDir: {}', new: 'hostpath: {path: /}'}}":                                    "names hostPath",
		"nodeFile: {node: cp, path: /var/lib/kubelet/config.yaml, replace: {old: 'x', new: 'capabilities: {add: [SYS_ADMIN]}'}}":                                         "names capabilities",
	})
}

// The builtin local-storage scenario mounts hostPath /mnt/logs and makes
// a local PersistentVolume of it: both stay allowed.
func TestPodSafetyLocalStorageBuiltin(t *testing.T) {
	t.Parallel()
	c, err := scenarios.NewCatalog(scenarios.Loader{CheckTypes: checks.All()}, scenarios.Source{Name: "builtin", FS: scenarios.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Load("local-storage", scenarios.DefaultTemplateData()); err != nil {
		t.Errorf("local-storage: %v", err)
	}
}

// A step made in code was never validated: it is refused when it runs,
// and changes nothing.
func TestPodSafetyRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const kubeProxy = `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-proxy, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: kube-proxy}}
  template:
    metadata: {labels: {k8s-app: kube-proxy}}
    spec:
      hostNetwork: true
      containers:
      - name: kube-proxy
        image: registry.k8s.io/kube-proxy:v1.33.0
        securityContext: {privileged: true}
`
	c := fakelab.New(t, fakelab.Manifest(t, webWithSidecar("shop")+"---"+kubeProxy)...)
	env := steps.Env{Cluster: c}
	web := lab.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	proxy := lab.Ref{APIVersion: "apps/v1", Kind: "DaemonSet", Namespace: "kube-system", Name: "kube-proxy"}
	refusedRun := func(name string, s steps.Spec, action, fragment string) {
		t.Helper()
		changed, err := s.Run(ctx, env)
		var he *steps.HostAccessError
		if !errors.As(err, &he) || he.Action != action || !strings.Contains(err.Error(), fragment) || len(changed) > 0 {
			t.Errorf("%s: changed %q, err %v; want a HostAccessError of %s containing %q", name, changed, err, action, fragment)
		}
	}

	refusedRun("apply", steps.Spec{Action: &steps.Apply{Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first, namespace: default}\n---\n" +
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\nspec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}\n"}},
		"apply", "refused to apply Pod default/p: spec.containers[0].securityContext.privileged: a privileged container")
	if getObject(t, c, configMap("default", "first")) != nil || getObject(t, c, lab.Ref{APIVersion: "v1", Kind: "Pod", Namespace: "default", Name: "p"}) != nil {
		t.Error("a refused apply applied an object")
	}
	refusedRun("apply a PersistentVolume", steps.Spec{Action: &steps.Apply{Manifest: "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv}\nspec: {hostPath: {path: /}}\n"}},
		"apply", `spec.hostPath.path: "/" is outside`)
	refusedRun("strategic patch", steps.Spec{Action: &steps.Patch{Ref: web, Patch: map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"hostPID": true}}}}}},
		"patch", "refused to patch Deployment shop/web: spec.template.spec.hostPID: ")
	refusedRun("JSON patch", steps.Spec{Action: &steps.Patch{Ref: web, Type: "json", Patch: []any{map[string]any{"op": "add", "path": "/spec/template/spec/volumes", "value": []any{map[string]any{"name": "v", "hostPath": map[string]any{"path": "/etc"}}}}}}},
		"patch", `spec.template.spec.volumes[0].hostPath.path: "/etc" is outside`)
	if spec, _, _ := unstructured.NestedMap(getObject(t, c, web).Object, "spec", "template", "spec"); spec["hostPID"] != nil || spec["volumes"] != nil {
		t.Errorf("a refused patch changed the pod spec: %v", spec)
	}

	// kube-proxy runs privileged already: a scenario may not change what
	// it runs, by patch or apply, but may restart it.
	refusedRun("patch of a privileged DaemonSet's image", steps.Spec{Action: &steps.Patch{Ref: proxy, Patch: map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		"containers": []any{map[string]any{"name": "kube-proxy", "image": "busybox:1.36", "command": []any{"sh"}}}}}}}}},
		"patch", "refused to patch DaemonSet kube-system/kube-proxy: its pods can already reach the host (spec.template.spec.hostNetwork: ")
	refusedRun("JSON patch of a privileged DaemonSet's command", steps.Spec{Action: &steps.Patch{Ref: proxy, Type: "json", Patch: []any{map[string]any{"op": "add", "path": "/spec/template/spec/containers/0/command", "value": []any{"sh"}}}}},
		"patch", "its pods can already reach the host")
	refusedRun("apply over a privileged DaemonSet", steps.Spec{Action: &steps.Apply{Manifest: "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: kube-proxy, namespace: kube-system}\nspec: {template: {spec: {containers: [{name: kube-proxy, image: busybox:1.36}]}}}\n"}},
		"apply", "its pods can already reach the host")
	if img, _, _ := unstructured.NestedSlice(getObject(t, c, proxy).Object, "spec", "template", "spec", "containers"); img[0].(map[string]any)["image"] != "registry.k8s.io/kube-proxy:v1.33.0" {
		t.Errorf("kube-proxy's containers changed: %v", img)
	}
	run(t, env, steps.Spec{Action: &steps.Patch{Ref: proxy, Type: "merge", Patch: map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{"annotations": map[string]any{"restartedAt": "now"}}}}}}})

	// Node files.
	nenv, nodes := nodeLab(t, nil)
	const sched = "/etc/kubernetes/manifests/kube-scheduler.yaml"
	kubeadm := "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-scheduler, namespace: kube-system}\nspec:\n  hostNetwork: true\n  containers: [{name: kube-scheduler, image: registry.k8s.io/kube-scheduler:v1.33.0, command: [kube-scheduler]}]\n  volumes: [{name: kubeconfig, hostPath: {path: /etc/kubernetes/scheduler.conf, type: FileOrCreate}}]\n"
	nodes.SetFile("cp", sched, kubeadm)
	for name, tc := range map[string]struct {
		f        *steps.NodeFile
		action   string
		fragment string
	}{
		"a static pod": {&steps.NodeFile{Node: "cp", Path: "/etc/kubernetes/manifests/x.yaml", Content: "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {hostPID: true, containers: [{name: c, image: x}]}\n"},
			"write", "refused to write /etc/kubernetes/manifests/x.yaml on cp: Pod x: spec.hostPID: "},
		"a replace naming privileged": {&steps.NodeFile{Node: "cp", Path: sched, Replace: &steps.NodeFileReplace{Old: "command:", New: "securityContext: {privileged: true}, command:"}},
			"edit", "the new text names privileged"},
		"a replace that widens a hostPath": {&steps.NodeFile{Node: "cp", Path: sched, Replace: &steps.NodeFileReplace{Old: "/etc/kubernetes/scheduler.conf", New: "/"}},
			"edit", `refused to edit ` + sched + ` on cp: Pod kube-scheduler: spec.volumes[0].hostPath.path: "/" is outside`},
	} {
		changed, err := steps.Spec{Action: tc.f}.Run(ctx, nenv)
		var he *steps.HostAccessError
		if !errors.As(err, &he) || he.Action != tc.action || !strings.Contains(err.Error(), tc.fragment) || len(changed) > 0 {
			t.Errorf("%s: changed %q, err %v; want a HostAccessError of %s containing %q", name, changed, err, tc.action, tc.fragment)
		}
	}
	if _, ok := nodes.File("cp", "/etc/kubernetes/manifests/x.yaml"); ok {
		t.Error("a refused static pod was written")
	}
	if got, _ := nodes.File("cp", sched); got != kubeadm {
		t.Errorf("a refused replace changed the manifest:\n%s", got)
	}
	// kubeadm's own hostNetwork and hostPath are not the edit's: a typo
	// planted in the manifest, its name included, is fine.
	run(t, nenv, steps.Spec{Action: &steps.NodeFile{Node: "cp", Path: sched, Replace: &steps.NodeFileReplace{Old: "kube-scheduler", New: "kube-schedulr"}}})
	if got, _ := nodes.File("cp", sched); got != strings.ReplaceAll(kubeadm, "kube-scheduler", "kube-schedulr") {
		t.Errorf("manifest after the replace:\n%s", got)
	}
}
