// Package content holds the short lessons shown by `ckalab learn`.
//
// Lessons are markdown files embedded in the binary (lessons/<slug>.md).
// Each file starts with a YAML front matter block between two "---" lines:
//
//	---
//	title: Taints and tolerations
//	summary: One sentence on what the lesson teaches.
//	domain: workloads-and-scheduling
//	scenarios: [taint-toleration]
//	---
//
// followed by the markdown body. The front matter is strict: unknown keys,
// duplicate keys, a missing title, summary, domain or scenarios key, and a
// domain outside Domains() are errors that name the file. The front matter
// is read by a small parser for the subset of YAML lessons need (strings,
// and lists of strings in flow or block style), so the package depends on
// the standard library only.
//
// The package keeps no state: every call reads and parses the embedded files
// again, which is cheap for a few dozen small files. It never prints.
package content

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/ckalab/ckalab/internal/cka"
	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
)

//go:embed lessons/*.md
var lessonFS embed.FS

const (
	lessonDir = "lessons"
	lessonExt = ".md"
	fence     = "---"
)

// Lesson is a short lesson shown by `ckalab learn`.
type Lesson struct {
	Slug      string   `json:"slug"`      // file name without .md
	Title     string   `json:"title"`     // short human title
	Summary   string   `json:"summary"`   // one sentence on what the lesson teaches
	Domain    string   `json:"domain"`    // one of Domains()
	Scenarios []string `json:"scenarios"` // ids of linked practice scenarios; never nil
	Body      string   `json:"body"`      // markdown after the front matter
	// Lang is the language of Title, Summary and Body ("en", "fr"): set
	// by GetIn and LessonsIn.
	Lang string `json:"lang,omitempty"`
}

// Domains returns the CKA curriculum domains a lesson can belong to, in
// curriculum order. The order is the one Lessons sorts by.
func Domains() []string { return cka.Names() }

// Lessons returns every embedded lesson, sorted by domain (in the order of
// Domains), then by title, then by slug. It fails on the first lesson that
// does not parse.
func Lessons() ([]Lesson, error) {
	slugs, err := slugs()
	if err != nil {
		return nil, err
	}
	lessons := make([]Lesson, 0, len(slugs))
	for _, s := range slugs {
		l, err := load(s)
		if err != nil {
			return nil, err
		}
		lessons = append(lessons, l)
	}
	rank := domainRank()
	sort.SliceStable(lessons, func(i, j int) bool {
		a, b := lessons[i], lessons[j]
		if rank[a.Domain] != rank[b.Domain] {
			return rank[a.Domain] < rank[b.Domain]
		}
		if a.Title != b.Title {
			return a.Title < b.Title
		}
		return a.Slug < b.Slug
	})
	return lessons, nil
}

// Get returns the lesson with the given slug. For an unknown slug the error
// suggests close matches, or lists every valid slug when none is close.
func Get(slug string) (Lesson, error) {
	all, err := slugs()
	if err != nil {
		return Lesson{}, err
	}
	if slices.Contains(all, slug) {
		return load(slug)
	}
	if near := yamlx.Nearby(slug, all); len(near) > 0 {
		return Lesson{}, fmt.Errorf("lesson %q not found; did you mean: %s", slug, strings.Join(near, ", "))
	}
	return Lesson{}, fmt.Errorf("lesson %q not found; valid lessons: %s", slug, strings.Join(all, ", "))
}

// ForScenario returns the lessons that link the practice scenario id, in
// the order of Lessons. An id no lesson links gives an empty slice and no
// error; an error means a lesson failed to parse.
func ForScenario(id string) ([]Lesson, error) {
	lessons, err := Lessons()
	if err != nil {
		return nil, err
	}
	var out []Lesson
	for _, l := range lessons {
		if slices.Contains(l.Scenarios, id) {
			out = append(out, l)
		}
	}
	return out, nil
}

// slugs lists the embedded lesson slugs in lexical order.
func slugs() ([]string, error) {
	entries, err := fs.ReadDir(lessonFS, lessonDir)
	if err != nil {
		return nil, fmt.Errorf("list lessons: %w", err)
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, lessonExt) {
			continue
		}
		out = append(out, strings.TrimSuffix(name, lessonExt))
	}
	sort.Strings(out)
	return out, nil
}

// load reads and parses one embedded lesson.
func load(slug string) (Lesson, error) {
	file := path.Join(lessonDir, slug+lessonExt)
	data, err := lessonFS.ReadFile(file)
	if err != nil {
		return Lesson{}, fmt.Errorf("lesson %s: %w", slug, err)
	}
	return parse(file, data)
}

// parse turns one lesson file into a Lesson. file is the path inside the
// embedded FS (for example "lessons/rbac.md"); the slug is its base name
// without the extension. Every error names the file.
func parse(file string, data []byte) (Lesson, error) {
	fail := func(format string, args ...any) (Lesson, error) {
		return Lesson{}, fmt.Errorf("lesson %s: %w", file, fmt.Errorf(format, args...))
	}

	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	head, body, err := splitFrontMatter(text)
	if err != nil {
		return fail("%w", err)
	}
	var node yaml.Node
	if err := yaml.Unmarshal([]byte(head), &node); err != nil {
		return fail("front matter: %w", err)
	}
	var fm frontMatter
	if ps := yamlx.Decode(&node, "", &fm); len(ps) > 0 {
		msgs := make([]string, len(ps))
		for i, p := range ps.Sorted() {
			msgs[i] = p.String()
		}
		return fail("front matter: %s", strings.Join(msgs, "; "))
	}

	slug := strings.TrimSuffix(path.Base(file), lessonExt)
	l := Lesson{Slug: slug, Title: strings.TrimSpace(fm.Title), Summary: strings.TrimSpace(fm.Summary),
		Domain: strings.TrimSpace(fm.Domain), Body: body}
	var missing []string
	for key, v := range map[string]string{"title": l.Title, "summary": l.Summary, "domain": l.Domain} {
		if v == "" {
			missing = append(missing, key)
		}
	}
	if fm.Scenarios == nil {
		missing = append(missing, "scenarios")
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fail("front matter: missing %s", strings.Join(missing, ", "))
	}
	if !slices.Contains(Domains(), l.Domain) {
		return fail("front matter: domain %q is not one of %s", l.Domain, strings.Join(Domains(), ", "))
	}

	l.Scenarios = []string{}
	for _, id := range *fm.Scenarios {
		id = strings.TrimSpace(id)
		if id == "" {
			return fail("front matter: empty scenario id")
		}
		if slices.Contains(l.Scenarios, id) {
			return fail("front matter: scenario %q listed twice", id)
		}
		l.Scenarios = append(l.Scenarios, id)
	}
	if strings.TrimSpace(l.Body) == "" {
		return fail("body is empty")
	}
	return l, nil
}

// frontMatter is a lesson's header; unknown keys are errors.
type frontMatter struct {
	Title     string    `yaml:"title"`
	Summary   string    `yaml:"summary"`
	Domain    string    `yaml:"domain"`
	Scenarios *[]string `yaml:"scenarios"`
}

// splitFrontMatter splits "---\n<yaml>\n---\n<body>" into its two parts.
// Leading blank lines of the body are dropped.
func splitFrontMatter(text string) (head, body string, err error) {
	first, rest, ok := strings.Cut(text, "\n")
	if !ok || strings.TrimRight(first, " \t") != fence {
		return "", "", errors.New("missing front matter: the file must start with a --- line")
	}
	var lines []string
	for {
		line, after, more := strings.Cut(rest, "\n")
		if strings.TrimRight(line, " \t") == fence {
			return strings.Join(lines, "\n"), strings.TrimLeft(after, "\n"), nil
		}
		if !more {
			return "", "", errors.New("front matter is not closed by a --- line")
		}
		lines = append(lines, line)
		rest = after
	}
}

// domainRank maps each domain to its position in Domains.
func domainRank() map[string]int {
	rank := map[string]int{}
	for i, d := range Domains() {
		rank[d] = i
	}
	return rank
}
