package checks_test

import (
	"errors"
	"slices"
	"sync"
	"testing"

	authzv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"
)

// sarRule grants one verb on one resource to a user or a group, in one
// namespace ("" for every namespace). It stands in for RBAC: the fake
// decides from these rules, so these tests prove the canI check's logic
// (which requests it asks, as whom, and how it judges the answers), not
// the authorizer's. Real RBAC decisions are in cani_test.go (sim).
type sarRule struct {
	user, group              string
	namespace                string
	verb, apiGroup, resource string
	subresource, name        string
}

// fakeAuthorizer answers SubjectAccessReviews from its rules and records
// every review it was asked.
type fakeAuthorizer struct {
	rules []sarRule
	err   error

	mu    sync.Mutex
	asked []authzv1.SubjectAccessReviewSpec
}

func (a *fakeAuthorizer) react(action clienttesting.Action) (bool, runtime.Object, error) {
	sar := action.(clienttesting.CreateAction).GetObject().(*authzv1.SubjectAccessReview).DeepCopy()
	a.mu.Lock()
	a.asked = append(a.asked, sar.Spec)
	a.mu.Unlock()
	if a.err != nil {
		return true, nil, a.err
	}
	ra := sar.Spec.ResourceAttributes
	for _, r := range a.rules {
		if (r.user != "" && r.user != sar.Spec.User) || (r.group != "" && !slices.Contains(sar.Spec.Groups, r.group)) {
			continue
		}
		if ra == nil || (r.namespace != "" && r.namespace != ra.Namespace) {
			continue
		}
		if r.verb == ra.Verb && r.apiGroup == ra.Group && r.resource == ra.Resource &&
			r.subresource == ra.Subresource && (r.name == "" || r.name == ra.Name) {
			sar.Status.Allowed = true
			sar.Status.Reason = "allowed by the test's rules"
			return true, sar, nil
		}
	}
	sar.Status.Reason = "no rule of the test allows it"
	return true, sar, nil
}

func (a *fakeAuthorizer) requests() []authzv1.SubjectAccessReviewSpec {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.asked)
}

const caniUnitObjects = `
apiVersion: v1
kind: ServiceAccount
metadata: {name: deployer, namespace: team-a}
`

func caniUnitLab(t *testing.T, rules ...sarRule) (*unitLab, *fakeAuthorizer) {
	t.Helper()
	l := newUnitLab(t, caniUnitObjects)
	a := &fakeAuthorizer{rules: rules}
	l.Kube.PrependReactor("create", "subjectaccessreviews", a.react)
	return l, a
}

const deployerSA = "system:serviceaccount:team-a:deployer"

func TestCanIUnit(t *testing.T) {
	t.Parallel()
	deployerRules := []sarRule{
		{user: deployerSA, namespace: "team-a", verb: "create", apiGroup: "apps", resource: "deployments"},
		{user: deployerSA, namespace: "team-a", verb: "get", resource: "pods", subresource: "log"},
		{user: deployerSA, namespace: "team-a", verb: "get", resource: "secrets", name: "db-password"},
	}
	const spec = `
as: system:serviceaccount:team-a:deployer
namespace: team-a
allowed: [create deployments, get pods/log, get secrets db-password]
denied: [delete deployments.apps, get secrets, get secrets other, create pods]
`

	t.Run("pass: exactly the access asked for", func(t *testing.T) {
		l, a := caniUnitLab(t, deployerRules...)
		obs := unitPass(t, build(t, "canI", spec), l.Env)
		unitWantContains(t, "actual", obs.Actual, "may create deployments, get pods/log, get secrets db-password;",
			"may not delete deployments.apps, get secrets, get secrets other, create pods")
		unitWantContains(t, "expected", obs.Expected, deployerSA+" in namespace team-a: may create deployments")

		asked := a.requests()
		if len(asked) != 7 {
			t.Fatalf("%d reviews, want one per request (7)", len(asked))
		}
		// A service account is asked as its token is authenticated.
		for _, s := range asked {
			if s.User != deployerSA {
				t.Errorf("user %q", s.User)
			}
			for _, g := range []string{"system:authenticated", "system:serviceaccounts", "system:serviceaccounts:team-a"} {
				if !slices.Contains(s.Groups, g) {
					t.Errorf("groups %q lack %s", s.Groups, g)
				}
			}
		}
		// "deployments" without a group is resolved through the mapper,
		// as kubectl does; "pods/log" is a subresource; the third field a name.
		first := asked[0].ResourceAttributes
		if first.Group != "apps" || first.Resource != "deployments" || first.Verb != "create" || first.Namespace != "team-a" {
			t.Errorf("first review %+v, want create deployments in group apps, namespace team-a", *first)
		}
		if r := asked[1].ResourceAttributes; r.Resource != "pods" || r.Subresource != "log" || r.Group != "" {
			t.Errorf("second review %+v, want pods subresource log", *r)
		}
		if r := asked[2].ResourceAttributes; r.Resource != "secrets" || r.Name != "db-password" {
			t.Errorf("third review %+v, want secrets named db-password", *r)
		}
	})

	t.Run("fail: too little access", func(t *testing.T) {
		l, _ := caniUnitLab(t, deployerRules[1:]...)
		obs := unitFail(t, build(t, "canI", spec), l.Env,
			deployerSA+" cannot create deployments in namespace team-a, but should")
		if len(obs.Problems) != 1 {
			t.Errorf("problems %q, want one", obs.Problems)
		}
		unitWantContains(t, "actual", obs.Actual, "may not create deployments")
	})

	t.Run("fail: too much access", func(t *testing.T) {
		rules := append(slices.Clone(deployerRules),
			sarRule{user: deployerSA, namespace: "team-a", verb: "get", resource: "secrets"})
		l, _ := caniUnitLab(t, rules...)
		obs := unitFail(t, build(t, "canI", spec), l.Env,
			deployerSA+" can get secrets in namespace team-a, but should not (too much access)")
		unitWantProblem(t, obs, "can get secrets other", "too much access")
		if len(obs.Problems) != 2 {
			t.Errorf("problems %q, want two (get secrets, get secrets other)", obs.Problems)
		}
	})

	t.Run("fail: a service account that does not exist proves nothing", func(t *testing.T) {
		l, a := caniUnitLab(t)
		chk := build(t, "canI", `
as: system:serviceaccount:team-a:ghost
namespace: team-a
denied: [get secrets]
`)
		obs := unitFail(t, chk, l.Env, "service account team-a/ghost does not exist")
		if obs.Actual != "service account team-a/ghost does not exist" {
			t.Errorf("actual %q", obs.Actual)
		}
		if n := len(a.requests()); n != 0 {
			t.Errorf("%d reviews asked for a missing service account, want none", n)
		}
	})

	t.Run("user and groups, cluster-wide", func(t *testing.T) {
		l, a := caniUnitLab(t,
			sarRule{group: "auditors", verb: "list", resource: "nodes"},
			sarRule{user: "jane", verb: "get", resource: "namespaces"})
		pass := build(t, "canI", `
as: jane
groups: [auditors]
allowed: [list nodes, get namespaces]
denied: [delete nodes]
`)
		obs := unitPass(t, pass, l.Env)
		unitWantContains(t, "expected", obs.Expected, "jane cluster-wide")
		for _, s := range a.requests() {
			if s.User != "jane" || !slices.Contains(s.Groups, "auditors") || slices.Contains(s.Groups, "system:serviceaccounts") {
				t.Errorf("review as %q %q, want jane in auditors and no service account groups", s.User, s.Groups)
			}
			if s.ResourceAttributes.Namespace != "" {
				t.Errorf("namespace %q, want cluster-wide", s.ResourceAttributes.Namespace)
			}
		}

		groupOnly := build(t, "canI", `
groups: [auditors]
allowed: [list nodes, get namespaces]
`)
		obs = unitFail(t, groupOnly, l.Env, "groups auditors cannot get namespaces cluster-wide, but should")
		if len(obs.Problems) != 1 {
			t.Errorf("problems %q", obs.Problems)
		}
		last := a.requests()[len(a.requests())-1]
		if last.User != "ckalab:probe" {
			t.Errorf("groups-only review as user %q, want the probe user", last.User)
		}
	})

	t.Run("an API error is reported, not judged", func(t *testing.T) {
		l, a := caniUnitLab(t, deployerRules...)
		a.err = errors.New("authorizer unavailable")
		obs := unitFail(t, build(t, "canI", spec), l.Env,
			"ask whether "+deployerSA+" can create deployments", "authorizer unavailable")
		unitWantContains(t, "actual", obs.Actual, "error: ")
	})

	t.Run("validation", func(t *testing.T) {
		_, ps := buildProblems(t, "canI", `{namespace: x}`)
		if len(ps) != 2 {
			t.Errorf("problems %q, want: as required, and at least one request", ps)
		}
		_, ps = buildProblems(t, "canI", `{as: jane, allowed: [get]}`)
		if len(ps) != 1 {
			t.Errorf("problems %q, want the malformed request", ps)
		}
	})
}
