package checks

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// readOnlyCommand is a command nodeCommand may run: argv that starts with
// prefix, whose further arguments args accepts (nil: any).
type readOnlyCommand struct {
	prefix []string
	args   argRule
}

// argRule judges the arguments after a command's prefix.
type argRule func(args []string) error

// readOnlyCommands are the commands a nodeCommand check may run on a node,
// as argv prefixes: what CKA tasks have a learner look at on a node, and
// nothing that changes it (the grader only observes). Scenario folders are
// untrusted and a kind node is a privileged container, so there is no
// shell (argv reaches the node as it is: `;`, `|`, `>` and `$(…)` are plain
// arguments), a program is named, not given by path, and the tools' flags
// are allow-lists too: only flags that select and format what is read, none
// that writes a file (kubeadm's --log-file, openssl's -out, journalctl's
// --vacuum-*), loads code (openssl -engine) or never ends (--follow,
// watch). cat, ls, stat and test take any flag: none of theirs writes.
// Every command is also cut off after nodeExecTimeout.
func readOnlyCommands() []readOnlyCommand {
	crictl, etcdctl, systemctl := crictlArgs(), etcdctlArgs(), systemctlArgs()
	return []readOnlyCommand{
		// crictl asks the container runtime, which answers even when the
		// API server (itself a static pod) is down: the containers and
		// their state, the pod sandboxes, one of either, the images, a
		// container's log (without --follow). exec, run, rm and stop are
		// not here.
		{prefix: []string{"crictl", "ps"}, args: crictl},
		{prefix: []string{"crictl", "pods"}, args: crictl},
		{prefix: []string{"crictl", "inspect"}, args: crictl},
		{prefix: []string{"crictl", "inspectp"}, args: crictl},
		{prefix: []string{"crictl", "inspecti"}, args: crictl},
		{prefix: []string{"crictl", "images"}, args: crictl},
		{prefix: []string{"crictl", "logs"}, args: crictl},
		// etcdctl's reads, over the network: keys (a restored snapshot
		// holds the objects it should), the endpoint's health and status,
		// the members. put, del, snapshot save, defrag, compaction, member
		// add/remove and watch (it never ends) are not here.
		{prefix: []string{"etcdctl", "get"}, args: etcdctl},
		{prefix: []string{"etcdctl", "endpoint", "health"}, args: etcdctl},
		{prefix: []string{"etcdctl", "endpoint", "status"}, args: etcdctl},
		{prefix: []string{"etcdctl", "member", "list"}, args: etcdctl},
		// etcdutl snapshot status reads a snapshot file (did the backup
		// task produce a valid one?); restore, which writes a data folder,
		// is not here.
		{prefix: []string{"etcdutl", "snapshot", "status"}, args: onlyFlags([]string{"w|write-out"}, nil)},
		// openssl x509 prints a certificate's subject, SANs, issuer and
		// dates; -out, -CAserial and -CAcreateserial would write files.
		{prefix: []string{"openssl", "x509"}, args: openSSLX509Args()},
		// systemd's answers about a unit (the kubelet, containerd): state,
		// status, properties, the unit file with its drop-ins. The verb is
		// systemctl's first argument, so no later one makes it start or
		// stop anything.
		{prefix: []string{"systemctl", "is-active"}, args: systemctl},
		{prefix: []string{"systemctl", "is-enabled"}, args: systemctl},
		{prefix: []string{"systemctl", "is-failed"}, args: systemctl},
		{prefix: []string{"systemctl", "status"}, args: systemctl},
		{prefix: []string{"systemctl", "show"}, args: systemctl},
		{prefix: []string{"systemctl", "cat"}, args: systemctl},
		// Certificate expiry as kubeadm reports it (the renewal task);
		// `kubeadm certs renew` is not here.
		{prefix: []string{"kubeadm", "certs", "check-expiration"}, args: onlyFlags([]string{"cert-dir", "config", "kubeconfig", "o|output"}, nil)},
		// Files and folders: content, listings, metadata, tests of
		// existence and mode (the exit code says). cat reads only absolute
		// paths outside /dev, /proc and /sys, whose files may never end
		// (/dev/zero) or block (/proc/kmsg).
		{prefix: []string{"cat"}, args: catArgs},
		{prefix: []string{"ls"}},
		{prefix: []string{"stat"}},
		{prefix: []string{"test"}},
		// The journal of a unit (why the kubelet fails to start), without
		// --follow, --vacuum-*, --rotate, --flush or --setup-keys.
		{prefix: []string{"journalctl"}, args: journalctlArgs()},
	}
}

// allowedCommand finds the entry of readOnlyCommands that argv starts with
// (the longest) and judges the rest of argv; the error says what nodeCommand
// runs instead.
func allowedCommand(argv []string) error {
	if len(argv) == 0 {
		return fmt.Errorf("required: the command as a list of arguments, such as [crictl, ps]")
	}
	all := readOnlyCommands()
	var best *readOnlyCommand
	var programs, same []string
	for i, c := range all {
		if !slices.Contains(programs, c.prefix[0]) {
			programs = append(programs, c.prefix[0])
		}
		if c.prefix[0] == argv[0] {
			same = append(same, strings.Join(c.prefix, " "))
		}
		if len(argv) >= len(c.prefix) && slices.Equal(argv[:len(c.prefix)], c.prefix) && (best == nil || len(c.prefix) > len(best.prefix)) {
			best = &all[i]
		}
	}
	switch {
	case best == nil && len(same) > 0:
		return fmt.Errorf("%q is not one of the read-only commands nodeCommand runs; of %s it runs %s", strings.Join(argv, " "), argv[0], strings.Join(same, ", "))
	case best == nil:
		slices.Sort(programs)
		return fmt.Errorf("%q is not one of the read-only commands nodeCommand runs (a check only looks, and there is no shell); it runs %s", argv[0], strings.Join(programs, ", "))
	case best.args == nil:
		return nil
	}
	if err := best.args(argv[len(best.prefix):]); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(best.prefix, " "), err)
	}
	return nil
}

// flagTable is an allow-list of flags by name (without dashes): those
// that take a value, and switches. A name "p|pod" is a letter and its long
// form.
func flagTable(values, switches []string) map[string]bool {
	takes := map[string]bool{}
	for v, names := range map[bool][]string{true: values, false: switches} {
		for _, n := range names {
			for _, alias := range strings.Split(n, "|") {
				takes[alias] = v
			}
		}
	}
	return takes
}

// onlyFlags accepts the flags of flagTable(values, switches) only, read the
// way getopt reads them: "--name", "--name=value", "--name value" (with a
// value), "-x", "-xyz" (letters without values), "-xvalue" and "-x value"
// (x with a value), "--" ending the flags. Positionals are accepted
// (units, keys, container ids, journal matches). An abbreviated long flag
// (getopt accepts "--vac" for "--vacuum-size") is refused, as is any flag
// not listed.
func onlyFlags(values, switches []string) argRule {
	takes := flagTable(values, switches)
	return func(args []string) error {
		for _, n := range optionNames(args, func(n string) bool { return takes[n] }) {
			if _, ok := takes[n]; !ok {
				return fmt.Errorf("flag %s is not one nodeCommand allows (it allows only flags that select and format what is read)", dashed(n))
			}
		}
		return nil
	}
}

// optionNames lists the flags of args, getopt-style, without dashes. A
// flag that takes a value (takes says) consumes the rest of its word or the
// next argument, unless that looks like a flag itself: getopt would hand it
// over as the value, but a command with an optional value (journalctl -n)
// would not, and a flag must never hide behind one.
func optionNames(args []string, takes func(string) bool) []string {
	var names []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		nextIsValue := i+1 < len(args) && (!strings.HasPrefix(args[i+1], "-") || isNegativeNumber(args[i+1]))
		switch {
		case a == "--":
			return names
		case strings.HasPrefix(a, "--"):
			name, _, inline := strings.Cut(a[2:], "=")
			names = append(names, name)
			if !inline && takes(name) && nextIsValue {
				i++
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				name := a[j : j+1]
				names = append(names, name)
				if takes(name) {
					if j == len(a)-1 && nextIsValue {
						i++
					}
					break
				}
			}
		}
	}
	return names
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

// crictlArgs: the flags of crictl's reading verbs that select and format
// (-p is --pod of ps and --previous of logs; read as taking a value, the
// allow-list is the same).
func crictlArgs() argRule {
	return onlyFlags(
		[]string{"name", "label", "p|pod", "s|state", "o|output", "namespace", "image", "id", "n|last", "tail", "since"},
		[]string{"previous", "a|all", "q|quiet", "l|latest", "v|verbose", "no-trunc", "t|timestamps", "digests"})
}

// etcdctlArgs: etcdctl's connection flags (the certificates a kubeadm
// etcd wants) and those of get that select and format keys.
func etcdctlArgs() argRule {
	return onlyFlags(
		[]string{"endpoints", "cacert", "cert", "key", "w|write-out", "dial-timeout", "command-timeout",
			"limit", "rev", "sort-by", "order", "consistency"},
		[]string{"prefix", "from-key", "keys-only", "print-value-only", "count-only", "cluster", "hex"})
}

// systemctlArgs: the flags that format what systemctl says of a unit.
func systemctlArgs() argRule {
	return onlyFlags(
		[]string{"p|property", "n|lines", "o|output"},
		[]string{"value", "a|all", "l|full", "q|quiet", "no-pager", "no-legend", "plain"})
}

// journalctlArgs: journalctl's flags that select and format entries.
func journalctlArgs() argRule {
	return onlyFlags(
		[]string{"u|unit", "n|lines", "b|boot", "S|since", "U|until", "p|priority", "o|output", "t|identifier", "g|grep",
			"output-fields"},
		[]string{"case-sensitive", "k|dmesg", "q|quiet", "r|reverse", "x|catalog", "a|all", "l|full", "no-full", "e|pager-end",
			"no-pager", "no-hostname", "utc", "system", "list-boots", "disk-usage"})
}

// openSSLX509Args: the flags of openssl x509 that read and print a
// certificate. OpenSSL writes its flags with one dash ("-noout"), accepts
// two, and takes a value as the next argument.
func openSSLX509Args() argRule {
	takes := flagTable(
		[]string{"in", "inform", "ext", "nameopt", "certopt", "dateopt", "checkend"},
		[]string{"noout", "text", "subject", "issuer", "dates", "startdate", "enddate", "serial", "fingerprint", "sha1", "sha256",
			"pubkey", "modulus", "email", "hash", "subject_hash", "issuer_hash", "ocsp_uri", "ocspid", "alias", "purpose"})
	return func(args []string) error {
		for i := 0; i < len(args); i++ {
			a := args[i]
			if !strings.HasPrefix(a, "-") {
				return fmt.Errorf("%q: openssl x509 takes no arguments besides its flags (the certificate is -in FILE)", a)
			}
			name, _, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
			v, ok := takes[name]
			if !ok {
				return fmt.Errorf("flag -%s is not one nodeCommand allows (it allows only flags that read and print)", name)
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
		return fmt.Errorf("name the file to read")
	}
	return nil
}
