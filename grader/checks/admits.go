package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/grader/match"
	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	"gopkg.in/yaml.v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// admitsSpec asks the API server whether it would accept an object, by
// creating it with a server-side dry run: authentication, every admission
// plugin (Pod Security, LimitRanger, ResourceQuota, webhooks) and
// validation run as for a real create, and nothing is stored. It grades a
// policy by what it does (a privileged pod is refused in a namespace that
// enforces "restricted", a pod over the quota is refused) rather than by
// how it is spelled (which labels, which admission config).
type admitsSpec struct {
	// Object is one manifest; its namespace, or Namespace, says where.
	Object    string `yaml:"object"`
	Namespace string `yaml:"namespace"`
	// Expect is "allowed" or "denied".
	Expect string `yaml:"expect"`
	// Result, for allowed, is a partial object (grader/match rules) the
	// object must match as admission returns it: what mutating admission
	// and defaulting made of it (the default StorageClass, a LimitRange's
	// default requests, a webhook's labels).
	Result map[string]any `yaml:"result"`
	// Reason, required for denied, is text the refusal must contain (any
	// case): "PodSecurity", "exceeded quota". A refusal for another reason
	// (a namespace being deleted, an invalid object) does not count.
	Reason string `yaml:"reason"`
}

type admitsCheck struct {
	spec admitsSpec
	obj  *unstructured.Unstructured
}

func newAdmits(body *yaml.Node, path string) (grader.Check, yamlx.Problems) {
	c := &admitsCheck{}
	ps := yamlx.Decode(body, path, &c.spec)
	switch c.spec.Expect {
	case "allowed", "denied":
	default:
		ps.Add(body, yamlx.Join(path, "expect"), "got %q, want allowed or denied", c.spec.Expect)
	}
	switch {
	case c.spec.Result != nil && c.spec.Expect != "allowed":
		ps.Add(body, yamlx.Join(path, "result"), "only an admitted object has a result")
	case c.spec.Reason != "" && c.spec.Expect != "denied":
		ps.Add(body, yamlx.Join(path, "reason"), "only a denial has a reason")
	case c.spec.Reason == "" && c.spec.Expect == "denied":
		ps.Add(body, yamlx.Join(path, "reason"), "required for denied: text the refusal must contain, such as PodSecurity or exceeded quota (a refusal for another reason proves nothing)")
	}
	obj, err := decodeOneObject(c.spec.Object)
	if err != nil {
		ps.Add(body, yamlx.Join(path, "object"), "%v", err)
		return c, ps
	}
	if obj.GetName() == "" && obj.GetGenerateName() == "" {
		// A dry run of a named object fails if one of that name exists;
		// a generated name never collides.
		obj.SetGenerateName("ckalab-admits-")
	}
	if c.spec.Namespace != "" {
		obj.SetNamespace(c.spec.Namespace)
	}
	c.obj = obj
	return c, ps
}

// decodeOneObject reads a manifest holding exactly one object with an
// apiVersion and a kind.
func decodeOneObject(text string) (*unstructured.Unstructured, error) {
	if strings.TrimSpace(text) == "" {
		return nil, fmt.Errorf("required: the manifest of one object")
	}
	if strings.Contains("\n"+text, "\n---") {
		return nil, fmt.Errorf("one object only: found a --- separator")
	}
	var m map[string]any
	if err := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(text), 4096).Decode(&m); err != nil {
		return nil, fmt.Errorf("not a manifest: %v", err)
	}
	obj := &unstructured.Unstructured{Object: m}
	if obj.GetAPIVersion() == "" || obj.GetKind() == "" {
		return nil, fmt.Errorf("the object needs apiVersion and kind")
	}
	return obj, nil
}

func (c *admitsCheck) describe() string {
	name := c.obj.GetName()
	if name == "" {
		name = "(a new name)"
	}
	if ns := c.obj.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s in namespace %s", c.obj.GetKind(), name, ns)
	}
	return c.obj.GetKind() + " " + name
}

// Observe creates the object with dryRun=All. The API server answers as it
// would for a real create and persists nothing, so grading changes nothing.
func (c *admitsCheck) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	obs := grader.Observation{Expected: fmt.Sprintf("the API server %s creating %s", map[string]string{
		"allowed": "accepts", "denied": "refuses"}[c.spec.Expect], c.describe())}
	if c.spec.Reason != "" {
		obs.Expected += fmt.Sprintf(", for a reason that mentions %q", c.spec.Reason)
	}
	ns := c.obj.GetNamespace()
	if ns == "" {
		ns = "default" // as kubectl: namespaced objects without one go there
	}
	// lab.Client ignores the namespace for cluster-scoped kinds.
	client, _, err := lab.Client(env.Cluster, c.obj.GetAPIVersion(), c.obj.GetKind(), ns)
	if err != nil {
		return failed(err)
	}
	got, err := client.Create(ctx, c.obj.DeepCopy(), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	switch {
	case err == nil:
		obs.Actual = "accepted"
		if c.spec.Expect == "denied" {
			obs.Problems = []string{fmt.Sprintf("the API server accepts %s: nothing refuses it", c.describe())}
			return obs
		}
		if c.spec.Result != nil {
			obs.Expected += ", as " + match.Render(c.spec.Result)
			for _, p := range match.Subset(c.spec.Result, got.Object, match.Options{}) {
				obs.Problems = append(obs.Problems, "as admitted: "+p)
			}
			if len(obs.Problems) > 0 {
				obs.Actual = "accepted, but " + strings.Join(obs.Problems, "; ")
			}
		}
		obs.Passed = len(obs.Problems) == 0
	case apierrors.IsForbidden(err) || apierrors.IsInvalid(err):
		// Admission refuses with Forbidden (Pod Security, quotas, limit
		// ranges, webhooks), validation and admission policies with Invalid.
		obs.Actual = "refused: " + apiMessage(err)
		reasonOK := strings.Contains(strings.ToLower(apiMessage(err)), strings.ToLower(c.spec.Reason))
		obs.Passed = c.spec.Expect == "denied" && reasonOK
		switch {
		case c.spec.Expect == "allowed":
			obs.Problems = []string{fmt.Sprintf("the API server refuses %s, which should be accepted", c.describe())}
		case !reasonOK:
			obs.Problems = []string{fmt.Sprintf("refused, but not for the reason asked (%q)", c.spec.Reason)}
		}
	default:
		// Not a decision about the object (no such namespace, the API
		// server unreachable): neither outcome is proven.
		return failed(fmt.Errorf("dry-run create of %s: %w", c.describe(), err))
	}
	return obs
}

func apiMessage(err error) string {
	if s, ok := err.(apierrors.APIStatus); ok && s.Status().Message != "" {
		return s.Status().Message
	}
	return err.Error()
}
