package cli_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/cmd/internal/cli"
)

var doctorChecks = []string{"docker", "memory", "inotify", "cgroup", "privileged", "loopback", "kubectl", "sim-binaries"}

type doctorCheck struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix"`
}

type doctorJSON struct {
	OK     bool          `json:"ok"`
	Checks []doctorCheck `json:"checks"`
}

// check returns the named check; parseDoctor has checked that it is there.
func (d doctorJSON) check(name string) doctorCheck {
	for _, c := range d.Checks {
		if c.Name == name {
			return c
		}
	}
	return doctorCheck{}
}

func parseDoctor(t *testing.T, r result) doctorJSON {
	t.Helper()
	var d doctorJSON
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("doctor -o json: not JSON: %v\n%s", err, r)
	}
	if len(d.Checks) != len(doctorChecks) {
		t.Fatalf("doctor -o json: %d checks, want %d:\n%s", len(d.Checks), len(doctorChecks), r.stdout)
	}
	for i, c := range d.Checks {
		if c.Name != doctorChecks[i] {
			t.Errorf("check %d is %q, want %q", i, c.Name, doctorChecks[i])
		}
		switch c.Status {
		case "ok", "warn", "fail", "skip":
		default:
			t.Errorf("%s: status %q", c.Name, c.Status)
		}
		if c.Detail == "" {
			t.Errorf("%s: empty detail", c.Name)
		}
		if (c.Status == "warn" || c.Status == "fail") && c.Fix == "" {
			t.Errorf("%s: %s without a fix", c.Name, c.Status)
		}
	}
	return d
}

func (d doctorJSON) failed() bool {
	for _, c := range d.Checks {
		if c.Status == "fail" {
			return true
		}
	}
	return false
}

// TestDoctorJSON runs the real checks with the process's PATH: the exit code
// follows the result, whatever this machine has.
func TestDoctorJSON(t *testing.T) {
	h := newHarness(t)
	h.vars["PATH"] = os.Getenv("PATH")
	r := h.run("doctor", "-o", "json")
	d := parseDoctor(t, r)
	want := cli.ExitOK
	if d.failed() {
		want = cli.ExitChecksFailed
	}
	if r.code != want {
		t.Errorf("doctor -o json: exit %d, want %d (a check failed: %v)\n%s", r.code, want, d.failed(), r)
	}
	if d.OK == d.failed() {
		t.Errorf("doctor -o json: ok = %v although a check failed = %v", d.OK, d.failed())
	}
	if r.stderr != "" {
		t.Errorf("doctor -o json: stderr not empty:\n%s", r.stderr)
	}
	// The harness's cache is empty: the sim's binaries are missing there.
	if c := d.check("sim-binaries"); c.Status != "warn" || !strings.Contains(c.Detail, h.vars["XDG_CACHE_HOME"]) || !strings.HasPrefix(c.Fix, "make sim") {
		t.Errorf("sim-binaries in an empty cache: %+v", c)
	}
}

// TestDoctorTableFails: without docker and kubectl on PATH those checks
// fail; the table shows every check, the fixes follow, exit 3.
func TestDoctorTableFails(t *testing.T) {
	h := newHarness(t)
	h.vars["PATH"] = t.TempDir()
	r := h.expect(cli.ExitChecksFailed, "doctor") // kubectl missing fails; Docker missing only warns
	contains(t, "doctor", r.stdout, "STATUS", "CHECK", "DETAIL",
		"! warn   docker ", "docker not found on PATH (needed for the kind lab; the sim needs no Docker)",
		"✗ fail   kubectl ", "kubectl not found on PATH",
		"\n! docker\n  fix: for the kind lab (ckalab lab up --provider kind), install Docker Engine\n",
		"\n       then let your user use it: sudo usermod -aG docker $USER",
		"\n✗ kubectl\n  fix: make sim builds kubectl v1.37.2 into "+h.vars["XDG_CACHE_HOME"]+"/ckalab/sim/v1.37.2/bin",
		"\n! sim-binaries\n  fix: make sim (in the ckalab source tree",
	)
	for _, name := range doctorChecks {
		contains(t, "doctor", r.stdout, "   "+name+" ")
	}
	contains(t, "doctor", r.stderr, "✗ ", " failed\n")

	r = h.expect(cli.ExitChecksFailed, "doctor", "-o", "json")
	if d := parseDoctor(t, r); d.OK || d.check("docker").Status != "warn" || d.check("kubectl").Status != "fail" {
		t.Errorf("doctor -o json without docker and kubectl: %s", r.stdout)
	}
}

// TestDoctorSimBinFromEnv: CKALAB_SIM_BIN names the folder checked and the
// make command that fills it.
func TestDoctorSimBinFromEnv(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	h.vars["CKALAB_SIM_BIN"] = dir
	d := parseDoctor(t, h.run("doctor", "-o", "json"))
	c := d.check("sim-binaries")
	if c.Status != "warn" || !strings.Contains(c.Detail, "missing in "+dir+": ") || !strings.HasPrefix(c.Fix, "make sim SIM_BIN="+dir+" ") {
		t.Errorf("sim-binaries with CKALAB_SIM_BIN=%s: %+v", dir, c)
	}
}

func TestDoctorUsage(t *testing.T) {
	h := newHarness(t)
	r := h.expect(cli.ExitUsage, "doctor", "-o", "yaml")
	contains(t, "doctor -o yaml", r.stderr, `--output "yaml": want table or json`)
	if r.stdout != "" {
		t.Errorf("doctor -o yaml: stdout not empty:\n%s", r.stdout)
	}
	h.expect(cli.ExitUsage, "doctor", "extra")

	r = h.expect(cli.ExitOK, "doctor", "--help")
	contains(t, "doctor --help", r.stdout, "the capability bounding set", "Exit codes:\n", "  0  no check failed (warnings allowed)\n", "  3  at least one check failed")
	r = h.expect(cli.ExitOK, "--help")
	contains(t, "--help", r.stdout, "Lab:\n  doctor      Check that this machine can run a lab")
}
