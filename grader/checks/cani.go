package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
	authzv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// canISpec asks the API server's authorizer, as `kubectl auth can-i --as`
// does, whether a subject may do each listed request. Requests are written
// like kubectl's: "create deployments.apps", "get pods/log", "get
// secrets db-password".
type canISpec struct {
	As        string   `yaml:"as"`
	Groups    []string `yaml:"groups"`
	Namespace string   `yaml:"namespace"`
	Allowed   []string `yaml:"allowed"`
	Denied    []string `yaml:"denied"`
}

type request struct {
	text                          string
	verb, resource, group, subres string
	name                          string
}

func parseRequest(s string) (request, error) {
	f := strings.Fields(s)
	if len(f) < 2 || len(f) > 3 {
		return request{}, fmt.Errorf("%q: want \"verb resource[.group][/subresource] [name]\"", s)
	}
	r := request{text: s, verb: f[0]}
	res := f[1]
	if i := strings.Index(res, "/"); i >= 0 {
		res, r.subres = res[:i], res[i+1:]
	}
	r.resource, r.group, _ = strings.Cut(res, ".")
	if len(f) == 3 {
		r.name = f[2]
	}
	return r, nil
}

type canICheck struct {
	spec    canISpec
	allowed []request
	denied  []request
}

func newCanI(body *yaml.Node, path string) (grader.Check, yamlx.Problems) {
	c := &canICheck{}
	ps := yamlx.Decode(body, path, &c.spec)
	if c.spec.As == "" && len(c.spec.Groups) == 0 {
		ps.Add(body, yamlx.Join(path, "as"), "required (a user, or system:serviceaccount:NAMESPACE:NAME), unless groups is set")
	}
	if len(c.spec.Allowed)+len(c.spec.Denied) == 0 {
		ps.Add(body, path, "list at least one request under allowed or denied")
	}
	for field, list := range map[string][]string{"allowed": c.spec.Allowed, "denied": c.spec.Denied} {
		for i, s := range list {
			r, err := parseRequest(s)
			if err != nil {
				ps.Add(body, yamlx.Index(yamlx.Join(path, field), i), "%v", err)
				continue
			}
			if field == "allowed" {
				c.allowed = append(c.allowed, r)
			} else {
				c.denied = append(c.denied, r)
			}
		}
	}
	return c, ps
}

// subject expands a service account into the user and groups the API
// server gives its tokens.
func (c *canICheck) subject() (string, []string) {
	user := c.spec.As
	groups := append([]string{"system:authenticated"}, c.spec.Groups...)
	if rest, ok := strings.CutPrefix(user, "system:serviceaccount:"); ok {
		ns, _, _ := strings.Cut(rest, ":")
		groups = append(groups, "system:serviceaccounts", "system:serviceaccounts:"+ns)
	}
	if user == "" {
		user = "ckalab:probe"
	}
	return user, groups
}

func (c *canICheck) who() string {
	if c.spec.As != "" {
		return c.spec.As
	}
	return "groups " + strings.Join(c.spec.Groups, ",")
}

func (c *canICheck) where() string {
	if c.spec.Namespace == "" {
		return "cluster-wide"
	}
	return "in namespace " + c.spec.Namespace
}

// Observe asks one SubjectAccessReview per request; SubjectAccessReviews
// are not stored, so grading changes nothing.
func (c *canICheck) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	user, groups := c.subject()
	obs := grader.Observation{Expected: fmt.Sprintf("%s %s: may %s; may not %s", c.who(), c.where(),
		orNone(texts(c.allowed)), orNone(texts(c.denied)))}
	// A denial for a service account that does not exist proves nothing:
	// the check would pass before the user did anything.
	if rest, ok := strings.CutPrefix(c.spec.As, "system:serviceaccount:"); ok {
		ns, name, _ := strings.Cut(rest, ":")
		_, err := env.Cluster.Kube.CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			obs.Actual = "service account " + ns + "/" + name + " does not exist"
			obs.Problems = []string{obs.Actual}
			return obs
		}
		if err != nil {
			return failed(err)
		}
	}
	var granted, refused []string
	for _, want := range []struct {
		allowed bool
		reqs    []request
	}{{true, c.allowed}, {false, c.denied}} {
		for _, r := range want.reqs {
			group := r.group
			if group == "" {
				// As kubectl does: "deployments" means deployments.apps.
				if gvr, err := env.Cluster.Mapper.ResourceFor(schema.GroupVersionResource{Resource: r.resource}); err == nil {
					group = gvr.Group
				}
			}
			sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
				User: user, Groups: groups,
				ResourceAttributes: &authzv1.ResourceAttributes{Namespace: c.spec.Namespace, Verb: r.verb,
					Group: group, Resource: r.resource, Subresource: r.subres, Name: r.name},
			}}
			res, err := env.Cluster.Kube.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
			if err != nil {
				return failed(fmt.Errorf("ask whether %s can %s: %w", c.who(), r.text, err))
			}
			if res.Status.Allowed {
				granted = append(granted, r.text)
			} else {
				refused = append(refused, r.text)
			}
			if res.Status.Allowed != want.allowed {
				if want.allowed {
					obs.Problems = append(obs.Problems, fmt.Sprintf("%s cannot %s %s, but should", c.who(), r.text, c.where()))
				} else {
					obs.Problems = append(obs.Problems, fmt.Sprintf("%s can %s %s, but should not (too much access)", c.who(), r.text, c.where()))
				}
			}
		}
	}
	obs.Passed = len(obs.Problems) == 0
	obs.Actual = fmt.Sprintf("may %s; may not %s", orNone(granted), orNone(refused))
	return obs
}

func texts(rs []request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.text
	}
	return out
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "(nothing)"
	}
	return strings.Join(s, ", ")
}
