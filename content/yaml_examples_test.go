// This test parses the YAML examples of every lesson with gopkg.in/yaml.v3,
// so that a learner copying one gets valid YAML.
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
