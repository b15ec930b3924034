package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// System is everything the checks learn about the machine. Host reads the
// real one; tests pass a fake.
type System interface {
	// ReadFile reads a file such as /proc/meminfo.
	ReadFile(path string) ([]byte, error)
	// LookPath finds an executable on PATH and returns its path.
	LookPath(name string) (string, error)
	// Executable reports whether path is an executable file.
	Executable(path string) bool
	// Output runs a program and returns its standard output. A failure's
	// error carries the program's standard error.
	Output(ctx context.Context, path string, args ...string) ([]byte, error)
	// ListenLoopback binds 127.0.0.1:0, closes the listener and returns the
	// address it got.
	ListenLoopback() (string, error)
	// MissingFiles lists the names not found in dir.
	MissingFiles(dir string, names []string) []string
}

// Host is the real machine. PATH is looked up with getenv; the programs run
// with the process's environment.
func Host(getenv func(string) string) System { return host{getenv: getenv} }

type host struct{ getenv func(string) string }

func (host) ReadFile(path string) ([]byte, error) { return os.ReadFile(path) }

// LookPath searches PATH as exec.LookPath does, but with the injected PATH.
// Empty entries (the current directory) are ignored.
func (h host) LookPath(name string) (string, error) {
	for _, dir := range filepath.SplitList(h.getenv("PATH")) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if h.Executable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w", name, exec.ErrNotFound)
}

func (host) Executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

func (host) Output(ctx context.Context, path string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, path, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.Output()
	if err == nil {
		return out, nil
	}
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	if msg := strings.TrimSpace(stderr.String()); msg != "" {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return out, errors.New(msg)
		}
		return out, fmt.Errorf("%w: %s", err, msg)
	}
	return out, err
}

func (host) ListenLoopback() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

func (host) MissingFiles(dir string, names []string) []string {
	var missing []string
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			missing = append(missing, n)
		}
	}
	return missing
}
