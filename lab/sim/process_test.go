package sim

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestProcessAliveRightAfterStart: a component is alive the moment start
// returns (cmdline is briefly empty after execve; alive must not care), and
// dead after stop; a recycled PID running another program does not count.
func TestProcessAliveRightAfterStart(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i := 0; i < 30; i++ {
		p, err := start("sleeper", sleep, []string{"30"}, dir)
		if err != nil {
			t.Fatal(err)
		}
		if !p.alive() {
			t.Fatalf("run %d: not alive right after start", i)
		}
		if err := p.stop(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		if p.alive() {
			t.Fatalf("run %d: alive after stop", i)
		}
	}
	other := &process{Name: "impostor", Binary: sleep, PID: os.Getpid()}
	if other.alive() {
		t.Error("a PID running another program counts as alive")
	}
	if (&process{Name: "none", Binary: sleep}).alive() {
		t.Error("PID 0 counts as alive")
	}
}

// TestLogTail keeps the last lines.
func TestLogTail(t *testing.T) {
	f := t.TempDir() + "/x.log"
	if err := os.WriteFile(f, []byte("a\nb\nc\nd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &process{LogFile: f}
	if got := p.logTail(2); got != "c\nd" {
		t.Errorf("logTail(2) = %q", got)
	}
	if got := (&process{LogFile: f + ".missing"}).logTail(2); got == "" {
		t.Error("a missing log gives no explanation")
	}
}
