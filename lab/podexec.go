package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
)

// PodExecer runs a command in a container of a pod, as `kubectl exec`
// does (no terminal). stdin may be nil. A command that ran reports its exit
// code with a nil error, whatever the code; err is for an exec that could
// not run at all (no such pod or container, the pod not running, the API
// server or kubelet unreachable, ctx ended).
type PodExecer interface {
	ExecInPod(ctx context.Context, namespace, pod, container string, argv []string, stdin []byte) (stdout, stderr []byte, exitCode int, err error)
}

// PodExecOutputLimit bounds what ExecInPod keeps of each stream; the rest
// is read and dropped. The grader runs commands in learners' pods, where a
// command may print without end (a `cat` of a big file, a loop), and keeps
// the output in memory.
const PodExecOutputLimit = 1 << 20

// podExec is PodExecer over the API server's pods/exec subresource.
type podExec struct {
	config *rest.Config
	client rest.Interface
}

// NewPodExecer runs commands through the pods/exec subresource of the API
// server cfg reaches; client is a REST client of the core v1 API for cfg
// (kubernetes.Interface's CoreV1().RESTClient()).
func NewPodExecer(cfg *rest.Config, client rest.Interface) PodExecer {
	return &podExec{config: cfg, client: client}
}

// ExecInPod implements PodExecer. Like kubectl 1.30+, it speaks the
// websocket protocol (v5.channel.k8s.io) and falls back to SPDY when the
// server (an older one, or a proxy in between) refuses the upgrade.
func (p *podExec) ExecInPod(ctx context.Context, namespace, pod, container string, argv []string, stdin []byte) ([]byte, []byte, int, error) {
	if len(argv) == 0 {
		return nil, nil, -1, errors.New("exec in a pod: no command")
	}
	req := p.client.Post().Resource("pods").Namespace(namespace).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: container,
			Command:   argv,
			Stdin:     stdin != nil,
			Stdout:    true,
			Stderr:    true,
		}, scheme.ParameterCodec)
	exec, err := p.executor(req.URL())
	if err != nil {
		return nil, nil, -1, fmt.Errorf("exec in pod %s/%s: %w", namespace, pod, err)
	}
	stdout, stderr := &cappedBuffer{limit: PodExecOutputLimit}, &cappedBuffer{limit: PodExecOutputLimit}
	opts := remotecommand.StreamOptions{Stdout: stdout, Stderr: stderr}
	if stdin != nil {
		opts.Stdin = bytes.NewReader(stdin)
	}
	err = exec.StreamWithContext(ctx, opts)
	// A command that ran and exited non-zero comes back as an error that
	// carries its code (CodeExitError, from the v4/v5 status channel).
	var exitErr utilexec.ExitError
	if errors.As(err, &exitErr) && exitErr.Exited() {
		return stdout.Bytes(), stderr.Bytes(), exitErr.ExitStatus(), nil
	}
	if err != nil {
		return stdout.Bytes(), stderr.Bytes(), -1, fmt.Errorf("exec `%s` in pod %s/%s: %w", strings.Join(argv, " "), namespace, pod, err)
	}
	return stdout.Bytes(), stderr.Bytes(), 0, nil
}

// executor is the websocket executor with SPDY as its fallback, as kubectl
// builds it (k8s.io/kubectl/pkg/cmd/exec).
func (p *podExec) executor(u *url.URL) (remotecommand.Executor, error) {
	spdy, err := remotecommand.NewSPDYExecutor(p.config, http.MethodPost, u)
	if err != nil {
		return nil, fmt.Errorf("spdy executor: %w", err)
	}
	// The websocket handshake must be a GET (RFC 6455 4.1).
	ws, err := remotecommand.NewWebSocketExecutor(p.config, http.MethodGet, u.String())
	if err != nil {
		return nil, fmt.Errorf("websocket executor: %w", err)
	}
	return remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
}

// cappedBuffer keeps the first limit bytes written and drops the rest,
// still reporting every write as complete: failing the write would abort
// the stream and lose the exit code.
type cappedBuffer struct {
	buf   bytes.Buffer
	limit int
}

func (c *cappedBuffer) Write(b []byte) (int, error) {
	if room := c.limit - c.buf.Len(); room > 0 {
		c.buf.Write(b[:min(room, len(b))])
	}
	return len(b), nil
}

// Bytes is what was kept.
func (c *cappedBuffer) Bytes() []byte { return c.buf.Bytes() }
