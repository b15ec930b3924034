package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// IOStreams is the CLI's only contact with the terminal: data goes to Out,
// status and progress to ErrOut; colour and progress animation only when the
// streams are terminals and NO_COLOR is unset (https://no-color.org).
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	outTTY, errTTY, inTTY bool
	color                 bool

	// activity is the step in progress, named if the command is
	// interrupted.
	activity *activity
}

// SystemIO wires the process's standard streams.
func SystemIO(getenv func(string) string) *IOStreams {
	isTTY := func(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
	io := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		outTTY: isTTY(os.Stdout), errTTY: isTTY(os.Stderr), inTTY: isTTY(os.Stdin),
		activity: &activity{}}
	io.color = io.outTTY && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
	return io
}

// TestIO returns streams backed by buffers-like writers, no TTY, no colour.
func TestIO(in io.Reader, out, errOut io.Writer) *IOStreams {
	return &IOStreams{In: in, Out: out, ErrOut: errOut, activity: &activity{}}
}

// CanPrompt reports whether interactive questions can be asked.
func (s *IOStreams) CanPrompt() bool { return s.inTTY && s.outTTY }

// Colors returns the palette (no-ops when colour is off).
func (s *IOStreams) Colors() Colors { return Colors{on: s.color} }

// Colors paints text with ANSI codes when enabled.
type Colors struct{ on bool }

func (c Colors) paint(code, s string) string {
	if !c.on {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (c Colors) Green(s string) string  { return c.paint("32", s) }
func (c Colors) Red(s string) string    { return c.paint("31", s) }
func (c Colors) Yellow(s string) string { return c.paint("33", s) }
func (c Colors) Bold(s string) string   { return c.paint("1", s) }
func (c Colors) Faint(s string) string  { return c.paint("2", s) }

// SuccessIcon and FailureIcon mark results.
func (c Colors) SuccessIcon() string { return c.Green("✓") }
func (c Colors) FailureIcon() string { return c.Red("✗") }

// progress draws lab.Progress steps on ErrOut, kind-style: "• step..." then
// "✓ step (1.2s)"; on a terminal the line is rewritten in place.
type progress struct {
	io    *IOStreams
	now   func() time.Time
	step  string
	start time.Time
}

func (p *progress) Start(step string) {
	p.step, p.start = step, p.now()
	p.io.activity.set(step)
	if p.io.errTTY {
		fmt.Fprintf(p.io.ErrOut, " • %s ...", step)
	}
}

func (p *progress) End(ok bool) {
	if ok {
		// A failed step stays the activity: when a signal failed it, the
		// message says what was stopped.
		p.io.activity.set("")
	}
	c := p.io.Colors()
	icon := c.SuccessIcon()
	if !ok {
		icon = c.FailureIcon()
	}
	elapsed := p.now().Sub(p.start).Round(100 * time.Millisecond)
	prefix := ""
	if p.io.errTTY {
		prefix = "\r\x1b[K"
	}
	fmt.Fprintf(p.io.ErrOut, "%s %s %s %s\n", prefix, icon, p.step, c.Faint("("+elapsed.String()+")"))
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}
