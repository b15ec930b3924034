package checks_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/internal/fakelab"
)

const podExecUnitObjects = `
apiVersion: v1
kind: Pod
metadata: {name: web-a, namespace: shop, labels: {app: web}}
spec: {containers: [{name: main, image: nginx:1.27}, {name: shipper, image: busybox:1.36}]}
status: {phase: Pending}
---
apiVersion: v1
kind: Pod
metadata: {name: web-b, namespace: shop, labels: {app: web}}
spec: {containers: [{name: main, image: nginx:1.27}, {name: shipper, image: busybox:1.36}]}
status: {phase: Running, podIP: 10.244.1.5}
---
apiVersion: v1
kind: Pod
metadata: {name: web-c, namespace: shop, labels: {app: web}}
spec: {containers: [{name: main, image: nginx:1.27}]}
status: {phase: Running, podIP: 10.244.1.6}
---
apiVersion: v1
kind: Pod
metadata: {name: job-1, namespace: shop, labels: {app: job}}
spec: {containers: [{name: main, image: busybox:1.36}]}
status: {phase: Succeeded}
`

func TestPodExecUnit(t *testing.T) {
	t.Parallel()
	l := newUnitLab(t, podExecUnitObjects)
	// What the pods' containers answer, as they would.
	pods := fakelab.SetPodExec(l.Cluster, func(ns, pod, container string, argv []string) (string, string, int, error) {
		switch cmd := strings.Join(argv, " "); {
		case container == "ghost":
			return "", "", 0, errors.New(`container ghost is not valid for pod ` + pod)
		case cmd == "cat /etc/nginx/conf.d/default.conf":
			return "server {\n    listen 8080;\n}\n", "", 0, nil
		case cmd == "id -u":
			return "101\n", "", 0, nil
		case cmd == "test -f /tmp/ready":
			return "", "", 1, nil
		case cmd == "printenv DB_HOST":
			return "", "", 1, nil
		case cmd == "cat /etc/missing":
			return "", "cat: can't open '/etc/missing': No such file or directory\n", 1, nil
		}
		return "", "exec: \"" + argv[0] + "\": executable file not found in $PATH", 127, nil
	})

	runUnitCases(t, "podExec", l.Env, []unitCase{
		{"pass: by name, stdout matches", `{namespace: shop, name: web-b, container: main, command: [cat, /etc/nginx/conf.d/default.conf], stdoutMatches: 'listen\s+8080;'}`, true, nil},
		{"pass: stdoutContains", `{namespace: shop, name: web-c, command: [id, -u], stdoutContains: "101"}`, true, nil},
		{"pass: a non-zero exit that is expected", `{namespace: shop, name: web-b, command: [test, -f, /tmp/ready], exitCode: 1}`, true, nil},
		{"fail: stdout differs", `{namespace: shop, name: web-b, command: [id, -u], stdoutContains: "1000"}`, false, []string{`stdout does not contain "1000"`}},
		{"fail: stdoutMatches", `{namespace: shop, name: web-b, command: [id, -u], stdoutMatches: '^0$'}`, false, []string{"stdout does not match /^0$/"}},
		{"fail: exit code, with stderr", `{namespace: shop, name: web-b, command: [cat, /etc/missing]}`, false,
			[]string{"exit code 1, want 0", "stderr: cat: can't open '/etc/missing'"}},
		{"fail: the command is not in the image", `{namespace: shop, name: web-b, command: [curl, localhost]}`, false,
			[]string{"exit code 127, want 0", "executable file not found"}},
		{"fail: the exec cannot run (no such container)", `{namespace: shop, name: web-b, container: ghost, command: [id, -u]}`, false,
			[]string{"run `id -u` in pod shop/web-b", "container ghost is not valid"}},
		{"fail: no such pod", `{namespace: shop, name: web-z, command: [id, -u]}`, false, []string{"get pod shop/web-z", "not found"}},
		{"fail: the pod is not Running", `{namespace: shop, name: job-1, command: [id, -u]}`, false, []string{"pod shop/job-1 is Succeeded, not Running"}},
		{"fail: no pod with the labels", `{namespace: shop, labels: {app: db}, command: [id, -u]}`, false, []string{"no pod with labels app=db in namespace shop"}},
		{"fail: none of the labels' pods Running", `{namespace: shop, labels: {app: job}, command: [id, -u]}`, false,
			[]string{"no Running pod with labels app=job in namespace shop", "job-1 Succeeded"}},
	})

	t.Run("labels pick the first Running pod by name, and argv goes as written", func(t *testing.T) {
		before := len(pods.Calls())
		chk := build(t, "podExec", `{namespace: shop, labels: {app: web}, container: shipper, command: [printenv, DB_HOST], exitCode: 1}`)
		obs := unitPass(t, chk, l.Env)
		calls := pods.Calls()[before:]
		if len(calls) != 1 || calls[0].Pod != "web-b" || calls[0].Namespace != "shop" || calls[0].Container != "shipper" ||
			!slices.Equal(calls[0].Argv, []string{"printenv", "DB_HOST"}) {
			t.Errorf("calls %+v", calls)
		}
		if obs.Actual != "in pod web-b: exit 1" {
			t.Errorf("actual %q", obs.Actual)
		}
		unitWantContains(t, "expected", obs.Expected, "`printenv DB_HOST` in container shipper of a Running pod with labels app=web in shop exits 1")
	})

	t.Run("the fakes' default exec fails, saying so", func(t *testing.T) {
		plain := newUnitLab(t, podExecUnitObjects)
		unitFail(t, build(t, "podExec", `{namespace: shop, name: web-b, command: [id, -u]}`), plain.Env, "no exec in fakes")
	})

	t.Run("a lab without pod exec says so", func(t *testing.T) {
		bare := newUnitLab(t, podExecUnitObjects)
		bare.Cluster.Pods = nil
		unitFail(t, build(t, "podExec", `{namespace: shop, name: web-b, command: [id, -u]}`), bare.Env, "offers no pod exec")
	})
}

func TestPodExecValidation(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ src, want string }{
		{`{name: x, command: [id]}`, "podExec.namespace: required"},
		{`{namespace: a, command: [id]}`, "select the pod with exactly one of name and labels"},
		{`{namespace: a, name: x, labels: {a: b}, command: [id]}`, "select the pod with exactly one of name and labels"},
		{`{namespace: a, name: x}`, "podExec.command: required"},
		{`{namespace: a, name: x, command: ["", x]}`, "the command's name is empty"},
		{`{namespace: a, name: x, command: "cat /etc/hosts"}`, "podExec.command"},
		{`{namespace: a, name: x, command: [id], exitCode: 300}`, "got 300, want 0 to 255"},
		{`{namespace: a, name: x, command: [id], stdoutMatches: "("}`, "podExec.stdoutMatches: error parsing regexp"},
		{`{namespace: a, name: x, command: [id], stdout: x}`, "stdout"},
	} {
		unitWantInvalid(t, "podExec", c.src, c.want)
	}
}
