package steps_test

import (
	"slices"
	"testing"
	"testing/fstest"

	"github.com/ckalab/ckalab/scenarios/steps"
	"gopkg.in/yaml.v3"
)

func TestSpecImages(t *testing.T) {
	dir := fstest.MapFS{"files/ds.yaml": {Data: []byte(`apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  template:
    spec:
      initContainers: [{name: init, image: "busybox:1.36"}]
      containers: [{name: a, image: registry.k8s.io/agent:v1}, {name: b, image: "busybox:1.36"}]
`)}}
	tests := []struct {
		name string
		step string
		want []string
	}{
		{"inline manifest, several documents", `apply:
  manifest: |
    apiVersion: v1
    kind: Pod
    metadata: {name: a}
    spec: {containers: [{name: c, image: nginx:1.27}]}
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: b}
    data: {image: "not a container, but named so"}
`, []string{"nginx:1.27"}},
		{"file, init and regular containers, once each", "apply: {file: files/ds.yaml}", []string{"busybox:1.36", "registry.k8s.io/agent:v1"}},
		{"patch", `patch:
  apiVersion: apps/v1
  kind: Deployment
  name: web
  patch: {spec: {template: {spec: {containers: [{name: web, image: "nginx:1.28"}]}}}}
`, []string{"nginx:1.28"}},
		{"a missing file names nothing", "apply: {file: files/none.yaml}", nil},
		{"other actions name nothing", "drain: {node: ckalab-worker}", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s steps.Spec
			if err := yaml.Unmarshal([]byte(tc.step), &s); err != nil {
				t.Fatal(err)
			}
			got := s.Images(dir)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Images = %q, want %q", got, tc.want)
			}
		})
	}
}
