package checks

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// trafficSpec: a TCP connection from a pod to a target on a port is
// allowed, or denied (what NetworkPolicies decide). The grader probes it
// from inside the source pod with busybox's nc (or wget, for http), so the
// source pod's image must have them (busybox does).
//
// A denial is judged next to a control: a path the task leaves open,
// probed first in the same look. A probe fails in a broken network as in
// a denied one, so a "denied" without a working control would pass on a
// lab whose pods cannot talk at all.
type trafficSpec struct {
	From     trafficSource   `yaml:"from"`
	To       trafficTarget   `yaml:"to"`
	Port     *int            `yaml:"port"`
	Protocol string          `yaml:"protocol"`
	Expect   string          `yaml:"expect"`
	Control  *trafficControl `yaml:"control"`
}

// trafficSource is the pod a probe runs in.
type trafficSource struct {
	podRef    `yaml:",inline"`
	Container string `yaml:"container"`
}

// trafficTarget is where a probe connects: exactly one of a pod (its IP),
// a Service (its cluster DNS name) and a host (a DNS name or an IP).
type trafficTarget struct {
	Pod     *podRef     `yaml:"pod"`
	Service *serviceRef `yaml:"service"`
	Host    string      `yaml:"host"`
}

type serviceRef struct {
	Namespace string `yaml:"namespace"`
	Name      string `yaml:"name"`
}

// trafficControl is the path that must connect for a denial to count: from
// the check's source unless it names another, on the check's port unless
// it names another.
type trafficControl struct {
	From *trafficSource `yaml:"from"`
	To   trafficTarget  `yaml:"to"`
	Port *int           `yaml:"port"`
}

// defaultTrafficPort is the port of a probe that names none: a web server's.
const defaultTrafficPort = 80

// clusterDomain is the lab's DNS domain (kind's and kubeadm's default).
const clusterDomain = "cluster.local"

type trafficCheck struct {
	spec trafficSpec
	// now times the probes; tests replace it (SetTrafficClock).
	now func() time.Time
}

// trafficPath is one probe to make, with its defaults applied.
type trafficPath struct {
	from trafficSource
	to   trafficTarget
	port int
}

func newTraffic(body *yaml.Node, p string) (grader.Check, yamlx.Problems) {
	c := &trafficCheck{now: time.Now}
	s := &c.spec
	ps := yamlx.Decode(body, p, s)
	s.From.podRef.validate(valueOf(body, "from"), yamlx.Join(p, "from"), &ps)
	s.To.validate(valueOf(body, "to"), yamlx.Join(p, "to"), &ps)
	validatePort(valueOf(body, "port"), yamlx.Join(p, "port"), s.Port, &ps)
	if s.Protocol != "" && s.Protocol != "tcp" && s.Protocol != "http" {
		ps.Add(valueOf(body, "protocol"), yamlx.Join(p, "protocol"), "got %q, want tcp (the default) or http", s.Protocol)
	}
	ctlPath := yamlx.Join(p, "control")
	switch s.Expect {
	case "allowed":
		if s.Control != nil {
			ps.Add(valueOf(body, "control"), ctlPath, "a control is for expect: denied (an allowed connection proves the network works by itself)")
		}
	case "denied":
		if s.Control == nil {
			ps.Add(body, ctlPath, "required with expect: denied: a path the task leaves open (a probe fails in a broken network too, so a denial alone proves nothing)")
		}
	default:
		ps.Add(valueOf(body, "expect"), yamlx.Join(p, "expect"), "got %q, want allowed or denied", s.Expect)
	}
	if ctl := s.Control; ctl != nil {
		at := valueOf(body, "control")
		if ctl.From != nil {
			ctl.From.podRef.validate(valueOf(at, "from"), yamlx.Join(ctlPath, "from"), &ps)
		}
		ctl.To.validate(valueOf(at, "to"), yamlx.Join(ctlPath, "to"), &ps)
		validatePort(valueOf(at, "port"), yamlx.Join(ctlPath, "port"), ctl.Port, &ps)
		if !ps.Explains(ctlPath) && c.control().same(c.path()) {
			ps.Add(at, ctlPath, "the control is the path it controls: name another source, target or port the task leaves open")
		}
	}
	return c, ps
}

func validatePort(at *yaml.Node, path string, port *int, ps *yamlx.Problems) {
	if port != nil && (*port < 1 || *port > 65535) {
		ps.Add(at, path, "got %d, want 1 to 65535", *port)
	}
}

// hostname is what a host may be: an IP, or a DNS name (which cannot
// start with "-", and so cannot be read as an option by nc or wget).
var hostname = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$`)

func (t trafficTarget) validate(at *yaml.Node, path string, ps *yamlx.Problems) {
	set := 0
	for _, given := range []bool{t.Pod != nil, t.Service != nil, t.Host != ""} {
		if given {
			set++
		}
	}
	if set != 1 {
		ps.Add(at, path, "say where to with exactly one of pod, service and host")
		return
	}
	switch {
	case t.Pod != nil:
		t.Pod.validate(valueOf(at, "pod"), yamlx.Join(path, "pod"), ps)
	case t.Service != nil:
		svc := valueOf(at, "service")
		if t.Service.Namespace == "" {
			ps.Add(svc, yamlx.Join(path, "service.namespace"), "required")
		}
		if t.Service.Name == "" {
			ps.Add(svc, yamlx.Join(path, "service.name"), "required")
		}
	case net.ParseIP(t.Host) == nil && !hostname.MatchString(t.Host):
		ps.Add(valueOf(at, "host"), yamlx.Join(path, "host"), "got %q, want a DNS name or an IP address", t.Host)
	}
}

// path is the probe the check is about.
func (c *trafficCheck) path() trafficPath {
	return trafficPath{from: c.spec.From, to: c.spec.To, port: portOr(c.spec.Port, defaultTrafficPort)}
}

// control is the control's probe, with the check's source and port as
// its defaults.
func (c *trafficCheck) control() trafficPath {
	ctl := c.spec.Control
	p := trafficPath{from: c.spec.From, to: ctl.To, port: portOr(ctl.Port, portOr(c.spec.Port, defaultTrafficPort))}
	if ctl.From != nil {
		p.from = *ctl.From
	}
	return p
}

func portOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

// same says whether two paths are written the same.
func (p trafficPath) same(q trafficPath) bool {
	return p.String() == q.String() && p.from.Container == q.from.Container
}

// String is the path as written: "pod web/client → service db/postgres:5432".
func (p trafficPath) String() string {
	return p.from.podRef.String() + " → " + p.to.String() + ":" + strconv.Itoa(p.port)
}

func (t trafficTarget) String() string {
	switch {
	case t.Pod != nil:
		return t.Pod.String()
	case t.Service != nil:
		return "service " + t.Service.Namespace + "/" + t.Service.Name
	}
	return t.Host
}

func (c *trafficCheck) protocol() string {
	if c.spec.Protocol == "" {
		return "tcp"
	}
	return c.spec.Protocol
}

func (c *trafficCheck) expected() string {
	verb := "connects"
	if c.spec.Expect == "denied" {
		verb = "is blocked"
	}
	s := fmt.Sprintf("%s (%s) %s", c.path(), c.protocol(), verb)
	if c.spec.Control != nil {
		s += ", while the control " + c.control().String() + " connects"
	}
	return s
}

// Observe probes the control (for a denial), then the path, once each.
func (c *trafficCheck) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	obs := grader.Observation{Expected: c.expected()}
	ctx, _, cancel, err := inPods(ctx, env)
	defer cancel()
	if err != nil {
		return failedExpecting(obs.Expected, err)
	}
	var actual []string
	if c.spec.Control != nil {
		ctl := c.control()
		label, res, err := c.probe(ctx, env, ctl)
		if err != nil {
			obs.Actual = "the control path could not be probed"
			obs.Problems = []string{fmt.Sprintf("the control path %s: %v", ctl, err)}
			return obs
		}
		actual = append(actual, "control "+label+": "+res.says)
		if res.outcome != connected {
			obs.Actual = strings.Join(actual, "; ")
			obs.Problems = []string{fmt.Sprintf("the control path %s was also blocked (%s), so the denial proves nothing: a policy blocks that path too, or the network (or the probe) is not working", label, res.says)}
			return obs
		}
	}
	label, res, err := c.probe(ctx, env, c.path())
	if err != nil {
		actual = append(actual, "not probed")
		obs.Actual = strings.Join(actual, "; ")
		obs.Problems = []string{err.Error()}
		return obs
	}
	actual = append(actual, label+": "+res.says)
	obs.Actual = strings.Join(actual, "; ")
	switch {
	case c.spec.Expect == "allowed" && res.outcome != connected:
		obs.Problems = []string{fmt.Sprintf("%s should connect: %s", label, res.says)}
	case c.spec.Expect == "denied" && res.outcome == connected:
		obs.Problems = []string{fmt.Sprintf("%s should be blocked, but %s", label, res.says)}
	case c.spec.Expect == "denied" && !res.outcome.blocked():
		obs.Problems = []string{fmt.Sprintf("%s should be blocked (its packets dropped), but %s: that is not a policy's denial", label, res.says)}
	}
	obs.Passed = len(obs.Problems) == 0
	return obs
}

// probe finds the path's source and target and probes it once. label
// names the path as found ("from web/client-5d9 (10.244.1.3) to
// db/postgres (10.244.2.7):5432"); err is for a path that cannot be
// probed (no source pod, no target), which a look reports as a failure.
func (c *trafficCheck) probe(ctx context.Context, env *grader.Env, p trafficPath) (string, probeResult, error) {
	src, err := p.from.podRef.find(ctx, env)
	if err != nil {
		return "", probeResult{}, fmt.Errorf("source: %w", err)
	}
	host, to, err := p.to.resolve(ctx, env)
	if err != nil {
		return "", probeResult{}, fmt.Errorf("target: %w", err)
	}
	label := fmt.Sprintf("from %s/%s (%s) to %s:%d", src.Namespace, src.Name, orUnknown(src.Status.PodIP), to, p.port)
	res := runProbe(ctx, env.Cluster.Pods, c.now, src.Namespace, src.Name, p.from.Container, c.protocol(), host, p.port)
	return label, res, nil
}

// resolve is the address a probe connects to, and how the report names
// it.
func (t trafficTarget) resolve(ctx context.Context, env *grader.Env) (host, label string, err error) {
	switch {
	case t.Pod != nil:
		pod, err := t.Pod.find(ctx, env)
		if err != nil {
			return "", "", err
		}
		if pod.Status.PodIP == "" {
			return "", "", fmt.Errorf("pod %s/%s has no IP yet", pod.Namespace, pod.Name)
		}
		return pod.Status.PodIP, fmt.Sprintf("%s/%s (%s)", pod.Namespace, pod.Name, pod.Status.PodIP), nil
	case t.Service != nil:
		// Read first, so that a missing Service is said as such rather
		// than as a name that does not resolve.
		s := t.Service
		if _, err := env.Cluster.Kube.CoreV1().Services(s.Namespace).Get(ctx, s.Name, metav1.GetOptions{}); err != nil {
			return "", "", fmt.Errorf("get service %s/%s: %w", s.Namespace, s.Name, err)
		}
		name := s.Name + "." + s.Namespace + ".svc." + clusterDomain
		return name, fmt.Sprintf("service %s/%s (%s)", s.Namespace, s.Name, name), nil
	}
	return t.Host, t.Host, nil
}

func orUnknown(ip string) string {
	if ip == "" {
		return "no IP"
	}
	return ip
}
