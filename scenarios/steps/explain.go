package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/explain"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
)

// fieldValues says what the fields a CEL condition reads from the object
// hold now ("status.phase is Pending", "status.hard is not set"), so that
// an author's condition is explained without showing its source.
func fieldValues(cond string, obj map[string]any) []string {
	// A field path rooted at `object`; compiled here, as it is needed only
	// when a step has already timed out.
	celPath := regexp.MustCompile(`\bobject((?:\.[A-Za-z_][A-Za-z0-9_]*)+)`)
	var out []string
	seen := map[string]bool{}
	for _, m := range celPath.FindAllStringSubmatch(cond, -1) {
		path := strings.TrimPrefix(m[1], ".")
		if seen[path] {
			continue
		}
		seen[path] = true
		v, found, err := unstructured.NestedFieldNoCopy(obj, strings.Split(path, ".")...)
		if err != nil || !found {
			out = append(out, path+" is not set")
			continue
		}
		out = append(out, path+" is "+short(v))
	}
	return out
}

// short renders a value on one short line.
func short(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if s := string(data); len(s) <= 80 {
		return s
	}
	return string(data[:77]) + "..."
}

// target names what a step selects: "Pod shop/web", "Pods labelled app=web
// in shop".
func target(r lab.Ref, sel map[string]string) string {
	if r.Name != "" {
		return r.String()
	}
	s := plural(r.Kind)
	if len(sel) > 0 {
		s += " labelled " + labels.SelectorFromSet(sel).String()
	}
	if r.Namespace != "" {
		s += " in " + r.Namespace
	}
	return s
}

// plural is the English plural of a kind name.
func plural(kind string) string {
	switch {
	case strings.HasSuffix(kind, "s"):
		return kind + "es"
	case strings.HasSuffix(kind, "y") && !strings.HasSuffix(kind, "ay") && !strings.HasSuffix(kind, "ey"):
		return strings.TrimSuffix(kind, "y") + "ies"
	}
	return kind + "s"
}

// explainWait says why a wait's condition is still false, in the words
// of the objects it selects: why their pods are not Ready, what the fields
// the condition reads hold, or which objects there are.
func explainWait(ctx context.Context, kube kubernetes.Interface, w *Wait, objs []unstructured.Unstructured) ([]string, error) {
	if w.Name != "" && len(objs) == 0 {
		return []string{"it does not exist"}, nil
	}
	reasons, err := explainPodsOf(ctx, kube, objs)
	if len(reasons) > 0 || err != nil {
		return reasons, err
	}
	if w.Name != "" {
		if values := fieldValues(w.For, objs[0].Object); len(values) > 0 {
			return []string{strings.Join(values, ", ")}, nil
		}
		return []string{"it does not meet the step's condition yet"}, nil
	}
	return []string{matching(objs)}, nil
}

// explainPodsOf explains the pods that are not Ready among the objects, or
// run by the workloads among them.
func explainPodsOf(ctx context.Context, kube kubernetes.Interface, objs []unstructured.Unstructured) ([]string, error) {
	var reasons []string
	var pods []corev1.Pod
	for _, o := range objs {
		switch {
		case explain.IsPod(o):
			var p corev1.Pod
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &p); err != nil {
				return reasons, fmt.Errorf("decode %s: %w", explain.Ref(o), err)
			}
			pods = append(pods, p)
		case explain.IsWorkload(o):
			why, err := explain.Workload(ctx, kube, o)
			reasons = append(reasons, why...)
			if err != nil {
				return reasons, err
			}
		}
	}
	why, err := explain.Pods(ctx, kube, pods)
	return append(reasons, why...), err
}

// matching lists the objects a labelled wait found ("2 match now: web-a on
// node w1, ..."), for conditions about how many there are.
func matching(objs []unstructured.Unstructured) string {
	if len(objs) == 0 {
		return "none match now"
	}
	var names []string
	for i, o := range objs {
		if i == explain.MaxExplained {
			names = append(names, fmt.Sprintf("and %d more", len(objs)-i))
			break
		}
		name := o.GetName()
		if o.GetNamespace() != "" {
			name = o.GetNamespace() + "/" + name
		}
		if node, _, _ := unstructured.NestedString(o.Object, "spec", "nodeName"); explain.IsPod(o) && node != "" {
			name += " on node " + node
		}
		names = append(names, name)
	}
	return fmt.Sprintf("%d match now: %s", len(objs), strings.Join(names, ", "))
}

// explainDeletion says what keeps each of the objects a delete step is
// still waiting for.
func explainDeletion(ctx context.Context, kube kubernetes.Interface, left []unstructured.Unstructured) ([]string, error) {
	var reasons []string
	for i, o := range left {
		if i == explain.MaxExplained {
			reasons = append(reasons, fmt.Sprintf("and %d more", len(left)-i))
			break
		}
		why, err := explain.Deletion(ctx, kube, o)
		reasons = append(reasons, why...)
		if err != nil {
			return reasons, err
		}
	}
	return reasons, nil
}
