package lab

import (
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The node-command allow-list (nodetools.go), as the nodeCommand check
// (ReadOnly) and the nodeCommand step (MayWrite) use it. The check's and
// the step's own tests show each wired to it (grader/checks and
// scenarios/steps nodecommand_unit_test.go).

// argvOf reads a command as a scenario writes it, a YAML list.
func argvOf(t *testing.T, src string) []string {
	t.Helper()
	var argv []string
	if err := yaml.Unmarshal([]byte(src), &argv); err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return argv
}

// TestNodeCommandsTable: every entry reads or says what it writes, no
// program is a path or a shell, and no entry is listed twice.
func TestNodeCommandsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range nodeCommands() {
		if c.readOnly == (c.writes != nil) {
			t.Errorf("%s: read-only %v, writes %v: want an entry that reads, or one that says which files it writes", c, c.readOnly, c.writes != nil)
		}
		if strings.ContainsAny(c.prefix[0], "/ ") || slices.Contains([]string{"sh", "bash", "env", "python3", "kubectl", "nsenter", "chroot"}, c.prefix[0]) {
			t.Errorf("%s: a program that is a path, or runs anything", c)
		}
		if seen[c.String()] {
			t.Errorf("%s is listed twice", c)
		}
		seen[c.String()] = true
	}
}

// TestAllowedNodeCommandReadOnly: what a check may run, and what it may
// not, with the reason.
func TestAllowedNodeCommandReadOnly(t *testing.T) {
	allowed := []string{
		`[crictl, ps, -a]`,
		`[crictl, pods, --name, web]`,
		`[crictl, inspect, abc]`,
		`[crictl, inspectp, abc]`,
		`[crictl, inspecti, nginx]`,
		`[crictl, images]`,
		`[crictl, logs, --tail, "20", abc]`,
		`[etcdctl, get, /registry/pods, --prefix, --keys-only, --endpoints=https://127.0.0.1:2379]`,
		`[etcdctl, endpoint, health]`,
		`[etcdctl, endpoint, status, -w, table]`,
		`[etcdctl, member, list]`,
		`[etcdutl, snapshot, status, /opt/backup.db, -w, json]`,
		`[openssl, x509, -in, /etc/kubernetes/pki/apiserver.crt, -noout, -text]`,
		`[openssl, x509, -in, /a.crt, -noout, -checkend, "86400"]`,
		`[systemctl, is-active, kubelet]`,
		`[systemctl, is-enabled, kubelet]`,
		`[systemctl, status, kubelet, --no-pager]`,
		`[systemctl, show, kubelet, -p, ExecStart]`,
		`[systemctl, cat, kubelet]`,
		`[kubeadm, certs, check-expiration]`,
		`[cat, -n, /etc/kubernetes/manifests/etcd.yaml]`,
		`[ls, -la, /etc/kubernetes/manifests]`,
		`[stat, -c, "%a", /etc/kubernetes/pki/ca.key]`,
		`[test, -d, /var/lib/etcd-restore]`,
		`[journalctl, -u, kubelet, -n, "50", --no-pager]`,
		`[journalctl, -xeu, kubelet]`,
		`[journalctl, --unit=kubelet, --since, "10 min ago", -b, "-1"]`,
		// The step's read-only entries, which a check may run too.
		`[crictl, info]`,
		`[crictl, version]`,
		`[etcdctl, version]`,
		`[etcdutl, version]`,
		`[kubeadm, token, list, -o, json]`,
		`[kubeadm, config, images, list, --kubernetes-version, v1.37.2]`,
		`[kubeadm, config, validate, --config, /opt/course/ha/kubeadm.yaml]`,
		`[kubeadm, config, migrate, --old-config, /opt/course/ha/kubeadm.yaml]`,
		`[kubeadm, version, -o, short]`,
		`[openssl, verify, -CAfile, /etc/kubernetes/pki/ca.crt, /etc/kubernetes/pki/apiserver.crt]`,
		// "--" ends the flags: what follows is a key, a unit, a file.
		`[etcdctl, get, --, -odd-key]`,
	}
	for _, src := range allowed {
		if writes, err := AllowedNodeCommand(argvOf(t, src), ReadOnly); err != nil || writes != nil {
			t.Errorf("%s: %v, writes %v; want it allowed", src, err, writes)
		}
	}
	refused := []struct{ src, want string }{
		{`[]`, "required: the program and its arguments, as a list"},
		{`[rm, -f, /etc/kubernetes/manifests/etcd.yaml]`, `"rm" is not one of the read-only commands nodeCommand runs (a check only looks, and there is no shell); it runs cat, crictl, etcdctl, etcdutl, journalctl, kubeadm, ls, openssl, stat, systemctl, test`},
		{`[sh, -c, "cat /etc/hosts"]`, `"sh" is not one of the read-only commands`},
		{`[etcdctl, snapshot, save, /tmp/x.db]`, `"etcdctl snapshot save /tmp/x.db" is not one of the read-only commands nodeCommand runs; of etcdctl it runs etcdctl get, etcdctl endpoint health, etcdctl endpoint status, etcdctl member list, etcdctl version (each first, before its options); etcdctl snapshot save writes a file: a step may run it, a check only looks`},
		{`[etcdctl, put, k, v]`, "of etcdctl it runs"},
		{`[etcdctl, watch, k]`, "of etcdctl it runs"},
		{`[etcdutl, snapshot, restore, /x.db]`, "of etcdutl it runs etcdutl snapshot status, etcdutl version (each first, before its options); etcdutl snapshot restore writes a folder: a step may run it, a check only looks"},
		{`[crictl, rm, abc]`, "of crictl it runs"},
		{`[crictl, stop, abc]`, "of crictl it runs"},
		{`[systemctl, stop, kubelet]`, "of systemctl it runs"},
		{`[kubeadm, certs, renew, all]`, "of kubeadm it runs kubeadm certs check-expiration"},
		{`[crictl, logs, -f, abc]`, "crictl logs: flag -f is not one nodeCommand allows (it allows only flags that select and format what is read)"},
		{`[crictl, logs, --follow=true, abc]`, "crictl logs: flag --follow is not one"},
		{`[crictl, logs, -tf, abc]`, "crictl logs: flag -f is not one"},
		{`[crictl, ps, --watch]`, "crictl ps: flag --watch is not one"},
		{`[etcdctl, get, k, --debug]`, "etcdctl get: flag --debug is not one"},
		{`[etcdutl, snapshot, status, /x.db, --data-dir, /var/lib/etcd]`, "etcdutl snapshot status: flag --data-dir is not one"},
		{`[kubeadm, certs, check-expiration, --log-file, /etc/kubernetes/manifests/x.yaml]`, "kubeadm certs check-expiration: flag --log-file is not one"},
		{`[kubeadm, certs, check-expiration, --rootfs=/host]`, "flag --rootfs is not one"},
		{`[kubeadm, config, migrate, --old-config, /opt/course/a.yaml, --new-config, /etc/kubernetes/manifests/x.yaml]`, "kubeadm config migrate: flag --new-config is not one"},
		{`[systemctl, status, kubelet, --root=/x]`, "systemctl status: flag --root is not one"},
		{`[/usr/bin/cat, /etc/hosts]`, `"/usr/bin/cat" is not one of the read-only commands nodeCommand runs (a check only looks, and there is no shell); it runs cat, crictl, etcdctl, etcdutl, journalctl, kubeadm, ls, openssl, stat, systemctl, test; name the program, not a path to it`},
		{`[openssl, x509, -in, /a.crt, -engine, x]`, "flag -engine is not one"},
		{`[openssl, x509, -in, /a.crt, -out, /etc/kubernetes/pki/ca.crt]`, "openssl x509: flag -out is not one nodeCommand allows"},
		{`[openssl, x509, -in, /a.crt, -CAcreateserial]`, "flag -CAcreateserial is not one"},
		{`[openssl, x509, -in, /a.crt, --out=/x]`, "flag -out is not one"},
		{`[openssl, x509, /a.crt]`, "openssl x509 takes no arguments besides its flags"},
		{`[openssl, req, -in, /a.csr]`, "of openssl it runs openssl x509, openssl verify"},
		{`[openssl, verify, -engine, x, /a.crt]`, "openssl verify: flag -engine is not one nodeCommand allows (it allows only flags that select and format what is read); allowed: -CAfile -CApath -untrusted -purpose -verbose -show_chain"},
		{`[journalctl, --vacuum-size=1M]`, "journalctl: flag --vacuum-size is not one nodeCommand allows"},
		{`[journalctl, --vac=1M]`, "flag --vac is not one"},
		{`[journalctl, -n, --rotate]`, "flag --rotate is not one"},
		{`[journalctl, -u, kubelet, -f]`, "flag -f is not one"},
		{`[journalctl, -fu, kubelet]`, "flag -f is not one"},
		{`[cat, /dev/zero]`, `cat: "/dev/zero": files under /dev may never end or may block`},
		{`[cat, /proc/../proc/kmsg]`, "files under /proc"},
		{`[cat, etc/hosts]`, `cat: "etc/hosts": want an absolute path`},
		{`[cat, -n]`, "cat: name the file to read"},
		{`[cat, "-"]`, `cat: "-": want an absolute path`},
	}
	for _, c := range refused {
		_, err := AllowedNodeCommand(argvOf(t, c.src), ReadOnly)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.src, err, c.want)
		}
	}
}

// TestAllowedNodeCommandMayWrite: what a step may run besides, the files a
// writing command names (the step checks reset restores them), and the
// step's words for what it may not.
func TestAllowedNodeCommandMayWrite(t *testing.T) {
	for src, want := range map[string][]NodeWrite{
		`[etcdctl, snapshot, save, /opt/course/3/etcd.db, --cacert=/etc/kubernetes/pki/etcd/ca.crt, --cert, /etc/kubernetes/pki/etcd/server.crt]`: {
			{Command: "etcdctl snapshot save", Path: "/opt/course/3/etcd.db"}, {Command: "etcdctl snapshot save", Path: "/opt/course/3/etcd.db.part"}},
		// A restore makes one data folder under EtcdRestoreDir (the step
		// checks that reset removes it), from a snapshot under /opt/course/.
		`[etcdutl, snapshot, restore, /opt/course/2/etcd-backup.db, --data-dir, /var/lib/etcd-from-backup]`: {
			{Command: "etcdutl snapshot restore", Path: "/var/lib/etcd-from-backup", Folder: true}},
		`[etcdutl, snapshot, restore, --data-dir=/var/lib/etcd-from-backup/2041, /opt/course/2/etcd-backup.db, --name, cp, --initial-cluster, "cp=https://127.0.0.1:2380", --initial-cluster-token=t, --initial-advertise-peer-urls, "https://127.0.0.1:2380", --bump-revision, "1000000000", --mark-compacted, -w, json]`: {
			{Command: "etcdutl snapshot restore", Path: "/var/lib/etcd-from-backup/2041", Folder: true}},
		`[crictl, ps, --name, etcd, -q]`:      nil,
		`[systemctl, is-active, kubelet]`:     nil,
		`[cat, /var/lib/kubelet/config.yaml]`: nil,
	} {
		got, err := AllowedNodeCommand(argvOf(t, src), MayWrite)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: writes %+v, %v; want %+v", src, got, err, want)
		}
	}
	for src, want := range map[string]string{
		`[]`:                                 "required: the program and its arguments, as a list, such as [crictl, ps]",
		`[sh, -c, "crictl ps"]`:              `"sh" may not run on a node: a node command runs one of cat, crictl, etcdctl, etcdutl, journalctl, kubeadm, ls, openssl, stat, systemctl, test, with no shell (kind's nodes are privileged containers)`,
		`[/tmp/crictl, ps]`:                  `"/tmp/crictl" may not run on a node: a node command runs one of cat, crictl`,
		`[kubectl, get, pods]`:               `"kubectl" may not run on a node`,
		`[etcdctl, del, "", --prefix]`:       "etcdctl del  --prefix may not run on a node: want one of etcdctl snapshot save, etcdctl get, etcdctl endpoint health, etcdctl endpoint status, etcdctl member list, etcdctl version (each first, before its options)",
		`[etcdctl, --debug, get, /]`:         "(each first, before its options)",
		`[crictl, exec, abc, sh]`:            "crictl exec abc sh may not run on a node",
		`[kubeadm, reset, -f]`:               "kubeadm reset -f may not run on a node",
		`[openssl, genrsa]`:                  "openssl genrsa may not run on a node",
		`[crictl, logs, -f, abc]`:            "crictl logs: flag -f is not one nodeCommand allows",
		`[kubeadm, version, --log-file, /x]`: "kubeadm version: flag --log-file is not one nodeCommand allows",
		`[etcdctl, snapshot, save]`:          `etcdctl snapshot save: put the file it writes right after "snapshot save"`,
		`[etcdctl, snapshot, save, --endpoints=x, /opt/course/a]`:       `put the file it writes right after "snapshot save"`,
		`[etcdctl, snapshot, save, /opt/a, /opt/b]`:                     "etcdctl snapshot save: it writes one file, /opt/a: give it no other argument (/opt/b)",
		`[etcdctl, snapshot, save, /opt/a, --endpoints, x, --, /opt/b]`: "it writes one file, /opt/a: give it no other argument (/opt/b)",
		`[etcdctl, snapshot, save, /opt/a, --debug]`:                    "etcdctl snapshot save: flag --debug is not one",
		// Restores: only into EtcdRestoreDir, never over etcd's own data,
		// from a snapshot under /opt/course/, with its hash checked and
		// its WAL in the data folder.
		`[etcdutl, snapshot, restore, /opt/course/b.db, --data-dir, /var/lib/etcd]`:                                         `etcdutl snapshot restore: --data-dir "/var/lib/etcd": restore into /var/lib/etcd-from-backup or a folder in it`,
		`[etcdutl, snapshot, restore, /opt/course/b.db, --data-dir=/var/lib/etcd-from-backup2]`:                             `--data-dir "/var/lib/etcd-from-backup2": restore into /var/lib/etcd-from-backup`,
		`[etcdutl, snapshot, restore, /opt/course/b.db, --data-dir=/var/lib/etcd-from-backup/../etcd]`:                      `restore into /var/lib/etcd-from-backup or a folder in it (an absolute path without ..`,
		`[etcdutl, snapshot, restore, /opt/course/b.db, --data-dir=/var/lib/etcd-from-backup/]`:                             `restore into /var/lib/etcd-from-backup or a folder in it`,
		`[etcdutl, snapshot, restore, /opt/course/b.db, --data-dir=var/lib/etcd-from-backup]`:                               `restore into /var/lib/etcd-from-backup`,
		`[etcdutl, snapshot, restore, /opt/course/b.db]`:                                                                    "etcdutl snapshot restore: give --data-dir once, a new folder under /var/lib/etcd-from-backup (got it 0 times)",
		`[etcdutl, snapshot, restore, /opt/course/b.db, --data-dir=/var/lib/etcd-from-backup/a, --data-dir, /var/lib/etcd]`: "give --data-dir once",
		`[etcdutl, snapshot, restore, /opt/course/b.db, --data-dir]`:                                                        "etcdutl snapshot restore: flag --data-dir needs a value",
		`[etcdutl, snapshot, restore, /opt/course/b.db, --data-dir, --name, x]`:                                             "flag --data-dir needs a value",
		`[etcdutl, snapshot, restore, --data-dir=/var/lib/etcd-from-backup]`:                                                "etcdutl snapshot restore: give it one snapshot file to restore, got 0",
		`[etcdutl, snapshot, restore, /opt/course/a.db, /opt/course/b.db, --data-dir=/var/lib/etcd-from-backup]`:            "give it one snapshot file to restore, got 2 (/opt/course/a.db /opt/course/b.db)",
		`[etcdutl, snapshot, restore, /var/lib/etcd/member/snap/db, --data-dir=/var/lib/etcd-from-backup]`:                  `"/var/lib/etcd/member/snap/db": the snapshot must be a file under /opt/course/`,
		`[etcdutl, snapshot, restore, /opt/course/../../etc/x, --data-dir=/var/lib/etcd-from-backup]`:                       "the snapshot must be a file under /opt/course/",
		`[etcdutl, snapshot, restore, /opt/course/b.db, --data-dir=/var/lib/etcd-from-backup, --skip-hash-check]`:           "etcdutl snapshot restore: flag --skip-hash-check is not allowed: a snapshot etcdctl snapshot save wrote carries a hash",
		`[etcdutl, snapshot, restore, /opt/course/b.db, --data-dir=/var/lib/etcd-from-backup, --wal-dir, /var/lib/wal]`:     "flag --wal-dir is not allowed: etcd's WAL stays in the data folder",
		`[etcdutl, snapshot, restore, /opt/course/b.db, --data-dir=/var/lib/etcd-from-backup, --timeout=0]`:                 "flag --timeout is not one nodeCommand allows for a restore; allowed: --data-dir --name",
		`[etcdutl, snapshot, restore, /opt/course/b.db, --data-dir=/var/lib/etcd-from-backup, --, /opt/course/c.db]`:        "give it one snapshot file to restore, got 2",
		`[etcdutl, defrag, --data-dir, /var/lib/etcd]`:                                                                      "etcdutl defrag --data-dir /var/lib/etcd may not run on a node: want one of etcdutl snapshot restore, etcdutl snapshot status, etcdutl version",
	} {
		writes, err := AllowedNodeCommand(argvOf(t, src), MayWrite)
		if err == nil || !strings.Contains(err.Error(), want) || writes != nil {
			t.Errorf("%s: writes %v, %v; want an error containing %q", src, writes, err, want)
		}
	}
}
