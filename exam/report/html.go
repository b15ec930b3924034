package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"time"
)

//go:embed report.html.tmpl
var htmlSource string

// htmlTemplate is parsed once; html/template escapes every value for its
// context (scenario text and cluster output are untrusted).
var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":    func(p float64) string { return strconv.FormatFloat(p, 'f', 1, 64) + "%" },
	"width":  func(p float64) string { return strconv.FormatFloat(min(max(p, 0), 100), 'f', 1, 64) },
	"points": points,
	"checks": checks,
	"plural": plural,
	"dur":    FormatDuration,
	"stamp": func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Format("2006-01-02 15:04 MST")
	},
	"status": func(s Status) string {
		switch s {
		case StatusFull:
			return "full marks"
		case StatusPartial:
			return "partial"
		case StatusNotGraded:
			return "not graded"
		default:
			return "no points"
		}
	},
}).Parse(htmlSource))

type htmlView struct {
	S        Summary
	PassMark float64
	// Open are the tasks short of full marks, whose checks are listed.
	Open []TaskScore
}

// WriteHTML writes the report as one self-contained HTML file: inline CSS,
// no script, no fonts, images or links to fetch, so that it reads offline
// and prints. Failed checks are in <details> blocks, open (a closed one
// would not print).
func WriteHTML(w io.Writer, s Summary) error {
	v := htmlView{S: s, PassMark: float64(s.PassMark)}
	if v.S.Title == "" {
		v.S.Title = "Exam"
	}
	for _, t := range s.Tasks {
		if t.Status != StatusFull {
			v.Open = append(v.Open, t)
		}
	}
	if err := htmlTemplate.Execute(w, v); err != nil {
		return fmt.Errorf("exam report: %w", err)
	}
	return nil
}
