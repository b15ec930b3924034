package steps

import (
	"context"

	"github.com/ckalab/ckalab/internal/expr"
	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Wait polls until a CEL expression over the object (`object`) or over the
// objects matching labels (`objects`) is true.
type Wait struct {
	lab.Ref `yaml:",inline"`
	Labels  map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	For     string            `yaml:"for" json:"for"`
	Timeout yamlx.Duration    `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// Validate wants the kind, a name unless labels select, and a condition
// that compiles.
func (w *Wait) Validate(v *Validation) {
	requireRef(v, w.Ref, len(w.Labels) == 0)
	if w.For == "" {
		v.Add("for", "required: a CEL expression over object (or objects, with labels)")
	} else if _, err := expr.Compile(w.For, "object", "objects"); err != nil {
		v.Add("for", "%v", err)
	}
}

// Run polls the condition; a timeout says what the objects it reads are
// like, not the condition (the author's code) itself.
func (w *Wait) Run(ctx context.Context, env Env) ([]string, error) {
	prg, err := expr.Compile(w.For, "object", "objects")
	if err != nil {
		return nil, err
	}
	var objs []unstructured.Unstructured
	err = poll(ctx, or(w.Timeout.Duration, defaultWait), func() (bool, string, error) {
		found, err := lab.Find(ctx, env.Cluster, w.Ref, w.Labels)
		if err != nil {
			return false, "", err
		}
		objs = found
		vars := map[string]any{"object": nil, "objects": contents(objs)}
		if w.Name != "" {
			if len(objs) == 0 {
				return false, w.Ref.String() + " not found", nil
			}
			vars["object"] = objs[0].Object
		}
		ok, err := prg.Eval(ctx, vars)
		if err != nil {
			return false, err.Error(), nil
		}
		return ok, "`" + w.For + "` is false", nil
	})
	return nil, explainTimeout(ctx, err, target(w.Ref, w.Labels), func(ctx context.Context) ([]string, error) {
		return explainWait(ctx, env.Cluster.Kube, w, objs)
	})
}

func contents(objs []unstructured.Unstructured) []any {
	out := make([]any, len(objs))
	for i, o := range objs {
		out[i] = o.Object
	}
	return out
}
