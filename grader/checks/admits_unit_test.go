package checks_test

import (
	"errors"
	"slices"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clienttesting "k8s.io/client-go/testing"
)

// fakeAdmission answers pod creations as an API server's admission would:
// with err, or by accepting. It records the options of every create, so
// that the tests see that nothing but dry runs was asked. Real admission
// (Pod Security, quotas) is in admits_test.go (sim).
type fakeAdmission struct {
	err error
	// mutate, when set, changes the object as mutating admission would.
	mutate func(obj runtime.Object)

	mu      sync.Mutex
	dryRuns [][]string
	names   []string
}

func (a *fakeAdmission) react(action clienttesting.Action) (bool, runtime.Object, error) {
	ca := action.(clienttesting.CreateActionImpl)
	a.mu.Lock()
	a.dryRuns = append(a.dryRuns, ca.CreateOptions.DryRun)
	if o, ok := ca.GetObject().(metav1.Object); ok {
		a.names = append(a.names, o.GetName()+"|"+o.GetGenerateName())
	}
	a.mu.Unlock()
	if a.err != nil {
		return true, nil, a.err
	}
	obj := ca.GetObject().DeepCopyObject()
	if a.mutate != nil {
		a.mutate(obj)
	}
	return true, obj, nil
}

const admitsPrivilegedPod = `
expect: denied
reason: PodSecurity
namespace: payments
object: |
  apiVersion: v1
  kind: Pod
  metadata: {name: probe}
  spec:
    containers:
    - {name: c, image: busybox:1.36, securityContext: {privileged: true}}
`

func admitsUnitLab(t *testing.T, err error) (*unitLab, *fakeAdmission) {
	t.Helper()
	l := newUnitLab(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments}\n")
	a := &fakeAdmission{err: err}
	l.Dynamic.PrependReactor("create", "pods", a.react)
	return l, a
}

var podSecurityRefusal = apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "probe",
	errors.New(`violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true)`))

func TestAdmitsUnit(t *testing.T) {
	t.Parallel()

	t.Run("pass: refused for the reason asked, as a dry run", func(t *testing.T) {
		l, a := admitsUnitLab(t, podSecurityRefusal)
		obs := unitPass(t, build(t, "admits", admitsPrivilegedPod), l.Env)
		unitWantContains(t, "actual", obs.Actual, "refused: ", "violates PodSecurity")
		unitWantContains(t, "expected", obs.Expected, "refuses creating Pod probe in namespace payments", `"PodSecurity"`)
		if len(a.dryRuns) != 1 || !slices.Equal(a.dryRuns[0], []string{metav1.DryRunAll}) {
			t.Errorf("creates asked with dryRun %q, want one with [All]", a.dryRuns)
		}
	})

	t.Run("fail: accepted", func(t *testing.T) {
		l, _ := admitsUnitLab(t, nil)
		obs := unitFail(t, build(t, "admits", admitsPrivilegedPod), l.Env, "the API server accepts Pod probe")
		unitWantContains(t, "actual", obs.Actual, "accepted")
	})

	t.Run("fail: refused for another reason", func(t *testing.T) {
		quota := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "probe", errors.New("exceeded quota: pods=1"))
		l, _ := admitsUnitLab(t, quota)
		unitFail(t, build(t, "admits", admitsPrivilegedPod), l.Env, `not for the reason asked ("PodSecurity")`)
	})

	allowed := `
expect: allowed
object: |
  apiVersion: v1
  kind: Pod
  metadata: {namespace: payments}
  spec:
    containers: [{name: c, image: busybox:1.36}]
`
	t.Run("pass: accepted, under a generated name", func(t *testing.T) {
		l, a := admitsUnitLab(t, nil)
		unitPass(t, build(t, "admits", allowed), l.Env)
		if len(a.names) != 1 || a.names[0] != "|ckalab-admits-" {
			t.Errorf("names asked %q: a nameless object gets generateName, so it never collides", a.names)
		}
	})

	t.Run("fail: refused, which should be accepted", func(t *testing.T) {
		l, _ := admitsUnitLab(t, podSecurityRefusal)
		unitFail(t, build(t, "admits", allowed), l.Env, "refuses Pod (a new name) in namespace payments, which should be accepted")
	})

	t.Run("error: an answer that is no decision proves nothing", func(t *testing.T) {
		l, _ := admitsUnitLab(t, apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "payments"))
		obs := unitFail(t, build(t, "admits", admitsPrivilegedPod), l.Env, "dry-run create of Pod probe", "not found")
		unitWantContains(t, "actual", obs.Actual, "error: ")
	})

	t.Run("result: what admission made of the object", func(t *testing.T) {
		l, a := admitsUnitLab(t, nil)
		a.mutate = func(obj runtime.Object) {
			obj.(metav1.Object).SetLabels(map[string]string{"defaulted": "by-admission"})
		}
		withResult := func(value string) string {
			return allowed + "result: {metadata: {labels: {defaulted: " + value + "}}}\n"
		}
		obs := unitPass(t, build(t, "admits", withResult("by-admission")), l.Env)
		unitWantContains(t, "expected", obs.Expected, "as ")
		obs = unitFail(t, build(t, "admits", withResult("other")), l.Env, "as admitted: metadata.labels.defaulted")
		unitWantContains(t, "actual", obs.Actual, "accepted, but")
	})

	t.Run("invalid specs", func(t *testing.T) {
		unitWantInvalid(t, "admits", "expect: maybe\nobject: 'apiVersion: v1\n  kind: Pod'\n", "want allowed or denied")
		unitWantInvalid(t, "admits", "expect: denied\nobject: 'apiVersion: v1\n  kind: Pod'\n", "required for denied")
		unitWantInvalid(t, "admits", "expect: allowed\nreason: x\nobject: 'apiVersion: v1\n  kind: Pod'\n", "only a denial has a reason")
		unitWantInvalid(t, "admits", "expect: denied\nreason: x\nresult: {a: 1}\nobject: 'apiVersion: v1\n  kind: Pod'\n", "only an admitted object has a result")
		unitWantInvalid(t, "admits", "expect: allowed\n", "required: the manifest of one object")
		unitWantInvalid(t, "admits", "expect: allowed\nobject: |\n  kind: Pod\n", "needs apiVersion and kind")
		unitWantInvalid(t, "admits", "expect: allowed\nobject: |\n  apiVersion: v1\n  kind: Pod\n  ---\n  apiVersion: v1\n  kind: Pod\n", "one object only")
	})
}
