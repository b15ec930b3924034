// Command standin is the one program of the stand-in kind node image that
// lab/kind's TestStandInNodes builds (CGO_ENABLED=0, so it is static) and
// puts in a FROM-scratch image: a multi-call binary, linked as each command
// the provider and the test run in a node, which it tells apart by argv[0].
//
// It does just what the test exercises, and fails loudly (exit 2, naming the
// stand-in) on anything else rather than pretending:
//
//	sh -c LINE          ;-separated simple commands: echo, pwd, exit, >&2, $VAR
//	sh -c SCRIPT sh ARG...
//	                    the scripts of lab/nodeops.go (read, write, move
//	                    a file, list files), recognised verbatim (the
//	                    listing's by its SHA-256) and done here (nodeops.go)
//	cat [FILE...]       stdin, or the files, to stdout
//	rm -f -- FILE, rm -rf -- PATH
//	sleep SECONDS       the container's main process; SIGTERM ends it
//	touch FILE...       create, or update the times of, each file
//	true                exit 0
//	systemctl is-active|is-enabled|start|stop|restart|enable|disable UNIT,
//	systemctl daemon-reload
//	                    units kubelet and containerd, active unless
//	                    /run/UNIT-stopped exists, enabled unless
//	                    /var/lib/standin/UNIT-disabled does
//	crictl ps ... -q    one container id; crictl inspect ID: not found
//	containerd config dump
//	                    a version 3 config whose snapshotter is overlayfs
//	ctr [--namespace=NS] images list --quiet
//	                    /var/lib/standin/images
//	ctr [--namespace=NS] images import [FLAGS] -
//	                    stdin to /var/lib/standin/imported.tar, the arguments
//	                    appended as a line to /var/lib/standin/imports
package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Applets are the commands the image links to this program.
var applets = map[string]func(args []string) int{
	"sh":         sh,
	"cat":        cat,
	"rm":         rm,
	"crictl":     crictl,
	"sleep":      sleep,
	"touch":      touch,
	"true":       func([]string) int { return 0 },
	"systemctl":  systemctl,
	"containerd": containerd,
	"ctr":        ctr,
}

const (
	imagesFile   = "/var/lib/standin/images"
	importedFile = "/var/lib/standin/imported.tar"
	importsFile  = "/var/lib/standin/imports"
)

func main() {
	name := filepath.Base(os.Args[0])
	applet, ok := applets[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "standin: no applet %q\n", name)
		os.Exit(2)
	}
	os.Exit(applet(os.Args[1:]))
}

// unsupported reports a use the stand-in does not emulate.
func unsupported(cmd string, args []string) int {
	fmt.Fprintf(os.Stderr, "%s stand-in: unsupported: %s\n", cmd, strings.Join(args, " "))
	return 2
}

func fail(cmd string, err error) int {
	fmt.Fprintf(os.Stderr, "%s: %v\n", cmd, err)
	return 1
}

// sh runs `sh -c LINE`, where LINE is simple commands separated by `;`:
// words split on blanks, $NAME expanded from the environment, a trailing
// >&2 sending the command's output to stderr, and the builtins echo, pwd
// and exit. Quotes, pipes and other programs are not supported.
func sh(args []string) int {
	if len(args) > 2 && args[0] == "-c" {
		if script, ok := nodeScript(args[1]); ok {
			return script(args[3:]) // args[2] is $0
		}
	}
	if len(args) != 2 || args[0] != "-c" {
		return unsupported("sh", args)
	}
	// Anything special but $NAME and >&2 is syntax the stand-in lacks.
	if strings.ContainsAny(strings.ReplaceAll(args[1], ">&2", ""), "'\"\\|&<>`(){}[]*?~#\n") {
		return unsupported("sh", args)
	}
	status := 0
	for _, command := range strings.Split(args[1], ";") {
		words := strings.Fields(os.ExpandEnv(command))
		out := io.Writer(os.Stdout)
		if i := slices.Index(words, ">&2"); i >= 0 {
			out = os.Stderr
			words = slices.Delete(words, i, i+1)
		}
		if len(words) == 0 {
			continue
		}
		switch words[0] {
		case "echo":
			fmt.Fprintln(out, strings.Join(words[1:], " "))
			status = 0
		case "pwd":
			dir, err := os.Getwd()
			if err != nil {
				return fail("sh: pwd", err)
			}
			fmt.Fprintln(out, dir)
			status = 0
		case "exit":
			if len(words) > 2 {
				return unsupported("sh", args)
			}
			if len(words) == 2 {
				n, err := strconv.Atoi(words[1])
				if err != nil {
					return unsupported("sh", args)
				}
				status = n
			}
			return status
		default:
			fmt.Fprintf(os.Stderr, "sh: %s: not found (the stand-in sh has only echo, pwd and exit)\n", words[0])
			status = 127
		}
	}
	return status
}

func cat(args []string) int {
	if len(args) == 0 {
		if _, err := io.Copy(os.Stdout, os.Stdin); err != nil {
			return fail("cat", err)
		}
		return 0
	}
	status := 0
	for _, name := range args {
		f, err := os.Open(name)
		if err != nil {
			status = fail("cat", err)
			continue
		}
		if _, err := io.Copy(os.Stdout, f); err != nil {
			status = fail("cat", err)
		}
		f.Close()
	}
	return status
}

// sleep ends on SIGTERM (as sleep does; as a container's process 1 it would
// otherwise ignore it, and `docker stop` would wait for its timeout).
func sleep(args []string) int {
	if len(args) != 1 {
		return unsupported("sleep", args)
	}
	seconds, err := strconv.ParseFloat(args[0], 64)
	if err != nil || seconds < 0 {
		return unsupported("sleep", args)
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-time.After(time.Duration(seconds * float64(time.Second))):
		return 0
	case <-term:
		return 128 + int(syscall.SIGTERM)
	}
}

func touch(args []string) int {
	if len(args) == 0 || slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "-") }) {
		return unsupported("touch", args)
	}
	status := 0
	now := time.Now()
	for _, name := range args {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE, 0o644)
		if err == nil {
			err = f.Close()
		}
		if err == nil {
			err = os.Chtimes(name, now, now)
		}
		if err != nil {
			status = fail("touch", err)
		}
	}
	return status
}

// rm removes a file (-f) or a tree (-rf), as lab/nodeops.go asks.
func rm(args []string) int {
	if len(args) != 3 || args[1] != "--" || (args[0] != "-f" && args[0] != "-rf") {
		return unsupported("rm", args)
	}
	var err error
	if args[0] == "-rf" {
		err = os.RemoveAll(args[2])
	} else if err = os.Remove(args[2]); errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if err != nil {
		return fail("rm", err)
	}
	return 0
}

// systemctl keeps the state of the units kubelet and containerd in files:
// /run/UNIT-stopped and /var/lib/standin/UNIT-disabled.
func systemctl(args []string) int {
	if len(args) == 1 && args[0] == "daemon-reload" {
		return 0
	}
	if len(args) != 2 {
		return unsupported("systemctl", args)
	}
	out, errOut, code, ok := unitCommand(args[0], args[1])
	if !ok {
		return unsupported("systemctl", args)
	}
	fmt.Print(out)
	fmt.Fprint(os.Stderr, errOut)
	return code
}

// unitCommand is `systemctl VERB UNIT`: what it prints and its exit code;
// ok is false for a verb the stand-in does not know.
func unitCommand(verb, unit string) (stdout, stderr string, code int, ok bool) {
	stopped, disabled := "/run/"+unit+"-stopped", "/var/lib/standin/"+unit+"-disabled"
	known := unit == "kubelet" || unit == "containerd"
	switch {
	case verb == "is-active" && (!known || exists(stopped)):
		return "inactive\n", "", 3, true
	case verb == "is-active":
		return "active\n", "", 0, true
	case verb == "is-enabled" && !known:
		return "", "Failed to get unit file state for " + unit + ".service: No such file or directory\n", 1, true
	case verb == "is-enabled" && exists(disabled):
		return "disabled\n", "", 1, true
	case verb == "is-enabled":
		return "enabled\n", "", 0, true
	case !known:
		return "", "Failed to " + verb + " " + unit + ".service: Unit " + unit + ".service not found.\n", 5, true
	}
	var err error
	switch verb {
	case "start", "restart":
		err = removeIfAny(stopped)
	case "stop":
		err = os.WriteFile(stopped, nil, 0o644)
	case "enable":
		err = removeIfAny(disabled)
	case "disable":
		err = os.WriteFile(disabled, nil, 0o644)
	default:
		return "", "", 0, false
	}
	if err != nil {
		return "", "systemctl: " + err.Error() + "\n", 1, true
	}
	return "", "", 0, true
}

func exists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

func removeIfAny(name string) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// crictl knows one container, whose id `crictl ps ... -q` prints; inspect
// finds nothing (a command that fails with its own words).
func crictl(args []string) int {
	switch {
	case len(args) > 0 && args[0] == "ps" && slices.Contains(args, "-q"):
		fmt.Println("4f6e2a1b9c3d")
		return 0
	case len(args) == 2 && args[0] == "inspect":
		fmt.Fprintf(os.Stderr, "getting the status of the container %q: not found\n", args[1])
		return 1
	}
	return unsupported("crictl", args)
}

func containerd(args []string) int {
	if !slices.Equal(args, []string{"config", "dump"}) {
		return unsupported("containerd", args)
	}
	fmt.Print("version = 3\n[plugins]\n  [plugins.\"io.containerd.cri.v1.images\"]\n    snapshotter = \"overlayfs\"\n")
	return 0
}

func ctr(args []string) int {
	rest := args
	for len(rest) > 0 && strings.HasPrefix(rest[0], "--namespace=") {
		rest = rest[1:]
	}
	switch {
	case slices.Equal(rest, []string{"images", "list", "--quiet"}):
		return cat([]string{imagesFile})
	case len(rest) >= 3 && rest[0] == "images" && rest[1] == "import" && rest[len(rest)-1] == "-":
		if err := importImage(args); err != nil {
			return fail("ctr", err)
		}
		return 0
	default:
		return unsupported("ctr", args)
	}
}

// importImage stores stdin (the stand-in does not read the archive) and
// records the command line.
func importImage(args []string) error {
	f, err := os.Create(importedFile)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, os.Stdin)
	err = errors.Join(err, f.Close())
	if err != nil {
		return err
	}
	log, err := os.OpenFile(importsFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(log, strings.Join(args, " "))
	return errors.Join(err, log.Close())
}
