package kind

import (
	"fmt"
	"strings"
	"sync"

	"github.com/ckalab/ckalab/lab"
	kindlog "sigs.k8s.io/kind/pkg/log"
)

// progressLogger turns kind's status lines (" • Preparing nodes 📦  ...",
// " ✓ Preparing nodes 📦") into lab.Progress steps, so that the CLI draws
// kind's slow steps like its own. Everything else kind says at V(0) is kept
// for error messages; warnings are kept too, since libraries never print.
type progressLogger struct {
	progress lab.Progress

	mu       sync.Mutex
	open     bool
	warnings []string
}

var _ kindlog.Logger = (*progressLogger)(nil)

func (l *progressLogger) Warn(message string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.warnings = append(l.warnings, strings.TrimSpace(message))
}

func (l *progressLogger) Warnf(format string, args ...any) { l.Warn(fmt.Sprintf(format, args...)) }
func (l *progressLogger) Error(message string)             { l.Warn(message) }
func (l *progressLogger) Errorf(format string, args ...any) {
	l.Warn(fmt.Sprintf(format, args...))
}

func (l *progressLogger) V(level kindlog.Level) kindlog.InfoLogger {
	if level > 0 {
		return discardInfo{}
	}
	return statusInfo{l}
}

// Warnings returns what kind warned about, in order.
func (l *progressLogger) Warnings() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.warnings...)
}

// close ends a step kind left open (it does when Create fails mid-step).
func (l *progressLogger) close(ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open {
		l.progress.End(ok)
		l.open = false
	}
}

func (l *progressLogger) status(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	trimmed := strings.TrimSpace(line)
	switch {
	case strings.HasPrefix(trimmed, "•"):
		step := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(trimmed, "•"), "..."))
		if l.open {
			l.progress.End(true)
		}
		l.progress.Start(step)
		l.open = true
	case strings.HasPrefix(trimmed, "✓"), strings.HasPrefix(trimmed, "✗"):
		if l.open {
			l.progress.End(strings.HasPrefix(trimmed, "✓"))
			l.open = false
		}
	}
	// Other V(0) lines ("Creating cluster ...", usage hints) are kind's
	// words to its own users; ckalab says its own.
}

type statusInfo struct{ l *progressLogger }

func (s statusInfo) Info(message string)              { s.l.status(message) }
func (s statusInfo) Infof(format string, args ...any) { s.l.status(fmt.Sprintf(format, args...)) }
func (s statusInfo) Enabled() bool                    { return true }

type discardInfo struct{}

func (discardInfo) Info(string)          {}
func (discardInfo) Infof(string, ...any) {}
func (discardInfo) Enabled() bool        { return false }
