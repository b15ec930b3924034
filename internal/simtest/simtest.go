// Package simtest starts a sim lab for a package's integration tests: the
// real etcd, kube-apiserver, kube-controller-manager and kube-scheduler with
// kwok nodes, in temporary directories, stopped when the tests end.
//
// Binaries come from $CKALAB_SIM_BIN, else ckalab's cache (`make sim`).
// Without them the integration tests are skipped, except under CI=true,
// where a missing binary fails the run: CI must never pass by skipping.
package simtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/baseline"
	"github.com/ckalab/ckalab/lab/sim"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
)

// Lab is a running sim lab for tests.
type Lab struct {
	Cluster  *lab.Cluster
	Provider *sim.Provider
	// Kubeconfig is the lab's admin kubeconfig file.
	Kubeconfig string
	// Dir is a scratch folder removed with the lab.
	Dir string
	// Baseline is what the lab looked like when new (lab up records it).
	Baseline *baseline.Baseline
}

// BinDir is where the sim binaries are looked for.
func BinDir() string {
	if d := os.Getenv("CKALAB_SIM_BIN"); d != "" {
		return d
	}
	dirs, err := lab.DirsFromEnv(os.Getenv)
	if err != nil {
		return ""
	}
	return sim.DefaultBinDir(dirs)
}

// Main runs the package's tests with a sim lab in *l (nil under -short or
// when the binaries are missing outside CI). Use it from TestMain.
func Main(m *testing.M, l **Lab) int {
	flagShort := false
	for _, a := range os.Args[1:] {
		if a == "-test.short" || a == "-test.short=true" {
			flagShort = true
		}
	}
	if flagShort {
		return m.Run()
	}
	started, err := Start()
	if err != nil {
		if started == nil && os.Getenv("CI") != "true" && isMissing(err) {
			fmt.Fprintf(os.Stderr, "simtest: %v; integration tests will be skipped (run `make sim`)\n", err)
			return m.Run()
		}
		fmt.Fprintf(os.Stderr, "simtest: %v\n", err)
		return 1
	}
	*l = started
	code := m.Run()
	if err := started.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "simtest: stop: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

type missingError struct{ msg string }

func (e *missingError) Error() string { return e.msg }

func isMissing(err error) bool { _, ok := err.(*missingError); return ok }

// Start creates a lab in a fresh temporary folder.
func Start() (*Lab, error) {
	dir, err := os.MkdirTemp("", "ckalab-simtest-")
	if err != nil {
		return nil, err
	}
	p := &sim.Provider{StateDir: filepath.Join(dir, "state"), BinDir: BinDir(), Now: time.Now}
	if missing := p.MissingBinaries(); len(missing) > 0 {
		os.RemoveAll(dir)
		return nil, &missingError{fmt.Sprintf("sim binaries %v not found in %q", missing, p.BinDir)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := p.Up(ctx, lab.NoProgress{})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("sim lab up: %w", err)
	}
	l := &Lab{Provider: p, Kubeconfig: res.KubeconfigPath, Dir: dir}
	rc, err := clientcmd.NewDefaultClientConfig(*res.Kubeconfig, nil).ClientConfig()
	if err != nil {
		_ = l.Stop()
		return nil, err
	}
	lab.ConfigureClient(rc)
	c, err := lab.NewCluster(rc)
	if err != nil {
		_ = l.Stop()
		return nil, err
	}
	c.Info, err = lab.ReadMarker(ctx, c.Kube)
	if err != nil {
		_ = l.Stop()
		return nil, err
	}
	c.Context = res.ContextName
	l.Cluster = c
	if l.Baseline, err = baseline.Load(filepath.Join(p.StateDir, baseline.FileName)); err != nil {
		_ = l.Stop()
		return nil, err
	}
	return l, nil
}

// Stop removes the lab and its folder.
func (l *Lab) Stop() error {
	err := l.Provider.Down(context.Background(), lab.NoProgress{})
	if rmErr := os.RemoveAll(l.Dir); err == nil {
		err = rmErr
	}
	return err
}

// Need skips (or, under CI=true, fails) a test that needs the lab.
func Need(t testing.TB, l *Lab) *Lab {
	t.Helper()
	if l == nil {
		if testing.Short() {
			t.Skip("integration test: skipped with -short")
		}
		if os.Getenv("CI") == "true" {
			t.Fatal("integration test without a sim lab under CI=true")
		}
		t.Skip("integration test: no sim binaries (run `make sim`)")
	}
	return l
}

// names makes test object names unique within a test binary.
var names atomic.Int64

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// UniqueName derives a DNS-label name from the test's name, unique across
// the binary's tests and runs.
func UniqueName(t testing.TB) string {
	base := strings.Trim(nonName.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(base) > 40 {
		base = strings.Trim(base[:40], "-")
	}
	return fmt.Sprintf("%s-%d-%d", base, names.Add(1), time.Now().UnixNano()%100000)
}

// DeleteNamespaceAtCleanup removes the namespace when the test ends.
func DeleteNamespaceAtCleanup(t testing.TB, c *lab.Cluster, name string) {
	t.Cleanup(func() {
		err := c.Kube.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete namespace %s: %v", name, err)
		}
	})
}

// Namespace creates a namespace unique to the test, waits for its default
// ServiceAccount (pods are refused without it) and deletes it afterwards.
func Namespace(t testing.TB, c *lab.Cluster) string {
	t.Helper()
	name := UniqueName(t)
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := c.Kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	DeleteNamespaceAtCleanup(t, c, name)
	WaitFor(t, 30*time.Second, "default ServiceAccount in "+name, func() (bool, string) {
		_, err := c.Kube.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return true, ""
	})
	return name
}

// WaitFor polls cond until it holds; on timeout the test fails with the
// last reason.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: still not true after %s: %s", what, timeout, why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
