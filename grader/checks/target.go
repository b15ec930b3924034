package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// target selects objects: one by name, or those with labels, in a namespace
// (or all namespaces, or cluster-scoped).
type target struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Name       string            `yaml:"name"`
	Namespace  string            `yaml:"namespace"`
	Labels     map[string]string `yaml:"labels"`
}

func (t target) validate(body *yaml.Node, path string) yamlx.Problems {
	var ps yamlx.Problems
	if t.APIVersion == "" {
		ps.Add(body, yamlx.Join(path, "apiVersion"), "required")
	}
	if t.Kind == "" {
		ps.Add(body, yamlx.Join(path, "kind"), "required")
	}
	if t.Name != "" && len(t.Labels) > 0 {
		ps.Add(body, path, "set name or labels, not both")
	}
	return ps
}

// describe renders the target for messages: `Pod "db" in namespace sched`.
func (t target) describe() string {
	var b strings.Builder
	b.WriteString(t.Kind)
	switch {
	case t.Name != "":
		fmt.Fprintf(&b, " %q", t.Name)
	case len(t.Labels) > 0:
		b.WriteString(" with labels " + labels.SelectorFromSet(t.Labels).String())
	default:
		b.WriteString(" objects")
	}
	if t.Namespace != "" {
		b.WriteString(" in namespace " + t.Namespace)
	}
	return b.String()
}

// find returns the selected objects, sorted by namespace and name.
func (t target) find(ctx context.Context, env *grader.Env) ([]unstructured.Unstructured, error) {
	ref := lab.Ref{APIVersion: t.APIVersion, Kind: t.Kind, Name: t.Name, Namespace: t.Namespace}
	return lab.Find(ctx, env.Cluster, ref, t.Labels)
}

func objectName(o unstructured.Unstructured) string {
	if o.GetNamespace() != "" {
		return o.GetNamespace() + "/" + o.GetName()
	}
	return o.GetName()
}

// failed is an observation that could not be made (an API error).
func failed(err error) grader.Observation {
	return grader.Observation{Actual: "error: " + err.Error(), Problems: []string{err.Error()}}
}
