package steps_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios/steps"
)

func TestNodeCommandUnit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env, nodes := nodeLab(t, nil)
	// The node's tools, as far as the test runs them.
	nodes.Run = func(node string, argv []string, _ []byte) (string, string, int, bool) {
		switch {
		case slices.Equal(argv, []string{"crictl", "ps", "--name", "etcd", "-q"}):
			return "4f6e2a1b9c3d\n", "", 0, true
		case argv[0] == "crictl" && argv[1] == "inspect":
			return "", "getting the status of the container: not found", 1, true
		case argv[0] == "etcdctl" && argv[1] == "snapshot":
			nodes.SetFile(node, argv[3], "snapshot")
			return "Snapshot saved at " + argv[3] + "\n", "", 0, true
		case argv[0] == "etcdutl" && argv[2] == "restore":
			nodes.SetFile(node, "/var/lib/etcd-from-backup/member/snap/db", "restored")
			return "", "", 0, true
		case argv[0] == "kubeadm":
			time.Sleep(200 * time.Millisecond) // longer than the step's timeout below
			return "", "", 0, true
		}
		return "", "", 0, false
	}

	changed := validRun(t, env, "nodeCommand: {node: cp, command: [crictl, ps, --name, etcd, -q], saveOutput: /opt/course/2/container-id}")
	if got, _ := nodes.File("cp", "/opt/course/2/container-id"); got != "4f6e2a1b9c3d\n" ||
		!equal(changed, []string{"ran crictl ps --name etcd -q on cp", "saved its output to /opt/course/2/container-id on cp"}) {
		t.Errorf("saved %q, changed %q", got, changed)
	}
	snapshot := "nodeCommand: {node: cp, command: [etcdctl, snapshot, save, /opt/course/3/etcd.db, --cacert=/etc/kubernetes/pki/etcd/ca.crt, --cert, /etc/kubernetes/pki/etcd/server.crt]}"
	if changed := validRun(t, env, snapshot); !equal(changed, []string{"ran etcdctl snapshot save /opt/course/3/etcd.db --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/server.crt on cp"}) {
		t.Errorf("snapshot: changed %q", changed)
	}
	// A restore makes its data folder under lab.EtcdRestoreDir, which
	// reset removes whole.
	restore := "nodeCommand: {node: cp, command: [etcdutl, snapshot, restore, /opt/course/3/etcd.db, --data-dir, /var/lib/etcd-from-backup]}"
	if changed := validRun(t, env, restore); !equal(changed, []string{"ran etcdutl snapshot restore /opt/course/3/etcd.db --data-dir /var/lib/etcd-from-backup on cp"}) {
		t.Errorf("restore: changed %q", changed)
	}
	// A step may run what a check runs, too (the allow-list's read-only
	// entries).
	validRun(t, env, "nodeCommand: {node: cp, command: [systemctl, is-active, kubelet], saveOutput: /opt/course/5/kubelet}")
	if got, _ := nodes.File("cp", "/opt/course/5/kubelet"); got != "active\n" {
		t.Errorf("systemctl is-active saved %q", got)
	}

	// A non-zero exit fails the step with the command's stderr.
	s, _ := parse(t, "nodeCommand: {node: cp, command: [crictl, inspect, nope], saveOutput: /opt/course/4/out}")
	changed, err := s.Run(ctx, env)
	var ne *lab.NodeError
	if !errors.As(err, &ne) || ne.Code != 1 || err.Error() != "crictl inspect nope on cp: exit 1: getting the status of the container: not found" || len(changed) > 0 {
		t.Errorf("failing command: changed %q, err %v", changed, err)
	}
	if _, ok := nodes.File("cp", "/opt/course/4/out"); ok {
		t.Error("a failed command's output was saved")
	}
	// exitCode: a wrong answer shows a command failing as the learner's
	// would; the step fails if it succeeds, or fails otherwise.
	if changed := validRun(t, env, "nodeCommand: {node: cp, command: [crictl, inspect, nope], exitCode: 1}"); !equal(changed, []string{"ran crictl inspect nope on cp: exit 1, as expected"}) {
		t.Errorf("expected failure: changed %q", changed)
	}
	s, _ = parse(t, "nodeCommand: {node: cp, command: [crictl, ps, --name, etcd, -q], exitCode: 1}")
	if changed, err := s.Run(ctx, env); err == nil || err.Error() != "crictl ps --name etcd -q on cp: exit 0, want exit 1 (the step shows a command that fails)" || len(changed) > 0 {
		t.Errorf("a command expected to fail succeeded: changed %q, err %v", changed, err)
	}
	s, _ = parse(t, "nodeCommand: {node: cp, command: [crictl, inspect, nope], exitCode: 2}")
	if _, err := s.Run(ctx, env); err == nil || !strings.HasSuffix(err.Error(), "not found (want exit 2)") {
		t.Errorf("another exit code: %v", err)
	}
	// A command that does not end is stopped at the step's timeout.
	s, _ = parse(t, "nodeCommand: {node: cp, command: [kubeadm, certs, check-expiration], timeout: 50ms}")
	if _, err := s.Run(ctx, env); err == nil || !strings.Contains(err.Error(), "still running after 50ms") {
		t.Errorf("timeout: %v", err)
	}
	// A command made in code is checked again when it runs.
	if changed, err := (steps.Spec{Action: &steps.NodeCommand{Node: "cp", Command: []string{"sh", "-c", "id"}}}).Run(ctx, env); err == nil || len(changed) > 0 {
		t.Errorf("sh made in code: changed %q, err %v", changed, err)
	}
	for _, c := range nodes.Calls() {
		if c.Argv[0] == "sh" && c.Argv[2] == "id" {
			t.Errorf("ran %q", c.Argv)
		}
	}
	needsKind(t, steps.Spec{Action: &steps.NodeCommand{Node: "cp", Command: []string{"crictl", "ps"}}})

	refused(t, nil, map[string]string{
		"nodeCommand: {node: cp, command: [sh, -c, 'crictl ps']}":                                                              `step.nodeCommand.command: "sh" may not run on a node: a node command runs one of cat, crictl, etcdctl, etcdutl, journalctl, kubeadm, ls, openssl, stat, systemctl, test, with no shell`,
		"nodeCommand: {node: cp, command: [bash]}":                                                                             `"bash" may not run`,
		"nodeCommand: {node: cp, command: [python3, -c, x]}":                                                                   `"python3" may not run`,
		"nodeCommand: {node: cp, command: [curl, http://x]}":                                                                   `"curl" may not run`,
		"nodeCommand: {node: cp, command: [kubectl, get, pods]}":                                                               `"kubectl" may not run`,
		"nodeCommand: {node: cp, command: [/tmp/crictl, ps]}":                                                                  `"/tmp/crictl" may not run on a node: a node command runs one of cat, crictl`,
		"nodeCommand: {node: cp, command: [etcdctl, del, '', --prefix]}":                                                       "etcdctl del  --prefix may not run on a node: want one of etcdctl snapshot save, etcdctl get",
		"nodeCommand: {node: cp, command: [etcdctl, --debug, get, /]}":                                                         "(each first, before its options)",
		"nodeCommand: {node: cp, command: [crictl, exec, abc, sh]}":                                                            "crictl exec abc sh may not run",
		"nodeCommand: {node: cp, command: [crictl, rmi, --all]}":                                                               "crictl rmi --all may not run",
		"nodeCommand: {node: cp, command: [crictl, logs, -f, abc]}":                                                            "crictl logs: flag -f is not one nodeCommand allows (it allows only flags that select and format what is read); allowed: --name",
		"nodeCommand: {node: cp, command: [kubeadm, reset, -f]}":                                                               "kubeadm reset -f may not run",
		"nodeCommand: {node: cp, command: [kubeadm, token, list, --rootfs=/]}":                                                 "kubeadm token list: flag --rootfs is not one nodeCommand allows",
		"nodeCommand: {node: cp, command: [kubeadm, version, --log-file, /etc/x]}":                                             "kubeadm version: flag --log-file is not one",
		"nodeCommand: {node: cp, command: [openssl, x509, -in, /etc/kubernetes/pki/ca.crt, -out, /tmp/x]}":                     "openssl x509: flag -out is not one nodeCommand allows",
		"nodeCommand: {node: cp, command: [openssl, x509, -engine, /opt/course/e.so]}":                                         "openssl x509: flag -engine is not one",
		"nodeCommand: {node: cp, command: [openssl, genrsa]}":                                                                  "openssl genrsa may not run",
		"nodeCommand: {node: cp, command: [etcdctl, snapshot, save, /root/etcd.db]}":                                           `etcdctl snapshot save writes /root/etcd.db: "/root/etcd.db" is not a node file that reset restores`,
		"nodeCommand: {node: cp, command: [etcdctl, snapshot, save, /var/lib/kubelet/config.yaml]}":                            "writes /var/lib/kubelet/config.yaml.part",
		"nodeCommand: {node: cp, command: [etcdctl, snapshot, save, --endpoints=x, /opt/course/a]}":                            `put the file it writes right after "snapshot save"`,
		"nodeCommand: {node: cp, command: [etcdctl, snapshot, save]}":                                                          `put the file it writes right after`,
		"nodeCommand: {node: cp, command: [systemctl, stop, kubelet]}":                                                         "systemctl stop kubelet may not run on a node: want one of systemctl is-active",
		"nodeCommand: {node: cp, command: [etcdctl, snapshot, save, /opt/course/a, /root/b]}":                                  "etcdctl snapshot save: it writes one file, /opt/course/a: give it no other argument (/root/b)",
		"nodeCommand: {node: cp, command: [etcdctl, snapshot, save, /opt/course/a, --, /root/b]}":                              "it writes one file, /opt/course/a: give it no other argument (/root/b)",
		"nodeCommand: {node: cp, command: [crictl, ps], saveOutput: /etc/hosts}":                                               `step.nodeCommand.saveOutput: "/etc/hosts" is not a node file that reset restores`,
		"nodeCommand: {node: cp, command: [etcdutl, snapshot, restore, /opt/course/3/etcd.db, --data-dir, /var/lib/etcd]}":     `step.nodeCommand.command: etcdutl snapshot restore: --data-dir "/var/lib/etcd": restore into /var/lib/etcd-from-backup or a folder in it`,
		"nodeCommand: {node: cp, command: [etcdutl, snapshot, restore, /root/etcd.db, --data-dir, /var/lib/etcd-from-backup]}": `the snapshot must be a file under /opt/course/`,
		"nodeCommand: {node: cp, command: []}":                                                                                 "step.nodeCommand.command: required: the program and its arguments, as a list",
		"nodeCommand: {node: cp, command: crictl ps}":                                                                          "step.nodeCommand.command: got the string",
		"nodeCommand: {command: [crictl, ps]}":                                                                                 "step.nodeCommand.node: required",
		"nodeCommand: {node: cp, command: [crictl, ps], exitCode: 300}":                                                        "step.nodeCommand.exitCode: got 300, want 0 to 255",
		"nodeCommand: {node: cp, command: [crictl, ps], exitCode: 1, saveOutput: /opt/course/x}":                               "step.nodeCommand.saveOutput: a command expected to fail (exitCode 1) has no output worth saving",
	})
}
