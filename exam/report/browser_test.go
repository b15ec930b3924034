//go:build unix

// The browser is run in its own process group so that a hang kills it and
// every helper process it started: that needs Setpgid and kill(-pgid),
// hence unix only.

package report

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// browserTimeout bounds one browser run. A run takes 2-4 s on a loaded
// two-core machine; a browser that hangs (a missing library, a sandbox
// prompt, a page that never finishes loading) fails the test after this
// instead of holding it until go test's own 10-minute timeout.
const browserTimeout = 45 * time.Second

// screenshotWidth and screenshotHeight are the window of the screenshot:
// a laptop's width, tall enough to show the header, both tables and the
// first failed checks.
const screenshotWidth, screenshotHeight = 1280, 2000

// statusWord is what a reader sees in a task's result badge.
func statusWord(s Status) string {
	return map[Status]string{
		StatusFull: "full marks", StatusPartial: "partial", StatusNone: "no points", StatusNotGraded: "not graded",
	}[s]
}

// TestHTMLReportInABrowser opens the report of an exam with every kind of
// result in a real headless Chromium, with the network cut off, and checks
// what a reader gets: the DOM the browser built holds every score, status
// and explanation; the browser loaded nothing from the network; and the
// screenshot is a styled page of the window's size.
//
// It needs Chromium: $CKALAB_CHROMIUM, else chromium, chromium-browser or
// google-chrome on PATH. Without one it skips, except under CI=true (CI
// installs it, see .ci/run), where it fails. With
// CKALAB_REPORT_SCREENSHOT=/abs/path/report.png it also keeps the
// screenshot there and the HTML beside it (`make report-screenshot`).
func TestHTMLReportInABrowser(t *testing.T) {
	keep := os.Getenv("CKALAB_REPORT_SCREENSHOT")
	if keep != "" && (!filepath.IsAbs(keep) || filepath.Ext(keep) != ".png") {
		// go test runs in the package's folder: a relative path would land
		// in exam/report.
		t.Fatalf("CKALAB_REPORT_SCREENSHOT=%q: give an absolute path ending in .png", keep)
	}
	bin := findBrowser(t, keep != "")

	s := Build(failingExam())
	seen := map[Status]bool{}
	for _, tk := range s.Tasks {
		seen[tk.Status] = true
	}
	if len(seen) != 4 || len(s.Domains) < 3 || s.Passed {
		// The assertions below are only as good as the fixture.
		t.Fatalf("the fixture must fail and have tasks of every status in several domains: statuses %v, %d domains", seen, len(s.Domains))
	}
	var page bytes.Buffer
	if err := WriteHTML(&page, s); err != nil {
		t.Fatal(err)
	}

	// Both runs are independent: side by side they take the time of one.
	t.Run("report", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		html := filepath.Join(dir, "report.html")
		if err := os.WriteFile(html, page.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		shot := filepath.Join(dir, "report.png")
		run := runBrowser(t, bin, html, "--dump-dom", "--screenshot="+shot,
			fmt.Sprintf("--window-size=%d,%d", screenshotWidth, screenshotHeight))

		checkDOM(t, s, run.dom)
		if loads := run.pageRequests(t); len(loads) > 0 {
			t.Errorf("the report made the browser fetch %q: it must read offline", loads)
		}
		checkScreenshot(t, shot)

		if keep != "" && !t.Failed() {
			copyFile(t, shot, keep)
			copyFile(t, html, strings.TrimSuffix(keep, ".png")+".html")
			t.Logf("wrote %s and its HTML beside it", keep)
		}
	})

	// The net log is Chromium's, not a stable format: this proves on the
	// browser at hand that pageRequests sees a page's loads, so that the
	// check above cannot pass because the log changed shape.
	t.Run("a CDN link is caught", func(t *testing.T) {
		t.Parallel()
		const cdn = "https://cdn.example.com/report.css"
		html := filepath.Join(t.TempDir(), "cdn.html")
		bad := strings.Replace(page.String(), "<style>", `<link rel="stylesheet" href="`+cdn+`"><style>`, 1)
		if err := os.WriteFile(html, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		run := runBrowser(t, bin, html, "--dump-dom")
		if loads := run.pageRequests(t); !slices.Contains(loads, cdn) {
			t.Errorf("a page with a CDN stylesheet: the net log shows the page's requests %q, not %s", loads, cdn)
		}
	})
}

// TestHTMLReportLoadsNothing parses each report and fails on anything a
// browser would fetch: a script, a stylesheet, a font, an image, a frame.
// The report must read offline, years later, from an attachment.
func TestHTMLReportLoadsNothing(t *testing.T) {
	for _, e := range []Exam{passingExam(), failingExam(), oddWeightsExam(), hostileExam()} {
		var b bytes.Buffer
		if err := WriteHTML(&b, Build(e)); err != nil {
			t.Fatal(err)
		}
		doc, err := parseHTML(b.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", e.ID, err)
		}
		if problems := externalLoads(doc); len(problems) > 0 {
			t.Errorf("%s: the report would load:\n  %s", e.ID, strings.Join(problems, "\n  "))
		}
		if styles := doc.all(tagged("style")); len(styles) != 1 || len(styles[0].rawText()) < 1000 {
			t.Errorf("%s: want the stylesheet inline in one <style>", e.ID)
		}
	}

	// The check catches what people add to pages.
	var b bytes.Buffer
	if err := WriteHTML(&b, Build(failingExam())); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, c := range []struct{ name, old, new string }{
		{"CDN stylesheet", "<style>", `<link rel="stylesheet" href="https://cdn.example.com/bootstrap.min.css"><style>`},
		{"CDN script", "</body>", `<script src="https://cdn.example.com/chart.js"></script></body>`},
		{"inline script", "</body>", `<script>document.title = "x"</script></body>`},
		{"web font", "<style>", `<style>@font-face { font-family: Inter; src: url(https://fonts.example.com/inter.woff2); }`},
		{"CSS import", "<style>", `<style>@import "https://fonts.example.com/css?family=Inter";`},
		{"protocol-relative image", "<h1>", `<h1><img src="//cdn.example.com/logo.png" alt="">`},
		{"background image", `<header class="`, `<header style="background: url('bg.png')" class="`},
		{"preload", "<style>", `<link rel="preload" href="inter.woff2" as="font"><style>`},
		{"frame", "</body>", `<iframe srcdoc="x"></iframe></body>`},
		{"refresh", "<style>", `<meta http-equiv="refresh" content="0; url=https://example.com/"><style>`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(page, c.old) {
				t.Fatalf("the report has no %q to insert before", c.old)
			}
			doc, err := parseHTML([]byte(strings.Replace(page, c.old, c.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if len(externalLoads(doc)) == 0 {
				t.Errorf("not caught: %s", c.new)
			}
		})
	}
}

// externalLoads lists what in doc a browser would fetch or run: elements
// that load or embed, URL attributes, and CSS that loads (url(), image-set(),
// @import, @font-face) in <style> and style attributes. A link (<a href>)
// loads nothing until clicked, so it is allowed.
func externalLoads(doc *domNode) []string {
	loaders := []string{"script", "link", "img", "picture", "source", "track", "video", "audio", "iframe", "frame",
		"frameset", "object", "embed", "applet", "portal", "base", "form", "image", "use", "feimage", "svg", "math"}
	urlAttrs := []string{"src", "srcset", "srcdoc", "data", "poster", "background", "action", "formaction",
		"manifest", "ping", "codebase", "archive", "xlink:href", "imagesrcset"}
	cssLoads := []string{"url(", "image-set(", "@import", "@font-face"}
	var problems []string
	cssCheck := func(where, css string) {
		lower := strings.ToLower(css)
		for _, l := range cssLoads {
			if strings.Contains(lower, l) {
				problems = append(problems, fmt.Sprintf("%s: CSS %s", where, l))
			}
		}
	}
	for _, n := range doc.all(func(n *domNode) bool { return n.tag != "" }) {
		if slices.Contains(loaders, n.tag) {
			problems = append(problems, fmt.Sprintf("<%s %v>", n.tag, n.attrs))
		}
		for name, value := range n.attrs {
			switch {
			case slices.Contains(urlAttrs, name):
				problems = append(problems, fmt.Sprintf("<%s %s=%q>", n.tag, name, value))
			case name == "href" && n.tag != "a":
				problems = append(problems, fmt.Sprintf("<%s href=%q>", n.tag, value))
			case name == "http-equiv" && strings.EqualFold(value, "refresh"):
				problems = append(problems, "<meta http-equiv=refresh>")
			case name == "style":
				cssCheck("<"+n.tag+" style>", value)
			}
		}
		if n.tag == "style" {
			cssCheck("<style>", n.rawText())
		}
	}
	return problems
}

// checkDOM checks that the DOM the browser built holds what a reader of the
// report of s must see.
func checkDOM(t *testing.T, s Summary, dom []byte) {
	doc, err := parseHTML(dom)
	if err != nil {
		t.Fatalf("the browser's DOM: %v", err)
	}
	pct := func(p float64) string { return fmt.Sprintf("%.1f%%", p) }
	one := func(in *domNode, what string, pred func(*domNode) bool) *domNode {
		t.Helper()
		found := in.all(pred)
		if len(found) != 1 {
			t.Fatalf("want one %s, the DOM has %d", what, len(found))
		}
		return found[0]
	}

	// The header: title, score and verdict.
	if title := one(doc, "<title>", tagged("title")).text(); !strings.Contains(title, s.Title) || !strings.Contains(title, "FAIL") {
		t.Errorf("the page's title %q lacks the exam's title or verdict", title)
	}
	header := one(doc, "<header>", tagged("header"))
	if !header.hasClass("fail") {
		t.Errorf("a failed exam's header has classes %q, want fail (its red background)", header.attrs["class"])
	}
	if h1 := one(header, "<h1>", tagged("h1")).text(); h1 != s.Title {
		t.Errorf("heading %q, want %q", h1, s.Title)
	}
	if got := one(header, "total percent", classed("pct")).text(); got != pct(s.Percent) || got != "36.0%" {
		t.Errorf("total %q, want %s", got, pct(s.Percent))
	}
	if got := one(header, "verdict badge", classed("badge")).text(); got != "FAIL" {
		t.Errorf("verdict %q, want FAIL", got)
	}
	for _, want := range []string{"pass mark 66%", "time used 2h00m of 2h00m", "graded late, after the machine slept", s.ID} {
		if !strings.Contains(header.text(), want) {
			t.Errorf("the header lacks %q: %q", want, header.text())
		}
	}

	// Each domain: name, percent, bar and points.
	rows := one(doc, "domains table", classed("domains")).all(tagged("tr"))
	if len(rows) != len(s.Domains) {
		t.Fatalf("%d domain rows, want %d", len(rows), len(s.Domains))
	}
	for i, d := range s.Domains {
		r := rows[i]
		if got := one(r, "domain name", classed("name")).text(); got != d.Name {
			t.Errorf("domain row %d: %q, want %s", i, got, d.Name)
		}
		nums := r.all(classed("num"))
		if len(nums) != 2 || nums[0].text() != pct(d.Percent) || nums[1].text() != points(d.Score, d.Max) {
			t.Errorf("domain %s: %q, want %s and %s", d.Name, r.text(), pct(d.Percent), points(d.Score, d.Max))
		}
		if bar := one(r, "bar", classed("fill")); !strings.Contains(bar.attrs["style"], "width: "+pct(d.Percent)) {
			t.Errorf("domain %s: bar style %q, want width %s", d.Name, bar.attrs["style"], pct(d.Percent))
		}
	}

	// Each task: number, title, domain, score and status.
	rows = one(doc, "tasks table", classed("tasks")).all(func(n *domNode) bool { return n.tag == "tr" && len(n.all(tagged("td"))) > 0 })
	if len(rows) != len(s.Tasks) {
		t.Fatalf("%d task rows, want %d", len(rows), len(s.Tasks))
	}
	for i, tk := range s.Tasks {
		cells := rows[i].all(tagged("td"))
		if len(cells) != 6 {
			t.Fatalf("task %d: %d cells", tk.N, len(cells))
		}
		got := []string{cells[0].text(), cells[1].text(), cells[2].text(), cells[4].text(), cells[5].text()}
		// The scenario's id is a block under the title: no space between.
		want := []string{fmt.Sprint(tk.N), tk.Title + tk.Scenario, tk.Domain, points(tk.Score, tk.Max), statusWord(tk.Status)}
		if tk.Flagged {
			want[0] += " ⚑"
		}
		if !slices.Equal(got, want) {
			t.Errorf("task %d reads %q, want %q", tk.N, got, want)
		}
	}

	// Each task short of full marks: its note or every failed check with
	// why, expected and actual, exactly (expected values are YAML: their
	// lines and indentation matter).
	var open []*domNode
	for _, d := range doc.all(tagged("details")) {
		if _, ok := d.attrs["open"]; !ok {
			t.Errorf("a closed <details> would hide its checks in print: %q", d.text())
		}
		open = append(open, d)
	}
	var short []TaskScore
	for _, tk := range s.Tasks {
		if tk.Status != StatusFull {
			short = append(short, tk)
		}
	}
	if len(open) != len(short) {
		t.Fatalf("%d failed-check blocks, want %d (the tasks short of full marks)", len(open), len(short))
	}
	for i, tk := range short {
		block := open[i]
		if sum := one(block, "summary", tagged("summary")).text(); !strings.HasPrefix(sum, fmt.Sprintf("%d. %s", tk.N, tk.Title)) {
			t.Errorf("failed-check block %d: %q, want task %d. %s", i, sum, tk.N, tk.Title)
		}
		if tk.Note != "" {
			if got := one(block, "note", classed("note")).text(); got != tk.Note {
				t.Errorf("task %d: note %q, want %q", tk.N, got, tk.Note)
			}
		}
		checks := block.all(classed("check"))
		if len(checks) != len(tk.Failed) {
			t.Fatalf("task %d: %d failed checks shown, want %d", tk.N, len(checks), len(tk.Failed))
		}
		for j, fc := range tk.Failed {
			c := checks[j]
			if h := one(c, "check heading", tagged("h3")).text(); !strings.Contains(h, fc.ID+": "+fc.Title) {
				t.Errorf("task %d check %s: heading %q", tk.N, fc.ID, h)
			}
			fields := map[string]string{}
			dts, dds := c.all(tagged("dt")), c.all(tagged("dd"))
			if len(dts) != len(dds) {
				t.Fatalf("task %d check %s: %d terms, %d descriptions", tk.N, fc.ID, len(dts), len(dds))
			}
			for k := range dts {
				fields[dts[k].text()] = dds[k].rawText()
			}
			if got := strings.Join(strings.Fields(fields["why"]), " "); got != fc.Why {
				t.Errorf("task %d check %s: why %q, want %q", tk.N, fc.ID, got, fc.Why)
			}
			if fields["expected"] != fc.Expected || fields["actual"] != fc.Actual {
				t.Errorf("task %d check %s: expected %q, actual %q; want %q and %q", tk.N, fc.ID,
					fields["expected"], fields["actual"], fc.Expected, fc.Actual)
			}
			var problems []string
			for _, li := range c.all(tagged("li")) {
				problems = append(problems, li.text())
			}
			if !slices.Equal(problems, fc.Problems) {
				t.Errorf("task %d check %s: problems %q, want %q", tk.N, fc.ID, problems, fc.Problems)
			}
		}
	}
}

// checkScreenshot decodes the PNG and checks its size and that the report's
// colours are in it: an unstyled page (a stylesheet that did not apply)
// is black on white.
func checkScreenshot(t *testing.T, path string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	b := img.Bounds()
	if b.Dx() != screenshotWidth || b.Dy() != screenshotHeight {
		t.Fatalf("screenshot of %dx%d, want %dx%d", b.Dx(), b.Dy(), screenshotWidth, screenshotHeight)
	}
	// The colours of report.html.tmpl's :root.
	colours := []struct {
		name string
		c    color.RGBA
		min  float64 // share of the pixels
	}{
		{"the failed header's background (--fail-bg)", color.RGBA{0xfd, 0xe8, 0xe6, 0xff}, 0.01},
		{"the failed bars and badges (--fail)", color.RGBA{0xb4, 0x23, 0x18, 0xff}, 0.001},
		{"the full-marks badge (--pass)", color.RGBA{0x1f, 0x7a, 0x3a, 0xff}, 0.0001},
		{"the partial badges (--part)", color.RGBA{0xa1, 0x5c, 0x00, 0xff}, 0.0001},
	}
	counts := make([]int, len(colours))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			for i, c := range colours {
				if near(img.At(x, y), c.c) {
					counts[i]++
				}
			}
		}
	}
	total := float64(b.Dx() * b.Dy())
	for i, c := range colours {
		if share := float64(counts[i]) / total; share < c.min {
			t.Errorf("the screenshot has %.3f%% pixels of %s, want at least %.2f%%: is the stylesheet applied?",
				share*100, c.name, c.min*100)
		}
	}
}

// near reports whether a pixel is within a small distance of c per channel
// (colour management and antialiasing move colours a little).
func near(px color.Color, c color.RGBA) bool {
	r, g, b, _ := px.RGBA()
	d := func(a uint32, b uint8) bool { return max(int(a>>8), int(b))-min(int(a>>8), int(b)) <= 6 }
	return d(r, c.R) && d(g, c.G) && d(b, c.B)
}

// findBrowser returns a Chromium to run: $CKALAB_CHROMIUM, else the first
// of chromium, chromium-browser, google-chrome on PATH. Without one the
// test skips, but fails under CI=true (CI installs one) and when a
// screenshot was asked for.
func findBrowser(t *testing.T, required bool) string {
	t.Helper()
	if name := os.Getenv("CKALAB_CHROMIUM"); name != "" {
		path, err := exec.LookPath(name)
		if err != nil {
			t.Fatalf("CKALAB_CHROMIUM=%s: %v", name, err)
		}
		return path
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	const msg = "no headless browser on PATH (chromium, chromium-browser, google-chrome): " +
		"install one (Debian, Ubuntu: apt-get install chromium) or set CKALAB_CHROMIUM to its path"
	switch {
	case os.Getenv("CI") == "true":
		t.Fatal(msg + " (CI=true: the browser test must run)")
	case required:
		t.Fatal(msg + " (CKALAB_REPORT_SCREENSHOT asks for a screenshot)")
	}
	t.Skip(msg)
	return ""
}

// browserRun is what one browser run left: its standard output (the DOM
// with --dump-dom) and its net log.
type browserRun struct {
	dom    []byte
	netLog string
}

// runBrowser opens the file page in a headless Chromium with extra flags,
// offline: every host name resolves to nothing and every connection goes
// through a proxy on a closed loopback port, so a load fails at once
// instead of reaching out. The browser gets a new profile and home folder,
// and its process group is killed after browserTimeout.
func runBrowser(t *testing.T, bin, page string, extra ...string) browserRun {
	t.Helper()
	dir := t.TempDir()
	netLog := filepath.Join(dir, "netlog.json")
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--user-data-dir=" + filepath.Join(dir, "profile"),
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
		"--disable-background-networking", "--disable-component-update", "--disable-default-apps", "--no-pings",
		"--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
		"--log-net-log=" + netLog,
	}
	args = append(args, extra...)
	args = append(args, (&url.URL{Scheme: "file", Path: page}).String())

	ctx, cancel := context.WithTimeout(t.Context(), browserTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	if cmd.Process != nil {
		// Helpers the browser left behind would hold the temporary folder.
		if kerr := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); kerr != nil && !errors.Is(kerr, syscall.ESRCH) {
			t.Logf("killing the browser's process group: %v", kerr)
		}
	}
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s did not finish within %v; its errors:\n%s", bin, browserTimeout, tail(stderr.String()))
	case err != nil:
		t.Fatalf("%s %s: %v; its errors:\n%s", bin, strings.Join(extra, " "), err, tail(stderr.String()))
	}
	t.Logf("%s %s: %v", filepath.Base(bin), strings.Join(extra, " "), time.Since(start).Round(time.Millisecond))
	return browserRun{dom: stdout.Bytes(), netLog: netLog}
}

// pageRequests lists the URLs the page asked the network stack for. The
// browser's own background requests (updates, time, accounts) are left
// out: they are made for no page ("initiator": "not an origin"), while a
// file page's are made for the origin "null" in the network partition of
// file://.
func (r browserRun) pageRequests(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(r.netLog)
	if err != nil {
		t.Fatalf("the browser's net log: %v", err)
	}
	var log struct {
		Constants struct {
			EventTypes map[string]int `json:"logEventTypes"`
		} `json:"constants"`
		Events []struct {
			Type   int `json:"type"`
			Params struct {
				URL       string `json:"url"`
				Initiator string `json:"initiator"`
				Partition string `json:"network_isolation_key"`
			} `json:"params"`
		} `json:"events"`
	}
	if err := json.Unmarshal(raw, &log); err != nil {
		t.Fatalf("the browser's net log: %v", err)
	}
	start, ok := log.Constants.EventTypes["URL_REQUEST_START_JOB"]
	if !ok {
		t.Fatalf("the browser's net log names no URL_REQUEST_START_JOB event: has its format changed?")
	}
	var urls []string
	for _, e := range log.Events {
		p := e.Params
		if e.Type == start && p.URL != "" && (p.Initiator == "null" || strings.HasPrefix(p.Partition, "file://")) {
			urls = append(urls, p.URL)
		}
	}
	return urls
}

// tail is the end of a browser's error output, for a failure message.
func tail(s string) string {
	const n = 3000
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(to), 0o755)
	}
	if err == nil {
		err = os.WriteFile(to, b, 0o644)
	}
	if err != nil {
		t.Fatalf("keeping %s: %v", to, err)
	}
}

// domNode is an element (tag set) or a text node of a parsed page.
type domNode struct {
	tag   string
	attrs map[string]string
	kids  []*domNode
	data  string
}

// parseHTML parses a page with encoding/xml's HTML mode (lenient, void
// elements closed, HTML entities): enough for the report's markup and for
// Chromium's serialisation of its DOM, without a dependency. It wants
// attribute values quoted, as html/template and Chromium write them; a page
// it cannot parse fails the tests that use it, it does not pass them. Control
// characters, which HTML keeps (a check's actual value may hold a
// terminal's escapes) and XML refuses, become U+FFFD first.
func parseHTML(src []byte) (*domNode, error) {
	src = bytes.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return '\uFFFD'
		}
		return r
	}, src)
	d := xml.NewDecoder(bytes.NewReader(src))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	root := &domNode{tag: "#document"}
	stack := []*domNode{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse HTML: %w", err)
		}
		top := stack[len(stack)-1]
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &domNode{tag: strings.ToLower(tok.Name.Local), attrs: map[string]string{}}
			for _, a := range tok.Attr {
				name := a.Name.Local
				if a.Name.Space != "" {
					name = a.Name.Space + ":" + name
				}
				n.attrs[strings.ToLower(name)] = a.Value
			}
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			top.kids = append(top.kids, &domNode{data: string(tok)})
		}
	}
	return root, nil
}

// all returns the elements under n (n included) that match, in document
// order.
func (n *domNode) all(match func(*domNode) bool) []*domNode {
	var found []*domNode
	var walk func(*domNode)
	walk = func(n *domNode) {
		if n.tag != "" && match(n) {
			found = append(found, n)
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(n)
	return found
}

// rawText is the text under n as it is; text is it with white space
// collapsed, as a browser shows it outside <pre>.
func (n *domNode) rawText() string {
	var b strings.Builder
	var walk func(*domNode)
	walk = func(n *domNode) {
		b.WriteString(n.data)
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(n)
	return b.String()
}

func (n *domNode) text() string { return strings.Join(strings.Fields(n.rawText()), " ") }

func (n *domNode) hasClass(c string) bool {
	return slices.Contains(strings.Fields(n.attrs["class"]), c)
}

func tagged(tag string) func(*domNode) bool { return func(n *domNode) bool { return n.tag == tag } }

func classed(c string) func(*domNode) bool { return func(n *domNode) bool { return n.hasClass(c) } }
