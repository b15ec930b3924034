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
		"nodeFile: {node: cp, path: /opt/course/x, content: x, remove: true}":                 "step.nodeFile: set exactly one of content, from, moveTo, remove and replace",
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
		"nodeFile: {node: cp, path: /opt/course/x, content: x, replace: {old: a, new: b}}":    "step.nodeFile: set exactly one of content, from, moveTo, remove and replace",
		"nodeFile: {node: cp, path: /opt/course/x, replace: {new: b}}":                        "step.nodeFile.replace.old: required",
		"nodeFile: {node: cp, path: /opt/course/x, replace: {old: a, new: a}}":                "step.nodeFile.replace.new: is old itself",
		"nodeFile: {node: cp, path: /opt/course/x, replace: {old: a}, mode: \"0600\"}":        "step.nodeFile.mode: only a file written (content or from) has a mode (replace keeps the file's)",
		"nodeFile: {node: cp, path: /opt/course/x, replace: {old: a, with: b}}":               "step.nodeFile.replace.with: unknown field",
		"nodeFile: {node: cp, path: /etc/kubernetes/admin.conf, replace: {old: a, new: b}}":   "is not a node file that reset restores",
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

	t.Run("replace", testNodeFileReplace)
}

// testNodeFileReplace: the replace form edits a file where it is, every
// occurrence, keeping its mode; text that is not there (or no file) fails
// the step, naming the file and the text, and changes nothing.
func testNodeFileReplace(t *testing.T) {
	ctx := context.Background()
	env, nodes := nodeLab(t, nil)
	const sched = "/etc/kubernetes/manifests/kube-scheduler.yaml"
	manifest := "metadata: {name: kube-scheduler}\nspec: {containers: [{name: kube-scheduler, command: [kube-scheduler]}]}\n"
	nodes.SetFile("cp", sched, manifest)
	nodes.SetFileMode("cp", sched, 0o600)

	changed := validRun(t, env, "nodeFile: {node: cp, path: "+sched+", replace: {old: kube-scheduler, new: kube-schedulr}}")
	if want := []string{`replaced "kube-scheduler" with "kube-schedulr" in ` + sched + " on cp (3 times)"}; !equal(changed, want) {
		t.Errorf("changed %q, want %q", changed, want)
	}
	got, _ := nodes.File("cp", sched)
	if want := strings.ReplaceAll(manifest, "kube-scheduler", "kube-schedulr"); got != want {
		t.Errorf("file\n%s\nwant\n%s", got, want)
	}
	if m, _ := nodes.FileMode("cp", sched); m != 0o600 {
		t.Errorf("mode %v, want the file's 0600 kept", m)
	}
	nodes.SetFile("w1", "/var/lib/kubelet/config.yaml", "staticPodPath: /etc/kubernetes/manifests\n")
	changed = validRun(t, env, "nodeFile: {node: w1, path: /var/lib/kubelet/config.yaml, replace: {old: /etc/kubernetes/manifests, new: /etc/kubernetes/manifest}}")
	if want := []string{`replaced "/etc/kubernetes/manifests" with "/etc/kubernetes/manifest" in /var/lib/kubelet/config.yaml on w1 (once)`}; !equal(changed, want) {
		t.Errorf("changed %q, want %q", changed, want)
	}

	// Text the file lacks, and a file that is not there: an error naming
	// both, and no write.
	before := len(nodes.Calls())
	for src, want := range map[string]string{
		"nodeFile: {node: cp, path: " + sched + ", replace: {old: kube-scheduler, new: x}}":          `replace in ` + sched + ` on cp: the file does not contain "kube-scheduler"; nothing was changed`,
		"nodeFile: {node: cp, path: /etc/kubernetes/manifests/nope.yaml, replace: {old: a, new: b}}": "replace in /etc/kubernetes/manifests/nope.yaml on cp: no such file",
	} {
		s, _ := parse(t, src)
		if changed, err := s.Run(ctx, env); err == nil || err.Error() != want || len(changed) > 0 {
			t.Errorf("%s: changed %q, err %v; want %q", src, changed, err, want)
		}
	}
	for _, c := range nodes.Calls()[before:] {
		if c.Argv[0] != "sh" || !strings.Contains(c.Argv[2], "cat --") {
			t.Errorf("a failed replace ran %q; want only reads", c.Argv)
		}
	}
	if got, _ := nodes.File("cp", sched); got != strings.ReplaceAll(manifest, "kube-scheduler", "kube-schedulr") {
		t.Errorf("a failed replace changed the file: %q", got)
	}
	// Checked again when made in code.
	for _, bad := range []*steps.NodeFile{
		{Node: "cp", Path: sched, Replace: &steps.NodeFileReplace{Old: "", New: "x"}},
		{Node: "cp", Path: sched, Replace: &steps.NodeFileReplace{Old: "x", New: "x"}},
		{Node: "cp", Path: "/etc/kubernetes/admin.conf", Replace: &steps.NodeFileReplace{Old: "a", New: "b"}},
	} {
		if changed, err := (steps.Spec{Action: bad}).Run(ctx, env); err == nil || len(changed) > 0 {
			t.Errorf("%+v: changed %q, err %v; want it refused", bad.Replace, changed, err)
		}
	}
	needsKind(t, steps.Spec{Action: &steps.NodeFile{Node: "cp", Path: sched, Replace: &steps.NodeFileReplace{Old: "a", New: "b"}}})
}
