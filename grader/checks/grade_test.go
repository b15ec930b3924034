package checks_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/simtest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// counting wraps a check, counts its observations and runs after once
// after the first one.
type counting struct {
	grader.Check
	n     atomic.Int32
	after func()
}

func (c *counting) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	obs := c.Check.Observe(ctx, env)
	if c.n.Add(1) == 1 && c.after != nil {
		c.after()
	}
	return obs
}

func TestGradeReportsLastObservation(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	create(t, c, ns, `
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {mode: first}
`)
	ctx := context.Background()
	failing := &counting{Check: build(t, "match", fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
name: cfg
namespace: %s
expect: {data: {mode: wanted}}
`, ns))}
	// After the first look the object changes (still wrongly): the result
	// must describe what the grader saw last.
	failing.after = func() {
		cm, err := c.Kube.CoreV1().ConfigMaps(ns).Get(ctx, "cfg", metav1.GetOptions{})
		if err != nil {
			t.Error(err)
			return
		}
		cm.Data["mode"] = "second"
		if _, err := c.Kube.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			t.Error(err)
		}
	}
	passing := build(t, "match", fmt.Sprintf(`{apiVersion: v1, kind: ConfigMap, name: cfg, namespace: %s}`, ns))

	const timeout = 1500 * time.Millisecond
	interval := 100 * time.Millisecond
	rep := grader.Grade(ctx, env, "sc", "Title", []grader.Spec{
		{ID: "fails", Title: "mode", Points: 2, Timeout: timeout, Type: "match", Check: failing},
		{ID: "passes", Title: "exists", Points: 3, Timeout: timeout, Type: "match", Check: passing},
	}, grader.Options{Interval: interval})

	if rep.Passed || rep.Earned != 3 || rep.Total != 5 || rep.Scenario != "sc" || rep.Title != "Title" {
		t.Errorf("report: passed %v, %d/%d, %q %q; want failed, 3/5", rep.Passed, rep.Earned, rep.Total, rep.Scenario, rep.Title)
	}
	if len(rep.Results) != 2 {
		t.Fatalf("%d results", len(rep.Results))
	}
	f, p := rep.Results[0], rep.Results[1]
	if f.ID != "fails" || f.Passed || f.Earned != 0 || f.Points != 2 {
		t.Errorf("failing result %+v", f)
	}
	if len(f.Problems) != 1 || f.Problems[0] != `data.mode: want "wanted", got "second"` {
		t.Errorf("problems %q, want the last observation (mode second)", f.Problems)
	}
	if n := failing.n.Load(); n < 5 {
		t.Errorf("observed %d times in %s every %s, want it retried until the timeout", n, timeout, interval)
	}
	if f.Elapsed < timeout-2*interval || f.Elapsed > timeout+time.Second {
		t.Errorf("elapsed %s, want about %s", f.Elapsed, timeout)
	}
	if !p.Passed || p.Earned != 3 || p.Elapsed > timeout/2 {
		t.Errorf("passing result %+v, want it passed at once", p)
	}
}

func TestGradeNoWaitAndMaxTimeout(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	ctx := context.Background()
	missing := &counting{Check: build(t, "match", fmt.Sprintf(`{apiVersion: v1, kind: ConfigMap, name: none, namespace: %s}`, ns))}

	start := time.Now()
	rep := grader.Grade(ctx, env, "sc", "", []grader.Spec{
		{ID: "a", Points: 1, Timeout: time.Minute, Type: "match", Check: missing},
	}, grader.Options{NoWait: true})
	if n := missing.n.Load(); n != 1 {
		t.Errorf("NoWait observed %d times, want 1", n)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("NoWait took %s", d)
	}
	r := rep.Results[0]
	if r.Passed || rep.Passed || len(r.Problems) != 1 || r.Problems[0] != fmt.Sprintf(`not found: ConfigMap "none" in namespace %s`, ns) {
		t.Errorf("result %+v", r)
	}

	// MaxTimeout caps a check's own timeout.
	missing2 := &counting{Check: missing.Check}
	rep = grader.Grade(ctx, env, "sc", "", []grader.Spec{
		{ID: "a", Points: 1, Timeout: time.Minute, Type: "match", Check: missing2},
	}, grader.Options{MaxTimeout: 600 * time.Millisecond, Interval: 100 * time.Millisecond})
	if e := rep.Results[0].Elapsed; e > 2*time.Second || e < 300*time.Millisecond {
		t.Errorf("elapsed %s with MaxTimeout 600ms", e)
	}
	if n := missing2.n.Load(); n < 3 {
		t.Errorf("observed %d times, want several", n)
	}

	// A check that starts passing during grading earns its points.
	late := &counting{Check: build(t, "match", fmt.Sprintf(`{apiVersion: v1, kind: ConfigMap, name: late, namespace: %s}`, ns))}
	late.after = func() {
		// Grade observes in its own goroutine: no t.Fatal here.
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "late"}}
		if _, err := c.Kube.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Error(err)
		}
	}
	rep = grader.Grade(ctx, env, "sc", "", []grader.Spec{
		{ID: "late", Points: 4, Timeout: 10 * time.Second, Type: "match", Check: late},
	}, grader.Options{Interval: 50 * time.Millisecond})
	if r := rep.Results[0]; !r.Passed || r.Earned != 4 || !rep.Passed || r.Elapsed > 5*time.Second {
		t.Errorf("late result %+v", r)
	}
	if n := late.n.Load(); n < 2 {
		t.Errorf("observed %d times, want a retry", n)
	}
}
