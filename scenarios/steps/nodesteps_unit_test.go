package steps_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios/steps"
)

// What the node steps' unit tests share: a lab of fakes whose nodes are
// fakelab.Nodes, the problems of a step as written, and a run on a lab
// without node access.

// nodeLab is a lab of fakes with node access to nodes cp and w1.
func nodeLab(t *testing.T, files fs.FS) (steps.Env, *fakelab.Nodes) {
	t.Helper()
	nodes := fakelab.NewNodes("cp", "w1")
	c := fakelab.New(t)
	c.Exec = nodes
	return steps.Env{Cluster: c, Files: files}, nodes
}

// problemsOf validates a step as written, with files as its scenario's
// folder, and returns its problems as "path: message".
func problemsOf(t *testing.T, src string, files fs.FS) []string {
	t.Helper()
	s, node := parse(t, src)
	ps, _ := s.Validate("step", node, files)
	var out []string
	for _, p := range ps {
		out = append(out, p.Path+": "+p.Msg)
	}
	return out
}

// refused checks that each step is refused by Validate with a problem
// containing its fragment.
func refused(t *testing.T, files fs.FS, cases map[string]string) {
	t.Helper()
	for src, fragment := range cases {
		got := problemsOf(t, src, files)
		if !strings.Contains(strings.Join(got, "\n"), fragment) {
			t.Errorf("%s: problems %q, want one containing %q", src, got, fragment)
		}
	}
}

// validRun validates a step (with files as its folder) and runs it.
func validRun(t *testing.T, env steps.Env, src string) []string {
	t.Helper()
	if ps := problemsOf(t, src, env.Files); len(ps) > 0 {
		t.Fatalf("%s: problems %q", src, ps)
	}
	s, _ := parse(t, src)
	return run(t, env, s)
}

// needsKind checks that the step fails on a lab without node access (the
// sim), saying a kind lab is needed, and changes nothing.
func needsKind(t *testing.T, s steps.Spec) {
	t.Helper()
	changed, err := s.Run(context.Background(), steps.Env{Cluster: fakelab.New(t)})
	if !errors.Is(err, lab.ErrNoNodeAccess) || !strings.Contains(err.Error(), "kind lab") || len(changed) > 0 {
		t.Errorf("%s without node access: changed %q, err %v; want lab.ErrNoNodeAccess naming a kind lab", s.Name(), changed, err)
	}
}

// TestNodeStepChanges: node steps say which files they change inside the
// node (Change.Path), so that a scenario can tell its task's course folder
// from the rest of the node; a change of the node itself has no path, and
// a command that only reads, its output kept nowhere, changes nothing.
func TestNodeStepChanges(t *testing.T) {
	t.Parallel()
	for src, want := range map[string][]string{
		"nodeFile: {node: cp, path: /opt/course/3/a, content: x}":                                                                      {"cp /opt/course/3/a"},
		"nodeFile: {node: cp, path: /etc/kubernetes/manifests/x.yaml, moveTo: /opt/course/3/x.yaml}":                                   {"cp /etc/kubernetes/manifests/x.yaml", "cp /opt/course/3/x.yaml"},
		"nodeCommand: {node: w1, command: [crictl, ps, -q]}":                                                                           nil,
		"nodeCommand: {node: w1, command: [crictl, ps, -q], saveOutput: /opt/course/3/ids}":                                            {"w1 /opt/course/3/ids"},
		"nodeCommand: {node: cp, command: [etcdctl, snapshot, save, /opt/course/3/etcd.db]}":                                           {"cp /opt/course/3/etcd.db", "cp /opt/course/3/etcd.db.part"},
		"nodeCommand: {node: cp, command: [etcdutl, snapshot, restore, /opt/course/3/etcd.db, --data-dir, /var/lib/etcd-from-backup]}": {"cp /var/lib/etcd-from-backup"},
		// Off the allow-list (Validate refuses it): the node, no path.
		"nodeCommand: {node: cp, command: [sh, -c, 'rm -rf /']}":  {"cp "},
		"nodeService: {node: w1, unit: kubelet, action: stop}":    {"w1 "},
		"taint: {node: w1, key: a, value: b, effect: NoSchedule}": {"w1 "},
	} {
		s, _ := parse(t, src)
		var got []string
		for _, c := range s.Changes(nil) {
			if c.Verb != steps.VerbPatch || c.Object != (lab.Ref{APIVersion: "v1", Kind: "Node", Name: c.Object.Name}) {
				t.Errorf("%s: change %+v, want a patch of a Node", src, c)
			}
			got = append(got, c.Object.Name+" "+c.Path)
		}
		if !equal(got, want) {
			t.Errorf("%s: changes %q, want %q", src, got, want)
		}
	}
}
