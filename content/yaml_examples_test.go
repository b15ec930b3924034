//go:build yamlexamples

// This test parses the YAML examples of every lesson with gopkg.in/yaml.v3.
// It sits behind a build tag because go.mod lists yaml.v3 only as an
// indirect dependency, and this package must build with the standard
// library alone. Run it with:
//
//	go test -tags yamlexamples ./content/
//
// (after yaml.v3 becomes a direct requirement, for example through go mod
// tidy).

package content

import (
	"errors"
	"io"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestYAMLExamples parses every ```yaml block so that a copied example never
// fails on indentation.
func TestYAMLExamples(t *testing.T) {
	for _, l := range mustLessons(t) {
		t.Run(l.Slug, func(t *testing.T) {
			n := 0
			for _, m := range codeBlock.FindAllStringSubmatch(l.Body, -1) {
				if m[1] != "yaml" {
					continue
				}
				n++
				dec := yaml.NewDecoder(strings.NewReader(m[2]))
				for {
					var doc any
					err := dec.Decode(&doc)
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Errorf("yaml block %d: %v\n%s", n, err, m[2])
						break
					}
				}
			}
			if n == 0 {
				t.Error("no yaml example")
			}
		})
	}
}
