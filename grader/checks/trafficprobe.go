package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/ckalab/ckalab/lab"
)

// probeWait is how long one probe waits for a connection (nc -w, wget
// -T). A NetworkPolicy that denies drops the packets, so a denial shows as
// a wait that runs out: long enough for a connection across the lab's
// nodes, short enough that a look stays well within podExecTimeout (a
// denied check runs a control probe and the probe, about 2.2s together).
const probeWait = 2 * time.Second

// outcome is what a probe saw.
type outcome int

const (
	// connected: a TCP connection was made (for http, a response came,
	// whatever its status: the network let it through).
	connected outcome = iota
	// timedOut: no answer within probeWait: the packets were dropped, as
	// a NetworkPolicy's denial drops them.
	timedOut
	// unreachable: an ICMP error (no route to host): some policy
	// implementations reject rather than drop.
	unreachable
	// refused: a reset (or kube-proxy's reject for a Service without
	// endpoints): the packet was answered, not dropped by a policy.
	refused
	// unresolved: the name did not resolve, so nothing was sent; a denial
	// cannot be told from a wrong name (or a DNS blocked by egress rules).
	unresolved
	// broken: the probe itself failed (no nc or wget in the image, an
	// unknown error): it says nothing about the network.
	broken
)

// blocked says whether an outcome is what a policy's denial looks like.
func (o outcome) blocked() bool { return o == timedOut || o == unreachable }

// probeResult is one probe's outcome and how to say it.
type probeResult struct {
	outcome outcome
	// says is for the report: "connected in 12ms", "timed out after 2s".
	says string
}

// probeArgv is the busybox command that tries host:port from inside a pod:
// `nc -z` (connect, send nothing; -vv so that every failure, a refusal
// included, is printed) or, for http, a `wget` of / whose body is thrown
// away. Neither needs a shell, and both are in the busybox image.
func probeArgv(protocol, host string, port int) []string {
	secs := strconv.Itoa(int(probeWait / time.Second))
	if protocol == "http" {
		return []string{"wget", "-q", "-T", secs, "-O", "/dev/null", "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/"}
	}
	return []string{"nc", "-v", "-v", "-z", "-w", secs, host, strconv.Itoa(port)}
}

// runProbe runs the probe in a container of a pod and reads its result;
// now times it (the exec's round trip is included: a few tens of ms).
func runProbe(ctx context.Context, pods lab.PodExecer, now func() time.Time, namespace, pod, container, protocol, host string, port int) probeResult {
	argv := probeArgv(protocol, host, port)
	start := now()
	_, stderr, code, err := pods.ExecInPod(ctx, namespace, pod, container, argv, nil)
	took := now().Sub(start).Round(time.Millisecond)
	return readProbe(protocol, code, string(stderr), err, took)
}

// readProbe tells the outcome from busybox's words (nc_bloaty's and
// wget's messages) and exit code.
func readProbe(protocol string, code int, stderr string, err error, took time.Duration) probeResult {
	msg := excerpt([]byte(stderr), 200)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return probeResult{timedOut, fmt.Sprintf("timed out: the probe did not end within %s", podExecTimeout)}
	case err != nil:
		return probeResult{broken, fmt.Sprintf("the probe could not run: %v", err)}
	case code == 0:
		return probeResult{connected, fmt.Sprintf("connected in %s", took)}
	case code == 126 || code == 127 || strings.Contains(stderr, "applet not found") || strings.Contains(stderr, "executable file not found"):
		return probeResult{broken, fmt.Sprintf("the probe could not run (exit %d: %s): the source pod's image needs busybox's nc and wget", code, msg)}
	case strings.Contains(stderr, "bad address"):
		return probeResult{unresolved, fmt.Sprintf("the name did not resolve (DNS): %s", msg)}
	case protocol == "http" && strings.Contains(stderr, "server returned error"):
		return probeResult{connected, fmt.Sprintf("connected in %s, and the server answered with an error (%s)", took, msg)}
	case strings.Contains(stderr, "timed out"):
		return probeResult{timedOut, fmt.Sprintf("timed out after %s", probeWait)}
	case strings.Contains(stderr, "refused"):
		return probeResult{refused, "connection refused (nothing listens on that port, or a Service has no endpoints)"}
	case strings.Contains(stderr, "unreachable") || strings.Contains(stderr, "No route to host"):
		return probeResult{unreachable, fmt.Sprintf("unreachable: %s", msg)}
	// A tool that does not say why (the node image's nc wrapper prints
	// "connection failed" either way) still tells by the time it took: a
	// dropped packet gets no answer until the wait runs out; a refusal
	// comes back at once.
	case took >= probeWait:
		return probeResult{timedOut, fmt.Sprintf("no answer within %s (%s)", probeWait, msg)}
	case strings.Contains(stderr, "connection failed"):
		return probeResult{refused, fmt.Sprintf("the connection failed after %s, well before the %s wait ran out: refused or reset, an answer, not a policy's drop (%s)", took, probeWait, msg)}
	}
	if msg == "" {
		msg = "no message"
	}
	return probeResult{broken, fmt.Sprintf("the probe failed (exit %d: %s)", code, msg)}
}
