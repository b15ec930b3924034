package lab

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// What a node command may run: one allow-list for the nodeCommand step
// (scenarios/steps), which may run every entry, and the nodeCommand check
// (grader/checks), which only looks and so runs only the read-only ones.
//
// Scenario folders are untrusted and kind's nodes are privileged
// containers: a root command there can reach the host. So a node command
// is never a shell (no sh, bash, python, curl: any of them runs anything;
// argv reaches the node as it is, so `;`, `|`, `>` and `$(…)` are plain
// arguments), a program is named, not given by path (it runs from the
// node's PATH), and it is one of a few node tools CKA tasks use, with
// subcommands that read (or write where reset undoes it, which the step
// checks: etcdctl snapshot save writes one file, etcdutl snapshot restore
// one data folder, under EtcdRestoreDir) and flags that are allow-lists
// too: only flags that select and format what is read, none that writes a
// file (kubeadm's --log-file, openssl's -out, journalctl's --vacuum-*),
// changes root (kubeadm's --rootfs), loads code (openssl's -engine and
// -provider) or never ends (--follow, watch). cat, ls, stat and test take
// any flag: none of theirs writes. Left out on purpose:
//   - kubectl: a node's admin.conf makes it cluster-admin, around the
//     protection rules (scenarios/steps/protect.go) the apply, patch and
//     delete steps are held to; `kubectl debug node/...` starts a
//     privileged shell, and kubectl runs plugins found on PATH. Steps
//     already reach the API, and the grader reads it;
//   - etcdctl put, del, defrag, compact, member add and remove, snapshot
//     restore: they change the cluster's store behind the API, or break
//     it; watch never ends;
//   - etcdutl defrag, migrate, and snapshot restore anywhere but under
//     EtcdRestoreDir (or with --wal-dir, or --skip-hash-check): they
//     change a data folder etcd runs on, or write one reset knows
//     nothing of;
//   - crictl exec, attach, run, rm, rmi, stop: a shell in a container, or
//     containers and images an offline lab cannot get back;
//   - kubeadm init, join, reset, upgrade, certs renew: they rebuild the
//     node or its certificates for good;
//   - openssl beyond reading certificates: -out, genrsa and req write
//     files, -engine and -provider load a shared library (code);
//   - systemctl's verbs that act (start, stop, enable, ...): the
//     nodeService step does those, on the units reset restores.

// NodeCommandUse is who runs a node command, which decides the entries of
// the allow-list it may use.
type NodeCommandUse int

const (
	// ReadOnly is a nodeCommand check: the grader only observes, so only
	// entries that read.
	ReadOnly NodeCommandUse = iota
	// MayWrite is a nodeCommand step: every entry, those that write a file
	// too (AllowedNodeCommand returns the files, for the step to check
	// that reset restores them).
	MayWrite
)

// NodeWrite is a file a node command writes, or a folder it makes with
// what it holds.
type NodeWrite struct {
	Command string // the allow-list's entry: "etcdctl snapshot save"
	Path    string // as the command was given it
	// Folder: Path is a folder the command makes (or fills, when it is
	// empty) with files of its own: etcdutl snapshot restore's data
	// folder. Reset must remove it whole.
	Folder bool
}

// EtcdRestoreDir is where a nodeCommand step may restore an etcd snapshot
// (`etcdutl snapshot restore FILE --data-dir DIR`): DIR is this folder or
// one inside it, and FILE a snapshot under /opt/course/. It is the folder
// the Kubernetes documentation restores into, and a task names it to the
// learner. A new lab's nodes do not have it: the baseline records that,
// and reset removes it, but only once etcd runs on its own data again and
// no etcd process holds a file in it (lab/baseline/etcd.go).
const EtcdRestoreDir = "/var/lib/etcd-from-backup"

// CourseRoot holds the tasks' course folders on a lab's nodes, where they
// keep their files as on the real exam (/opt/course/<N>; in practice
// /opt/course/<scenario id>): the snapshots a restore reads. Reset empties
// it (lab/baseline's DefaultNodeFiles).
const CourseRoot = "/opt/course"

// nodeCommand is an entry of the allow-list: argv that starts with prefix
// (the program and its subcommand), whose further arguments args accepts
// (nil: any).
type nodeCommand struct {
	prefix []string
	args   argRule
	// readOnly says that the command only reads, so that a check may run
	// it. Every other entry writes files, and says which in writes.
	readOnly bool
	// writes names, from the arguments after prefix, the files (or
	// folders) the command writes (nil for a read-only entry); the
	// caller fills in Command.
	writes func(args []string) ([]NodeWrite, error)
	// folder: what it writes is a folder (for messages).
	folder bool
}

func (c nodeCommand) String() string { return strings.Join(c.prefix, " ") }

// argRule judges the arguments after a command's prefix.
type argRule func(args []string) error

// nodeCommands is the allow-list, by program; a program's entries are in
// the order error messages list them.
func nodeCommands() []nodeCommand {
	crictl, etcdctl, etcdutl, kubeadm, systemctl := crictlFlags(), etcdctlFlags(), etcdutlFlags(), kubeadmFlags(), systemctlFlags()
	restore := etcdutlRestoreFlags()
	return []nodeCommand{
		// crictl asks the container runtime, which answers even when the
		// API server (itself a static pod) is down: the containers and
		// their state, the pod sandboxes, one of either, the images, a
		// container's log (without --follow), the runtime's status and
		// version. exec, attach, run, rm, rmi and stop are not here.
		{prefix: []string{"crictl", "ps"}, args: crictl.check, readOnly: true},
		{prefix: []string{"crictl", "pods"}, args: crictl.check, readOnly: true},
		{prefix: []string{"crictl", "inspect"}, args: crictl.check, readOnly: true},
		{prefix: []string{"crictl", "inspectp"}, args: crictl.check, readOnly: true},
		{prefix: []string{"crictl", "inspecti"}, args: crictl.check, readOnly: true},
		{prefix: []string{"crictl", "images"}, args: crictl.check, readOnly: true},
		{prefix: []string{"crictl", "logs"}, args: crictl.check, readOnly: true},
		{prefix: []string{"crictl", "info"}, args: crictl.check, readOnly: true},
		{prefix: []string{"crictl", "version"}, args: crictl.check, readOnly: true},
		// etcdctl: the etcd backup task (snapshot save, into a file the
		// step checks reset removes; etcdctl writes it with .part added
		// first, then renames it), and reads over the network: keys (a
		// restored snapshot holds the objects it should), the endpoint's
		// health and status, the members. put, del, defrag, compaction,
		// member add/remove and watch (it never ends) are not here.
		{prefix: []string{"etcdctl", "snapshot", "save"}, args: etcdctl.check, writes: fileRightAfter("snapshot save", etcdctl, ".part")},
		{prefix: []string{"etcdctl", "get"}, args: etcdctl.check, readOnly: true},
		{prefix: []string{"etcdctl", "endpoint", "health"}, args: etcdctl.check, readOnly: true},
		{prefix: []string{"etcdctl", "endpoint", "status"}, args: etcdctl.check, readOnly: true},
		{prefix: []string{"etcdctl", "member", "list"}, args: etcdctl.check, readOnly: true},
		{prefix: []string{"etcdctl", "version"}, args: etcdctl.check, readOnly: true},
		// etcdutl works on files, offline: snapshot restore makes a new
		// data folder from a snapshot under /opt/course/ (the restore
		// task), only under EtcdRestoreDir, which reset removes (after
		// putting etcd back on its own data); snapshot status reads a
		// snapshot file (did the backup task produce a valid one?).
		{prefix: []string{"etcdutl", "snapshot", "restore"}, args: restoreArgs(restore), writes: restoreWrites(restore), folder: true},
		{prefix: []string{"etcdutl", "snapshot", "status"}, args: etcdutl.check, readOnly: true},
		{prefix: []string{"etcdutl", "version"}, args: etcdutl.check, readOnly: true},
		// openssl x509 prints a certificate's subject, SANs, issuer and
		// dates; verify checks one against its CA. -out, -CAserial and
		// -CAcreateserial would write files.
		{prefix: []string{"openssl", "x509"}, args: openSSLX509Args(), readOnly: true},
		{prefix: []string{"openssl", "verify"}, args: openSSLVerifyArgs(), readOnly: true},
		// systemd's answers about a unit (the kubelet, containerd): state,
		// status, properties, the unit file with its drop-ins. The verb is
		// systemctl's first argument, so no later one makes it start or
		// stop anything.
		{prefix: []string{"systemctl", "is-active"}, args: systemctl.check, readOnly: true},
		{prefix: []string{"systemctl", "is-enabled"}, args: systemctl.check, readOnly: true},
		{prefix: []string{"systemctl", "is-failed"}, args: systemctl.check, readOnly: true},
		{prefix: []string{"systemctl", "status"}, args: systemctl.check, readOnly: true},
		{prefix: []string{"systemctl", "show"}, args: systemctl.check, readOnly: true},
		{prefix: []string{"systemctl", "cat"}, args: systemctl.check, readOnly: true},
		// kubeadm: certificate expiry as it reports it (the renewal task),
		// tokens and images, read only. `kubeadm certs renew` is not here.
		{prefix: []string{"kubeadm", "certs", "check-expiration"}, args: kubeadm.check, readOnly: true},
		{prefix: []string{"kubeadm", "token", "list"}, args: kubeadm.check, readOnly: true},
		{prefix: []string{"kubeadm", "config", "images", "list"}, args: kubeadm.check, readOnly: true},
		// A configuration file as kubeadm reads it: validate judges it,
		// migrate prints it with every default filled in (the way to read
		// a learner's file as kubeadm would, whatever its API version or
		// layout). Only --old-config: migrate's --new-config writes.
		{prefix: []string{"kubeadm", "config", "validate"}, args: kubeadm.check, readOnly: true},
		{prefix: []string{"kubeadm", "config", "migrate"}, args: onlyFlags([]string{"old-config"}, nil).check, readOnly: true},
		{prefix: []string{"kubeadm", "version"}, args: kubeadm.check, readOnly: true},
		// Files and folders: content, listings, metadata, tests of
		// existence and mode (the exit code says). cat reads only absolute
		// paths outside /dev, /proc and /sys, whose files may never end
		// (/dev/zero) or block (/proc/kmsg).
		{prefix: []string{"cat"}, args: catArgs, readOnly: true},
		{prefix: []string{"ls"}, readOnly: true},
		{prefix: []string{"stat"}, readOnly: true},
		{prefix: []string{"test"}, readOnly: true},
		// The journal of a unit (why the kubelet fails to start), without
		// --follow, --vacuum-*, --rotate, --flush or --setup-keys.
		{prefix: []string{"journalctl"}, args: journalctlFlags().check, readOnly: true},
	}
}

// AllowedNodeCommand says whether argv may run on a node for use, and why
// not in words a scenario's author can act on. For a command that writes
// files (only MayWrite allows one) it returns them: the caller must check
// that reset restores them.
func AllowedNodeCommand(argv []string, use NodeCommandUse) ([]NodeWrite, error) {
	if len(argv) == 0 {
		return nil, errors.New("required: the program and its arguments, as a list, such as [crictl, ps]")
	}
	var programs, ofProgram []string
	var best, writing *nodeCommand
	for _, c := range nodeCommands() {
		starts := len(argv) >= len(c.prefix) && slices.Equal(argv[:len(c.prefix)], c.prefix)
		if !c.readOnly && use == ReadOnly {
			if starts {
				writing = &c
			}
			continue
		}
		if !slices.Contains(programs, c.prefix[0]) {
			programs = append(programs, c.prefix[0])
		}
		if c.prefix[0] == argv[0] {
			ofProgram = append(ofProgram, c.String())
		}
		// The longest prefix: a program's entry and its subcommands'.
		if starts && (best == nil || len(c.prefix) > len(best.prefix)) {
			best = &c
		}
	}
	slices.Sort(programs)
	if best == nil {
		return nil, refusal(argv, use, programs, ofProgram, writing)
	}
	rest := argv[len(best.prefix):]
	if best.args != nil {
		if err := best.args(rest); err != nil {
			return nil, fmt.Errorf("%s: %w", best, err)
		}
	}
	if best.writes == nil {
		return nil, nil
	}
	out, err := best.writes(rest)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", best, err)
	}
	for i := range out {
		out[i].Command = best.String()
	}
	return out, nil
}

// refusal says why no entry allows argv: what a check or a step runs
// instead, of the same program or at all.
func refusal(argv []string, use NodeCommandUse, programs, ofProgram []string, writing *nodeCommand) error {
	var hint string
	switch {
	case writing != nil && writing.folder:
		hint = fmt.Sprintf("; %s writes a folder: a step may run it, a check only looks", writing)
	case writing != nil:
		hint = fmt.Sprintf("; %s writes a file: a step may run it, a check only looks", writing)
	case strings.Contains(argv[0], "/"):
		hint = "; name the program, not a path to it (it runs from the node's PATH)"
	}
	switch {
	case use == ReadOnly && len(ofProgram) > 0:
		return fmt.Errorf("%q is not one of the read-only commands nodeCommand runs; of %s it runs %s (each first, before its options)%s",
			strings.Join(argv, " "), argv[0], strings.Join(ofProgram, ", "), hint)
	case use == ReadOnly:
		return fmt.Errorf("%q is not one of the read-only commands nodeCommand runs (a check only looks, and there is no shell); it runs %s%s",
			argv[0], strings.Join(programs, ", "), hint)
	case len(ofProgram) > 0:
		return fmt.Errorf("%s may not run on a node: want one of %s (each first, before its options)", strings.Join(argv, " "), strings.Join(ofProgram, ", "))
	}
	return fmt.Errorf("%q may not run on a node: a node command runs one of %s, with no shell (kind's nodes are privileged containers)%s",
		argv[0], strings.Join(programs, ", "), hint)
}

// fileRightAfter is the writes of a subcommand that writes the file named
// by its first argument, and, with suffixes, files named like it (a
// temporary file renamed into place). The file must come right after the
// subcommand, and be its only argument but flags' values: otherwise what
// the command writes would depend on how it reads its arguments.
func fileRightAfter(sub string, f flagRule, suffixes ...string) func(args []string) ([]NodeWrite, error) {
	return func(args []string) ([]NodeWrite, error) {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			return nil, fmt.Errorf("put the file it writes right after %q", sub)
		}
		if _, positionals := f.parse(args); len(positionals) != 1 {
			return nil, fmt.Errorf("it writes one file, %s: give it no other argument (%s)", args[0], strings.Join(positionals[1:], " "))
		}
		files := []NodeWrite{{Path: args[0]}}
		for _, s := range suffixes {
			files = append(files, NodeWrite{Path: args[0] + s})
		}
		return files, nil
	}
}

// etcdutlRestoreFlags: what `etcdutl snapshot restore` needs to make a
// member's data folder: where (--data-dir), the member it makes (--name,
// --initial-cluster, --initial-cluster-token,
// --initial-advertise-peer-urls), a revision bump that makes the API
// server's watch caches and the controllers' informers list again
// (--bump-revision with --mark-compacted, as etcd's documentation advises
// for a cluster Kubernetes uses), and the output format. Not --wal-dir (a
// second folder, outside the data folder) nor --skip-hash-check (it
// restores a database file copied from a data folder; a snapshot that
// snapshot save wrote carries its hash, which the restore must check).
func etcdutlRestoreFlags() flagRule {
	return onlyFlags(
		[]string{"data-dir", "name", "initial-cluster", "initial-cluster-token", "initial-advertise-peer-urls", "bump-revision", "w|write-out"},
		[]string{"mark-compacted"})
}

// restoreArgs accepts the flags of f only, saying why for the two a
// restore could want and may not have.
func restoreArgs(f flagRule) argRule {
	return func(args []string) error {
		names, _ := f.parse(args)
		for _, n := range names {
			if _, ok := f.takes[n]; ok {
				continue
			}
			switch n {
			case "skip-hash-check":
				return errors.New("flag --skip-hash-check is not allowed: a snapshot etcdctl snapshot save wrote carries a hash, and the restore must check it")
			case "wal-dir":
				return fmt.Errorf("flag --wal-dir is not allowed: etcd's WAL stays in the data folder (--data-dir, under %s), which reset removes", EtcdRestoreDir)
			}
			return fmt.Errorf("flag %s is not one nodeCommand allows for a restore; allowed: %s", dashed(n), f.list(dashed))
		}
		return nil
	}
}

// restoreWrites is the data folder of `etcdutl snapshot restore FILE
// --data-dir DIR`: FILE one snapshot under /opt/course/, DIR (given once,
// absolute) EtcdRestoreDir or a folder in it. etcdutl makes DIR (and
// refuses one that holds anything), and writes its member/ folder there.
func restoreWrites(f flagRule) func(args []string) ([]NodeWrite, error) {
	return func(args []string) ([]NodeWrite, error) {
		uses, positionals := f.uses(args)
		if len(positionals) != 1 {
			return nil, fmt.Errorf("give it one snapshot file to restore, got %d (%s)", len(positionals), strings.Join(positionals, " "))
		}
		if snap := positionals[0]; !path.IsAbs(snap) || path.Clean(snap) != snap || !strings.HasPrefix(snap, CourseRoot+"/") {
			return nil, fmt.Errorf("%q: the snapshot must be a file under %s/ (an absolute path without ..)", snap, CourseRoot)
		}
		var dirs []string
		for _, u := range uses {
			switch {
			case f.takes[u.name] && !u.valued:
				return nil, fmt.Errorf("flag %s needs a value", dashed(u.name))
			case u.name == "data-dir":
				dirs = append(dirs, u.value)
			}
		}
		if len(dirs) != 1 {
			return nil, fmt.Errorf("give --data-dir once, a new folder under %s (got it %d times)", EtcdRestoreDir, len(dirs))
		}
		dir := dirs[0]
		if !path.IsAbs(dir) || path.Clean(dir) != dir || (dir != EtcdRestoreDir && !strings.HasPrefix(dir, EtcdRestoreDir+"/")) {
			return nil, fmt.Errorf("--data-dir %q: restore into %s or a folder in it (an absolute path without .., // or a trailing /): reset removes it, and never touches etcd's own data", dir, EtcdRestoreDir)
		}
		return []NodeWrite{{Path: dir, Folder: true}}, nil
	}
}

// flagRule is an allow-list of a tool's flags, by name without dashes:
// those that take a value, and switches. A name "p|pod" is a letter and
// its long form.
type flagRule struct {
	takes    map[string]bool // every name: whether it takes a value
	declared []string        // as given, values first: for messages
}

func onlyFlags(values, switches []string) flagRule {
	f := flagRule{takes: map[string]bool{}, declared: slices.Concat(values, switches)}
	for v, names := range map[bool][]string{true: values, false: switches} {
		for _, n := range names {
			for _, alias := range strings.Split(n, "|") {
				f.takes[alias] = v
			}
		}
	}
	return f
}

// check accepts the allowed flags only, read the way getopt reads them:
// "--name", "--name=value", "--name value" (with a value), "-x", "-xyz"
// (letters without values), "-xvalue" and "-x value" (x with a value),
// "--" ending the flags. Positionals are accepted (units, keys, container
// ids, journal matches). An abbreviated long flag (getopt accepts "--vac"
// for "--vacuum-size") is refused, as is any flag not listed.
func (f flagRule) check(args []string) error {
	names, _ := f.parse(args)
	for _, n := range names {
		if _, ok := f.takes[n]; !ok {
			return flagRefused(dashed(n), f.list(dashed))
		}
	}
	return nil
}

// flagRefused says that a flag is not on a tool's allow-list.
func flagRefused(flag, allowed string) error {
	return fmt.Errorf("flag %s is not one nodeCommand allows (it allows only flags that select and format what is read); allowed: %s", flag, allowed)
}

// list lists the flags as declared, each name with the dashes dash gives
// it ("-p|--pod").
func (f flagRule) list(dash func(string) string) string {
	var out []string
	for _, d := range f.declared {
		var aliases []string
		for _, n := range strings.Split(d, "|") {
			aliases = append(aliases, dash(n))
		}
		out = append(out, strings.Join(aliases, "|"))
	}
	return strings.Join(out, " ")
}

// parse splits args into the names of their flags, getopt-style, without
// dashes, and positionals. A flag that takes a value consumes the rest of
// its word or the next argument, unless that looks like a flag itself:
// getopt would hand it over as the value, but a command with an optional
// value (journalctl -n) would not, and a flag must never hide behind one.
func (f flagRule) parse(args []string) (names, positionals []string) {
	uses, positionals := f.uses(args)
	for _, u := range uses {
		names = append(names, u.name)
	}
	return names, positionals
}

// flagUse is one flag as parse reads it, with its value if it took one.
type flagUse struct {
	name, value string
	valued      bool
}

// uses is parse with the flags' values.
func (f flagRule) uses(args []string) (uses []flagUse, positionals []string) {
	takes := func(n string) bool { return f.takes[n] }
	for i := 0; i < len(args); i++ {
		a := args[i]
		nextIsValue := i+1 < len(args) && (!strings.HasPrefix(args[i+1], "-") || isNegativeNumber(args[i+1]))
		switch {
		case a == "--":
			return uses, append(positionals, args[i+1:]...)
		case strings.HasPrefix(a, "--"):
			name, value, inline := strings.Cut(a[2:], "=")
			u := flagUse{name: name, value: value, valued: inline}
			if !inline && takes(name) && nextIsValue {
				i++
				u.value, u.valued = args[i], true
			}
			uses = append(uses, u)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				u := flagUse{name: a[j : j+1]}
				if takes(u.name) {
					switch {
					case j < len(a)-1:
						u.value, u.valued = a[j+1:], true
					case nextIsValue:
						i++
						u.value, u.valued = args[i], true
					}
					uses = append(uses, u)
					break
				}
				uses = append(uses, u)
			}
		default:
			positionals = append(positionals, a)
		}
	}
	return uses, positionals
}

// isNegativeNumber says whether a value that starts with a dash is a
// number (journalctl -b -1), not a flag.
func isNegativeNumber(s string) bool {
	if len(s) < 2 || s[0] != '-' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// crictlFlags: the flags of crictl's reading verbs that select and format
// (-p is --pod of ps and --previous of logs; read as taking a value, the
// allow-list is the same).
func crictlFlags() flagRule {
	return onlyFlags(
		[]string{"name", "label", "p|pod", "s|state", "o|output", "namespace", "image", "id", "n|last", "tail", "since"},
		[]string{"previous", "a|all", "q|quiet", "l|latest", "v|verbose", "no-trunc", "t|timestamps", "digests"})
}

// etcdctlFlags: etcdctl's connection flags (the certificates a kubeadm
// etcd wants) and those of get that select and format keys.
func etcdctlFlags() flagRule {
	return onlyFlags(
		[]string{"endpoints", "cacert", "cert", "key", "w|write-out", "dial-timeout", "command-timeout",
			"limit", "rev", "sort-by", "order", "consistency"},
		[]string{"prefix", "from-key", "keys-only", "print-value-only", "count-only", "cluster", "hex"})
}

// etcdutlFlags: the output format; --data-dir would point etcdutl at a
// data folder.
func etcdutlFlags() flagRule { return onlyFlags([]string{"w|write-out"}, nil) }

// kubeadmFlags: where kubeadm reads certificates, its configuration and
// the cluster from, and the output format; not --log-file (it writes
// anywhere) or --rootfs (it changes root).
func kubeadmFlags() flagRule {
	return onlyFlags([]string{"cert-dir", "config", "kubeconfig", "o|output", "kubernetes-version"}, nil)
}

// systemctlFlags: the flags that format what systemctl says of a unit.
func systemctlFlags() flagRule {
	return onlyFlags(
		[]string{"p|property", "n|lines", "o|output"},
		[]string{"value", "a|all", "l|full", "q|quiet", "no-pager", "no-legend", "plain"})
}

// journalctlFlags: journalctl's flags that select and format entries.
func journalctlFlags() flagRule {
	return onlyFlags(
		[]string{"u|unit", "n|lines", "b|boot", "S|since", "U|until", "p|priority", "o|output", "t|identifier", "g|grep",
			"output-fields"},
		[]string{"case-sensitive", "k|dmesg", "q|quiet", "r|reverse", "x|catalog", "a|all", "l|full", "no-full", "e|pager-end",
			"no-pager", "no-hostname", "utc", "system", "list-boots", "disk-usage"})
}

// openSSLX509Args: the flags of openssl x509 that read and print a
// certificate (the certificate is -in FILE).
func openSSLX509Args() argRule {
	return openSSLArgs(onlyFlags(
		[]string{"in", "inform", "ext", "nameopt", "certopt", "dateopt", "checkend"},
		[]string{"noout", "text", "subject", "issuer", "dates", "startdate", "enddate", "serial", "fingerprint", "sha1", "sha256",
			"pubkey", "modulus", "email", "hash", "subject_hash", "issuer_hash", "ocsp_uri", "ocspid", "alias", "purpose"}),
		"openssl x509 takes no arguments besides its flags (the certificate is -in FILE)")
}

// openSSLVerifyArgs: the CA and intermediates to check certificates
// against, and how to report; the certificates are its arguments.
func openSSLVerifyArgs() argRule {
	return openSSLArgs(onlyFlags(
		[]string{"CAfile", "CApath", "untrusted", "purpose"},
		[]string{"verbose", "show_chain"}), "")
}

// openSSLArgs accepts the flags of f only. OpenSSL writes its flags with
// one dash ("-noout"), accepts two, and takes a value as the next
// argument. noArgs, when set, refuses any other argument with its words.
func openSSLArgs(f flagRule, noArgs string) argRule {
	return func(args []string) error {
		for i := 0; i < len(args); i++ {
			a := args[i]
			if !strings.HasPrefix(a, "-") || a == "-" {
				if noArgs != "" {
					return fmt.Errorf("%q: %s", a, noArgs)
				}
				continue
			}
			name, _, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
			v, ok := f.takes[name]
			if !ok {
				return flagRefused("-"+name, f.list(func(n string) string { return "-" + n }))
			}
			if v && !inline {
				i++
			}
		}
		return nil
	}
}

// catArgs: cat's flags only format; its files must be absolute paths
// outside /dev, /proc and /sys. No file, or "-", would read stdin.
func catArgs(args []string) error {
	files := 0
	for _, a := range args {
		if strings.HasPrefix(a, "-") && a != "-" {
			continue
		}
		files++
		p := path.Clean(a)
		if !path.IsAbs(p) {
			return fmt.Errorf("%q: want an absolute path", a)
		}
		for _, dir := range []string{"/dev", "/proc", "/sys"} {
			if p == dir || strings.HasPrefix(p, dir+"/") {
				return fmt.Errorf("%q: files under %s may never end or may block; read a regular file (or use nodeFile)", a, dir)
			}
		}
	}
	if files == 0 {
		return errors.New("name the file to read")
	}
	return nil
}
