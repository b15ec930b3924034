package content

import (
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// Every translation is of an English lesson, keeps its domain and
// scenarios, and parses; its text uses the language's own letters.
func TestTranslations(t *testing.T) {
	for _, lang := range Languages()[1:] {
		files, err := fs.Glob(translationFS, path.Join(lessonDir, lang, "*"+lessonExt))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no lessons (%v)", lang, err)
		}
		for _, file := range files {
			slug := strings.TrimSuffix(path.Base(file), lessonExt)
			en, err := Get(slug)
			if err != nil {
				t.Errorf("%s: no English lesson %s: %v", file, slug, err)
				continue
			}
			l, err := GetIn(slug, lang)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if l.Lang != lang || l.Title == en.Title || l.Body == en.Body {
				t.Errorf("%s: lang %q, title %q: not the translation", file, l.Lang, l.Title)
			}
			if l.Domain != en.Domain || !slices.Equal(l.Scenarios, en.Scenarios) {
				t.Errorf("%s: domain %q, scenarios %q; the English lesson has %q, %q", file, l.Domain, l.Scenarios, en.Domain, en.Scenarios)
			}
			for i, r := range l.Title + l.Summary + l.Body {
				if r > unicode.MaxASCII && !strings.ContainsRune("àâäçéèêëîïôöùûüÿœæÀÂÇÉÈÊËÎÏÔÙÛŒ«»’", r) {
					t.Errorf("%s: character %q at %d: no emojis or symbols, only the language's letters", file, r, i)
					break
				}
			}
		}
	}
}

func TestGetInFallsBackToEnglish(t *testing.T) {
	l, err := GetIn("deployments-rollouts", "fr")
	if err != nil || l.Lang != English || l.Title != "Rolling updates and rollbacks" {
		t.Errorf("deployments-rollouts in fr (not translated): %q %q, %v; want the English lesson", l.Lang, l.Title, err)
	}
	if _, err := GetIn("rbac", "de"); err == nil || !strings.Contains(err.Error(), `language "de"`) {
		t.Errorf("de: %v, want an error naming the languages", err)
	}
	ls, err := LessonsIn("fr")
	if err != nil {
		t.Fatal(err)
	}
	langs := map[string]string{}
	for _, l := range ls {
		langs[l.Slug] = l.Lang
	}
	if langs["pod-security"] != "fr" || langs["deployments-rollouts"] != English {
		t.Errorf("languages of the list: %v", langs)
	}
}
