package kind

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	kindlog "sigs.k8s.io/kind/pkg/log"
)

// recProgress records Progress calls as "start <step>" and "end true|false".
type recProgress struct {
	mu     sync.Mutex
	events []string
}

func (p *recProgress) Start(step string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, "start "+step)
}

func (p *recProgress) End(ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, fmt.Sprintf("end %t", ok))
}

func (p *recProgress) Events() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.events)
}

// What kind's cli.Status prints through a plain logger (no spinner).
func kindStart(l kindlog.Logger, step string) { l.V(0).Infof(" • %s  ...\n", step) }
func kindOK(l kindlog.Logger, step string)    { l.V(0).Infof(" ✓ %s\n", step) }
func kindFail(l kindlog.Logger, step string)  { l.V(0).Infof(" ✗ %s\n", step) }

func TestProgressLogger(t *testing.T) {
	const (
		image = "Ensuring node image (ckalab/node:v1.37.2) 🖼"
		nodes = "Preparing nodes 📦 📦 📦"
		cp    = "Starting control-plane 🕹️"
	)
	for _, tc := range []struct {
		name         string
		feed         func(l kindlog.Logger)
		wantEvents   []string
		wantWarnings []string
	}{
		{
			name: "kind's successful create",
			feed: func(l kindlog.Logger) {
				l.V(0).Infof("Creating cluster %q ...\n", "ckalab")
				kindStart(l, image)
				kindOK(l, image)
				kindStart(l, nodes)
				kindOK(l, nodes)
				l.V(0).Info("")
				l.V(0).Infof(`Set kubectl context to "%s"`, "kind-ckalab")
			},
			wantEvents: []string{"start " + image, "end true", "start " + nodes, "end true"},
		},
		{
			name: "a failed step",
			feed: func(l kindlog.Logger) {
				kindStart(l, cp)
				kindFail(l, cp)
			},
			wantEvents: []string{"start " + cp, "end false"},
		},
		{
			name: "a new step while one is open ends it successfully",
			feed: func(l kindlog.Logger) {
				kindStart(l, image)
				kindStart(l, nodes)
			},
			wantEvents: []string{"start " + image, "end true", "start " + nodes},
		},
		{
			name: "Info (not Infof) status lines count too",
			feed: func(l kindlog.Logger) {
				l.V(0).Info(" • Writing configuration 📜  ...")
				l.V(0).Info(" ✓ Writing configuration 📜")
			},
			wantEvents: []string{"start Writing configuration 📜", "end true"},
		},
		{
			name: "an end with no open step is ignored",
			feed: func(l kindlog.Logger) {
				kindOK(l, image)
				kindFail(l, nodes)
				kindStart(l, cp)
				kindOK(l, cp)
				kindOK(l, cp)
			},
			wantEvents: []string{"start " + cp, "end true"},
		},
		{
			name: "other V(0) lines change nothing",
			feed: func(l kindlog.Logger) {
				kindStart(l, cp)
				l.V(0).Infof("Creating cluster %q ...\n", "ckalab")
				l.V(0).Info("You can now use your cluster with:\n\nkubectl cluster-info --context kind-ckalab")
				l.V(0).Info("")
			},
			wantEvents: []string{"start " + cp},
		},
		{
			name: "V(1) and deeper are discarded, even status-looking lines",
			feed: func(l kindlog.Logger) {
				l.V(1).Infof(" • %s  ...\n", "debug step")
				l.V(1).Info(" • debug step  ...")
				l.V(2).Infof(" ✓ %s\n", "debug step")
				kindStart(l, cp)
				l.V(3).Infof(" ✗ %s\n", cp)
			},
			wantEvents: []string{"start " + cp},
		},
		{
			name: "warnings and errors are kept, trimmed, in order, with no progress",
			feed: func(l kindlog.Logger) {
				l.Warn("  cgroup v1 is deprecated\n")
				l.Warnf("cluster name %q is probably too long", "ckalab")
				l.Error("ERROR: failed to create cluster\n")
				l.Errorf("node %s: %d", "ckalab-worker", 3)
			},
			wantWarnings: []string{
				"cgroup v1 is deprecated",
				`cluster name "ckalab" is probably too long`,
				"ERROR: failed to create cluster",
				"node ckalab-worker: 3",
			},
		},
		{
			name: "warnings interleaved with steps",
			feed: func(l kindlog.Logger) {
				kindStart(l, nodes)
				l.Warn("docker is slow")
				kindFail(l, nodes)
			},
			wantEvents:   []string{"start " + nodes, "end false"},
			wantWarnings: []string{"docker is slow"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &recProgress{}
			l := &progressLogger{progress: p}
			tc.feed(l)
			if got := p.Events(); !slices.Equal(got, tc.wantEvents) {
				t.Errorf("progress = %q, want %q", got, tc.wantEvents)
			}
			if got := l.Warnings(); !slices.Equal(got, tc.wantWarnings) {
				t.Errorf("warnings = %q, want %q", got, tc.wantWarnings)
			}
		})
	}
}

func TestProgressLoggerEnabled(t *testing.T) {
	l := &progressLogger{progress: &recProgress{}}
	if !l.V(0).Enabled() {
		t.Error("V(0) should be enabled")
	}
	for _, v := range []kindlog.Level{1, 2, 5} {
		if l.V(v).Enabled() {
			t.Errorf("V(%d) should be disabled", v)
		}
	}
}

func TestProgressLoggerClose(t *testing.T) {
	t.Run("ends an open step as failed, once", func(t *testing.T) {
		p := &recProgress{}
		l := &progressLogger{progress: p}
		kindStart(l, "Starting control-plane")
		l.close(false)
		l.close(false)
		kindOK(l, "Starting control-plane") // too late: already ended
		want := []string{"start Starting control-plane", "end false"}
		if got := p.Events(); !slices.Equal(got, want) {
			t.Errorf("progress = %q, want %q", got, want)
		}
	})
	t.Run("ends an open step as succeeded", func(t *testing.T) {
		p := &recProgress{}
		l := &progressLogger{progress: p}
		kindStart(l, "Waiting ≤ 4m0s for control-plane = Ready ⏳")
		l.close(true)
		want := []string{"start Waiting ≤ 4m0s for control-plane = Ready ⏳", "end true"}
		if got := p.Events(); !slices.Equal(got, want) {
			t.Errorf("progress = %q, want %q", got, want)
		}
	})
	t.Run("no-op with no open step", func(t *testing.T) {
		p := &recProgress{}
		l := &progressLogger{progress: p}
		l.close(false)
		kindStart(l, "a")
		kindOK(l, "a")
		l.close(false)
		l.close(true)
		want := []string{"start a", "end true"}
		if got := p.Events(); !slices.Equal(got, want) {
			t.Errorf("progress = %q, want %q", got, want)
		}
	})
}

func TestProgressLoggerWarningsIsACopy(t *testing.T) {
	l := &progressLogger{progress: &recProgress{}}
	l.Warn("one")
	w := l.Warnings()
	w[0] = "changed"
	if got := l.Warnings(); !slices.Equal(got, []string{"one"}) {
		t.Errorf("Warnings = %q after changing a returned slice", got)
	}
	if got := (&progressLogger{}).Warnings(); len(got) != 0 {
		t.Errorf("fresh logger has warnings %q", got)
	}
}

// TestProgressLoggerConcurrent: kind logs from several goroutines; run
// with -race to check the locking.
func TestProgressLoggerConcurrent(t *testing.T) {
	p := &recProgress{}
	l := &progressLogger{progress: p}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			l.Warnf("warning %d", i)
			l.V(0).Infof("Creating cluster %q ...\n", "ckalab")
		})
	}
	wg.Wait()
	if got := len(l.Warnings()); got != 8 {
		t.Errorf("kept %d warnings, want 8", got)
	}
	if got := p.Events(); len(got) != 0 {
		t.Errorf("progress = %q, want none", got)
	}
}
