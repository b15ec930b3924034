package steps

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Pod specs a scenario writes may not reach the host. On a kind lab the
// nodes are privileged Docker containers: root in a node is root on the
// user's machine, and a pod that gets out of its container into its node
// gets there. So whatever pod spec a scenario writes (the manifests of
// apply, the body of patch, a file a nodeFile step writes, which the
// kubelet runs as a static pod when it lies in its staticPodPath) may not
// hold what the Pod Security "baseline" level refuses for the same
// reason: a privileged container, capabilities beyond the runtime's
// defaults, an unmasked /proc, the node's namespaces, or a hostPath (or a
// PersistentVolume's hostPath or local path) outside a few data folders.
// These rules bind scenario folders only: a learner's own kubectl does
// anything. They hold at validate time (every problem, with its field
// path) and again when the step runs (a step made in code was never
// validated).
//
// What they cannot see: a pod a scenario runs with a ServiceAccount that
// may create pods (RBAC the scenario grants itself) can create a
// privileged one through the API; a kubelet drop-in a nodeFile step
// writes runs what it names. Run scenarios you distrust on the sim lab.

// HostAccessError is a step refused because what it writes could reach
// the host through a kind node.
type HostAccessError struct {
	Action   string // apply, patch, nodeFile
	What     string // the object or the node file
	Problems []string
}

func (e *HostAccessError) Error() string {
	return fmt.Sprintf("refused to %s %s: %s", e.Action, e.What, strings.Join(e.Problems, "; "))
}

// Why each field is refused, one line each.
const (
	whyPrivileged  = "a privileged container can reach the host through a kind node; scenarios may not create one"
	whyHostPID     = "the node's process namespace lets a container enter the kind node's processes, and through them the host; scenarios may not share it"
	whyHostIPC     = "the node's IPC namespace exposes the kind node's shared memory to the container; scenarios may not share it"
	whyHostNetwork = "the node's network namespace exposes the kind node's loopback-only services and abstract sockets (containerd-shim's, CVE-2020-15257); scenarios may not share it"
	whyProcMount   = "an unmasked /proc lets a container write the kind node's kernel settings (core_pattern runs a program as root on the host); scenarios may not set it"
)

// baselineCapabilities are the capabilities a scenario's container may
// add: those containerd grants every container anyway (less NET_RAW), the
// list the Pod Security "baseline" level allows. Adding them back after
// `drop: [ALL]` is common and grants nothing new. Every other one is
// refused, not only a list of dangerous ones: most (SYS_ADMIN, SYS_PTRACE,
// SYS_MODULE, DAC_READ_SEARCH, BPF, NET_ADMIN's netfilter bugs...) have
// led out of containers, such a list goes stale, and CKA tasks that add a
// capability are the learner's to do, not the scenario's setup.
var baselineCapabilities = []string{"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}

// hostPathFolders are the node folders a scenario's hostPath volume (or a
// PersistentVolume's hostPath or local path) may name a folder directly
// in: harmless data folders, as CKA storage tasks use (/mnt/data). Only
// one level deep: the kubelet follows symbolic links in a hostPath, and a
// container with /mnt/a mounted could plant /mnt/a/x -> / for a later
// volume of /mnt/a/x; nothing a scenario mounts can write into the folders
// themselves. Not /tmp/: the sim lab's kube-controller-manager runs on
// the learner's host, and its hostPath deleter removes a released
// volume's path when it is in /tmp (a PersistentVolume of /tmp/x with
// reclaim policy Delete would delete the host's /tmp/x).
var hostPathFolders = []string{"/mnt/", "/srv/", "/data/", "/opt/data/"}

// refusedPodKeys are the keys of the refused fields, as a nodeFile
// replace might write them into a file.
var refusedPodKeys = []string{"privileged", "hostPID", "hostIPC", "hostNetwork", "hostPath", "capabilities", "procMount"}

// checkHostPath says why a scenario may not mount the node path p ("" when
// it may).
func checkHostPath(p any) string {
	s, ok := p.(string)
	switch {
	case !ok:
		return fmt.Sprintf("got %v, want a path", p)
	case !path.IsAbs(s) || path.Clean(s) != s || strings.Contains(s, ".."):
		return fmt.Sprintf("%q must be an absolute path without .., // or a trailing /", s)
	}
	// etcd's data restored from a snapshot (lab.EtcdRestoreDir, which
	// only etcdutl snapshot restore fills and reset removes whole): the
	// etcd-restore task points etcd's hostPath there.
	if s == lab.EtcdRestoreDir || strings.HasPrefix(s, lab.EtcdRestoreDir+"/") {
		return ""
	}
	for _, folder := range hostPathFolders {
		if rest, in := strings.CutPrefix(s, folder); in {
			if strings.Contains(rest, "/") {
				return fmt.Sprintf("%q is more than one folder deep in %s: the kubelet follows a symbolic link that a container planted in %s%s; use a folder directly in %s",
					s, folder, folder, rest[:strings.Index(rest, "/")], folder)
			}
			return ""
		}
	}
	return fmt.Sprintf("%q is outside the data folders a scenario may mount (a folder directly in %s): the node's own files reach the host through a kind node",
		s, strings.Join(hostPathFolders, ", "))
}

// hostFinder collects what could reach the host, as "path: why".
type hostFinder struct{ found []string }

func (f *hostFinder) add(p, format string, args ...any) {
	why := fmt.Sprintf(format, args...)
	if p != "" {
		why = p + ": " + why
	}
	f.found = append(f.found, why)
}

// set says whether a boolean field is set to anything but false.
func set(v any) bool { return v != nil && v != false }

// podSpecPath is where a kind holds its pod spec (false for a kind that
// holds none, or that this does not know).
func podSpecPath(kind string) ([]string, bool) {
	switch strings.ToLower(kind) {
	case "pod":
		return []string{"spec"}, true
	case "deployment", "replicaset", "statefulset", "daemonset", "job", "replicationcontroller":
		return []string{"spec", "template", "spec"}, true
	case "cronjob":
		return []string{"spec", "jobTemplate", "spec", "template", "spec"}, true
	case "podtemplate":
		return []string{"template", "spec"}, true
	}
	return nil, false
}

// object checks an object of kind (a manifest, or the body of a merge or
// strategic patch of one), at path p.
func (f *hostFinder) object(p, kind string, obj map[string]any) {
	if at, ok := podSpecPath(kind); ok {
		var v any = obj
		for _, k := range at {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		if spec, ok := v.(map[string]any); ok {
			f.podSpec(yamlx.Join(p, strings.Join(at, ".")), spec)
		}
		return
	}
	switch {
	case strings.EqualFold(kind, "PersistentVolume"):
		spec, _ := obj["spec"].(map[string]any)
		for _, src := range []string{"hostPath", "local"} {
			if m, ok := spec[src].(map[string]any); ok {
				if v, ok := m["path"]; ok {
					if why := checkHostPath(v); why != "" {
						f.add(yamlx.Join(p, "spec."+src+".path"), "%s", why)
					}
				}
			}
		}
		return
	case strings.HasSuffix(kind, "List"):
		if items, ok := obj["items"].([]any); ok {
			for i, it := range items {
				if m, ok := it.(map[string]any); ok {
					k, _ := m["kind"].(string)
					f.object(yamlx.Index(yamlx.Join(p, "items"), i), k, m)
				}
			}
			return
		}
	}
	// Another kind (a custom resource, say) that holds a pod spec: any
	// mapping with a list of containers.
	f.anyPodSpec(p, obj)
}

// anyPodSpec checks every mapping under v that has a list of containers
// as a pod spec.
func (f *hostFinder) anyPodSpec(p string, v any) {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["containers"].([]any); ok {
			f.podSpec(p, v)
			return
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			f.anyPodSpec(yamlx.Join(p, k), v[k])
		}
	case []any:
		for i, x := range v {
			f.anyPodSpec(yamlx.Index(p, i), x)
		}
	}
}

// podSpec checks a pod spec (or a patch of one) at path p.
func (f *hostFinder) podSpec(p string, spec map[string]any) {
	for _, k := range []struct{ key, why string }{{"hostPID", whyHostPID}, {"hostIPC", whyHostIPC}, {"hostNetwork", whyHostNetwork}} {
		if set(spec[k.key]) {
			f.add(yamlx.Join(p, k.key), "%s", k.why)
		}
	}
	vols, _ := spec["volumes"].([]any)
	for i, v := range vols {
		vol, _ := v.(map[string]any)
		hp, ok := vol["hostPath"].(map[string]any)
		if !ok {
			continue
		}
		if v, ok := hp["path"]; ok {
			if why := checkHostPath(v); why != "" {
				f.add(yamlx.Index(yamlx.Join(p, "volumes"), i)+".hostPath.path", "%s", why)
			}
		}
	}
	for _, list := range []string{"containers", "initContainers", "ephemeralContainers"} {
		cs, _ := spec[list].([]any)
		for i, c := range cs {
			m, _ := c.(map[string]any)
			if sc, ok := m["securityContext"].(map[string]any); ok {
				f.securityContext(yamlx.Index(yamlx.Join(p, list), i)+".securityContext", sc)
			}
		}
	}
}

// securityContext checks a container's security context at path p.
func (f *hostFinder) securityContext(p string, sc map[string]any) {
	if set(sc["privileged"]) {
		f.add(p+".privileged", "%s", whyPrivileged)
	}
	if pm, ok := sc["procMount"]; ok && pm != nil && pm != "Default" {
		f.add(p+".procMount", "%s", whyProcMount)
	}
	caps, _ := sc["capabilities"].(map[string]any)
	add, ok := caps["add"]
	if !ok || add == nil {
		return
	}
	list, ok := add.([]any)
	if !ok {
		f.add(p+".capabilities.add", "got %v, want a list", add)
		return
	}
	for i, c := range list {
		name, _ := c.(string)
		if !slices.Contains(baselineCapabilities, strings.TrimPrefix(strings.ToUpper(name), "CAP_")) {
			f.add(yamlx.Index(p+".capabilities.add", i), "%v is not one the runtime grants every container anyway (%s): an added capability can reach the host through a kind node; scenarios may not add one",
				c, strings.Join(baselineCapabilities, ", "))
		}
	}
}

// controllerConfig says why a scenario may not change an object a
// controller of the kind lab makes pods from ("" when it may): kind's
// local-path provisioner runs helper pods from its ConfigMap (their pod,
// the node folders they mount, the script they run).
func controllerConfig(kind, namespace, name string) string {
	if strings.EqualFold(kind, "ConfigMap") && namespace == "local-path-storage" && name == "local-path-config" {
		return "kind's local-path provisioner runs helper pods as this ConfigMap says (their pod spec, the node folders they mount, the script they run); scenarios may not change it"
	}
	return ""
}

// manifestHostAccess lists what in an object of a manifest could reach
// the host, as "path: why".
func manifestHostAccess(o *unstructured.Unstructured) []string {
	var f hostFinder
	if why := controllerConfig(o.GetKind(), o.GetNamespace(), o.GetName()); why != "" {
		f.add("metadata.name", "%s", why)
	}
	f.object("", o.GetKind(), o.Object)
	return f.found
}

// checkManifests reports, for validation, what in objs could reach the
// host, under field.
func checkManifests(v *Validation, field string, objs []*unstructured.Unstructured) {
	for _, o := range objs {
		for _, p := range manifestHostAccess(o) {
			v.Add(field, "%s: %s", lab.RefTo(o), p)
		}
	}
}

// refuseManifests is checkManifests when a step runs.
func refuseManifests(verb string, objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		if ps := manifestHostAccess(o); len(ps) > 0 {
			return &HostAccessError{Action: verb, What: lab.RefTo(o).String(), Problems: ps}
		}
	}
	return nil
}

// patchHostAccess lists what a patch of an object of kind would write that
// could reach the host. A merge or strategic patch has the object's own
// shape; a JSON patch is checked one operation at a time: an add or
// replace as the object its path and value would make, a copy or move
// (whose value comes from the object) by the keys of its path.
func patchHostAccess(r lab.Ref, patch any) []string {
	var f hostFinder
	if why := controllerConfig(r.Kind, r.Namespace, r.Name); why != "" {
		f.add("", "%s", why)
	}
	switch body := patch.(type) {
	case map[string]any:
		f.object("", r.Kind, body)
	case []any:
		for i, o := range body {
			op, _ := o.(map[string]any)
			ptr, _ := op["path"].(string)
			segs := pointer(ptr)
			at := fmt.Sprintf("[%d] (%v %s)", i, op["op"], ptr)
			switch op["op"] {
			case "add", "replace":
				var g hostFinder
				var v any = op["value"]
				for j := len(segs) - 1; j >= 0; j-- {
					if _, err := strconv.Atoi(segs[j]); err == nil || segs[j] == "-" {
						v = []any{v}
					} else {
						v = map[string]any{segs[j]: v}
					}
				}
				if m, ok := v.(map[string]any); ok {
					g.object("", r.Kind, m)
				}
				for _, p := range g.found {
					f.found = append(f.found, at+" "+p)
				}
			case "copy", "move":
				for _, s := range segs {
					if slices.Contains(refusedPodKeys, s) {
						f.add(at, "a %v into %s could set it from another field; scenarios may not write it", op["op"], s)
						break
					}
				}
			}
		}
	}
	return f.found
}

// pointer splits a JSON pointer into its keys.
func pointer(p string) []string {
	if p == "" {
		return nil
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return segs
}

// refuseLive refuses a change of the pod template of a live object whose
// pods could already reach the host (kube-proxy's and kindnet's
// DaemonSets, which run privileged or in the node's network): a scenario
// that changed their image or command would run its own code there.
// touches says whether the change writes into the pod spec.
func refuseLive(verb string, r lab.Ref, live *unstructured.Unstructured, touches bool) error {
	if live == nil || !touches {
		return nil
	}
	var f hostFinder
	f.object("", live.GetKind(), live.Object)
	if len(f.found) == 0 {
		return nil
	}
	return &HostAccessError{Action: verb, What: r.String(), Problems: []string{fmt.Sprintf(
		"its pods can already reach the host (%s), so a scenario may not change what they run", f.found[0])}}
}

// patchTouchesPods says whether a patch of an object of kind writes into
// its pod spec (for a kind that holds none this knows of: anything).
func patchTouchesPods(kind string, patch any) bool {
	at, ok := podSpecPath(kind)
	if !ok {
		return true
	}
	switch body := patch.(type) {
	case map[string]any:
		var v any = body
		for _, k := range at {
			m, _ := v.(map[string]any)
			if v, ok = m[k]; !ok {
				return false
			}
		}
		return true
	case []any:
		for _, o := range body {
			op, _ := o.(map[string]any)
			ptr, _ := op["path"].(string)
			segs := pointer(ptr)
			n := min(len(segs), len(at))
			if op["op"] != "test" && slices.Equal(segs[:n], at[:n]) {
				return true
			}
		}
		return false
	}
	return true
}

// nodeFileHostAccess lists what a file a nodeFile step writes could run
// that reaches the host: any file it writes that reads as manifests is
// checked as apply's would be, not only those in the static pod folders
// (/etc/kubernetes/manifests*), because a kubelet configuration the
// scenario also writes may point staticPodPath elsewhere. The file is read
// as the kubelet reads a static pod (its first document, YAML or JSON) and
// as apply reads manifests (every document up to the first that does not
// decode); what does not decode as either runs nothing.
func nodeFileHostAccess(data []byte) []string {
	var out []string
	for _, p := range fileHostAccess(data) {
		if s := p.doc + ": " + p.problem; !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// docProblem is a problem of one document of a node file.
type docProblem struct{ doc, problem string }

func fileHostAccess(data []byte) []docProblem {
	type doc struct {
		n   int // 1-based, in the file
		obj map[string]any
	}
	var docs []doc
	if j, err := utilyaml.ToJSON(data); err == nil {
		var obj map[string]any
		if json.Unmarshal(j, &obj) == nil && obj != nil {
			docs = append(docs, doc{1, obj})
		}
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(string(data)), 4096)
	for n := 1; n <= MaxDocuments; n++ {
		var obj map[string]any
		if dec.Decode(&obj) != nil {
			break
		}
		if obj != nil {
			docs = append(docs, doc{n, obj})
		}
	}
	var out []docProblem
	for _, d := range docs {
		u := &unstructured.Unstructured{Object: d.obj}
		what := u.GetKind() + " " + u.GetName()
		if d.n > 1 {
			what = fmt.Sprintf("document %d (%s)", d.n, what)
		}
		for _, p := range manifestHostAccess(u) {
			out = append(out, docProblem{what, p})
		}
	}
	return out
}

// replaceHostAccess says why a nodeFile replace may not write new ("" when
// it may). Replace edits a file as it is (kubeadm's static pod manifests
// among them), so its new text could inject `privileged: true` into an
// existing manifest; text that names a refused key is refused. When the
// step runs, the edited file is also checked against the file as it was
// (replaceAdds).
func replaceHostAccess(new string) string {
	lower := strings.ToLower(new)
	for _, k := range refusedPodKeys {
		if strings.Contains(lower, strings.ToLower(k)) {
			return fmt.Sprintf("the new text names %s, which could make a pod in the file reach the host through a kind node; scenarios may not write it", k)
		}
	}
	return ""
}

// replaceAdds lists what an edit adds to a file that could reach the host:
// kubeadm's own manifests already run in the node's network with hostPath
// volumes, which is fine; an edit that adds to that (a hostPath of / for
// one of /etc/kubernetes/pki) is not. Problems are compared without the
// object's name, which a replace may change (kube-scheduler made
// kube-schedulr).
func replaceAdds(before, after []byte) []string {
	var was []string
	for _, p := range fileHostAccess(before) {
		was = append(was, p.problem)
	}
	var out []string
	for _, p := range fileHostAccess(after) {
		if s := p.doc + ": " + p.problem; !slices.Contains(was, p.problem) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
