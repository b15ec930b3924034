package checks_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/lab"
)

func TestNodeCommandUnit(t *testing.T) {
	t.Parallel()
	l := newUnitLab(t, "")
	nodes := l.withNodes("cp", "w1")
	// What the fake nodes do not model: crictl, openssl and test answer
	// here as a kind node would.
	nodes.Run = func(node string, argv []string, _ []byte) (string, string, int, bool) {
		switch strings.Join(argv, " ") {
		case "crictl ps --name kube-scheduler --state running -q":
			if node == "cp" {
				return "3f2a9c1e0b7d\n", "", 0, true
			}
			return "", "", 0, true
		case "openssl x509 -in /etc/kubernetes/pki/apiserver.crt -noout -subject -enddate":
			return "subject=CN = kube-apiserver\nnotAfter=Jan  1 00:00:00 2027 GMT\n", "", 0, true
		case "test -f /etc/kubernetes/manifests/web.yaml":
			return "", "", 1, true
		case "etcdctl endpoint health --cluster":
			return "", "Error: context deadline exceeded\n", 1, true
		}
		return "", "", 0, false
	}

	runUnitCases(t, "nodeCommand", l.Env, []unitCase{
		{"pass: a container runs (stdout matches)", `{node: cp, command: [crictl, ps, --name, kube-scheduler, --state, running, -q], stdoutMatches: '^[0-9a-f]{12}\s*$'}`, true, nil},
		{"fail: no container on that node", `{node: w1, command: [crictl, ps, --name, kube-scheduler, --state, running, -q], stdoutMatches: '[0-9a-f]{12}'}`, false,
			[]string{"stdout does not match /[0-9a-f]{12}/"}},
		{"pass: stdoutContains", `{node: w1, command: [openssl, x509, -in, /etc/kubernetes/pki/apiserver.crt, -noout, -subject, -enddate], stdoutContains: "CN = kube-apiserver"}`, true, nil},
		{"fail: stdoutContains", `{node: w1, command: [openssl, x509, -in, /etc/kubernetes/pki/apiserver.crt, -noout, -subject, -enddate], stdoutContains: "2026"}`, false,
			[]string{`stdout does not contain "2026"`}},
		{"pass: systemd's word (modelled by the fake nodes)", `{node: w1, command: [systemctl, is-active, kubelet], stdoutContains: active}`, true, nil},
		{"pass: a non-zero exit that is expected", `{node: w1, command: [test, -f, /etc/kubernetes/manifests/web.yaml], exitCode: 1}`, true, nil},
		{"fail: exit code, with stderr", `{node: cp, command: [etcdctl, endpoint, health, --cluster]}`, false,
			[]string{"exit code 1, want 0", "stderr: Error: context deadline exceeded"}},
		{"fail: the command is not on the node", `{node: w1, command: [journalctl, -u, kubelet, -n, "20"]}`, false,
			[]string{"exit code 127, want 0", "command not modelled"}},
		{"fail: an unknown node is an error", `{node: w9, command: [ls, /]}`, false, []string{"run `ls /` on w9", `no node "w9"`}},
	})

	t.Run("argv goes to the node as written, and the report shows the output", func(t *testing.T) {
		before := len(nodes.Calls())
		chk := build(t, "nodeCommand", `{node: w1, command: [systemctl, is-active, kubelet], stdoutContains: inactive}`)
		nodes.SetUnit("w1", "kubelet", lab.UnitState{Active: "inactive", Enabled: "enabled"})
		defer nodes.SetUnit("w1", "kubelet", lab.UnitState{Active: "active", Enabled: "enabled"})
		obs := chk.Observe(t.Context(), l.Env)
		calls := nodes.Calls()[before:]
		if len(calls) != 1 || calls[0].Node != "w1" || !slices.Equal(calls[0].Argv, []string{"systemctl", "is-active", "kubelet"}) {
			t.Errorf("calls %v", calls)
		}
		// systemctl is-active exits 3 for an inactive unit: exitCode 0
		// (the default) fails although stdout says what was wanted.
		unitWantProblem(t, obs, "exit code 3, want 0")
		if obs.Passed || obs.Actual != "exit 3, stdout: inactive" {
			t.Errorf("passed %v, actual %q", obs.Passed, obs.Actual)
		}
		unitWantContains(t, "expected", obs.Expected, "`systemctl is-active kubelet` on node w1 exits 0", `stdout containing "inactive"`)
	})

	t.Run("a lab without node access (sim) says so", func(t *testing.T) {
		sim := newUnitLab(t, "")
		unitFail(t, build(t, "nodeCommand", `{node: w1, command: [ls, /]}`), sim.Env, "this check needs a lab with node access (kind)")
	})
}

// TestNodeCommandAllowList: what validation lets through, and what it
// refuses with the reason.
func TestNodeCommandAllowList(t *testing.T) {
	t.Parallel()
	// The allow-list itself is tested in lab/nodetools_test.go; here, that
	// the check uses its read-only entries, and reports at the command.
	for _, src := range []string{`[crictl, ps, -a]`, `[systemctl, is-active, kubelet]`, `[cat, -n, /etc/kubernetes/manifests/etcd.yaml]`, `[openssl, verify, -CAfile, /a.crt, /b.crt]`} {
		build(t, "nodeCommand", "{node: cp, command: "+src+"}")
	}
	refused := []struct{ src, want string }{
		{`[]`, "nodeCommand.command: required: the program and its arguments, as a list"},
		{`[rm, -f, /etc/kubernetes/manifests/etcd.yaml]`, `nodeCommand.command: "rm" is not one of the read-only commands nodeCommand runs (a check only looks, and there is no shell); it runs cat, crictl, etcdctl, etcdutl, journalctl, kubeadm, ls, openssl, stat, systemctl, test`},
		{`[etcdctl, snapshot, save, /opt/course/x.db]`, `"etcdctl snapshot save /opt/course/x.db" is not one of the read-only commands nodeCommand runs; of etcdctl it runs etcdctl get, etcdctl endpoint health, etcdctl endpoint status, etcdctl member list`},
		{`[crictl, logs, -f, abc]`, "crictl logs: flag -f is not one nodeCommand allows (it allows only flags that select and format what is read)"},
		{`[cat, /dev/zero]`, `cat: "/dev/zero": files under /dev may never end or may block`},
	}
	for _, c := range refused {
		unitWantInvalid(t, "nodeCommand", "{node: cp, command: "+c.src+"}", c.want)
	}
	for _, c := range []struct{ src, want string }{
		{`{command: [ls]}`, "nodeCommand.node: required"},
		{`{node: cp, command: [ls], exitCode: 300}`, "nodeCommand.exitCode: got 300, want 0 to 255"},
		{`{node: cp, command: [ls], stdoutMatches: "("}`, "nodeCommand.stdoutMatches: error parsing regexp"},
		{`{node: cp, command: "crictl ps"}`, "nodeCommand.command: got the string `crictl ps`, want a list"},
	} {
		unitWantInvalid(t, "nodeCommand", c.src, c.want)
	}
}
