package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeAfter is a clock whose timers fire when the test says so.
type fakeAfter struct{ fire chan time.Time }

func (f fakeAfter) after(time.Duration) <-chan time.Time { return f.fire }

func TestInterruptCancelsAndTheCommandStops(t *testing.T) {
	var errOut bytes.Buffer
	io := TestIO(nil, &bytes.Buffer{}, &errOut)
	sigs := make(chan os.Signal, 1)
	clock := fakeAfter{fire: make(chan time.Time)}
	var cause error
	code := RunInterruptible(func(ctx context.Context) int {
		io.activity.set("Starting kube-apiserver")
		sigs <- os.Interrupt
		<-ctx.Done()
		cause = context.Cause(ctx)
		return 7 // the command's own code wins when it stops in time
	}, sigs, clock.after, io)
	if code != 7 {
		t.Fatalf("code = %d, want the command's own 7", code)
	}
	if intr, ok := cause.(Interrupt); !ok || intr.Signal != os.Interrupt {
		t.Fatalf("cause = %v, want Interrupt{os.Interrupt}", cause)
	}
}

func TestCommandThatIgnoresItsContextIsLeftAfterTheGrace(t *testing.T) {
	var errOut bytes.Buffer
	io := TestIO(nil, &bytes.Buffer{}, &errOut)
	sigs := make(chan os.Signal, 1)
	clock := fakeAfter{fire: make(chan time.Time, 1)}
	block := make(chan struct{})
	defer close(block)
	code := RunInterruptible(func(ctx context.Context) int {
		io.activity.set("Rendering scenario.yaml")
		sigs <- syscall.SIGTERM
		<-ctx.Done()
		clock.fire <- time.Time{} // the grace ends while the command is stuck
		<-block
		return 0
	}, sigs, clock.after, io)
	if code != ExitInterrupted {
		t.Fatalf("code = %d, want %d", code, ExitInterrupted)
	}
	for _, want := range []string{"Stopped by SIGTERM while: Rendering scenario.yaml", "did not stop within"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr %q lacks %q", errOut.String(), want)
		}
	}
}

func TestSecondSignalExitsAtOnce(t *testing.T) {
	var errOut bytes.Buffer
	io := TestIO(nil, &bytes.Buffer{}, &errOut)
	sigs := make(chan os.Signal, 2)
	never := fakeAfter{fire: make(chan time.Time)}
	block := make(chan struct{})
	defer close(block)
	code := RunInterruptible(func(ctx context.Context) int {
		sigs <- os.Interrupt
		<-ctx.Done()
		sigs <- os.Interrupt
		<-block
		return 0
	}, sigs, never.after, io)
	if code != ExitInterrupted {
		t.Fatalf("code = %d, want %d", code, ExitInterrupted)
	}
	if !strings.Contains(errOut.String(), "Stopped by Ctrl-C") {
		t.Errorf("stderr %q does not say what stopped it", errOut.String())
	}
}

func TestMainSaysWhatWasStopped(t *testing.T) {
	var out, errOut bytes.Buffer
	io := TestIO(nil, &out, &errOut)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(Interrupt{os.Interrupt})
	// Every file the command could touch is in a temp folder; it fails
	// (no lab), and a run whose context a signal cancelled ends with 130.
	dir := t.TempDir()
	vars := map[string]string{"HOME": dir, "XDG_STATE_HOME": dir, "XDG_CACHE_HOME": dir, "XDG_CONFIG_HOME": dir, "KUBECONFIG": dir + "/none"}
	t.Setenv("KUBECONFIG", vars["KUBECONFIG"])
	t.Setenv("HOME", dir)
	code := Main(ctx, []string{"grade"}, Env{IO: io, Getenv: func(k string) string { return vars[k] }, Now: time.Now})
	if code != ExitInterrupted {
		t.Fatalf("code = %d, want %d; stderr: %s", code, ExitInterrupted, errOut.String())
	}
	if !strings.Contains(errOut.String(), "Stopped by Ctrl-C") {
		t.Errorf("stderr %q does not say it was stopped", errOut.String())
	}
}
