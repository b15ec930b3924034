package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// WriteJSON writes the summary as indented JSON, the document of
// `-o json`.
func WriteJSON(w io.Writer, s Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("exam report: %w", err)
	}
	return nil
}

// Verdict is "PASS" or "FAIL".
func (s Summary) Verdict() string {
	if s.Passed {
		return "PASS"
	}
	return "FAIL"
}

// EndingText says in words when the exam was graded.
func (s Summary) EndingText() string {
	switch s.Ending {
	case EndedLate:
		return "graded late, after the machine slept"
	case EndedEarly:
		return "graded before the deadline, " + FormatDuration(s.Duration-s.TimeUsed) + " left"
	default:
		return "graded at the deadline"
	}
}

// FormatDuration renders an exam's times: "1h47m", "12m05s", "40s".
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, sec)
	default:
		return fmt.Sprintf("%ds", sec)
	}
}

// decimal renders a score with one decimal, floored so that it reads as
// full only when it is.
func decimal(x, max float64) string {
	return strconv.FormatFloat(floorScore(x, max, 1), 'f', 1, 64)
}

// points renders "4.2/7.0".
func points(score, max float64) string { return decimal(score, max) + "/" + decimal(max, max) }

// wrap breaks text into lines that fit width runes after their prefix:
// first on the first line, rest on the others. It returns the lines
// without the prefixes. Line breaks in text are kept, and so is the
// indentation of each line (YAML in an expected value), on the lines it
// wraps to as well; a word longer than a line is cut.
func wrap(text string, width int, first, rest string) []string {
	var lines []string
	prefix := first
	for _, para := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		para = strings.ReplaceAll(para, "\t", "  ")
		lead := para[:len(para)-len(strings.TrimLeft(para, " "))]
		line, fresh := lead, true
		flush := func() {
			lines = append(lines, line)
			prefix, line, fresh = rest, lead, true
		}
		for _, word := range strings.Fields(para) {
			for {
				// Past a long prefix, let the line run rather than cut
				// every few letters.
				room := max(width-runeLen(prefix), 8)
				if runeLen(lead) > room/2 {
					lead = string([]rune(lead)[:room/2])
					line = lead
				}
				switch {
				case fresh && runeLen(line)+runeLen(word) <= room:
					line += word
					fresh = false
				case !fresh && runeLen(line)+1+runeLen(word) <= room:
					line += " " + word
				case !fresh:
					flush()
					continue
				default:
					r := []rune(word)
					n := room - runeLen(line)
					line += string(r[:n])
					word = string(r[n:])
					flush()
					continue
				}
				break
			}
		}
		if fresh {
			line = ""
		}
		flush()
	}
	return lines
}

func runeLen(s string) int { return len([]rune(s)) }

// fit cuts s to width runes, ending in "…" when cut, and pads it to width.
func fit(s string, width int) string {
	r := []rune(s)
	if len(r) > width {
		r = append(r[:max(width-1, 0)], '…')
	}
	return string(r) + strings.Repeat(" ", width-len(r))
}

// oneLine replaces control characters (line breaks, escapes) with spaces,
// for text that must stay on its line of a table.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
