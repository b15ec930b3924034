package checks_test

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"
)

const podLogsUnitObjects = `
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec: {nodeName: worker, containers: [{name: main, image: nginx:1.27}, {name: shipper, image: busybox:1.36}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, namespace: shop, labels: {app: web}}
spec: {nodeName: worker, containers: [{name: main, image: nginx:1.27}, {name: shipper, image: busybox:1.36}]}
---
apiVersion: v1
kind: Pod
metadata: {name: job-1, namespace: shop, labels: {app: job}}
spec: {nodeName: worker, containers: [{name: main, image: busybox:1.36}]}
`

// scriptedLogs answers the fake's GetLogs with the given logs in turn (a
// GetLogs action does not name its pod, so a test scripts the answers in
// the order the check reads the pods: by name) and records each request's
// options. An answer that is an error fails that read.
type scriptedLogs struct {
	answers  []any // string or error
	requests []corev1.PodLogOptions
}

func (s *scriptedLogs) react(a clienttesting.Action) (bool, runtime.Object, error) {
	ga, ok := a.(clienttesting.GenericAction)
	if !ok || ga.GetSubresource() != "log" {
		return false, nil, nil
	}
	s.requests = append(s.requests, *ga.GetValue().(*corev1.PodLogOptions))
	if len(s.answers) == 0 {
		return true, nil, errors.New("scriptedLogs: no answer left")
	}
	next := s.answers[0]
	s.answers = s.answers[1:]
	if err, ok := next.(error); ok {
		return true, nil, err
	}
	return true, &runtime.Unknown{Raw: []byte(next.(string))}, nil
}

func TestPodLogsUnit(t *testing.T) {
	t.Parallel()
	l := newUnitLab(t, podLogsUnitObjects)
	logs := &scriptedLogs{}
	l.Kube.PrependReactor("get", "pods", logs.react)
	script := func(answers ...any) { logs.answers, logs.requests = answers, nil }
	const web1, web2 = "starting\nlistening on :8080\n", "starting\nshipping 12 lines to collector.shop:514\n"

	t.Run("pass: the options reach GetLogs, and the log matches", func(t *testing.T) {
		script(web1)
		chk := build(t, "podLogs", `{namespace: shop, name: web-1, container: main, contains: "listening on", matches: ':80[0-9]{2}'}`)
		obs := unitPass(t, chk, l.Env)
		if obs.Actual != "the log of pod web-1 matches" {
			t.Errorf("actual %q", obs.Actual)
		}
		unitWantContains(t, "expected", obs.Expected, "the log of container main of pod web-1 in namespace shop", `containing "listening on"`, "matching /:80[0-9]{2}/")
		if len(logs.requests) != 1 {
			t.Fatalf("%d log requests, want 1", len(logs.requests))
		}
		got := logs.requests[0]
		if got.Container != "main" || got.Previous || got.TailLines == nil || *got.TailLines != 10000 || got.LimitBytes == nil || *got.LimitBytes != 4<<20 {
			t.Errorf("log options %+v", got)
		}
	})

	t.Run("pass: labels, any pod whose log matches", func(t *testing.T) {
		script(web1, web2)
		chk := build(t, "podLogs", `{namespace: shop, labels: {app: web}, container: shipper, previous: true, contains: "collector.shop:514"}`)
		obs := unitPass(t, chk, l.Env)
		if obs.Actual != "the log of pod web-2 matches" {
			t.Errorf("actual %q", obs.Actual)
		}
		unitWantContains(t, "expected", obs.Expected, "the previous log of container shipper of one of the pods with labels app=web in namespace shop")
		if len(logs.requests) != 2 || !logs.requests[1].Previous || logs.requests[1].Container != "shipper" {
			t.Errorf("log requests %+v", logs.requests)
		}
	})

	t.Run("fail: every pod's difference, with its last lines", func(t *testing.T) {
		script(web1, web2)
		chk := build(t, "podLogs", `{namespace: shop, labels: {app: web}, contains: "ready to serve"}`)
		obs := unitFail(t, chk, l.Env, `pod web-1: log does not contain "ready to serve"`, `its last lines: "starting\nlistening on :8080"`)
		unitWantProblem(t, obs, `pod web-2: log does not contain "ready to serve"`)
		if obs.Actual != "no log matches (2 pod(s) read)" {
			t.Errorf("actual %q", obs.Actual)
		}
	})

	t.Run("fail: matches", func(t *testing.T) {
		script(web1)
		unitFail(t, build(t, "podLogs", `{namespace: shop, name: web-1, matches: '^ready$'}`), l.Env, "pod web-1: log does not match /^ready$/")
	})

	t.Run("fail: the log cannot be read", func(t *testing.T) {
		script(errors.New(`previous terminated container "main" in pod "web-1" not found`))
		unitFail(t, build(t, "podLogs", `{namespace: shop, name: web-1, previous: true, contains: panic}`), l.Env,
			"pod web-1: read its log", "previous terminated container")
	})

	t.Run("fail: no pod", func(t *testing.T) {
		script()
		unitFail(t, build(t, "podLogs", `{namespace: shop, name: web-9, contains: x}`), l.Env, "get pod shop/web-9", "not found")
		obs := unitFail(t, build(t, "podLogs", `{namespace: shop, labels: {app: db}, contains: x}`), l.Env, "no pods with labels app=db in namespace shop")
		if obs.Actual != "no pods" {
			t.Errorf("actual %q", obs.Actual)
		}
	})

	t.Run("without a reactor the fake's log is \"fake logs\"", func(t *testing.T) {
		plain := newUnitLab(t, podLogsUnitObjects)
		unitPass(t, build(t, "podLogs", `{namespace: shop, name: job-1, contains: "fake logs"}`), plain.Env)
		unitFail(t, build(t, "podLogs", `{namespace: shop, name: job-1, contains: "42"}`), plain.Env, `pod job-1: log does not contain "42"`, `"fake logs"`)
	})
}

func TestPodLogsValidation(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ src, want string }{
		{`{name: x, contains: y}`, "podLogs.namespace: required"},
		{`{namespace: a, contains: y}`, "select the pod with exactly one of name and labels"},
		{`{namespace: a, name: x, labels: {a: b}, contains: y}`, "select the pod with exactly one of name and labels"},
		{`{namespace: a, name: x}`, "say what the log shows with contains or matches"},
		{`{namespace: a, name: x, matches: "("}`, "podLogs.matches: error parsing regexp"},
	} {
		unitWantInvalid(t, "podLogs", c.src, c.want)
	}
}
