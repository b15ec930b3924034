package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ckalab/ckalab/lab/explain"

	"github.com/ckalab/ckalab/internal/expr"
	"github.com/ckalab/ckalab/lab"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"
)

// FieldManager owns the fields ckalab applies.
const FieldManager = "ckalab"

const (
	defaultWait   = 60 * time.Second
	defaultDelete = 60 * time.Second
	pollInterval  = 100 * time.Millisecond
)

// Env is what actions act on.
type Env struct {
	Cluster *lab.Cluster
	// Files is the scenario's folder (file references resolve inside it).
	Files fs.FS
	// AnswerDir is the lab's answer folder for this scenario.
	AnswerDir string
}

// StepError says which step failed and what the steps before it changed.
type StepError struct {
	Step    int // 1-based
	Action  string
	Changed []string
	Err     error
}

func (e *StepError) Error() string {
	msg := fmt.Sprintf("step %d (%s): %v", e.Step, e.Action, e.Err)
	if len(e.Changed) > 0 {
		msg += "\nalready changed: " + strings.Join(e.Changed, "; ")
	} else {
		msg += "\nnothing was changed"
	}
	return msg
}

func (e *StepError) Unwrap() error { return e.Err }

// RunAll runs the steps in order and stops at the first failure, returning
// what was changed so far (also inside the *StepError).
func RunAll(ctx context.Context, env Env, steps []Spec) ([]string, error) {
	var changed []string
	for i, s := range steps {
		done, err := s.Run(ctx, env)
		changed = append(changed, done...)
		if err != nil {
			return changed, &StepError{Step: i + 1, Action: s.Name(), Changed: changed, Err: err}
		}
	}
	return changed, nil
}

// Run performs one step and describes each change it made.
func (s Spec) Run(ctx context.Context, env Env) ([]string, error) {
	switch {
	case s.Apply != nil:
		return s.Apply.run(ctx, env)
	case s.Patch != nil:
		return s.Patch.run(ctx, env)
	case s.Delete != nil:
		return s.Delete.run(ctx, env)
	case s.Wait != nil:
		return nil, s.Wait.run(ctx, env)
	case s.Drain != nil:
		return s.Drain.run(ctx, env)
	case s.Taint != nil:
		return s.Taint.run(ctx, env)
	case s.WriteFile != nil:
		return s.WriteFile.run(env)
	}
	return nil, errors.New("empty step")
}

// resource maps a kind to its REST resource; the mapper's discovery cache is
// refreshed once when the kind is unknown (a CRD installed a moment ago).
func resource(c *lab.Cluster, apiVersion, kind string) (*meta.RESTMapping, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, fmt.Errorf("apiVersion %q: %w", apiVersion, err)
	}
	gk := schema.GroupKind{Group: gv.Group, Kind: kind}
	m, err := c.Mapper.RESTMapping(gk, gv.Version)
	if meta.IsNoMatchError(err) {
		c.Mapper.Reset()
		m, err = c.Mapper.RESTMapping(gk, gv.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", apiVersion, kind, err)
	}
	return m, nil
}

// Client returns the dynamic client for a kind in a namespace ("" for all
// namespaces or a cluster-scoped kind).
func Client(c *lab.Cluster, apiVersion, kind, namespace string) (dynamic.ResourceInterface, bool, error) {
	m, err := resource(c, apiVersion, kind)
	if err != nil {
		return nil, false, err
	}
	namespaced := m.Scope.Name() == meta.RESTScopeNameNamespace
	ri := c.Dynamic.Resource(m.Resource)
	if namespaced && namespace != "" {
		return ri.Namespace(namespace), true, nil
	}
	return ri, namespaced, nil
}

func (a *Apply) run(ctx context.Context, env Env) ([]string, error) {
	objs, err := a.Objects(env.Files)
	if err != nil {
		return nil, err
	}
	// Every object is checked before the first is applied, so a refused
	// step changes nothing.
	clients := make([]dynamic.ResourceInterface, len(objs))
	for i, obj := range objs {
		ri, namespaced, err := Client(env.Cluster, obj.GetAPIVersion(), obj.GetKind(), obj.GetNamespace())
		if err != nil {
			return nil, err
		}
		if namespaced && obj.GetNamespace() == "" {
			obj.SetNamespace(metav1.NamespaceDefault)
			ri, _, _ = Client(env.Cluster, obj.GetAPIVersion(), obj.GetKind(), metav1.NamespaceDefault)
		}
		live, err := getLive(ctx, ri, obj.GetName())
		if err != nil {
			return nil, err
		}
		if err := protectLive("apply", RefTo(obj), live, obj.GetLabels()); err != nil {
			return nil, err
		}
		clients[i] = ri
	}
	var changed []string
	for i, obj := range objs {
		ri := clients[i]
		ref := Ref{Kind: obj.GetKind(), Name: obj.GetName(), Namespace: obj.GetNamespace()}
		if _, err := ri.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
			return changed, fmt.Errorf("apply %s: %w", ref, err)
		}
		changed = append(changed, "applied "+ref.String())
	}
	return changed, nil
}

func (p *Patch) run(ctx context.Context, env Env) ([]string, error) {
	ri, _, err := Client(env.Cluster, p.APIVersion, p.Kind, p.Namespace)
	if err != nil {
		return nil, err
	}
	live, err := getLive(ctx, ri, p.Name)
	if err != nil {
		return nil, err
	}
	if err := protectLive("patch", p.Ref, live, nil); err != nil {
		return nil, err
	}
	body, err := json.Marshal(p.Patch)
	if err != nil {
		return nil, fmt.Errorf("encode patch: %w", err)
	}
	pt := map[string]types.PatchType{"": types.StrategicMergePatchType, "strategic": types.StrategicMergePatchType,
		"merge": types.MergePatchType, "json": types.JSONPatchType}[p.Type]
	if _, err := ri.Patch(ctx, p.Name, pt, body, metav1.PatchOptions{FieldManager: FieldManager}); err != nil {
		return nil, fmt.Errorf("patch %s: %w", p.Ref, err)
	}
	return []string{"patched " + p.Ref.String()}, nil
}

// getLive reads an object as it is now; nil when it does not exist.
func getLive(ctx context.Context, ri dynamic.ResourceInterface, name string) (*unstructured.Unstructured, error) {
	obj, err := ri.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return obj, nil
}

// Find returns the objects a ref names: the one named, or those with the
// labels (all of the kind when sel is empty), sorted by namespace and name.
// A missing named object is no error: the result is empty.
func Find(ctx context.Context, c *lab.Cluster, r Ref, sel map[string]string) ([]unstructured.Unstructured, error) {
	ri, _, err := Client(c, r.APIVersion, r.Kind, r.Namespace)
	if err != nil {
		return nil, err
	}
	if r.Name != "" {
		obj, err := ri.Get(ctx, r.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []unstructured.Unstructured{*obj}, nil
	}
	list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(sel).String()})
	if err != nil {
		return nil, err
	}
	items := list.Items
	sort.Slice(items, func(i, j int) bool {
		if items[i].GetNamespace() != items[j].GetNamespace() {
			return items[i].GetNamespace() < items[j].GetNamespace()
		}
		return items[i].GetName() < items[j].GetName()
	})
	return items, nil
}

func find(ctx context.Context, env Env, r Ref, sel map[string]string) ([]unstructured.Unstructured, error) {
	return Find(ctx, env.Cluster, r, sel)
}

func (d *Delete) run(ctx context.Context, env Env) ([]string, error) {
	objs, err := find(ctx, env, d.Ref, d.Labels)
	if err != nil {
		return nil, err
	}
	// A selector's matches are only known now: check them all before the
	// first delete, so a refused step changes nothing.
	for _, o := range objs {
		r := Ref{APIVersion: d.APIVersion, Kind: d.Kind, Name: o.GetName(), Namespace: o.GetNamespace()}
		if err := protectLive("delete", r, &o, nil); err != nil {
			return nil, err
		}
	}
	var changed []string
	deleted := map[types.UID]bool{}
	for _, o := range objs {
		ri, _, err := Client(env.Cluster, d.APIVersion, d.Kind, o.GetNamespace())
		if err != nil {
			return changed, err
		}
		ref := Ref{Kind: d.Kind, Name: o.GetName(), Namespace: o.GetNamespace()}
		policy := metav1.DeletePropagationForeground
		if err := ri.Delete(ctx, o.GetName(), metav1.DeleteOptions{PropagationPolicy: &policy}); err != nil && !apierrors.IsNotFound(err) {
			return changed, fmt.Errorf("delete %s: %w", ref, err)
		}
		deleted[o.GetUID()] = true
		changed = append(changed, "deleted "+ref.String())
	}
	// Wait for the deleted objects themselves: a controller may already
	// have made replacements with the same labels.
	var left []unstructured.Unstructured
	err = poll(ctx, or(d.Timeout.Duration, defaultDelete), func() (bool, string, error) {
		found, err := find(ctx, env, d.Ref, d.Labels)
		if err != nil {
			return false, "", err
		}
		left = left[:0]
		for _, o := range found {
			if deleted[o.GetUID()] {
				left = append(left, o)
			}
		}
		if len(left) > 0 {
			return false, explain.Ref(left[0]) + " is still there", nil
		}
		return true, "", nil
	})
	err = explainTimeout(ctx, err, "deletion of "+target(d.Ref, d.Labels), func(ctx context.Context) ([]string, error) {
		return explainDeletion(ctx, env.Cluster.Kube, left)
	})
	return changed, err
}

func (w *Wait) run(ctx context.Context, env Env) error {
	prg, err := expr.Compile(w.For, "object", "objects")
	if err != nil {
		return err
	}
	var objs []unstructured.Unstructured
	err = poll(ctx, or(w.Timeout.Duration, defaultWait), func() (bool, string, error) {
		found, err := find(ctx, env, w.Ref, w.Labels)
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
	// The condition is the author's code: the learner is told what the
	// objects it reads are like instead.
	return explainTimeout(ctx, err, target(w.Ref, w.Labels), func(ctx context.Context) ([]string, error) {
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

func or(d, fallback time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return fallback
}

// poll calls cond until it is true, it errors, or the timeout passes; the
// timeout is a *TimeoutError whose reason is the last one cond gave. When
// ctx itself ends first, that is the error: the step was stopped, it did
// not run out of time.
func poll(ctx context.Context, timeout time.Duration, cond func() (bool, string, error)) error {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ok, why, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-tctx.Done():
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("stopped waiting (%s): %w", why, err)
			}
			var reasons []string
			if why != "" {
				reasons = []string{why}
			}
			return &TimeoutError{After: timeout, Reasons: reasons}
		case <-time.After(pollInterval):
		}
	}
}

func (d *Drain) run(ctx context.Context, env Env) ([]string, error) {
	kube := env.Cluster.Kube
	patch := []byte(`{"spec":{"unschedulable":true}}`)
	if _, err := kube.CoreV1().Nodes().Patch(ctx, d.Node, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager}); err != nil {
		return nil, fmt.Errorf("cordon %s: %w", d.Node, err)
	}
	changed := []string{"cordoned node " + d.Node}
	evictable := func() ([]corev1.Pod, error) {
		pods, err := kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + d.Node})
		if err != nil {
			return nil, err
		}
		var out []corev1.Pod
		for _, p := range pods.Items {
			if isDaemonSetPod(p) || p.Annotations[corev1.MirrorPodAnnotationKey] != "" {
				continue
			}
			out = append(out, p)
		}
		return out, nil
	}
	err := poll(ctx, or(d.Timeout.Duration, defaultWait), func() (bool, string, error) {
		pods, err := evictable()
		if err != nil {
			return false, "", err
		}
		if len(pods) == 0 {
			return true, "", nil
		}
		var blocked string
		for _, p := range pods {
			if p.DeletionTimestamp != nil {
				continue
			}
			ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace}}
			err := kube.PolicyV1().Evictions(p.Namespace).Evict(ctx, ev)
			switch {
			case err == nil:
				changed = append(changed, "evicted pod "+p.Namespace+"/"+p.Name)
			case apierrors.IsNotFound(err):
			case apierrors.IsForbidden(err) && apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
				// No eviction is accepted in a namespace being deleted; its
				// pods go with it (kubectl drain waits for them too).
			case apierrors.IsTooManyRequests(err):
				blocked = fmt.Sprintf("eviction of %s/%s refused by a PodDisruptionBudget", p.Namespace, p.Name)
			default:
				return false, "", fmt.Errorf("evict %s/%s: %w", p.Namespace, p.Name, err)
			}
		}
		if blocked != "" {
			return false, blocked, nil
		}
		return false, fmt.Sprintf("%d pod(s) still on %s", len(pods), d.Node), nil
	})
	return changed, err
}

func (t *Taint) run(ctx context.Context, env Env) ([]string, error) {
	nodes := env.Cluster.Kube.CoreV1().Nodes()
	want := corev1.Taint{Key: t.Key, Value: t.Value, Effect: corev1.TaintEffect(t.Effect)}
	var change string
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		node, err := nodes.Get(ctx, t.Node, metav1.GetOptions{})
		if err != nil {
			return err
		}
		var kept []corev1.Taint
		found := false
		for _, old := range node.Spec.Taints {
			same := old.Key == want.Key && (want.Effect == "" || old.Effect == want.Effect)
			if same {
				// Removed, or replaced by want: keeping a taint with the
				// same key and effect but another value would make the
				// node invalid (taints are unique by key and effect).
				found = true
				continue
			}
			kept = append(kept, old)
		}
		switch {
		case t.Remove && !found:
			change = ""
			return nil
		case t.Remove:
			change = "removed taint " + t.Key + " from node " + t.Node
		default:
			kept = append(kept, want)
			change = "tainted node " + t.Node + " " + want.ToString()
		}
		node.Spec.Taints = kept
		_, err = nodes.Update(ctx, node, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("taint node %s: %w", t.Node, err)
	}
	if change == "" {
		return nil, nil
	}
	return []string{change}, nil
}

func isDaemonSetPod(p corev1.Pod) bool {
	for _, o := range p.OwnerReferences {
		if o.Kind == "DaemonSet" && o.Controller != nil && *o.Controller {
			return true
		}
	}
	return false
}

func (w *WriteFile) run(env Env) ([]string, error) {
	if env.AnswerDir == "" {
		return nil, errors.New("no answer folder")
	}
	data := []byte(w.Content)
	if w.From != "" {
		var err error
		if data, err = ReadScenarioFile(env.Files, w.From); err != nil {
			return nil, err
		}
	}
	if err := checkRelative(w.Path); err != nil {
		return nil, err
	}
	name := filepath.FromSlash(w.Path)
	dst := filepath.Join(env.AnswerDir, name)
	if err := os.MkdirAll(env.AnswerDir, 0o700); err != nil {
		return nil, err
	}
	// Through an os.Root of the answer folder: a symlink planted in it
	// cannot send the write (or the folders made for it) elsewhere.
	root, err := os.OpenRoot(env.AnswerDir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	writeErr := func(err error) error {
		if LeavesFolder(err) {
			return fmt.Errorf("write %s: a symlink that leaves the answer folder", dst)
		}
		return fmt.Errorf("write %s: %w", dst, err)
	}
	if dir := filepath.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o700); err != nil {
			return nil, writeErr(err)
		}
	}
	if err := root.WriteFile(name, data, 0o600); err != nil {
		return nil, writeErr(err)
	}
	return []string{"wrote " + dst}, nil
}
