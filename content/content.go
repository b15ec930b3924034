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
	"strconv"
	"strings"
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
	Slug      string   // file name without .md
	Title     string   // short human title
	Summary   string   // one sentence on what the lesson teaches
	Domain    string   // one of Domains()
	Scenarios []string // ids of linked practice scenarios; never nil
	Body      string   // markdown after the front matter
}

// Domains returns the CKA curriculum domains a lesson can belong to, in
// curriculum order. The order is the one Lessons sorts by.
func Domains() []string {
	return []string{
		"cluster-architecture",
		"workloads-and-scheduling",
		"services-and-networking",
		"storage",
		"troubleshooting",
	}
}

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
	if near := closeMatches(slug, all); len(near) > 0 {
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
	fm, err := parseFrontMatter(head)
	if err != nil {
		return fail("front matter: %w", err)
	}
	if len(fm) == 0 {
		return fail("front matter is empty")
	}

	slug := strings.TrimSuffix(path.Base(file), lessonExt)
	l := Lesson{Slug: slug, Body: body}
	var missing []string
	for _, f := range []struct {
		key string
		dst *string
	}{
		{"title", &l.Title},
		{"summary", &l.Summary},
		{"domain", &l.Domain},
	} {
		v, ok := fm[f.key]
		switch {
		case ok && v.isList:
			return fail("front matter: %s must be a string, not a list", f.key)
		case !ok || strings.TrimSpace(v.scalar) == "":
			missing = append(missing, f.key)
		default:
			*f.dst = strings.TrimSpace(v.scalar)
		}
	}
	sc, ok := fm["scenarios"]
	if !ok {
		missing = append(missing, "scenarios")
	}
	if len(missing) > 0 {
		return fail("front matter: missing %s", strings.Join(missing, ", "))
	}
	if !sc.isList {
		return fail("front matter: scenarios must be a list such as [a, b] or []")
	}
	if !slices.Contains(Domains(), l.Domain) {
		return fail("front matter: domain %q is not one of %s", l.Domain, strings.Join(Domains(), ", "))
	}

	l.Scenarios = []string{}
	for _, id := range sc.list {
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

// fmValue is one front matter value: a string or a list of strings.
type fmValue struct {
	scalar string
	list   []string
	isList bool
}

// knownKeys are the only keys a lesson's front matter may use.
func knownKeys() []string { return []string{"title", "summary", "domain", "scenarios"} }

// parseFrontMatter reads the small, strict subset of YAML that lessons use:
// top-level "key: value" lines whose value is a plain, 'single' or "double"
// quoted string, a flow list ([a, b]) or a block list ("key:" followed by
// "- item" lines). Comments and blank lines are allowed. Anything else
// (nesting, anchors, multi-line strings), unknown keys and duplicate keys
// are errors. Errors give the line number inside the front matter.
func parseFrontMatter(head string) (map[string]fmValue, error) {
	out := map[string]fmValue{}
	lines := strings.Split(head, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " \t")
		trimmed := strings.TrimLeft(line, " \t")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		lineErr := func(format string, args ...any) error {
			return fmt.Errorf("line %d: %s", i+1, fmt.Sprintf(format, args...))
		}
		if trimmed != line {
			return nil, lineErr("unexpected indentation")
		}
		key, rest, ok := strings.Cut(line, ":")
		if !ok || !isKey(key) || (rest != "" && rest[0] != ' ' && rest[0] != '\t') {
			return nil, lineErr("want \"key: value\", got %q", line)
		}
		raw := strings.TrimSpace(stripComment(rest))
		if !slices.Contains(knownKeys(), key) {
			return nil, lineErr("unknown key %q (known: %s)", key, strings.Join(knownKeys(), ", "))
		}
		if _, dup := out[key]; dup {
			return nil, lineErr("key %q repeated", key)
		}
		var v fmValue
		switch {
		case raw == "":
			// A block list may follow; otherwise the value is empty.
			for i+1 < len(lines) {
				next := strings.TrimSpace(stripComment(lines[i+1]))
				if next == "" {
					i++
					continue
				}
				if next != "-" && !strings.HasPrefix(next, "- ") {
					break
				}
				item, err := scalar(strings.TrimSpace(strings.TrimPrefix(next, "-")))
				if err != nil {
					return nil, fmt.Errorf("line %d: %w", i+2, err)
				}
				v.isList = true
				v.list = append(v.list, item)
				i++
			}
		case strings.HasPrefix(raw, "["):
			list, err := flowList(raw)
			if err != nil {
				return nil, lineErr("%v", err)
			}
			v = fmValue{list: list, isList: true}
		default:
			str, err := scalar(raw)
			if err != nil {
				return nil, lineErr("%v", err)
			}
			v.scalar = str
		}
		out[key] = v
	}
	return out, nil
}

// isKey reports whether k looks like a front matter key: a letter, then
// letters, digits, '_' or '-'.
func isKey(k string) bool {
	for i, r := range k {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_'
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '-')) {
			return false
		}
	}
	return k != ""
}

// stripComment drops a trailing " # comment" that is outside quotes.
func stripComment(s string) string {
	quote := rune(0)
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return s[:i]
		}
	}
	return s
}

// flowList parses "[a, 'b', \"c\"]" into its items.
func flowList(raw string) ([]string, error) {
	if !strings.HasSuffix(raw, "]") {
		return nil, fmt.Errorf("list %q is not closed by ]", raw)
	}
	inner := strings.TrimSpace(raw[1 : len(raw)-1])
	if inner == "" {
		return []string{}, nil
	}
	var items []string
	for _, part := range strings.Split(inner, ",") {
		item, err := scalar(strings.TrimSpace(part))
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	return items, nil
}

// scalar decodes a plain or quoted string. Plain strings may not start with
// a YAML indicator or contain ": ", so that what YAML would read differently
// is refused instead of misread.
func scalar(raw string) (string, error) {
	switch {
	case raw == "":
		return "", nil
	case strings.HasPrefix(raw, `"`):
		s, err := strconv.Unquote(raw)
		if err != nil {
			return "", fmt.Errorf("bad double-quoted string %s", raw)
		}
		return s, nil
	case strings.HasPrefix(raw, "'"):
		if len(raw) < 2 || !strings.HasSuffix(raw, "'") {
			return "", fmt.Errorf("bad single-quoted string %s", raw)
		}
		inner := raw[1 : len(raw)-1]
		if strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
			return "", fmt.Errorf("bad single-quoted string %s", raw)
		}
		return strings.ReplaceAll(inner, "''", "'"), nil
	case strings.ContainsAny(raw[:1], "[]{}&*!|>%@`,?:#"), raw == "-", strings.HasPrefix(raw, "- "):
		return "", fmt.Errorf("value %q needs quotes", raw)
	case strings.Contains(raw, ": "):
		return "", fmt.Errorf("value %q contains \": \"; quote it", raw)
	}
	return raw, nil
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

// closeMatches returns the valid slugs that look like a typo or a fragment
// of query: slugs containing it (or contained in it), and slugs within a
// small edit distance. Matches come back in lexical order.
func closeMatches(query string, slugs []string) []string {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return nil
	}
	var out []string
	for _, s := range slugs {
		switch {
		case len(q) >= 3 && (strings.Contains(s, q) || strings.Contains(q, s)):
			out = append(out, s)
		case levenshtein(q, s) <= max(2, len(s)/4):
			out = append(out, s)
		}
	}
	return out
}

// levenshtein is the classic edit distance between a and b (bytes; slugs
// are ASCII).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
