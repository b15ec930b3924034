package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// TextOptions tune the terminal report.
type TextOptions struct {
	// Color paints with ANSI codes; without it the text is the same,
	// unicode bars included, with no escape codes.
	Color bool
	// Width is the terminal's width in columns (0: 80; at least 60).
	Width int
}

const (
	defaultWidth = 80
	minWidth     = 60
)

// WriteText writes the report for a terminal, in the style of `ckalab
// grade --explain`: a header with the score and the verdict, a bar per
// domain, a line per task, then each failed check with why, expected and
// actual, wrapped to the width.
func WriteText(w io.Writer, s Summary, opts TextOptions) error {
	width := opts.Width
	if width <= 0 {
		width = defaultWidth
	}
	width = max(width, minWidth)
	t := &textWriter{c: palette{on: opts.Color}, width: width}
	t.header(s)
	t.domains(s)
	t.tasks(s)
	t.failures(s)
	if _, err := io.WriteString(w, t.b.String()); err != nil {
		return fmt.Errorf("exam report: %w", err)
	}
	return nil
}

type textWriter struct {
	b     strings.Builder
	c     palette
	width int
}

func (t *textWriter) line(parts ...string) {
	t.b.WriteString(strings.TrimRight(strings.Join(parts, ""), " ") + "\n")
}

func (t *textWriter) header(s Summary) {
	c := t.c
	title := printable(oneLine(s.Title))
	if title == "" {
		title = "Exam"
	}
	id := ""
	if s.ID != "" {
		id = "  " + c.Faint("("+printable(oneLine(s.ID))+")")
	}
	t.line(c.Bold(title), id)
	verdict := c.Bold(c.Red(s.Verdict()))
	if s.Passed {
		verdict = c.Bold(c.Green(s.Verdict()))
	}
	t.line("Score ", c.Bold(strconv.FormatFloat(s.Percent, 'f', 1, 64)+"%"), "  ", verdict,
		"  ", c.Faint(fmt.Sprintf("(pass mark %d%%)", s.PassMark)))
	paintEnding := func(s string) string { return s }
	if s.Ending == EndedLate {
		paintEnding = c.Yellow
	}
	// Wrapped before it is painted: the colour codes take no columns.
	used := "Time used " + FormatDuration(s.TimeUsed) + " of " + FormatDuration(s.Duration) + ", "
	t.wrapped(paintEnding, s.EndingText(), used, "  ")
}

func (t *textWriter) domains(s Summary) {
	if len(s.Domains) == 0 {
		return
	}
	c := t.c
	nameW, ptsW := 0, 0
	for _, d := range s.Domains {
		nameW = max(nameW, runeLen(d.Name))
		ptsW = max(ptsW, len(points(d.Score, d.Max)))
	}
	nameW = min(nameW, 30)
	// "  name  bar  100.0%  12.3/25.0"; on a narrow terminal the names
	// give way to a bar of at least 10 cells.
	cells := min(t.width-(2+nameW+2+2+6+2+ptsW), 40)
	if cells < 10 {
		nameW -= 10 - cells
		cells = 10
	}
	t.line()
	t.line(c.Bold("Domains"))
	for _, d := range s.Domains {
		fill, track := bar(d.Percent, cells)
		paint := c.Red
		if d.Percent >= float64(s.PassMark) {
			paint = c.Green
		}
		t.line("  ", fit(printable(d.Name), nameW), "  ", paint(fill), c.Faint(track), "  ",
			fmt.Sprintf("%5.1f%%", d.Percent), "  ", pad(points(d.Score, d.Max), ptsW))
	}
}

// bar draws percent of cells with eighth blocks: the filled part and the
// track that completes it.
func bar(percent float64, cells int) (fill, track string) {
	eighths := int(math.Floor(min(max(percent, 0), 100)/100*float64(cells*8) + 1e-6))
	full, part := eighths/8, eighths%8
	fill = strings.Repeat("█", full)
	used := full
	if part > 0 {
		fill += string([]rune(" ▏▎▍▌▋▊▉")[part])
		used++
	}
	return fill, strings.Repeat("░", cells-used)
}

func (t *textWriter) tasks(s Summary) {
	if len(s.Tasks) == 0 {
		return
	}
	c := t.c
	numW, domW, chkW, ptsW := 1, len("domain"), len("checks"), len("score")
	for _, ts := range s.Tasks {
		numW = max(numW, len(strconv.Itoa(ts.N)))
		domW = max(domW, runeLen(ts.Domain))
		chkW = max(chkW, len(checks(ts)))
		ptsW = max(ptsW, len(points(ts.Score, ts.Max)))
	}
	domW = min(domW, 30)
	// "  ✓ 12 ⚑ title  domain  checks  score"; on a narrow terminal the
	// domains are cut to give titles at least 20 columns.
	fixed := 2 + 2 + numW + 3 + 2 + domW + 2 + chkW + 2 + ptsW
	titleW := t.width - fixed
	if titleW < 20 {
		cut := min(20-titleW, domW-10)
		domW -= cut
		titleW += cut
	}
	titleW = max(titleW, 12)
	t.line()
	t.line(c.Bold("Tasks"), "  ", c.Faint("(⚑ flagged for review)"))
	t.line(c.Faint("    " + pad("#", numW) + "   " + fit("task", titleW) + "  " + fit("domain", domW) + "  " +
		pad("checks", chkW) + "  " + pad("score", ptsW)))
	for _, ts := range s.Tasks {
		flag := " "
		if ts.Flagged {
			flag = c.Yellow("⚑")
		}
		t.line("  ", t.icon(ts.Status), " ", pad(strconv.Itoa(ts.N), numW), " ", flag, " ",
			fit(printable(oneLine(ts.Title)), titleW), "  ", fit(printable(ts.Domain), domW), "  ",
			pad(checks(ts), chkW), "  ", pad(points(ts.Score, ts.Max), ptsW))
	}
}

// checks renders a task's check points, "3/5", or "-" when not graded.
func checks(ts TaskScore) string {
	if ts.Status == StatusNotGraded {
		return "-"
	}
	return fmt.Sprintf("%d/%d", ts.Earned, ts.Total)
}

func (t *textWriter) icon(st Status) string {
	switch st {
	case StatusFull:
		return t.c.Green("✓")
	case StatusPartial:
		return t.c.Yellow("✗")
	case StatusNotGraded:
		return t.c.Faint("–")
	default:
		return t.c.Red("✗")
	}
}

func (t *textWriter) failures(s Summary) {
	c := t.c
	started := false
	for _, ts := range s.Tasks {
		if ts.Status == StatusFull {
			continue
		}
		if !started {
			t.line()
			t.line(c.Bold("Failed checks"))
			started = true
		}
		t.line()
		head := fmt.Sprintf("%d. %s (%s): ", ts.N, printable(oneLine(ts.Title)), printable(oneLine(ts.Scenario)))
		if ts.Status == StatusNotGraded {
			t.wrapped(c.Faint, head+"not graded", t.icon(ts.Status)+" ", "  ")
		} else {
			t.wrapped(c.Bold, head+points(ts.Score, ts.Max), t.icon(ts.Status)+" ", "  ")
		}
		if ts.Note != "" {
			t.wrapped(nil, printable(ts.Note), "  ", "  ")
		}
		for _, f := range ts.Failed {
			// As grade --explain: why first, in plain words; expected and
			// actual are the evidence.
			t.wrapped(c.Bold, fmt.Sprintf("%s: %s (%s)", printable(oneLine(f.ID)), printable(oneLine(f.Title)),
				plural(f.Points, "point")), "  "+c.Red("✗")+" ", "    ")
			if f.Why != "" {
				// A why is prose, often a YAML block with the author's
				// line breaks: wrap it to the terminal instead.
				t.wrapped(nil, strings.Join(strings.Fields(printable(f.Why)), " "), "    why: ", "         ")
			}
			t.wrapped(nil, printable(f.Expected), "    expected: ", "              ")
			t.wrapped(nil, printable(f.Actual), "    actual:   ", "              ")
			for _, p := range f.Problems {
				t.wrapped(nil, printable(p), "     - ", "       ")
			}
		}
	}
}

// wrapped writes text wrapped to the width, painted by paint (nil: as it
// is). first may hold colour codes: its width is that of its plain text.
func (t *textWriter) wrapped(paint func(string) string, text, first, rest string) {
	for i, l := range wrap(text, t.width, stripANSI(first), rest) {
		prefix := rest
		if i == 0 {
			prefix = first
		}
		if paint != nil {
			l = paint(l)
		}
		t.line(prefix, l)
	}
}

// pad right-aligns s in width columns.
func pad(s string, width int) string {
	return strings.Repeat(" ", max(width-runeLen(s), 0)) + s
}

// plural renders "1 point", "2 points".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// printable replaces control characters other than line breaks and tabs,
// so that scenario text and cluster output cannot drive the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return '\uFFFD'
		}
		return r
	}, s)
}

// stripANSI removes the SGR codes of the palette.
func stripANSI(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], 'm')
		if j < 0 {
			return b.String()
		}
		s = s[i+j+1:]
	}
}

// palette paints text with the CLI's ANSI codes when on.
type palette struct{ on bool }

func (p palette) paint(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p palette) Green(s string) string  { return p.paint("32", s) }
func (p palette) Red(s string) string    { return p.paint("31", s) }
func (p palette) Yellow(s string) string { return p.paint("33", s) }
func (p palette) Bold(s string) string   { return p.paint("1", s) }
func (p palette) Faint(s string) string  { return p.paint("2", s) }
