package fakelab

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Manifest decodes the YAML (or JSON) documents of a test's manifest into
// objects for New; a document that does not decode fails the test. It
// checks nothing else: tests write their manifests.
func Manifest(t testing.TB, src string) []runtime.Object {
	t.Helper()
	var out []runtime.Object
	for _, u := range Objects(t, src) {
		out = append(out, u)
	}
	return out
}

// Objects is Manifest's objects as unstructured ones.
func Objects(t testing.TB, src string) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(src)), 4096)
	var out []*unstructured.Unstructured
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("fakelab: manifest: %v", err)
		}
		if len(obj) > 0 {
			out = append(out, &unstructured.Unstructured{Object: obj})
		}
	}
}
