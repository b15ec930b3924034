package cli

import (
	"context"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

// ExitInterrupted is the shell's code for a command stopped by SIGINT
// (128+2); SIGTERM ends with the same code, as for gh and kubectl.
const ExitInterrupted = 130

// StopGrace is how long an interrupted command may take to stop by itself
// (closing what it opened, writing its state) before ckalab exits anyway.
// Every long step listens to its context, so this is only a backstop.
const StopGrace = 900 * time.Millisecond

// Interrupt is the cause of a context cancelled by a signal.
type Interrupt struct{ Signal os.Signal }

func (i Interrupt) Error() string { return "interrupted (" + signalName(i.Signal) + ")" }

func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "Ctrl-C"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// activity is what the command is doing now, said when it is interrupted.
type activity struct {
	mu   sync.Mutex
	what string
}

func (a *activity) set(what string) {
	if a == nil {
		return
	}
	a.mu.Lock()
	a.what = what
	a.mu.Unlock()
}

func (a *activity) get() string {
	if a == nil {
		return ""
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.what
}

// stoppedMessage says what was stopped: "Stopped by Ctrl-C while:
// Starting kube-apiserver".
func stoppedMessage(cause Interrupt, doing string) string {
	msg := "Stopped by " + signalName(cause.Signal)
	if doing != "" {
		msg += " while: " + doing
	}
	return msg + "."
}

// RunInterruptible runs a command whose context the first signal cancels.
// The command then has StopGrace to return; a second signal, or the end of
// the grace, exits at once. State files stay consistent either way: they are
// only ever replaced by rename. after is the clock (time.After).
func RunInterruptible(run func(context.Context) int, sigs <-chan os.Signal, after func(time.Duration) <-chan time.Time, io *IOStreams) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	done := make(chan int, 1)
	go func() { done <- run(ctx) }()
	var grace <-chan time.Time
	var cause Interrupt
	for {
		select {
		case code := <-done:
			return code
		case sig := <-sigs:
			if grace != nil { // the second signal
				fmt.Fprintf(io.ErrOut, "\n%s\n", stoppedMessage(Interrupt{sig}, io.activity.get()))
				return ExitInterrupted
			}
			cause = Interrupt{sig}
			cancel(cause)
			grace = after(StopGrace)
		case <-grace:
			fmt.Fprintf(io.ErrOut, "\n%s (it did not stop within %s; exited)\n", stoppedMessage(cause, io.activity.get()), StopGrace)
			return ExitInterrupted
		}
	}
}
