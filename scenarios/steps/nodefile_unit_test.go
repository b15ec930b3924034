package steps_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ckalab/ckalab/scenarios/steps"
)

func TestNodeFileUnit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	files := fstest.MapFS{
		"files/kubelet.yaml":  {Data: []byte("kind: KubeletConfiguration\nstaticPodPath: /nowhere\n")},
		"files/static.yaml":   {Data: []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: c, image: nginx:1.27}]}\n")},
		"files/not-yaml.yaml": {Data: []byte("{")},
	}
	env, nodes := nodeLab(t, files)
	const sched, off = "/etc/kubernetes/manifests/kube-scheduler.yaml", "/etc/kubernetes/manifests-off/kube-scheduler.yaml"
	nodes.SetFile("cp", sched, "kind: Pod\n")

	for _, tc := range []struct {
		name, src string
		changed   []string
		node      string
		files     map[string]string // path → content after
	}{
		{"move a manifest away", "nodeFile: {node: cp, path: " + sched + ", moveTo: " + off + "}",
			[]string{"moved " + sched + " to " + off + " on cp"}, "cp", map[string]string{off: "kind: Pod\n"}},
		{"write from the scenario's folder", "nodeFile: {node: w1, path: /var/lib/kubelet/config.yaml, from: files/kubelet.yaml}",
			[]string{"wrote /var/lib/kubelet/config.yaml on w1"}, "w1", map[string]string{"/var/lib/kubelet/config.yaml": "kind: KubeletConfiguration\nstaticPodPath: /nowhere\n"}},
		{"write inline, in a new folder, with a mode", `nodeFile: {node: cp, path: /opt/course/1/answer.txt, content: "42\n", mode: "0600"}`,
			[]string{"wrote /opt/course/1/answer.txt on cp"}, "cp", map[string]string{off: "kind: Pod\n", "/opt/course/1/answer.txt": "42\n"}},
		{"remove", "nodeFile: {node: cp, path: /opt/course/1/answer.txt, remove: true}",
			[]string{"removed /opt/course/1/answer.txt from cp"}, "cp", map[string]string{off: "kind: Pod\n"}},
	} {
		changed := validRun(t, env, tc.src)
		var got []string
		for _, p := range nodes.Files(tc.node) {
			c, _ := nodes.File(tc.node, p)
			got = append(got, p+"="+c)
		}
		var want []string
		for p, c := range tc.files {
			want = append(want, p+"="+c)
		}
		slices.Sort(want)
		if !equal(changed, tc.changed) || !equal(got, want) {
			t.Errorf("%s: changed %q, files %q; want %q and %q", tc.name, changed, got, tc.changed, want)
		}
	}
	calls := nodes.Calls()
	if last := calls[len(calls)-2].Argv; !slices.Contains(last, "0600") {
		t.Errorf("the inline write ran %q, want a chmod to 0600", last)
	}

	// Moving a file that is not there fails with mv's words.
	_, err := steps.Spec{Action: &steps.NodeFile{Node: "cp", Path: sched, MoveTo: off}}.Run(ctx, env)
	if err == nil || !strings.Contains(err.Error(), "No such file") {
		t.Errorf("moving a missing file: %v", err)
	}
	// A step made in code is checked again when it runs.
	for _, bad := range []*steps.NodeFile{
		{Node: "cp", Path: "/etc/kubernetes/admin.conf", Content: "x"},
		{Node: "cp", Path: sched, MoveTo: "/root/kube-scheduler.yaml"},
		{Node: "cp", Path: "/opt/course/x", Content: "x", Mode: "4755"},
		{Node: "cp", Path: "/opt/course/x"},
	} {
		if changed, err := (steps.Spec{Action: bad}).Run(ctx, env); err == nil || len(changed) > 0 {
			t.Errorf("%+v: changed %q, err %v; want it refused", bad, changed, err)
		}
	}
	if _, ok := nodes.File("cp", "/etc/kubernetes/admin.conf"); ok {
		t.Error("a refused step wrote its file")
	}
	needsKind(t, steps.Spec{Action: &steps.NodeFile{Node: "cp", Path: "/opt/course/x", Content: "x"}})

	refused(t, files, map[string]string{
		"nodeFile: {node: cp, path: /etc/kubernetes/admin.conf, content: x}":                  "step.nodeFile.path: \"/etc/kubernetes/admin.conf\" is not a node file that reset restores, so reset could not undo it",
		"nodeFile: {node: cp, path: /etc/kubernetes/manifests, remove: true}":                 "reset could not undo it",
		"nodeFile: {node: cp, path: opt/course/x, content: x}":                                "must be an absolute path",
		"nodeFile: {node: cp, path: /opt/course/../../etc/passwd, content: x}":                "must be an absolute path without ..",
		"nodeFile: {node: cp, path: " + sched + ", moveTo: /root/kube-scheduler.yaml}":        "step.nodeFile.moveTo: \"/root/kube-scheduler.yaml\" is not a node file that reset restores",
		"nodeFile: {node: cp, path: " + sched + ", moveTo: " + sched + "}":                    "step.nodeFile.moveTo: is path itself",
		"nodeFile: {node: cp, path: /opt/course/x, content: x, remove: true}":                 "step.nodeFile: set exactly one of content, from, moveTo and remove",
		"nodeFile: {node: cp, path: /opt/course/x}":                                           "set exactly one of",
		"nodeFile: {node: cp, path: /opt/course/x, from: files/missing.yaml}":                 "step.nodeFile.from: read files/missing.yaml",
		"nodeFile: {node: cp, path: /opt/course/x, from: ../x}":                               "must be a relative path inside its folder",
		"nodeFile: {node: cp, path: /opt/course/x, content: x, mode: \"4755\"}":               `step.nodeFile.mode: got "4755", want an octal mode`,
		"nodeFile: {node: cp, path: /opt/course/x, content: x, mode: u+s}":                    `got "u+s"`,
		"nodeFile: {node: cp, path: /opt/course/x, content: x, mode: \"0755\"}":               `got "0755", want an octal mode without execute bits`,
		"nodeFile: {node: cp, path: /opt/course/x, remove: true, mode: \"0600\"}":             "only a file written (content or from) has a mode",
		"nodeFile: {path: /opt/course/x, content: x}":                                         "step.nodeFile.node: required",
		"nodeFile: {node: cp, path: /opt/course/x, content: x, user: root}":                   "step.nodeFile.user: unknown field",
		"nodeFile: {node: cp, path: /etc/systemd/system/kubelet.service.d/x.conf, moveTo: y}": "must be an absolute path",
	})

	// A static pod manifest names the images an offline lab must load.
	for src, want := range map[string][]string{
		"nodeFile: {node: cp, path: /etc/kubernetes/manifests/web.yaml, from: files/static.yaml}": {"nginx:1.27"},
		"nodeFile: {node: cp, path: /opt/course/web.yaml, from: files/static.yaml}":               nil,
		"nodeFile: {node: cp, path: /etc/kubernetes/manifests/x.yaml, from: files/not-yaml.yaml}": nil,
	} {
		s, _ := parse(t, src)
		if got := s.Images(files); !equal(got, want) {
			t.Errorf("%s: images %q, want %q", src, got, want)
		}
	}
	if s, _ := parse(t, "nodeFile: {node: cp, path: /opt/course/x, remove: true}"); s.Node() != "cp" || len(s.Changes(nil)) != 1 || s.Changes(nil)[0].Object.Kind != "Node" {
		t.Errorf("node %q, changes %+v: want node cp, a change of the Node", s.Node(), s.Changes(nil))
	}
}
