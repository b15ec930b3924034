package steps

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// MaxDocuments bounds the YAML documents of one manifest; the largest
// bundles a scenario ships (CRDs of the Gateway API, a chart's templates)
// have a few dozen.
const MaxDocuments = 1000

// DecodeManifests splits YAML (or JSON) documents into objects; each needs
// apiVersion, kind and metadata.name.
func DecodeManifests(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for i := 1; ; i++ {
		if i > MaxDocuments {
			// Each document costs a decoder pass: half a million tiny
			// ones in a 4 MiB file took seconds.
			return nil, fmt.Errorf("more than %d documents (limit)", MaxDocuments)
		}
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(obj) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		var missing []string
		if u.GetAPIVersion() == "" {
			missing = append(missing, "apiVersion")
		}
		if u.GetKind() == "" {
			missing = append(missing, "kind")
		}
		if u.GetName() == "" {
			missing = append(missing, "metadata.name")
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("document %d: missing %s", i, strings.Join(missing, ", "))
		}
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, errors.New("no objects")
	}
	return out, nil
}
