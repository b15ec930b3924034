package checks_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/grader/checks"
	"github.com/ckalab/ckalab/internal/fakelab"
)

// Two namespaces: web (a client and the web server) and db (postgres and
// an unrelated cache), plus an intruder in other.
const trafficUnitObjects = `
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: web, labels: {role: frontend}}
spec: {containers: [{name: probe, image: busybox:1.36}]}
status: {phase: Running, podIP: 10.244.1.3}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: web, labels: {app: web}}
spec: {containers: [{name: nginx, image: nginx:1.27}]}
status: {phase: Running, podIP: 10.244.1.4}
---
apiVersion: v1
kind: Pod
metadata: {name: postgres-0, namespace: db, labels: {app: postgres}}
spec: {containers: [{name: postgres, image: postgres:17}]}
status: {phase: Running, podIP: 10.244.2.7}
---
apiVersion: v1
kind: Pod
metadata: {name: cache-0, namespace: db, labels: {app: cache}}
spec: {containers: [{name: redis, image: redis:7}]}
status: {phase: Running, podIP: 10.244.2.8}
---
apiVersion: v1
kind: Pod
metadata: {name: starting, namespace: db, labels: {app: starting}}
spec: {containers: [{name: main, image: busybox:1.36}]}
status: {phase: Pending}
---
apiVersion: v1
kind: Pod
metadata: {name: intruder, namespace: other, labels: {role: frontend}}
spec: {containers: [{name: probe, image: busybox:1.36}]}
status: {phase: Running, podIP: 10.244.3.9}
---
apiVersion: v1
kind: Pod
metadata: {name: nginx-only, namespace: other}
spec: {containers: [{name: nginx, image: nginx:1.27}]}
status: {phase: Running, podIP: 10.244.3.10}
---
apiVersion: v1
kind: Service
metadata: {name: postgres, namespace: db}
spec: {selector: {app: postgres}, ports: [{port: 5432}]}
`

// fakeNetwork answers busybox's nc and wget as a network with policies
// would: a path "pod → host:port" is open, refused, unresolved or
// (anything else) dropped.
type fakeNetwork struct {
	open, refused, unresolved []string
}

func (n fakeNetwork) run(ns, pod, container string, argv []string) (string, string, int, error) {
	var host, port string
	switch {
	case len(argv) == 8 && argv[0] == "nc" && slices.Equal(argv[1:6], []string{"-v", "-v", "-z", "-w", "2"}):
		host, port = argv[6], argv[7]
	case len(argv) == 7 && argv[0] == "wget" && slices.Equal(argv[1:6], []string{"-q", "-T", "2", "-O", "/dev/null"}):
		hp := strings.TrimSuffix(strings.TrimPrefix(argv[6], "http://"), "/")
		host, port = hp[:strings.LastIndex(hp, ":")], hp[strings.LastIndex(hp, ":")+1:]
	default:
		return "", "sh: " + argv[0] + ": not found", 127, nil
	}
	if pod == "nginx-only" {
		return "", `exec: "` + argv[0] + `": executable file not found in $PATH`, 127, nil
	}
	path := pod + " → " + host + ":" + port
	switch {
	case slices.Contains(n.unresolved, host):
		return "", argv[0] + ": bad address '" + host + "'", 1, nil
	case slices.Contains(n.open, path) && argv[0] == "wget" && port == "8080":
		return "", "wget: server returned error: HTTP/1.1 404 Not Found", 1, nil
	case slices.Contains(n.open, path):
		return "", host + " (" + host + ":" + port + ") open\nsent 0, rcvd 0", 0, nil
	case slices.Contains(n.refused, path):
		return "", "nc: " + host + " (" + host + ":" + port + "): Connection refused\nsent 0, rcvd 0", 1, nil
	case argv[0] == "wget":
		return "", "wget: download timed out", 1, nil
	}
	return "", "nc: " + host + " (" + host + ":" + port + "): Connection timed out\nsent 0, rcvd 0", 1, nil
}

// stepClock is a clock that moves 12ms at every reading.
func stepClock() func() time.Time {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(12 * time.Millisecond)
		return t
	}
}

func TestTrafficUnit(t *testing.T) {
	t.Parallel()
	l := newUnitLab(t, trafficUnitObjects)
	network := fakeNetwork{
		open: []string{
			"client → 10.244.2.7:5432", "client → postgres.db.svc.cluster.local:5432", "client → 10.244.1.4:80",
			"client → 10.244.1.4:8080", "intruder → 10.244.2.8:6379", "client → 10.244.2.8:6379",
		},
		refused:    []string{"intruder → 10.244.2.7:5433", "client → 10.244.2.7:5433"},
		unresolved: []string{"postgress.db.svc.cluster.local", "db.example"},
	}
	pods := fakelab.SetPodExec(l.Cluster, network.run)

	runUnitCases(t, "traffic", l.Env, []unitCase{
		{"pass: allowed to a pod by labels", `{from: {namespace: web, name: client}, to: {pod: {namespace: db, labels: {app: postgres}}}, port: 5432, expect: allowed}`, true, nil},
		{"pass: allowed to a service's DNS name", `{from: {namespace: web, labels: {role: frontend}}, to: {service: {namespace: db, name: postgres}}, port: 5432, expect: allowed}`, true, nil},
		{"pass: allowed, http, any answer of the server", `{from: {namespace: web, name: client}, to: {pod: {namespace: web, name: web-1}}, port: 8080, protocol: http, expect: allowed}`, true, nil},
		{"pass: denied, with the control connecting", `{from: {namespace: other, name: intruder}, to: {pod: {namespace: db, name: postgres-0}}, port: 5432, expect: denied,
			control: {to: {pod: {namespace: db, name: cache-0}}, port: 6379}}`, true, nil},
		{"pass: denied, the control from another source", `{from: {namespace: other, name: intruder}, to: {service: {namespace: db, name: postgres}}, port: 5432, expect: denied,
			control: {from: {namespace: web, name: client}, to: {service: {namespace: db, name: postgres}}}}`, true, nil},
		{"fail: denied, but the control is also blocked", `{from: {namespace: other, name: intruder}, to: {pod: {namespace: db, name: postgres-0}}, port: 5432, expect: denied,
			control: {to: {pod: {namespace: web, name: web-1}}, port: 80}}`, false,
			[]string{"the control path from other/intruder (10.244.3.9) to web/web-1 (10.244.1.4):80 was also blocked (timed out after 2s)", "so the denial proves nothing: a policy blocks that path too, or the network (or the probe) is not working"}},
		{"fail: denied, but it connects", `{from: {namespace: web, name: client}, to: {pod: {namespace: db, name: postgres-0}}, port: 5432, expect: denied,
			control: {to: {pod: {namespace: db, name: cache-0}}, port: 6379}}`, false,
			[]string{"from web/client (10.244.1.3) to db/postgres-0 (10.244.2.7):5432 should be blocked, but connected in"}},
		{"fail: denied, but refused: not a policy's denial", `{from: {namespace: other, name: intruder}, to: {pod: {namespace: db, name: postgres-0}}, port: 5433, expect: denied,
			control: {to: {pod: {namespace: db, name: cache-0}}, port: 6379}}`, false,
			[]string{"should be blocked (its packets dropped), but connection refused", "not a policy's denial"}},
		{"fail: allowed, but timed out", `{from: {namespace: other, name: intruder}, to: {pod: {namespace: db, name: postgres-0}}, port: 5432, expect: allowed}`, false,
			[]string{"from other/intruder (10.244.3.9) to db/postgres-0 (10.244.2.7):5432 should connect: timed out after 2s"}},
		{"fail: allowed, but refused", `{from: {namespace: web, name: client}, to: {pod: {namespace: db, name: postgres-0}}, port: 5433, expect: allowed}`, false,
			[]string{"should connect: connection refused"}},
		{"fail: allowed, http, but timed out", `{from: {namespace: other, name: intruder}, to: {pod: {namespace: web, name: web-1}}, protocol: http, expect: allowed}`, false,
			[]string{"to web/web-1 (10.244.1.4):80 should connect: timed out after 2s"}},
		{"fail: allowed, but the name does not resolve", `{from: {namespace: web, name: client}, to: {host: db.example}, port: 5432, expect: allowed}`, false,
			[]string{"should connect: the name did not resolve (DNS)", "bad address 'db.example'"}},
		{"fail: no source pod", `{from: {namespace: web, name: ghost}, to: {pod: {namespace: db, name: postgres-0}}, port: 5432, expect: allowed}`, false,
			[]string{"source: get pod web/ghost", "not found"}},
		{"fail: no source pod with the labels", `{from: {namespace: web, labels: {role: backend}}, to: {pod: {namespace: db, name: postgres-0}}, expect: allowed}`, false,
			[]string{"source: no pod with labels role=backend in namespace web"}},
		{"fail: the target pod is missing", `{from: {namespace: web, name: client}, to: {pod: {namespace: db, name: postgres-1}}, port: 5432, expect: allowed}`, false,
			[]string{"target: get pod db/postgres-1", "not found"}},
		{"fail: the target pod is not Running", `{from: {namespace: web, name: client}, to: {pod: {namespace: db, labels: {app: starting}}}, expect: allowed}`, false,
			[]string{"target: no Running pod with labels app=starting in namespace db (starting Pending)"}},
		{"fail: the target service is missing", `{from: {namespace: web, name: client}, to: {service: {namespace: db, name: mysql}}, port: 3306, expect: allowed}`, false,
			[]string{"target: get service db/mysql", "not found"}},
		{"fail: the control's source is missing", `{from: {namespace: other, name: intruder}, to: {pod: {namespace: db, name: postgres-0}}, port: 5432, expect: denied,
			control: {from: {namespace: web, name: ghost}, to: {pod: {namespace: db, name: cache-0}}}}`, false,
			[]string{"the control path pod web/ghost → pod db/cache-0:5432: source: get pod web/ghost"}},
		{"fail: the source image has no nc", `{from: {namespace: other, name: nginx-only}, to: {pod: {namespace: db, name: postgres-0}}, port: 5432, expect: allowed}`, false,
			[]string{"the probe could not run (exit 127", "needs busybox's nc and wget"}},
		{"fail: a broken probe is no denial", `{from: {namespace: other, name: nginx-only}, to: {pod: {namespace: db, name: postgres-0}}, port: 5432, expect: denied,
			control: {from: {namespace: web, name: client}, to: {pod: {namespace: db, name: postgres-0}}}}`, false,
			[]string{"should be blocked (its packets dropped), but the probe could not run", "not a policy's denial"}},
	})

	t.Run("the control is probed first, and the report says both", func(t *testing.T) {
		chk := build(t, "traffic", `{from: {namespace: other, name: intruder, container: probe}, to: {pod: {namespace: db, name: postgres-0}}, port: 5432, expect: denied,
			control: {to: {pod: {namespace: db, name: cache-0}}, port: 6379}}`)
		checks.SetTrafficClock(chk, stepClock())
		before := len(pods.Calls())
		obs := unitPass(t, chk, l.Env)
		calls := pods.Calls()[before:]
		if len(calls) != 2 || calls[0].Argv[6] != "10.244.2.8" || calls[1].Argv[6] != "10.244.2.7" ||
			calls[0].Pod != "intruder" || calls[0].Namespace != "other" || calls[0].Container != "probe" {
			t.Errorf("calls %+v", calls)
		}
		want := "control from other/intruder (10.244.3.9) to db/cache-0 (10.244.2.8):6379: connected in 12ms; " +
			"from other/intruder (10.244.3.9) to db/postgres-0 (10.244.2.7):5432: timed out after 2s"
		if obs.Actual != want {
			t.Errorf("actual\n %q, want\n %q", obs.Actual, want)
		}
		unitWantContains(t, "expected", obs.Expected, "pod other/intruder → pod db/postgres-0:5432 (tcp) is blocked, while the control pod other/intruder → pod db/cache-0:6379 connects")
	})

	t.Run("a blocked control skips the probe", func(t *testing.T) {
		chk := build(t, "traffic", `{from: {namespace: other, name: intruder}, to: {pod: {namespace: db, name: postgres-0}}, port: 5432, expect: denied,
			control: {to: {pod: {namespace: web, name: web-1}}}}`)
		before := len(pods.Calls())
		unitFail(t, chk, l.Env, "was also blocked")
		if n := len(pods.Calls()) - before; n != 1 {
			t.Errorf("%d probes, want the control's only", n)
		}
	})

	t.Run("http probes with wget, a service by its DNS name", func(t *testing.T) {
		chk := build(t, "traffic", `{from: {namespace: web, name: client}, to: {service: {namespace: db, name: postgres}}, port: 5432, protocol: http, expect: allowed}`)
		checks.SetTrafficClock(chk, stepClock())
		before := len(pods.Calls())
		obs := unitPass(t, chk, l.Env)
		calls := pods.Calls()[before:]
		if len(calls) != 1 || !slices.Equal(calls[0].Argv, []string{"wget", "-q", "-T", "2", "-O", "/dev/null", "http://postgres.db.svc.cluster.local:5432/"}) {
			t.Errorf("calls %+v", calls)
		}
		if want := "from web/client (10.244.1.3) to service db/postgres (postgres.db.svc.cluster.local):5432: connected in 12ms"; obs.Actual != want {
			t.Errorf("actual %q, want %q", obs.Actual, want)
		}
	})

	t.Run("the fakes' default exec fails, saying so", func(t *testing.T) {
		plain := newUnitLab(t, trafficUnitObjects)
		unitFail(t, build(t, "traffic", `{from: {namespace: web, name: client}, to: {host: 10.0.0.1}, expect: allowed}`), plain.Env, "the probe could not run", "no exec in fakes")
	})
}

func TestTrafficValidation(t *testing.T) {
	t.Parallel()
	const from, to = `from: {namespace: a, name: c}`, `to: {pod: {namespace: b, name: d}}`
	for _, c := range []struct{ src, want string }{
		{`{` + from + `, ` + to + `, expect: denied}`, "traffic.control: required with expect: denied"},
		{`{` + from + `, ` + to + `, expect: allowed, control: {to: {host: x}}}`, "traffic.control: a control is for expect: denied"},
		{`{` + from + `, ` + to + `}`, `traffic.expect: got "", want allowed or denied`},
		{`{` + from + `, ` + to + `, expect: open}`, `got "open", want allowed or denied`},
		{`{` + from + `, ` + to + `, port: 0, expect: allowed}`, "traffic.port: got 0, want 1 to 65535"},
		{`{` + from + `, ` + to + `, port: 70000, expect: allowed}`, "traffic.port: got 70000, want 1 to 65535"},
		{`{` + from + `, ` + to + `, port: http, expect: allowed}`, "traffic.port"},
		{`{` + from + `, ` + to + `, protocol: udp, expect: allowed}`, `traffic.protocol: got "udp", want tcp (the default) or http`},
		{`{` + to + `, expect: allowed}`, "traffic.from.namespace: required"},
		{`{from: {namespace: a}, ` + to + `, expect: allowed}`, "traffic.from: select the pod with exactly one of name and labels"},
		{`{` + from + `, expect: allowed}`, "traffic.to: say where to with exactly one of pod, service and host"},
		{`{` + from + `, to: {host: x, service: {namespace: a, name: b}}, expect: allowed}`, "exactly one of pod, service and host"},
		{`{` + from + `, to: {service: {name: b}}, expect: allowed}`, "traffic.to.service.namespace: required"},
		{`{` + from + `, to: {pod: {namespace: b}}, expect: allowed}`, "traffic.to.pod: select the pod with exactly one of name and labels"},
		{`{` + from + `, to: {host: "-e sh"}, expect: allowed}`, `traffic.to.host: got "-e sh", want a DNS name or an IP address`},
		{`{` + from + `, ` + to + `, expect: denied, control: {port: 80}}`, "traffic.control.to: say where to"},
		{`{` + from + `, ` + to + `, expect: denied, control: {to: {host: x}, port: -1}}`, "traffic.control.port: got -1"},
		{`{` + from + `, ` + to + `, expect: denied, control: {from: {name: e}, to: {host: x}}}`, "traffic.control.from.namespace: required"},
		{`{` + from + `, ` + to + `, port: 80, expect: denied, control: {` + to + `}}`, "traffic.control: the control is the path it controls"},
	} {
		unitWantInvalid(t, "traffic", c.src, c.want)
	}
	// The IPs and names a host may be.
	for _, host := range []string{"10.96.0.10", "fd00::1", "kubernetes.default.svc.cluster.local", "db"} {
		if _, ps := buildProblems(t, "traffic", `{`+from+`, to: {host: "`+host+`"}, expect: allowed}`); len(ps) > 0 {
			t.Errorf("host %s: %q", host, ps)
		}
	}
}
