package steps

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// What a nodeCommand step may run. Scenario folders are untrusted and
// kind's nodes are privileged containers: a root command there can reach
// the host. So a node command is never a shell (no sh, bash, python, curl:
// any of them runs anything), only one of a few node tools CKA tasks use,
// with subcommands that read (or, etcdctl's snapshot, write a file where
// reset removes it) and options that neither write files, load code nor
// start a shell. Left out on purpose:
//   - kubectl: a node's admin.conf makes it cluster-admin, around the
//     protection rules (protect.go) the apply, patch and delete steps are
//     held to; `kubectl debug node/...` starts a privileged shell, and
//     kubectl runs plugins found on PATH. Steps already reach the API;
//   - etcdctl put, del, defrag, compact, member remove, snapshot restore:
//     they change the cluster's store behind the API, or break it;
//   - etcdutl snapshot restore, defrag, migrate: they write a data
//     directory reset knows nothing of;
//   - crictl exec, attach, run, rm, rmi, stop: a shell in a container, or
//     containers and images an offline lab cannot get back;
//   - kubeadm init, join, reset, upgrade, certs renew: they rebuild the
//     node or its certificates for good; --log-file and --rootfs write or
//     change root anywhere;
//   - openssl beyond reading certificates: -out, genrsa and req write
//     files, -engine and -provider load a shared library (code).

// nodeTool is a program a nodeCommand may run.
type nodeTool struct {
	subcommands []subcommand
	// flags are the only options it may be given, as --flag=value or
	// --flag value.
	flags []string
}

// subcommand is the leading arguments of a command a tool may run.
type subcommand struct {
	words []string
	// writes: the argument right after the words is a file the command
	// writes (etcdctl writes it with .part added first, then renames it).
	writes bool
}

func (s subcommand) String() string { return strings.Join(s.words, " ") }

// nodeTools are the programs a nodeCommand may run, by name (on the node's
// PATH; a path to another program is refused).
func nodeTools() map[string]nodeTool {
	return map[string]nodeTool{
		// etcdctl: the etcd backup task (snapshot save, into a folder reset
		// removes), and reading the cluster's store and health.
		"etcdctl": {
			subcommands: []subcommand{{words: []string{"snapshot", "save"}, writes: true}, {words: []string{"get"}},
				{words: []string{"member", "list"}}, {words: []string{"endpoint", "health"}}, {words: []string{"endpoint", "status"}}, {words: []string{"version"}}},
			flags: []string{"--endpoints", "--cacert", "--cert", "--key", "--write-out", "-w", "--dial-timeout", "--command-timeout",
				"--prefix", "--keys-only", "--print-value-only", "--count-only", "--limit", "--rev", "--cluster", "--hex"},
		},
		// etcdutl: a snapshot's status (it works on files, offline).
		"etcdutl": {
			subcommands: []subcommand{{words: []string{"snapshot", "status"}}, {words: []string{"version"}}},
			flags:       []string{"--write-out", "-w"},
		},
		// crictl: what the container runtime runs when the API cannot
		// say (a container's id, its logs), read only.
		"crictl": {
			subcommands: []subcommand{{words: []string{"ps"}}, {words: []string{"pods"}}, {words: []string{"images"}}, {words: []string{"inspect"}},
				{words: []string{"inspectp"}}, {words: []string{"inspecti"}}, {words: []string{"logs"}}, {words: []string{"info"}}, {words: []string{"version"}}},
			flags: []string{"-a", "--all", "-q", "--quiet", "--name", "--label", "--pod", "-p", "--state", "-o", "--output", "--namespace",
				"--image", "--id", "--last", "--latest", "-l", "-v", "--verbose", "--no-trunc", "--tail", "--timestamps", "-t", "--since", "--previous", "--digests"},
		},
		// kubeadm: certificate expiry, tokens and images, read only.
		"kubeadm": {
			subcommands: []subcommand{{words: []string{"certs", "check-expiration"}}, {words: []string{"token", "list"}},
				{words: []string{"config", "images", "list"}}, {words: []string{"version"}}},
			flags: []string{"--cert-dir", "--config", "--kubeconfig", "-o", "--output", "--kubernetes-version"},
		},
		// openssl: reading a certificate (expiry, subject, SANs) and
		// checking it against its CA.
		"openssl": {
			subcommands: []subcommand{{words: []string{"x509"}}, {words: []string{"verify"}}},
			flags: []string{"-in", "-inform", "-noout", "-text", "-subject", "-issuer", "-dates", "-enddate", "-startdate", "-serial",
				"-fingerprint", "-sha256", "-ext", "-checkend", "-nameopt", "-purpose", "-pubkey", "-CAfile", "-untrusted", "-verbose"},
		},
	}
}

// checkCommand refuses a command a nodeCommand may not run, saying why.
func checkCommand(argv []string) error {
	if len(argv) == 0 {
		return errors.New("required: the program and its arguments, as a list")
	}
	tools := nodeTools()
	tool, ok := tools[argv[0]]
	if !ok {
		return fmt.Errorf("%q may not run on a node: a node command runs one of %s, with no shell (kind's nodes are privileged containers)",
			argv[0], strings.Join(slices.Sorted(maps.Keys(tools)), ", "))
	}
	i := slices.IndexFunc(tool.subcommands, func(s subcommand) bool {
		return len(argv) > len(s.words) && slices.Equal(argv[1:1+len(s.words)], s.words)
	})
	if i < 0 {
		var subs []string
		for _, s := range tool.subcommands {
			subs = append(subs, argv[0]+" "+s.String())
		}
		return fmt.Errorf("%s may not run on a node: want one of %s (each first, before its options)", strings.Join(argv, " "), strings.Join(subs, ", "))
	}
	sub := tool.subcommands[i]
	rest := argv[1+len(sub.words):]
	for _, a := range rest {
		name, _, _ := strings.Cut(a, "=")
		if strings.HasPrefix(a, "-") && a != "-" && !slices.Contains(tool.flags, name) {
			return fmt.Errorf("%s %s: option %s may not be given (allowed: %s)", argv[0], sub, name, strings.Join(tool.flags, " "))
		}
	}
	if sub.writes {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			return fmt.Errorf("%s %s: put the file it writes right after %q", argv[0], sub, sub.String())
		}
		for _, p := range []string{rest[0], rest[0] + ".part"} {
			if err := checkNodePath(p); err != nil {
				return fmt.Errorf("%s %s writes %s: %w", argv[0], sub, p, err)
			}
		}
	}
	return nil
}
