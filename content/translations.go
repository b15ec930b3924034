package content

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
)

// Translations live in lessons/<lang>/<slug>.md with the same front matter
// as the English lesson (its domain and scenarios must match; a test says
// so). English is the complete set; another language may lack lessons,
// and then the English one stands in.
//
//go:embed lessons/fr/*.md
var translationFS embed.FS

// English is the language every lesson is written in.
const English = "en"

// Languages lists the languages lessons exist in, English first.
func Languages() []string { return []string{English, "fr"} }

// GetIn returns the lesson with the given slug in lang, or the English one
// (Lang "en") when it has no translation in lang.
func GetIn(slug, lang string) (Lesson, error) {
	l, err := Get(slug)
	if err != nil {
		return Lesson{}, err
	}
	return translate(l, lang)
}

// LessonsIn returns every lesson, in the order of Lessons, each in lang
// where it has a translation and in English otherwise.
func LessonsIn(lang string) ([]Lesson, error) {
	ls, err := Lessons()
	if err != nil {
		return nil, err
	}
	for i, l := range ls {
		if ls[i], err = translate(l, lang); err != nil {
			return nil, err
		}
	}
	return ls, nil
}

// translate swaps an English lesson for its translation in lang, if any.
func translate(en Lesson, lang string) (Lesson, error) {
	en.Lang = English
	if lang == English {
		return en, nil
	}
	if !slices.Contains(Languages(), lang) {
		return Lesson{}, fmt.Errorf("language %q: lessons exist in %v", lang, Languages())
	}
	file := path.Join(lessonDir, lang, en.Slug+lessonExt)
	data, err := translationFS.ReadFile(file)
	if err != nil {
		if _, statErr := fs.Stat(translationFS, file); statErr != nil {
			return en, nil // not translated yet
		}
		return Lesson{}, fmt.Errorf("lesson %s: %w", file, err)
	}
	l, err := parse(file, data)
	if err != nil {
		return Lesson{}, err
	}
	l.Lang = lang
	return l, nil
}
