// Package doctor checks whether a machine can run ckalab's labs: Docker
// (needed for the kind lab, not for the sim), memory, inotify limits, the
// cgroup version, the capability bounding set (kind's privileged node
// containers need all capabilities), loopback ports, kubectl and the sim's
// binaries. Every check that is not ok says what it measured and how to fix
// it. The package never prints; the machine is read through System, so that
// tests can fake it.
package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Status is the outcome of a check.
type Status string

// The statuses, from good to bad; Skip means the check could not measure.
const (
	StatusOK   Status = "ok"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
	StatusSkip Status = "skip"
)

// Result is what one check found.
type Result struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Detail is what was measured, e.g. "23.5 GiB available".
	Detail string `json:"detail"`
	// Fix is the command or step that fixes a check that is not ok; it may
	// have several lines.
	Fix string `json:"fix,omitempty"`
}

// Check is one thing the doctor looks at.
type Check struct {
	Name string
	Run  func(ctx context.Context) Result
}

// The checks' names, in the order Checks returns them.
const (
	CheckDocker      = "docker"
	CheckMemory      = "memory"
	CheckInotify     = "inotify"
	CheckCgroup      = "cgroup"
	CheckPrivileged  = "privileged"
	CheckLoopback    = "loopback"
	CheckKubectl     = "kubectl"
	CheckSimBinaries = "sim-binaries"
)

// Thresholds.
const (
	GiB = 1 << 30
	// KindMemory is what a kind lab (three nodes) needs available.
	KindMemory = 8 * GiB
	// MinMemory is the least for any lab; the sim uses about 600 MB.
	MinMemory = 2 * GiB
	// kind's "too many open files" limits for multi-node clusters
	// (https://kind.sigs.k8s.io/docs/user/known-issues/#pod-errors-due-to-too-many-open-files).
	MinInotifyWatches   = 524288
	MinInotifyInstances = 512
)

// Files the checks read.
const (
	meminfoFile           = "/proc/meminfo"
	inotifyWatchesFile    = "/proc/sys/fs/inotify/max_user_watches"
	inotifyInstancesFile  = "/proc/sys/fs/inotify/max_user_instances"
	mountsFile            = "/proc/mounts"
	initStatusFile        = "/proc/1/status"
	selfStatusFile        = "/proc/self/status"
	capLastCapFile        = "/proc/sys/kernel/cap_last_cap"
	sysctlPersistFile     = "/etc/sysctl.d/99-ckalab.conf"
	defaultCommandTimeout = 10 * time.Second
)

// Options configure a Doctor.
type Options struct {
	// SimBinDir is where the sim's binaries are expected ($CKALAB_SIM_BIN or
	// sim.DefaultBinDir).
	SimBinDir string
	// DefaultSimBinDir is where a plain `make sim` builds them; when
	// SimBinDir differs, the fix names it (make sim SIM_BIN=...).
	DefaultSimBinDir string
	// SimKubernetesVersion is the sim's Kubernetes version (sim.KubernetesVersion).
	SimKubernetesVersion string
	// SimBinaries are the programs the sim needs in SimBinDir.
	SimBinaries []string
	// CommandTimeout bounds each program the checks run (default 10s).
	CommandTimeout time.Duration
}

// Contributor is a lab provider that tells the doctor what to look at for
// it (the sim: where its binaries are and which version it runs). The CLI
// asks every registered provider, without naming any.
type Contributor interface {
	DoctorOptions(*Options)
}

// Doctor runs the checks against a System.
type Doctor struct {
	sys  System
	opts Options

	dockerOnce sync.Once
	docker     dockerState
}

// New returns a doctor for sys.
func New(sys System, opts Options) *Doctor {
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = defaultCommandTimeout
	}
	return &Doctor{sys: sys, opts: opts}
}

// Checks lists the checks in the order they are reported.
func (d *Doctor) Checks() []Check {
	return []Check{
		{CheckDocker, d.checkDocker},
		{CheckMemory, d.checkMemory},
		{CheckInotify, d.checkInotify},
		{CheckCgroup, d.checkCgroup},
		{CheckPrivileged, d.checkPrivileged},
		{CheckLoopback, d.checkLoopback},
		{CheckKubectl, d.checkKubectl},
		{CheckSimBinaries, d.checkSimBinaries},
	}
}

// Run runs every check, concurrently, and returns the results in order.
func (d *Doctor) Run(ctx context.Context) []Result {
	checks := d.Checks()
	results := make([]Result, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() {
			r := c.Run(ctx)
			r.Name = c.Name
			results[i] = r
		})
	}
	wg.Wait()
	return results
}

// Failed reports whether any result failed.
func Failed(results []Result) bool {
	for _, r := range results {
		if r.Status == StatusFail {
			return true
		}
	}
	return false
}

// --- docker ---------------------------------------------------------------

// dockerInfo is the part of `docker info --format '{{json .}}'` we use.
type dockerInfo struct {
	ServerVersion string   `json:"ServerVersion"`
	CgroupDriver  string   `json:"CgroupDriver"`
	CgroupVersion string   `json:"CgroupVersion"`
	Driver        string   `json:"Driver"`
	ServerErrors  []string `json:"ServerErrors"`
}

type dockerState struct {
	found bool // docker is on PATH
	info  dockerInfo
	err   error // set when the daemon did not answer
}

func (s dockerState) reachable() bool { return s.found && s.err == nil }

// dockerProbe runs `docker info` once; the docker and cgroup checks share it.
func (d *Doctor) dockerProbe(ctx context.Context) dockerState {
	d.dockerOnce.Do(func() {
		path, err := d.sys.LookPath("docker")
		if err != nil {
			return
		}
		d.docker.found = true
		ctx, cancel := context.WithTimeout(ctx, d.opts.CommandTimeout)
		defer cancel()
		out, err := d.sys.Output(ctx, path, "info", "--format", "{{json .}}")
		if errors.Is(err, context.DeadlineExceeded) {
			d.docker.err = fmt.Errorf("docker info did not answer within %s", d.opts.CommandTimeout)
			return
		}
		// A client without a daemon still prints JSON (exit 1), with an
		// empty ServerVersion and, in newer clients, ServerErrors.
		if jerr := json.Unmarshal(out, &d.docker.info); jerr != nil && err == nil {
			err = fmt.Errorf("docker info: unexpected output: %w", jerr)
		}
		switch {
		case err != nil:
			d.docker.err = err
		case len(d.docker.info.ServerErrors) > 0:
			d.docker.err = errors.New(strings.Join(d.docker.info.ServerErrors, "; "))
		case d.docker.info.ServerVersion == "":
			d.docker.err = errors.New("docker info reports no server")
		}
	})
	return d.docker
}

// dockerForKind says what Docker is for.
const dockerForKind = "needed for the kind lab; the sim needs no Docker"

// checkDocker warns rather than fails without Docker: the kind lab (ckalab
// lab up --provider kind) needs it, but the sim, the default provider, does
// not, so a machine without Docker can still run a lab.
func (d *Doctor) checkDocker(ctx context.Context) Result {
	st := d.dockerProbe(ctx)
	if !st.found {
		return Result{Status: StatusWarn,
			Detail: "docker not found on PATH (" + dockerForKind + ")",
			Fix: "for the kind lab (ckalab lab up --provider kind), install Docker Engine\n" +
				"(https://docs.docker.com/engine/install/; Debian/Ubuntu: sudo apt-get install docker.io),\n" +
				"then let your user use it: sudo usermod -aG docker $USER (log out and in again)"}
	}
	if st.err != nil {
		msg := firstLine(st.err.Error())
		r := Result{Status: StatusWarn, Detail: "daemon not reachable: " + msg + " (" + dockerForKind + ")"}
		if strings.Contains(strings.ToLower(msg), "permission denied") {
			r.Fix = "for the kind lab, let your user use Docker: sudo usermod -aG docker $USER, then log out and in again (or run: newgrp docker)"
		} else {
			r.Fix = "for the kind lab, start the Docker daemon: sudo systemctl start docker\n" +
				"and let your user use it: sudo usermod -aG docker $USER (log out and in again)"
		}
		return r
	}
	in := st.info
	return Result{Status: StatusOK, Detail: fmt.Sprintf("server %s, cgroup %s (%s), storage %s (%s)",
		in.ServerVersion, orUnknown(cgroupVersionName(in.CgroupVersion)), orUnknown(in.CgroupDriver), orUnknown(in.Driver), dockerForKind)}
}

func cgroupVersionName(v string) string {
	if v == "" {
		return ""
	}
	return "v" + v
}

// --- memory ---------------------------------------------------------------

func (d *Doctor) checkMemory(context.Context) Result {
	data, err := d.sys.ReadFile(meminfoFile)
	if err != nil {
		return Result{Status: StatusSkip, Detail: "cannot read " + meminfoFile + ": " + err.Error()}
	}
	avail, ok := meminfoBytes(string(data), "MemAvailable")
	if !ok {
		return Result{Status: StatusSkip, Detail: "no MemAvailable in " + meminfoFile}
	}
	detail := fmt.Sprintf("%s available", gib(avail))
	switch {
	case avail >= KindMemory:
		return Result{Status: StatusOK, Detail: detail + " (a kind lab needs 8 GiB, the sim about 600 MB)"}
	case avail >= MinMemory:
		return Result{Status: StatusWarn, Detail: detail + ": enough for the sim (about 600 MB), not for a kind lab (8 GiB for 3 nodes)",
			Fix: "for a kind lab, free memory (close programs, remove containers: docker ps) or add RAM until 8 GiB are available"}
	default:
		return Result{Status: StatusFail, Detail: detail + ": a lab needs at least 2 GiB (the sim about 600 MB, a kind lab 8 GiB)",
			Fix: "free memory (close programs, remove containers: docker ps) or add RAM until at least 2 GiB are available"}
	}
}

// meminfoBytes reads a "Key:   123 kB" line of /proc/meminfo.
func meminfoBytes(meminfo, key string) (int64, bool) {
	for line := range strings.SplitSeq(meminfo, "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || name != key {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0, false
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, false
		}
		if len(f) > 1 && strings.EqualFold(f[1], "kB") {
			n *= 1024
		}
		return n, true
	}
	return 0, false
}

func gib(n int64) string { return fmt.Sprintf("%.1f GiB", float64(n)/GiB) }

// --- inotify --------------------------------------------------------------

func (d *Doctor) checkInotify(context.Context) Result {
	type limit struct {
		key  string // sysctl name
		file string
		min  int64
		val  int64
	}
	limits := []*limit{
		{key: "fs.inotify.max_user_watches", file: inotifyWatchesFile, min: MinInotifyWatches},
		{key: "fs.inotify.max_user_instances", file: inotifyInstancesFile, min: MinInotifyInstances},
	}
	for _, l := range limits {
		data, err := d.sys.ReadFile(l.file)
		if err != nil {
			return Result{Status: StatusSkip, Detail: "cannot read " + l.file + ": " + err.Error()}
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		if err != nil {
			return Result{Status: StatusSkip, Detail: fmt.Sprintf("%s: not a number: %q", l.file, strings.TrimSpace(string(data)))}
		}
		l.val = v
	}
	var parts, set, persist []string
	for _, l := range limits {
		short := strings.TrimPrefix(l.key, "fs.inotify.")
		if l.val >= l.min {
			parts = append(parts, fmt.Sprintf("%s %d", short, l.val))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d (want %d)", short, l.val, l.min))
		set = append(set, fmt.Sprintf("%s=%d", l.key, l.min))
		persist = append(persist, fmt.Sprintf("%s = %d", l.key, l.min))
	}
	detail := strings.Join(parts, ", ")
	if len(set) == 0 {
		return Result{Status: StatusOK, Detail: detail}
	}
	return Result{Status: StatusWarn,
		Detail: detail + `: 3-node kind labs can fail with "too many open files"; the sim is fine`,
		Fix: "sudo sysctl " + strings.Join(set, " ") + "\n" +
			fmt.Sprintf("to keep it after a reboot: printf '%s\\n' | sudo tee %s", strings.Join(persist, `\n`), sysctlPersistFile)}
}

// --- cgroup ---------------------------------------------------------------

// hostCgroups describes the cgroup filesystems mounted on the host.
type hostCgroups struct {
	version string // "1", "2" or "" (none found)
	text    string
}

// readHostCgroups reads /proc/mounts: cgroup2 on /sys/fs/cgroup is v2
// (unified); cgroup (v1) hierarchies are v1, hybrid when a cgroup2 is
// mounted beside them.
func (d *Doctor) readHostCgroups() (hostCgroups, error) {
	data, err := d.sys.ReadFile(mountsFile)
	if err != nil {
		return hostCgroups{}, err
	}
	var unified bool
	var v1 int
	var v2At []string
	for line := range strings.SplitSeq(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		switch f[2] {
		case "cgroup2":
			if f[1] == "/sys/fs/cgroup" {
				unified = true
			}
			v2At = append(v2At, f[1])
		case "cgroup":
			v1++
		}
	}
	switch {
	case unified && v1 == 0:
		return hostCgroups{"2", "host: cgroup v2 (unified)"}, nil
	case v1 > 0 && len(v2At) > 0:
		return hostCgroups{"1", "host: cgroup v1 + cgroup2 at " + strings.Join(v2At, ", ")}, nil
	case v1 > 0:
		return hostCgroups{"1", "host: cgroup v1"}, nil
	case len(v2At) > 0:
		return hostCgroups{"", "host: only cgroup2 at " + strings.Join(v2At, ", ")}, nil
	}
	return hostCgroups{"", "host: no cgroup filesystem mounted"}, nil
}

const cgroupV1Why = "Kubelets 1.35+ refuse v1 unless failCgroupV1: false (ckalab's kind lab sets it); the sim runs no kubelet"

const cgroupV2Fix = "to move to cgroup v2: add systemd.unified_cgroup_hierarchy=1 to GRUB_CMDLINE_LINUX in /etc/default/grub,\n" +
	"run sudo update-grub and reboot (Docker then reports CgroupVersion 2)"

func (d *Doctor) checkCgroup(ctx context.Context) Result {
	st := d.dockerProbe(ctx)
	hc, herr := d.readHostCgroups()
	hostText := hc.text
	if herr != nil {
		hostText = "host: cannot read " + mountsFile + ": " + herr.Error()
	}
	// Docker's view decides for kind: its nodes get the cgroups Docker gives.
	version, source := hc.version, hostText
	if st.reachable() && st.info.CgroupVersion != "" {
		version = st.info.CgroupVersion
		source = fmt.Sprintf("Docker: cgroup v%s (%s); %s", version, orUnknown(st.info.CgroupDriver), hostText)
	} else if !st.reachable() {
		source = "Docker not reachable; " + hostText
	}
	switch version {
	case "2":
		return Result{Status: StatusOK, Detail: source}
	case "1":
		return Result{Status: StatusWarn, Detail: source + ". " + cgroupV1Why, Fix: cgroupV2Fix}
	}
	return Result{Status: StatusSkip, Detail: "version unknown: " + source}
}

// --- privileged -----------------------------------------------------------

// capNames are the capabilities' names by bit number (linux/capability.h).
var capNames = [...]string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", // 0-3
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", // 4-7
	"CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", // 8-11
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", // 12-15
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", // 16-19
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", // 20-23
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", // 24-27
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", // 28-31
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", // 32-35
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", // 36-39
	"CAP_CHECKPOINT_RESTORE", // 40
}

// capName names a capability bit; bits newer than capNames are "cap N".
func capName(bit int) string {
	if bit >= 0 && bit < len(capNames) {
		return capNames[bit]
	}
	return fmt.Sprintf("cap %d", bit)
}

// readCapBnd reads the capability bounding set: PID 1's, which is what a
// Docker daemon started by the init system gets, else this process's when
// /proc/1/status cannot be read (hidepid, other PID namespaces).
func (d *Doctor) readCapBnd() (set uint64, source string, err error) {
	var errs []string
	for _, file := range []string{initStatusFile, selfStatusFile} {
		data, err := d.sys.ReadFile(file)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		hex, ok := statusField(string(data), "CapBnd")
		if !ok {
			errs = append(errs, "no CapBnd in "+file)
			continue
		}
		set, err := strconv.ParseUint(hex, 16, 64)
		if err != nil {
			return 0, file, fmt.Errorf("%s: CapBnd is not hexadecimal: %q", file, hex)
		}
		return set, file, nil
	}
	return 0, "", errors.New("cannot read the capability bounding set: " + strings.Join(errs, "; "))
}

// statusField reads a "Key:\tvalue" line of /proc/<pid>/status.
func statusField(status, key string) (string, bool) {
	for line := range strings.SplitSeq(status, "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if ok && name == key {
			v := strings.TrimSpace(rest)
			return v, v != ""
		}
	}
	return "", false
}

// readCapLastCap reads the kernel's highest capability number.
func (d *Doctor) readCapLastCap() (int, error) {
	data, err := d.sys.ReadFile(capLastCapFile)
	if err != nil {
		return 0, fmt.Errorf("cannot read %s: %w", capLastCapFile, err)
	}
	text := strings.TrimSpace(string(data))
	n, err := strconv.Atoi(text)
	if err != nil || n < 0 || n > 63 {
		return 0, fmt.Errorf("%s: not a capability number: %q", capLastCapFile, text)
	}
	return n, nil
}

const privilegedFix = "run ckalab on a machine or VM whose capability bounding set is complete (a nested container or sandbox usually is not);\n" +
	"the sim lab (ckalab lab up --provider sim) needs none of this"

// checkPrivileged: kind runs its node containers with docker run
// --privileged, which asks for every capability the kernel has. Where the
// capability bounding set lacks some (some microVMs, containers and
// sandboxes), Docker refuses with "unable to apply caps: operation not
// permitted" and a kind lab cannot start.
func (d *Doctor) checkPrivileged(context.Context) Result {
	set, source, err := d.readCapBnd()
	if err != nil {
		return Result{Status: StatusSkip, Detail: err.Error()}
	}
	last, err := d.readCapLastCap()
	if err != nil {
		return Result{Status: StatusSkip, Detail: err.Error()}
	}
	var missing []string
	for bit := 0; bit <= last; bit++ {
		if set&(1<<bit) == 0 {
			missing = append(missing, capName(bit))
		}
	}
	// Say where the set came from when it is not PID 1's.
	from := ""
	if source != initStatusFile {
		from = "read from " + source
	}
	if len(missing) == 0 {
		count := fmt.Sprintf("%d capabilities", last+1)
		if from != "" {
			count += ", " + from
		}
		return Result{Status: StatusOK, Detail: "full capability bounding set (" + count + "): Docker can run kind's privileged node containers"}
	}
	what := "the capability bounding set"
	if from != "" {
		what += " (" + from + ")"
	}
	return Result{Status: StatusWarn,
		Detail: what + " lacks " + strings.Join(missing, ", ") +
			": Docker refuses --privileged containers, so kind labs cannot start here (the sim lab works)",
		Fix: privilegedFix}
}

// --- loopback -------------------------------------------------------------

func (d *Doctor) checkLoopback(context.Context) Result {
	addr, err := d.sys.ListenLoopback()
	if err != nil {
		return Result{Status: StatusFail, Detail: "cannot bind 127.0.0.1:0: " + err.Error() + " (the sim and kind listen on loopback ports)",
			Fix: "bring the loopback interface up: sudo ip link set lo up\n" +
				"and check that local ports are free: ss -tan | wc -l, sysctl net.ipv4.ip_local_port_range"}
	}
	return Result{Status: StatusOK, Detail: "bound " + addr + " (the sim and kind listen on loopback ports)"}
}

// --- kubectl --------------------------------------------------------------

var gitVersionPattern = regexp.MustCompile(`^v?(\d+)\.(\d+)`)

// minorOf parses "v1.37.2" into 1, 37.
func minorOf(v string) (major, minor int, ok bool) {
	m := gitVersionPattern.FindStringSubmatch(v)
	if m == nil {
		return 0, 0, false
	}
	major, _ = strconv.Atoi(m[1])
	minor, _ = strconv.Atoi(m[2])
	return major, minor, true
}

type kubectlVersion struct {
	ClientVersion struct {
		Major      string `json:"major"`
		Minor      string `json:"minor"`
		GitVersion string `json:"gitVersion"`
	} `json:"clientVersion"`
}

// kubectlFix says how to use the sim's kubectl.
func (d *Doctor) kubectlFix() string {
	dir := d.opts.SimBinDir
	use := fmt.Sprintf("export PATH=\"%s:$PATH\" (add it to ~/.bashrc to keep it)", dir)
	if d.sys.Executable(filepath.Join(dir, "kubectl")) {
		return fmt.Sprintf("use the kubectl %s that make sim built: %s", d.opts.SimKubernetesVersion, use)
	}
	return fmt.Sprintf("%s builds kubectl %s into %s; then %s", d.makeSim(), d.opts.SimKubernetesVersion, dir, use)
}

func (d *Doctor) makeSim() string {
	if d.opts.DefaultSimBinDir != "" && d.opts.SimBinDir != d.opts.DefaultSimBinDir {
		return "make sim SIM_BIN=" + d.opts.SimBinDir
	}
	return "make sim"
}

func (d *Doctor) checkKubectl(ctx context.Context) Result {
	path, err := d.sys.LookPath("kubectl")
	if err != nil {
		return Result{Status: StatusFail, Detail: "kubectl not found on PATH; the tasks are solved with kubectl", Fix: d.kubectlFix()}
	}
	ctx, cancel := context.WithTimeout(ctx, d.opts.CommandTimeout)
	defer cancel()
	out, err := d.sys.Output(ctx, path, "version", "--client", "-o", "json")
	if err != nil {
		return Result{Status: StatusWarn, Detail: fmt.Sprintf("%s version --client failed: %s", path, firstLine(err.Error())), Fix: d.kubectlFix()}
	}
	var v kubectlVersion
	if err := json.Unmarshal(out, &v); err != nil {
		return Result{Status: StatusWarn, Detail: fmt.Sprintf("%s version --client: unexpected output: %v", path, err), Fix: d.kubectlFix()}
	}
	cv := v.ClientVersion
	major, minor, ok := minorOf(cv.GitVersion)
	if !ok {
		// "minor" may read "32+" for vendor builds.
		major, _ = strconv.Atoi(strings.TrimRight(cv.Major, "+"))
		minor, err = strconv.Atoi(strings.TrimRight(cv.Minor, "+"))
		ok = err == nil && major > 0
	}
	shown := cv.GitVersion
	if shown == "" {
		shown = "v" + cv.Major + "." + cv.Minor
	}
	if !ok {
		return Result{Status: StatusWarn, Detail: fmt.Sprintf("%s: cannot read its version %q", path, shown), Fix: d.kubectlFix()}
	}
	simMajor, simMinor, _ := minorOf(d.opts.SimKubernetesVersion)
	detail := fmt.Sprintf("%s %s; the sim runs %s", path, shown, d.opts.SimKubernetesVersion)
	skew := minor - simMinor
	if skew < 0 {
		skew = -skew
	}
	if major != simMajor || skew > 1 {
		return Result{Status: StatusWarn,
			Detail: fmt.Sprintf("%s: %d minor versions apart, kubectl supports a skew of 1", detail, skew),
			Fix:    d.kubectlFix()}
	}
	return Result{Status: StatusOK, Detail: detail}
}

// --- sim binaries ---------------------------------------------------------

func (d *Doctor) checkSimBinaries(context.Context) Result {
	dir := d.opts.SimBinDir
	missing := d.sys.MissingFiles(dir, d.opts.SimBinaries)
	if len(missing) == 0 {
		return Result{Status: StatusOK, Detail: "all present in " + dir}
	}
	return Result{Status: StatusWarn,
		Detail: fmt.Sprintf("missing in %s: %s (the sim lab needs them)", dir, strings.Join(missing, ", ")),
		Fix:    fmt.Sprintf("%s (in the ckalab source tree; builds them once, 15-25 min)", d.makeSim())}
}

// --- helpers --------------------------------------------------------------

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
