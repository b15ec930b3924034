package doctor_test

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ckalab/ckalab/lab/doctor"
)

const (
	simBin     = "/home/u/.cache/ckalab/sim/v1.37.2/bin"
	dockerPath = "/usr/bin/docker"
	kubectlBin = "/usr/local/bin/kubectl"
)

type fakeOutput struct {
	out string
	err error
}

// fakeSystem is a machine described by maps; it is read concurrently, so
// only the call counter is written.
type fakeSystem struct {
	files       map[string]string     // path → content; absent: fs.ErrNotExist
	onPath      map[string]string     // program → its path
	outputs     map[string]fakeOutput // "path arg arg" → result
	executables map[string]bool
	listenAddr  string
	listenErr   error
	missingSim  map[string][]string // bin dir → missing programs
	dockerCalls atomic.Int32
}

func (f *fakeSystem) ReadFile(path string) ([]byte, error) {
	s, ok := f.files[path]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
	return []byte(s), nil
}

func (f *fakeSystem) LookPath(name string) (string, error) {
	if p, ok := f.onPath[name]; ok {
		return p, nil
	}
	return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
}

func (f *fakeSystem) Executable(path string) bool { return f.executables[path] }

func (f *fakeSystem) Output(_ context.Context, path string, args ...string) ([]byte, error) {
	if path == dockerPath {
		f.dockerCalls.Add(1)
	}
	key := strings.Join(append([]string{path}, args...), " ")
	o, ok := f.outputs[key]
	if !ok {
		return nil, errors.New("fake: unexpected command " + key)
	}
	return []byte(o.out), o.err
}

func (f *fakeSystem) ListenLoopback() (string, error) { return f.listenAddr, f.listenErr }

func (f *fakeSystem) MissingFiles(dir string, _ []string) []string { return f.missingSim[dir] }

const (
	dockerInfoKey  = dockerPath + " info --format {{json .}}"
	kubectlVerKey  = kubectlBin + " version --client -o json"
	mountsV2       = "sysfs /sys sysfs rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\n"
	mountsHybrid   = "tmpfs /sys/fs/cgroup tmpfs rw 0 0\ncgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\ncgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n"
	mountsV1       = "tmpfs /sys/fs/cgroup tmpfs rw 0 0\ncgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n"
	dockerInfoV2   = `{"ServerVersion":"27.3.1","CgroupDriver":"systemd","CgroupVersion":"2","Driver":"overlay2","ClientInfo":{"Version":"27.3.1"}}`
	dockerInfoV1   = `{"ServerVersion":"20.10.24+dfsg1","CgroupDriver":"cgroupfs","CgroupVersion":"1","Driver":"fuse-overlayfs"}`
	dockerNoServer = `{"ServerVersion":"","CgroupDriver":"","Driver":"","ClientInfo":{"Version":"28.2.2"}}`
	dockerDown     = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
	dockerDenied   = "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.24/info\": dial unix /var/run/docker.sock: connect: permission denied"
)

func kubectlJSON(major, minor, git string) string {
	return `{"clientVersion":{"major":"` + major + `","minor":"` + minor + `","gitVersion":"` + git + `","platform":"linux/amd64"},"kustomizeVersion":"v5.8.1"}`
}

// healthy is a machine on which every check is ok.
func healthy() *fakeSystem {
	return &fakeSystem{
		files: map[string]string{
			"/proc/meminfo":                           "MemTotal:       32768000 kB\nMemFree:         1000000 kB\nMemAvailable:   24641536 kB\nBuffers:          100 kB\n",
			"/proc/sys/fs/inotify/max_user_watches":   "524288\n",
			"/proc/sys/fs/inotify/max_user_instances": "512\n",
			"/proc/mounts":                            mountsV2,
			"/proc/1/status":                          procStatus(capFull),
			"/proc/self/status":                       procStatus(capFull),
			"/proc/sys/kernel/cap_last_cap":           "40\n",
		},
		onPath: map[string]string{"docker": dockerPath, "kubectl": kubectlBin},
		outputs: map[string]fakeOutput{
			dockerInfoKey: {out: dockerInfoV2},
			kubectlVerKey: {out: kubectlJSON("1", "37", "v1.37.2")},
		},
		executables: map[string]bool{simBin + "/kubectl": true},
		listenAddr:  "127.0.0.1:40123",
		missingSim:  map[string][]string{},
	}
}

func defaultOptions() doctor.Options {
	return doctor.Options{SimBinDir: simBin, DefaultSimBinDir: simBin, SimKubernetesVersion: "v1.37.2"}
}

type checkCase struct {
	name   string
	change func(f *fakeSystem, o *doctor.Options)
	status doctor.Status
	detail string
	fix    string
}

// runCases runs the doctor on each changed healthy machine and compares the
// result of one check.
func runCases(t *testing.T, check string, cases []checkCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := healthy()
			opts := defaultOptions()
			if tc.change != nil {
				tc.change(f, &opts)
			}
			results := doctor.New(f, opts).Run(context.Background())
			var got *doctor.Result
			for i := range results {
				if results[i].Name == check {
					got = &results[i]
				}
			}
			if got == nil {
				t.Fatalf("no %s result in %+v", check, results)
			}
			if got.Status != tc.status {
				t.Errorf("status = %q, want %q (detail %q)", got.Status, tc.status, got.Detail)
			}
			if got.Detail != tc.detail {
				t.Errorf("detail:\n got %q\nwant %q", got.Detail, tc.detail)
			}
			if got.Fix != tc.fix {
				t.Errorf("fix:\n got %q\nwant %q", got.Fix, tc.fix)
			}
			if got.Status != doctor.StatusOK && got.Status != doctor.StatusSkip && got.Fix == "" {
				t.Errorf("a %s result has no fix", got.Status)
			}
		})
	}
}

func TestDoctorHealthyMachine(t *testing.T) {
	f := healthy()
	results := doctor.New(f, defaultOptions()).Run(context.Background())
	want := []string{"docker", "memory", "inotify", "cgroup", "privileged", "loopback", "kubectl", "sim-binaries"}
	if len(results) != len(want) {
		t.Fatalf("got %d results, want %d: %+v", len(results), len(want), results)
	}
	for i, r := range results {
		if r.Name != want[i] {
			t.Errorf("result %d is %q, want %q", i, r.Name, want[i])
		}
		if r.Status != doctor.StatusOK || r.Fix != "" || r.Detail == "" {
			t.Errorf("%s: %+v, want ok with a detail and no fix", r.Name, r)
		}
	}
	if doctor.Failed(results) {
		t.Error("Failed = true on a healthy machine")
	}
	if n := f.dockerCalls.Load(); n != 1 {
		t.Errorf("docker info ran %d times, want once (the docker and cgroup checks share it)", n)
	}
}

func TestDoctorFailed(t *testing.T) {
	rs := []doctor.Result{{Status: doctor.StatusOK}, {Status: doctor.StatusWarn}, {Status: doctor.StatusSkip}}
	if doctor.Failed(rs) {
		t.Error("warnings and skips count as failed")
	}
	if !doctor.Failed(append(rs, doctor.Result{Status: doctor.StatusFail})) {
		t.Error("a failed check does not count")
	}
}

func TestDoctorResultJSON(t *testing.T) {
	data, err := json.Marshal([]doctor.Result{
		{Name: "memory", Status: doctor.StatusOK, Detail: "23.5 GiB available"},
		{Name: "inotify", Status: doctor.StatusWarn, Detail: "d", Fix: "f"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"name":"memory","status":"ok","detail":"23.5 GiB available"},{"name":"inotify","status":"warn","detail":"d","fix":"f"}]`
	if string(data) != want {
		t.Errorf("JSON:\n got %s\nwant %s", data, want)
	}
}

const (
	startDocker   = "for the kind lab, start the Docker daemon: sudo systemctl start docker\nand let your user use it: sudo usermod -aG docker $USER (log out and in again)"
	installDocker = "for the kind lab (ckalab lab up --provider kind), install Docker Engine\n(https://docs.docker.com/engine/install/; Debian/Ubuntu: sudo apt-get install docker.io),\nthen let your user use it: sudo usermod -aG docker $USER (log out and in again)"
	kindOnly      = " (needed for the kind lab; the sim needs no Docker)"
)

func TestDoctorDocker(t *testing.T) {
	runCases(t, "docker", []checkCase{
		{name: "reachable", status: doctor.StatusOK,
			detail: "server 27.3.1, cgroup v2 (systemd), storage overlay2" + kindOnly},
		{name: "reachable with cgroup v1 and fuse-overlayfs", status: doctor.StatusOK,
			change: func(f *fakeSystem, _ *doctor.Options) { f.outputs[dockerInfoKey] = fakeOutput{out: dockerInfoV1} },
			detail: "server 20.10.24+dfsg1, cgroup v1 (cgroupfs), storage fuse-overlayfs" + kindOnly},
		{name: "old engine without CgroupVersion", status: doctor.StatusOK,
			change: func(f *fakeSystem, _ *doctor.Options) {
				f.outputs[dockerInfoKey] = fakeOutput{out: `{"ServerVersion":"19.03.15","CgroupDriver":"cgroupfs","Driver":"overlay2"}`}
			},
			detail: "server 19.03.15, cgroup unknown (cgroupfs), storage overlay2" + kindOnly},
		{name: "not installed", status: doctor.StatusWarn,
			change: func(f *fakeSystem, _ *doctor.Options) { delete(f.onPath, "docker") },
			detail: "docker not found on PATH" + kindOnly,
			fix:    installDocker},
		{name: "daemon not running", status: doctor.StatusWarn,
			change: func(f *fakeSystem, _ *doctor.Options) {
				f.outputs[dockerInfoKey] = fakeOutput{out: dockerNoServer, err: errors.New(dockerDown)}
			},
			detail: "daemon not reachable: " + dockerDown + kindOnly,
			fix:    startDocker},
		{name: "no permission on the socket", status: doctor.StatusWarn,
			change: func(f *fakeSystem, _ *doctor.Options) {
				f.outputs[dockerInfoKey] = fakeOutput{out: dockerNoServer, err: errors.New(dockerDenied)}
			},
			detail: "daemon not reachable: " + dockerDenied + kindOnly,
			fix:    "for the kind lab, let your user use Docker: sudo usermod -aG docker $USER, then log out and in again (or run: newgrp docker)"},
		{name: "server errors with exit 0", status: doctor.StatusWarn,
			change: func(f *fakeSystem, _ *doctor.Options) {
				f.outputs[dockerInfoKey] = fakeOutput{out: `{"ServerVersion":"","ServerErrors":["` + dockerDown + `"]}`}
			},
			detail: "daemon not reachable: " + dockerDown + kindOnly,
			fix:    startDocker},
		{name: "no server and no error", status: doctor.StatusWarn,
			change: func(f *fakeSystem, _ *doctor.Options) { f.outputs[dockerInfoKey] = fakeOutput{out: dockerNoServer} },
			detail: "daemon not reachable: docker info reports no server" + kindOnly,
			fix:    startDocker},
		{name: "hangs", status: doctor.StatusWarn,
			change: func(f *fakeSystem, _ *doctor.Options) {
				f.outputs[dockerInfoKey] = fakeOutput{err: context.DeadlineExceeded}
			},
			detail: "daemon not reachable: docker info did not answer within 10s" + kindOnly,
			fix:    startDocker},
		{name: "garbage output", status: doctor.StatusWarn,
			change: func(f *fakeSystem, _ *doctor.Options) {
				f.outputs[dockerInfoKey] = fakeOutput{out: "Server:\n Containers: 0"}
			},
			detail: "daemon not reachable: docker info: unexpected output: invalid character 'S' looking for beginning of value" + kindOnly,
			fix:    startDocker},
	})
}

func meminfo(availKB string) func(*fakeSystem, *doctor.Options) {
	return func(f *fakeSystem, _ *doctor.Options) {
		f.files["/proc/meminfo"] = "MemTotal:       32768000 kB\nMemFree:          100000 kB\nMemAvailable:   " + availKB + " kB\n"
	}
}

func TestDoctorMemory(t *testing.T) {
	runCases(t, "memory", []checkCase{
		{name: "plenty", status: doctor.StatusOK,
			detail: "23.5 GiB available (a kind lab needs 8 GiB, the sim about 600 MB)"},
		{name: "exactly 8 GiB", change: meminfo("8388608"), status: doctor.StatusOK,
			detail: "8.0 GiB available (a kind lab needs 8 GiB, the sim about 600 MB)"},
		{name: "enough for the sim only", change: meminfo("3145728"), status: doctor.StatusWarn,
			detail: "3.0 GiB available: enough for the sim (about 600 MB), not for a kind lab (8 GiB for 3 nodes)",
			fix:    "for a kind lab, free memory (close programs, remove containers: docker ps) or add RAM until 8 GiB are available"},
		{name: "exactly 2 GiB", change: meminfo("2097152"), status: doctor.StatusWarn,
			detail: "2.0 GiB available: enough for the sim (about 600 MB), not for a kind lab (8 GiB for 3 nodes)",
			fix:    "for a kind lab, free memory (close programs, remove containers: docker ps) or add RAM until 8 GiB are available"},
		{name: "too little", change: meminfo("1048576"), status: doctor.StatusFail,
			detail: "1.0 GiB available: a lab needs at least 2 GiB (the sim about 600 MB, a kind lab 8 GiB)",
			fix:    "free memory (close programs, remove containers: docker ps) or add RAM until at least 2 GiB are available"},
		{name: "old kernel without MemAvailable", status: doctor.StatusSkip,
			change: func(f *fakeSystem, _ *doctor.Options) {
				f.files["/proc/meminfo"] = "MemTotal: 1000 kB\nMemFree: 10 kB\n"
			},
			detail: "no MemAvailable in /proc/meminfo"},
		{name: "no /proc", status: doctor.StatusSkip,
			change: func(f *fakeSystem, _ *doctor.Options) { delete(f.files, "/proc/meminfo") },
			detail: "cannot read /proc/meminfo: open /proc/meminfo: file does not exist"},
	})
}

func inotify(watches, instances string) func(*fakeSystem, *doctor.Options) {
	return func(f *fakeSystem, _ *doctor.Options) {
		f.files["/proc/sys/fs/inotify/max_user_watches"] = watches + "\n"
		f.files["/proc/sys/fs/inotify/max_user_instances"] = instances + "\n"
	}
}

const tooManyFiles = `: 3-node kind labs can fail with "too many open files"; the sim is fine`

func TestDoctorInotify(t *testing.T) {
	runCases(t, "inotify", []checkCase{
		{name: "kind's values", status: doctor.StatusOK,
			detail: "max_user_watches 524288, max_user_instances 512"},
		{name: "higher", change: inotify("1048576", "8192"), status: doctor.StatusOK,
			detail: "max_user_watches 1048576, max_user_instances 8192"},
		{name: "both low (distribution defaults)", change: inotify("192536", "128"), status: doctor.StatusWarn,
			detail: "max_user_watches 192536 (want 524288), max_user_instances 128 (want 512)" + tooManyFiles,
			fix: "sudo sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512\n" +
				`to keep it after a reboot: printf 'fs.inotify.max_user_watches = 524288\nfs.inotify.max_user_instances = 512\n' | sudo tee /etc/sysctl.d/99-ckalab.conf`},
		// The fix must not lower a limit that is already high enough.
		{name: "only instances low", change: inotify("1048576", "128"), status: doctor.StatusWarn,
			detail: "max_user_watches 1048576, max_user_instances 128 (want 512)" + tooManyFiles,
			fix: "sudo sysctl fs.inotify.max_user_instances=512\n" +
				`to keep it after a reboot: printf 'fs.inotify.max_user_instances = 512\n' | sudo tee /etc/sysctl.d/99-ckalab.conf`},
		{name: "only watches low", change: inotify("8192", "1024"), status: doctor.StatusWarn,
			detail: "max_user_watches 8192 (want 524288), max_user_instances 1024" + tooManyFiles,
			fix: "sudo sysctl fs.inotify.max_user_watches=524288\n" +
				`to keep it after a reboot: printf 'fs.inotify.max_user_watches = 524288\n' | sudo tee /etc/sysctl.d/99-ckalab.conf`},
		{name: "unreadable", status: doctor.StatusSkip,
			change: func(f *fakeSystem, _ *doctor.Options) { delete(f.files, "/proc/sys/fs/inotify/max_user_instances") },
			detail: "cannot read /proc/sys/fs/inotify/max_user_instances: open /proc/sys/fs/inotify/max_user_instances: file does not exist"},
		{name: "not a number", change: inotify("lots", "512"), status: doctor.StatusSkip,
			detail: `/proc/sys/fs/inotify/max_user_watches: not a number: "lots"`},
	})
}

const (
	cgroupV1Why = ". Kubelets 1.35+ refuse v1 unless failCgroupV1: false (ckalab's kind lab sets it); the sim runs no kubelet"
	cgroupV2Fix = "to move to cgroup v2: add systemd.unified_cgroup_hierarchy=1 to GRUB_CMDLINE_LINUX in /etc/default/grub,\nrun sudo update-grub and reboot (Docker then reports CgroupVersion 2)"
)

func TestDoctorCgroup(t *testing.T) {
	dockerV1 := func(f *fakeSystem, _ *doctor.Options) {
		f.outputs[dockerInfoKey] = fakeOutput{out: dockerInfoV1}
		f.files["/proc/mounts"] = mountsHybrid
	}
	dockerDownWith := func(mounts string) func(*fakeSystem, *doctor.Options) {
		return func(f *fakeSystem, _ *doctor.Options) {
			f.outputs[dockerInfoKey] = fakeOutput{out: dockerNoServer, err: errors.New(dockerDown)}
			f.files["/proc/mounts"] = mounts
		}
	}
	runCases(t, "cgroup", []checkCase{
		{name: "v2", status: doctor.StatusOK,
			detail: "Docker: cgroup v2 (systemd); host: cgroup v2 (unified)"},
		{name: "v1 as Docker reports it", change: dockerV1, status: doctor.StatusWarn,
			detail: "Docker: cgroup v1 (cgroupfs); host: cgroup v1 + cgroup2 at /sys/fs/cgroup/unified" + cgroupV1Why,
			fix:    cgroupV2Fix},
		// Docker decides for kind, whatever the host mounts.
		{name: "Docker v1 on a host with v2 mounted", status: doctor.StatusWarn,
			change: func(f *fakeSystem, _ *doctor.Options) { f.outputs[dockerInfoKey] = fakeOutput{out: dockerInfoV1} },
			detail: "Docker: cgroup v1 (cgroupfs); host: cgroup v2 (unified)" + cgroupV1Why,
			fix:    cgroupV2Fix},
		{name: "no Docker, host v2", change: dockerDownWith(mountsV2), status: doctor.StatusOK,
			detail: "Docker not reachable; host: cgroup v2 (unified)"},
		{name: "no Docker, host hybrid", change: dockerDownWith(mountsHybrid), status: doctor.StatusWarn,
			detail: "Docker not reachable; host: cgroup v1 + cgroup2 at /sys/fs/cgroup/unified" + cgroupV1Why,
			fix:    cgroupV2Fix},
		{name: "no Docker, host v1 only", change: dockerDownWith(mountsV1), status: doctor.StatusWarn,
			detail: "Docker not reachable; host: cgroup v1" + cgroupV1Why,
			fix:    cgroupV2Fix},
		{name: "no Docker, no cgroups", change: dockerDownWith("proc /proc proc rw 0 0\n"), status: doctor.StatusSkip,
			detail: "version unknown: Docker not reachable; host: no cgroup filesystem mounted"},
		{name: "old Docker without CgroupVersion uses the host", status: doctor.StatusWarn,
			change: func(f *fakeSystem, _ *doctor.Options) {
				f.outputs[dockerInfoKey] = fakeOutput{out: `{"ServerVersion":"19.03.15","CgroupDriver":"cgroupfs","Driver":"overlay2"}`}
				f.files["/proc/mounts"] = mountsV1
			},
			detail: "host: cgroup v1" + cgroupV1Why,
			fix:    cgroupV2Fix},
	})
}

// Capability bounding sets (CapBnd in /proc/<pid>/status) on a kernel whose
// cap_last_cap is 40.
const (
	capFull           = "000001ffffffffff"
	capNoSysResource  = "000001fffeffffff" // bit 24, as on some microVMs
	capNoModuleNorRes = "000001fffefeffff" // bits 16 and 24
)

// procStatus is a /proc/<pid>/status with the capability lines.
func procStatus(capBnd string) string {
	return "Name:\tsystemd\nState:\tS (sleeping)\nPid:\t1\n" +
		"CapInh:\t0000000000000000\nCapPrm:\t" + capBnd + "\nCapEff:\t" + capBnd +
		"\nCapBnd:\t" + capBnd + "\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\n"
}

func capBnd(init, self string) func(*fakeSystem, *doctor.Options) {
	return func(f *fakeSystem, _ *doctor.Options) {
		f.files["/proc/1/status"] = init
		f.files["/proc/self/status"] = self
	}
}

const (
	lacksCaps     = ": Docker refuses --privileged containers, so kind labs cannot start here (the sim lab works)"
	privilegedFix = "run ckalab on a machine or VM whose capability bounding set is complete (a nested container or sandbox usually is not);\n" +
		"the sim lab (ckalab lab up --provider sim) needs none of this"
	fullSetOK = "full capability bounding set (41 capabilities): Docker can run kind's privileged node containers"
)

func TestDoctorPrivileged(t *testing.T) {
	noInit := func(f *fakeSystem, _ *doctor.Options) { delete(f.files, "/proc/1/status") }
	runCases(t, "privileged", []checkCase{
		{name: "full set", status: doctor.StatusOK, detail: fullSetOK},
		{name: "lacks CAP_SYS_RESOURCE", change: capBnd(procStatus(capNoSysResource), procStatus(capNoSysResource)), status: doctor.StatusWarn,
			detail: "the capability bounding set lacks CAP_SYS_RESOURCE" + lacksCaps,
			fix:    privilegedFix},
		{name: "lacks two", change: capBnd(procStatus(capNoModuleNorRes), procStatus(capNoModuleNorRes)), status: doctor.StatusWarn,
			detail: "the capability bounding set lacks CAP_SYS_MODULE, CAP_SYS_RESOURCE" + lacksCaps,
			fix:    privilegedFix},
		// PID 1's set decides (the Docker daemon inherits it), not ours.
		{name: "only this process lacks one", change: capBnd(procStatus(capFull), procStatus(capNoSysResource)), status: doctor.StatusOK,
			detail: fullSetOK},
		{name: "PID 1 unreadable, this process's set", status: doctor.StatusWarn,
			change: func(f *fakeSystem, o *doctor.Options) {
				noInit(f, o)
				f.files["/proc/self/status"] = procStatus(capNoSysResource)
			},
			detail: "the capability bounding set (read from /proc/self/status) lacks CAP_SYS_RESOURCE" + lacksCaps,
			fix:    privilegedFix},
		{name: "PID 1 unreadable, full set", change: noInit, status: doctor.StatusOK,
			detail: "full capability bounding set (41 capabilities, read from /proc/self/status): Docker can run kind's privileged node containers"},
		{name: "PID 1 without CapBnd", change: capBnd("Name:\tinit\n", procStatus(capFull)), status: doctor.StatusOK,
			detail: "full capability bounding set (41 capabilities, read from /proc/self/status): Docker can run kind's privileged node containers"},
		// An older kernel has fewer capabilities; the bits above do not count.
		{name: "older kernel (cap_last_cap 37)", status: doctor.StatusOK,
			change: func(f *fakeSystem, o *doctor.Options) {
				capBnd(procStatus("0000003fffffffff"), procStatus("0000003fffffffff"))(f, o)
				f.files["/proc/sys/kernel/cap_last_cap"] = "37\n"
			},
			detail: "full capability bounding set (38 capabilities): Docker can run kind's privileged node containers"},
		// A newer kernel has capabilities this build has no name for.
		{name: "newer kernel lacks an unnamed one", status: doctor.StatusWarn,
			change: func(f *fakeSystem, o *doctor.Options) {
				capBnd(procStatus("000005ffffffffff"), procStatus("000005ffffffffff"))(f, o)
				f.files["/proc/sys/kernel/cap_last_cap"] = "42\n"
			},
			detail: "the capability bounding set lacks cap 41" + lacksCaps,
			fix:    privilegedFix},
		{name: "unreadable", status: doctor.StatusSkip,
			change: func(f *fakeSystem, o *doctor.Options) {
				noInit(f, o)
				delete(f.files, "/proc/self/status")
			},
			detail: "cannot read the capability bounding set: open /proc/1/status: file does not exist; open /proc/self/status: file does not exist"},
		{name: "no cap_last_cap", status: doctor.StatusSkip,
			change: func(f *fakeSystem, _ *doctor.Options) { delete(f.files, "/proc/sys/kernel/cap_last_cap") },
			detail: "cannot read /proc/sys/kernel/cap_last_cap: open /proc/sys/kernel/cap_last_cap: file does not exist"},
		{name: "garbage CapBnd", change: capBnd(procStatus("zz-top"), procStatus(capFull)), status: doctor.StatusSkip,
			detail: `/proc/1/status: CapBnd is not hexadecimal: "zz-top"`},
		{name: "garbage cap_last_cap", status: doctor.StatusSkip,
			change: func(f *fakeSystem, _ *doctor.Options) { f.files["/proc/sys/kernel/cap_last_cap"] = "forty\n" },
			detail: `/proc/sys/kernel/cap_last_cap: not a capability number: "forty"`},
		{name: "cap_last_cap out of range", status: doctor.StatusSkip,
			change: func(f *fakeSystem, _ *doctor.Options) { f.files["/proc/sys/kernel/cap_last_cap"] = "64\n" },
			detail: `/proc/sys/kernel/cap_last_cap: not a capability number: "64"`},
	})
}

func TestDoctorLoopback(t *testing.T) {
	runCases(t, "loopback", []checkCase{
		{name: "free port", status: doctor.StatusOK,
			detail: "bound 127.0.0.1:40123 (the sim and kind listen on loopback ports)"},
		{name: "cannot bind", status: doctor.StatusFail,
			change: func(f *fakeSystem, _ *doctor.Options) {
				f.listenErr = errors.New("listen tcp 127.0.0.1:0: bind: cannot assign requested address")
			},
			detail: "cannot bind 127.0.0.1:0: listen tcp 127.0.0.1:0: bind: cannot assign requested address (the sim and kind listen on loopback ports)",
			fix:    "bring the loopback interface up: sudo ip link set lo up\nand check that local ports are free: ss -tan | wc -l, sysctl net.ipv4.ip_local_port_range"},
	})
}

func TestDoctorKubectl(t *testing.T) {
	useSim := `use the kubectl v1.37.2 that make sim built: export PATH="` + simBin + `:$PATH" (add it to ~/.bashrc to keep it)`
	buildSim := `make sim builds kubectl v1.37.2 into ` + simBin + `; then export PATH="` + simBin + `:$PATH" (add it to ~/.bashrc to keep it)`
	version := func(out string) func(*fakeSystem, *doctor.Options) {
		return func(f *fakeSystem, _ *doctor.Options) { f.outputs[kubectlVerKey] = fakeOutput{out: out} }
	}
	runCases(t, "kubectl", []checkCase{
		{name: "same version", status: doctor.StatusOK,
			detail: kubectlBin + " v1.37.2; the sim runs v1.37.2"},
		{name: "one minor older", change: version(kubectlJSON("1", "36", "v1.36.4")), status: doctor.StatusOK,
			detail: kubectlBin + " v1.36.4; the sim runs v1.37.2"},
		{name: "one minor newer", change: version(kubectlJSON("1", "38", "v1.38.0")), status: doctor.StatusOK,
			detail: kubectlBin + " v1.38.0; the sim runs v1.37.2"},
		{name: "two minors older", change: version(kubectlJSON("1", "35", "v1.35.1")), status: doctor.StatusWarn,
			detail: kubectlBin + " v1.35.1; the sim runs v1.37.2: 2 minor versions apart, kubectl supports a skew of 1",
			fix:    useSim},
		{name: "vendor build far behind", change: version(kubectlJSON("1", "32+", "v1.32.4-dispatcher")), status: doctor.StatusWarn,
			detail: kubectlBin + " v1.32.4-dispatcher; the sim runs v1.37.2: 5 minor versions apart, kubectl supports a skew of 1",
			fix:    useSim},
		{name: "far behind, sim not built", status: doctor.StatusWarn,
			change: func(f *fakeSystem, o *doctor.Options) {
				f.outputs[kubectlVerKey] = fakeOutput{out: kubectlJSON("1", "30", "v1.30.0")}
				delete(f.executables, simBin+"/kubectl")
			},
			detail: kubectlBin + " v1.30.0; the sim runs v1.37.2: 7 minor versions apart, kubectl supports a skew of 1",
			fix:    buildSim},
		{name: "far behind, sim bin dir from CKALAB_SIM_BIN", status: doctor.StatusWarn,
			change: func(f *fakeSystem, o *doctor.Options) {
				f.outputs[kubectlVerKey] = fakeOutput{out: kubectlJSON("1", "30", "v1.30.0")}
				o.SimBinDir = "/opt/sim"
			},
			detail: kubectlBin + " v1.30.0; the sim runs v1.37.2: 7 minor versions apart, kubectl supports a skew of 1",
			fix:    `make sim SIM_BIN=/opt/sim builds kubectl v1.37.2 into /opt/sim; then export PATH="/opt/sim:$PATH" (add it to ~/.bashrc to keep it)`},
		{name: "no gitVersion, minor with plus", change: version(`{"clientVersion":{"major":"1","minor":"38+"}}`), status: doctor.StatusOK,
			detail: kubectlBin + " v1.38+; the sim runs v1.37.2"},
		{name: "not on PATH", status: doctor.StatusFail,
			change: func(f *fakeSystem, _ *doctor.Options) { delete(f.onPath, "kubectl") },
			detail: "kubectl not found on PATH; the tasks are solved with kubectl",
			fix:    useSim},
		{name: "not on PATH, sim not built", status: doctor.StatusFail,
			change: func(f *fakeSystem, _ *doctor.Options) {
				delete(f.onPath, "kubectl")
				delete(f.executables, simBin+"/kubectl")
			},
			detail: "kubectl not found on PATH; the tasks are solved with kubectl",
			fix:    buildSim},
		{name: "fails to run", status: doctor.StatusWarn,
			change: func(f *fakeSystem, _ *doctor.Options) {
				f.outputs[kubectlVerKey] = fakeOutput{err: errors.New("error: unknown flag: --client\nSee 'kubectl version --help'")}
			},
			detail: kubectlBin + " version --client failed: error: unknown flag: --client",
			fix:    useSim},
		{name: "not JSON", change: version("Client Version: v1.37.2"), status: doctor.StatusWarn,
			detail: kubectlBin + " version --client: unexpected output: invalid character 'C' looking for beginning of value",
			fix:    useSim},
		{name: "unreadable version", change: version(`{"clientVersion":{"gitVersion":"devel"}}`), status: doctor.StatusWarn,
			detail: kubectlBin + `: cannot read its version "devel"`,
			fix:    useSim},
	})
}

func TestDoctorSimBinaries(t *testing.T) {
	const fix = "make sim (in the ckalab source tree; builds them once, 15-25 min)"
	runCases(t, "sim-binaries", []checkCase{
		{name: "built", status: doctor.StatusOK, detail: "all present in " + simBin},
		{name: "not built", status: doctor.StatusWarn,
			change: func(f *fakeSystem, _ *doctor.Options) {
				f.missingSim[simBin] = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}
			},
			detail: "missing in " + simBin + ": etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok (the sim lab needs them)",
			fix:    fix},
		{name: "partly built", status: doctor.StatusWarn,
			change: func(f *fakeSystem, _ *doctor.Options) { f.missingSim[simBin] = []string{"kwok"} },
			detail: "missing in " + simBin + ": kwok (the sim lab needs them)",
			fix:    fix},
		{name: "CKALAB_SIM_BIN elsewhere", status: doctor.StatusWarn,
			change: func(f *fakeSystem, o *doctor.Options) {
				o.SimBinDir = "/opt/sim"
				f.missingSim["/opt/sim"] = []string{"etcd"}
			},
			detail: "missing in /opt/sim: etcd (the sim lab needs them)",
			fix:    "make sim SIM_BIN=/opt/sim (in the ckalab source tree; builds them once, 15-25 min)"},
	})
}
