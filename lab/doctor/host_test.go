//go:build linux

package doctor_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/doctor"
	"github.com/ckalab/ckalab/lab/sim"
)

// TestHostMachine runs the real probes on this machine. It changes nothing;
// it checks that every check measures something, and compares the results
// with what the test finds by itself (other means where there are any).
func TestDoctorHostMachine(t *testing.T) {
	dirs, err := lab.DirsFromEnv(os.Getenv)
	if err != nil {
		t.Skipf("no XDG directories: %v", err)
	}
	// The options as the CLI gets them: from the sim, through the
	// doctor.Contributor seam.
	simLab := sim.FromSettings(lab.Settings{Dirs: dirs, Getenv: os.Getenv})
	var opts doctor.Options
	simLab.DoctorOptions(&opts)
	binDir := opts.SimBinDir
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	results := doctor.New(doctor.Host(os.Getenv), opts).Run(ctx)

	byName := map[string]doctor.Result{}
	for _, r := range results {
		t.Logf("%-12s %-4s %s", r.Name, r.Status, r.Detail)
		byName[r.Name] = r
		switch r.Status {
		case doctor.StatusOK, doctor.StatusWarn, doctor.StatusFail, doctor.StatusSkip:
		default:
			t.Errorf("%s: status %q", r.Name, r.Status)
		}
		if r.Detail == "" {
			t.Errorf("%s: empty detail", r.Name)
		}
		if (r.Status == doctor.StatusWarn || r.Status == doctor.StatusFail) && r.Fix == "" {
			t.Errorf("%s: %s without a fix", r.Name, r.Status)
		}
	}
	if len(results) != 8 || len(byName) != 8 {
		t.Fatalf("want 8 distinct checks, got %+v", results)
	}

	expect := func(name string, want doctor.Status, why string) {
		t.Helper()
		if got := byName[name].Status; got != want {
			t.Errorf("%s: status %q, want %q (%s); detail: %s", name, got, want, why, byName[name].Detail)
		}
	}

	// inotify, from /proc read here.
	readInt := func(path string) (int64, bool) {
		data, err := os.ReadFile(path)
		if err != nil {
			return 0, false
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		return n, err == nil
	}
	watches, ok1 := readInt("/proc/sys/fs/inotify/max_user_watches")
	instances, ok2 := readInt("/proc/sys/fs/inotify/max_user_instances")
	switch {
	case !ok1 || !ok2:
		expect("inotify", doctor.StatusSkip, "the limits are unreadable")
	case watches >= doctor.MinInotifyWatches && instances >= doctor.MinInotifyInstances:
		expect("inotify", doctor.StatusOK, "watches "+strconv.FormatInt(watches, 10)+", instances "+strconv.FormatInt(instances, 10))
	default:
		expect("inotify", doctor.StatusWarn, "watches "+strconv.FormatInt(watches, 10)+", instances "+strconv.FormatInt(instances, 10))
	}
	if !strings.Contains(byName["inotify"].Detail, "max_user_watches "+strconv.FormatInt(watches, 10)) {
		t.Errorf("inotify detail does not show max_user_watches %d: %s", watches, byName["inotify"].Detail)
	}

	// Docker: ask it for its server version in another way (docker version).
	dockerServer := ""
	if _, err := exec.LookPath("docker"); err == nil {
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		out, err := exec.CommandContext(c, "docker", "version", "--format", "{{.Server.Version}}").Output()
		cancel()
		if err == nil {
			dockerServer = strings.TrimSpace(string(out))
		}
	}
	if dockerServer != "" {
		expect("docker", doctor.StatusOK, "docker version answers "+dockerServer)
		if !strings.Contains(byName["docker"].Detail, "server "+dockerServer) {
			t.Errorf("docker detail does not show server %s: %s", dockerServer, byName["docker"].Detail)
		}
	} else {
		expect("docker", doctor.StatusWarn, "docker version does not answer (only the kind lab needs Docker)")
	}

	// cgroup: what Docker reports, else the host's /sys/fs/cgroup (statfs).
	cgroupVersion := ""
	if dockerServer != "" {
		out, err := exec.CommandContext(ctx, "docker", "info", "--format", "{{.CgroupVersion}}").Output()
		if err == nil {
			cgroupVersion = strings.TrimSpace(string(out))
		}
	}
	if cgroupVersion == "" {
		var st syscall.Statfs_t
		if err := syscall.Statfs("/sys/fs/cgroup", &st); err == nil {
			const cgroup2Magic = 0x63677270
			if st.Type == cgroup2Magic {
				cgroupVersion = "2"
			} else {
				cgroupVersion = "1 or hybrid"
			}
		}
	}
	switch cgroupVersion {
	case "2":
		expect("cgroup", doctor.StatusOK, "cgroup v2")
	case "1", "1 or hybrid":
		expect("cgroup", doctor.StatusWarn, "cgroup "+cgroupVersion)
	}

	checkHostPrivileged(t, byName["privileged"])

	expect("loopback", doctor.StatusOK, "tests bind loopback ports all the time")

	if path, err := exec.LookPath("kubectl"); err != nil {
		expect("kubectl", doctor.StatusFail, "no kubectl on PATH")
	} else if !strings.HasPrefix(byName["kubectl"].Detail, path+" ") {
		t.Errorf("kubectl detail does not start with %s: %s", path, byName["kubectl"].Detail)
	}

	if missing := simLab.MissingBinaries(); len(missing) == 0 {
		expect("sim-binaries", doctor.StatusOK, "all in "+binDir)
	} else {
		expect("sim-binaries", doctor.StatusWarn, "missing "+strings.Join(missing, ", "))
	}
}

// checkHostPrivileged compares the privileged check with the capability
// bounding set read here, named as golang.org/x/sys names them.
func checkHostPrivileged(t *testing.T, r doctor.Result) {
	t.Helper()
	capBnd, source := "", ""
	for _, file := range []string{"/proc/1/status", "/proc/self/status"} {
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for line := range strings.SplitSeq(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
				capBnd, source = strings.TrimSpace(v), file
			}
		}
		if capBnd != "" {
			break
		}
	}
	set, err1 := strconv.ParseUint(capBnd, 16, 64)
	lastText, err2 := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	last, err3 := strconv.Atoi(strings.TrimSpace(string(lastText)))
	if err1 != nil || err2 != nil || err3 != nil {
		if r.Status != doctor.StatusSkip {
			t.Errorf("privileged: %s %q although CapBnd %q or cap_last_cap %q is unreadable", r.Status, r.Detail, capBnd, lastText)
		}
		return
	}
	names := capabilityNames(t)
	var missing []string
	for bit := 0; bit <= last; bit++ {
		if set&(1<<bit) != 0 {
			continue
		}
		name, ok := names[bit]
		if !ok {
			name = "cap " + strconv.Itoa(bit)
		}
		missing = append(missing, name)
	}
	t.Logf("CapBnd %s in %s, cap_last_cap %d: missing %v", capBnd, source, last, missing)
	if len(missing) == 0 {
		if r.Status != doctor.StatusOK || !strings.Contains(r.Detail, "("+strconv.Itoa(last+1)+" capabilities") {
			t.Errorf("privileged: %s %q, want ok with %d capabilities", r.Status, r.Detail, last+1)
		}
		return
	}
	want := " lacks " + strings.Join(missing, ", ") + ": "
	if r.Status != doctor.StatusWarn || !strings.Contains(r.Detail, want) {
		t.Errorf("privileged: %s %q, want warn with %q", r.Status, r.Detail, want)
	}
}

// capabilityNames names the capabilities by number as golang.org/x/sys
// does (generated from the kernel's linux/capability.h): a source of the
// numbers other than doctor's own table, that needs no C header installed.
func capabilityNames(t *testing.T) map[int]string {
	t.Helper()
	names := map[int]string{}
	for name, bit := range map[string]int{
		"CAP_CHOWN":              unix.CAP_CHOWN,
		"CAP_DAC_OVERRIDE":       unix.CAP_DAC_OVERRIDE,
		"CAP_DAC_READ_SEARCH":    unix.CAP_DAC_READ_SEARCH,
		"CAP_FOWNER":             unix.CAP_FOWNER,
		"CAP_FSETID":             unix.CAP_FSETID,
		"CAP_KILL":               unix.CAP_KILL,
		"CAP_SETGID":             unix.CAP_SETGID,
		"CAP_SETUID":             unix.CAP_SETUID,
		"CAP_SETPCAP":            unix.CAP_SETPCAP,
		"CAP_LINUX_IMMUTABLE":    unix.CAP_LINUX_IMMUTABLE,
		"CAP_NET_BIND_SERVICE":   unix.CAP_NET_BIND_SERVICE,
		"CAP_NET_BROADCAST":      unix.CAP_NET_BROADCAST,
		"CAP_NET_ADMIN":          unix.CAP_NET_ADMIN,
		"CAP_NET_RAW":            unix.CAP_NET_RAW,
		"CAP_IPC_LOCK":           unix.CAP_IPC_LOCK,
		"CAP_IPC_OWNER":          unix.CAP_IPC_OWNER,
		"CAP_SYS_MODULE":         unix.CAP_SYS_MODULE,
		"CAP_SYS_RAWIO":          unix.CAP_SYS_RAWIO,
		"CAP_SYS_CHROOT":         unix.CAP_SYS_CHROOT,
		"CAP_SYS_PTRACE":         unix.CAP_SYS_PTRACE,
		"CAP_SYS_PACCT":          unix.CAP_SYS_PACCT,
		"CAP_SYS_ADMIN":          unix.CAP_SYS_ADMIN,
		"CAP_SYS_BOOT":           unix.CAP_SYS_BOOT,
		"CAP_SYS_NICE":           unix.CAP_SYS_NICE,
		"CAP_SYS_RESOURCE":       unix.CAP_SYS_RESOURCE,
		"CAP_SYS_TIME":           unix.CAP_SYS_TIME,
		"CAP_SYS_TTY_CONFIG":     unix.CAP_SYS_TTY_CONFIG,
		"CAP_MKNOD":              unix.CAP_MKNOD,
		"CAP_LEASE":              unix.CAP_LEASE,
		"CAP_AUDIT_WRITE":        unix.CAP_AUDIT_WRITE,
		"CAP_AUDIT_CONTROL":      unix.CAP_AUDIT_CONTROL,
		"CAP_SETFCAP":            unix.CAP_SETFCAP,
		"CAP_MAC_OVERRIDE":       unix.CAP_MAC_OVERRIDE,
		"CAP_MAC_ADMIN":          unix.CAP_MAC_ADMIN,
		"CAP_SYSLOG":             unix.CAP_SYSLOG,
		"CAP_WAKE_ALARM":         unix.CAP_WAKE_ALARM,
		"CAP_BLOCK_SUSPEND":      unix.CAP_BLOCK_SUSPEND,
		"CAP_AUDIT_READ":         unix.CAP_AUDIT_READ,
		"CAP_PERFMON":            unix.CAP_PERFMON,
		"CAP_BPF":                unix.CAP_BPF,
		"CAP_CHECKPOINT_RESTORE": unix.CAP_CHECKPOINT_RESTORE,
	} {
		names[bit] = name
	}
	return names
}

// TestDoctorCapabilityNames: the privileged check names every capability
// as the kernel names it (golang.org/x/sys has the numbers).
func TestDoctorCapabilityNames(t *testing.T) {
	names := capabilityNames(t)
	last := 0
	for n := range names {
		last = max(last, n)
	}
	full := uint64(1)<<(last+1) - 1
	for bit, name := range names {
		f := healthy()
		status := procStatus(strconv.FormatUint(full&^(1<<bit), 16))
		f.files["/proc/1/status"], f.files["/proc/self/status"] = status, status
		f.files["/proc/sys/kernel/cap_last_cap"] = strconv.Itoa(last) + "\n"
		var r doctor.Result
		for _, res := range doctor.New(f, defaultOptions()).Run(context.Background()) {
			if res.Name == doctor.CheckPrivileged {
				r = res
			}
		}
		if want := " lacks " + name + ": "; r.Status != doctor.StatusWarn || !strings.Contains(r.Detail, want) {
			t.Errorf("bit %d: %s %q, want warn with %q", bit, r.Status, r.Detail, want)
		}
	}
}

// TestHostPathAndOutput: Host looks programs up on the PATH it is given and
// turns a failing program's stderr into the error.
func TestDoctorHostPathAndOutput(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho \"out $*\"\n[ \"$1\" = fail ] && { echo 'it broke' >&2; exit 1; }\nexit 0\n"
	if err := os.WriteFile(dir+"/tool", []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/notexec", []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	sys := doctor.Host(func(k string) string {
		if k == "PATH" {
			return "/nonexistent::" + dir
		}
		return ""
	})
	path, err := sys.LookPath("tool")
	if err != nil || path != dir+"/tool" {
		t.Fatalf("LookPath(tool) = %q, %v; want %s/tool", path, err, dir)
	}
	if _, err := sys.LookPath("notexec"); err == nil {
		t.Error("LookPath found a file that is not executable")
	}
	if _, err := doctor.Host(func(string) string { return "" }).LookPath("tool"); err == nil {
		t.Error("LookPath found a program with an empty PATH")
	}
	out, err := sys.Output(context.Background(), path, "hello")
	if err != nil || string(out) != "out hello\n" {
		t.Errorf("Output(hello) = %q, %v", out, err)
	}
	_, err = sys.Output(context.Background(), path, "fail")
	if err == nil || err.Error() != "it broke" {
		t.Errorf("Output(fail) error = %v, want the program's stderr", err)
	}
	if addr, err := sys.ListenLoopback(); err != nil || !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("ListenLoopback = %q, %v", addr, err)
	}
}
