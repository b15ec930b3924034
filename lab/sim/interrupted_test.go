package sim

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ckalab/ckalab/lab"
)

// recProgress records the steps a provider reports.
type recProgress struct{ events []string }

func (r *recProgress) Start(step string) { r.events = append(r.events, "start "+step) }
func (r *recProgress) End(ok bool)       { r.events = append(r.events, "end "+strconv.FormatBool(ok)) }

// fakeBinDir holds every sim program as a copy of the shell: enough to be
// found, started and recognised, and each one exits at once on the sim's
// flags.
func fakeBinDir(t *testing.T) string {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	sh, err = filepath.EvalSymlinks(sh)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(sh)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, b := range binaries {
		if err := os.WriteFile(filepath.Join(dir, b), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// startLeftover runs the program name of binDir as a lab component that an
// interrupted `lab up` left: it runs until killed, with a file of the lab's
// folder on its command line.
func startLeftover(t *testing.T, binDir, name, stateDir string) *process {
	t.Helper()
	// The shell waits on a pipe that stays open: no child process (a fork
	// would look like another copy of the component for a moment).
	cmd := exec.Command(filepath.Join(binDir, name), "-c", "read x", filepath.Join(stateDir, "etcd"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close() })
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait() }()
	proc := &process{Name: name, Binary: filepath.Join(binDir, name), PID: cmd.Process.Pid}
	t.Cleanup(func() { _ = syscall.Kill(proc.PID, syscall.SIGKILL) })
	for i := 0; i < 100 && !proc.alive(); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if !proc.alive() {
		t.Fatalf("%s did not start", name)
	}
	return proc
}

func waitDead(t *testing.T, procs ...*process) {
	t.Helper()
	for _, proc := range procs {
		for i := 0; i < 200 && proc.alive(); i++ {
			time.Sleep(10 * time.Millisecond)
		}
		if proc.alive() {
			t.Errorf("%s still runs", proc)
		}
	}
}

func writeRawState(t *testing.T, p *Provider, data []byte) {
	t.Helper()
	if err := os.MkdirAll(p.StateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.statePath(), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func jsonState(t *testing.T, s *state) []byte {
	t.Helper()
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestUpAfterInterruptedUp: whatever a killed `lab up` left (a state that
// says it was still creating, one with fewer components than a lab has, a
// half-written one, or none at all in the lab's folder), the next Up stops
// its processes (recorded or not), removes its folder, says so, and makes a
// new lab. Here the new lab fails at once (its programs are shells), which
// shows the order of the steps.
func TestUpAfterInterruptedUp(t *testing.T) {
	for _, tc := range []struct {
		name string
		// state is the state file's content given the recorded process
		// (nil: no state file).
		state func(t *testing.T, recorded *process) []byte
	}{
		{"state says creating", func(t *testing.T, recorded *process) []byte {
			procs := []*process{recorded}
			for _, b := range binaries[1:] {
				procs = append(procs, &process{Name: b, Binary: "/nonexistent/" + b, PID: 0})
			}
			return jsonState(t, &state{Creating: true, Processes: procs})
		}},
		{"fewer components than a lab (older ckalab)", func(t *testing.T, recorded *process) []byte {
			return jsonState(t, &state{Processes: []*process{recorded}})
		}},
		{"half-written state", func(t *testing.T, recorded *process) []byte {
			return jsonState(t, &state{Creating: true, Processes: []*process{recorded}})[:40]
		}},
		{"no state file", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := fakeBinDir(t)
			p := &Provider{StateDir: filepath.Join(t.TempDir(), "labs", "sim"), BinDir: bin, Now: time.Now}
			etcd := startLeftover(t, bin, "etcd", p.StateDir)
			apiserver := startLeftover(t, bin, "kube-apiserver", p.StateDir) // started, never recorded
			if tc.state != nil {
				writeRawState(t, p, tc.state(t, etcd))
			} else if err := os.MkdirAll(filepath.Join(p.StateDir, "pki"), 0o700); err != nil {
				t.Fatal(err)
			}
			st, _ := p.Status(context.Background())
			if !st.Exists || st.Healthy || st.ContextName != ContextName {
				t.Errorf("status of the half-made lab = %+v, want it to exist, unhealthy, with its context", st)
			}

			progress := &recProgress{}
			_, err := p.Up(context.Background(), progress)
			if err == nil || !strings.Contains(err.Error(), "etcd exited") {
				t.Fatalf("Up = %v, want the fake etcd to fail after the clean-up", err)
			}
			removal := "start Removing what an interrupted `lab up` left: " + etcd.String() + ", " + apiserver.String() + ", folder " + p.StateDir + " 🧹"
			want := []string{removal, "end true", "start Generating certificates 🔐", "end true", "start Starting etcd 🗄", "end false"}
			if !slices.Equal(progress.events, want) {
				t.Errorf("progress =\n%q\nwant\n%q", progress.events, want)
			}
			waitDead(t, etcd, apiserver)
			if _, err := os.Stat(p.StateDir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("state folder after the failed Up: %v, want it gone", err)
			}
		})
	}
}

// TestUpOnAnUnhealthyLabNamesTheProvider: a lab that was made whole but lost
// a component is the user's to remove (it may hold their work); the advice
// names the provider, since `lab down` alone would pick a running kind lab.
func TestUpOnAnUnhealthyLabNamesTheProvider(t *testing.T) {
	bin := fakeBinDir(t)
	p := &Provider{StateDir: filepath.Join(t.TempDir(), "sim"), BinDir: bin, Now: time.Now}
	etcd := startLeftover(t, bin, "etcd", p.StateDir)
	procs := []*process{etcd}
	for _, b := range binaries[1:] {
		procs = append(procs, &process{Name: b, Binary: filepath.Join(bin, b), PID: 0, LogFile: filepath.Join(p.StateDir, b+".log")})
	}
	writeRawState(t, p, jsonState(t, &state{Processes: procs}))
	_, err := p.Up(context.Background(), lab.NoProgress{})
	if err == nil {
		t.Fatal("Up on an unhealthy lab succeeded")
	}
	for _, want := range []string{"not healthy", "kube-apiserver is not running", "`ckalab lab down --provider sim`", "`ckalab lab up --provider sim`"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if !etcd.alive() {
		t.Error("Up stopped a component of a lab that was whole")
	}
}

// TestDownWithUnreadableState stops the processes that run from the lab's
// folder although the state cannot say which they are.
func TestDownWithUnreadableState(t *testing.T) {
	bin := fakeBinDir(t)
	p := &Provider{StateDir: filepath.Join(t.TempDir(), "sim"), BinDir: bin, Now: time.Now}
	other := startLeftover(t, bin, "etcd", p.StateDir+"-other") // another folder: not this lab's
	etcd := startLeftover(t, bin, "etcd", p.StateDir)
	writeRawState(t, p, []byte(`{"processes": [{"name": "etcd", "pid": `))
	st, err := p.Status(context.Background())
	if err == nil || !st.Exists || st.ContextName != ContextName {
		t.Errorf("Status = %+v, %v; want an error for a lab that exists", st, err)
	}
	progress := &recProgress{}
	if err := p.Down(context.Background(), progress); err != nil {
		t.Fatal(err)
	}
	waitDead(t, etcd)
	if !other.alive() {
		t.Error("Down stopped a process of another folder")
	}
	if _, err := os.Stat(p.StateDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("state folder: %v, want it gone", err)
	}
	if want := []string{"start Stopping the sim lab 🧹", "end true"}; !slices.Equal(progress.events, want) {
		t.Errorf("progress = %q, want %q", progress.events, want)
	}
	if st, err := p.Status(context.Background()); err != nil || st.Exists {
		t.Errorf("Status after Down = %+v, %v", st, err)
	}
}

// TestUpWhileAnotherUpRuns: the lock keeps a second Up from taking the first
// one's lab, still being made, for a leftover.
func TestUpWhileAnotherUpRuns(t *testing.T) {
	bin := fakeBinDir(t)
	p := &Provider{StateDir: filepath.Join(t.TempDir(), "sim"), BinDir: bin, Now: time.Now}
	unlock, err := lockUp(p.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	writeRawState(t, p, jsonState(t, &state{Creating: true}))
	_, err = p.Up(context.Background(), lab.NoProgress{})
	if err == nil || !strings.Contains(err.Error(), "another `ckalab lab up --provider sim` is working on the sim lab") {
		t.Errorf("Up while locked: %v", err)
	}
	if _, err := os.Stat(p.statePath()); err != nil {
		t.Errorf("the other Up's state was touched: %v", err)
	}
	unlock()
}

// TestWriteStateLeavesNoTemporaryFile: the state is replaced whole.
func TestWriteStateLeavesNoTemporaryFile(t *testing.T) {
	p := &Provider{StateDir: t.TempDir()}
	if err := p.writeState(&state{Creating: true}); err != nil {
		t.Fatal(err)
	}
	s, err := p.readState()
	if err != nil || !s.Creating {
		t.Errorf("readState = %+v, %v", s, err)
	}
	if _, err := os.Stat(p.statePath() + ".tmp"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary file left: %v", err)
	}
}
