package runner_test

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/simtest"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/runner"
	"github.com/ckalab/ckalab/scenarios/steps"
)

// learner plays scenarios on one lab, as a person does over weeks.
type learner struct {
	t   *testing.T
	r   *runner.Runner
	cat *scenarios.Catalog
	ctx context.Context
}

func (l *learner) load(id string) *scenarios.Scenario {
	l.t.Helper()
	s, err := l.cat.Load(id, l.r.TemplateData(id, nil))
	if err != nil {
		l.t.Fatal(err)
	}
	return s
}

// start sets a scenario up and returns what it restored first.
func (l *learner) start(id string) (*scenarios.Scenario, []string) {
	l.t.Helper()
	s := l.load(id)
	started, err := l.r.Start(l.ctx, s)
	if err != nil {
		l.t.Fatalf("start %s: %v", id, err)
	}
	l.t.Logf("start %s: restored %v", id, started.Restored)
	return s, started.Restored
}

func (l *learner) do(s *scenarios.Scenario, list ...steps.Spec) {
	l.t.Helper()
	if _, err := l.r.Apply(l.ctx, s, list); err != nil {
		l.t.Fatalf("%s: %v", s.ID, err)
	}
}

func (l *learner) wrong(s *scenarios.Scenario, name string) {
	l.t.Helper()
	for _, w := range s.Wrong {
		if w.Name == name {
			l.do(s, w.Steps...)
			return
		}
	}
	l.t.Fatalf("%s has no wrong answer %q", s.ID, name)
}

func (l *learner) fullMarks(s *scenarios.Scenario) {
	l.t.Helper()
	l.do(s, s.Solution.Steps...)
	if g := l.r.Grade(l.ctx, s, grader.Options{}); !g.Passed {
		var failed []string
		for _, res := range g.Results {
			if !res.Passed {
				failed = append(failed, res.ID+": "+res.Actual)
			}
		}
		l.t.Errorf("%s: reference solution %d/%d on a used lab: %v", s.ID, g.Earned, g.Total, failed)
	}
}

func mustContain(t *testing.T, lines []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(lines, w) {
			t.Errorf("restored %v, want %q among them", lines, w)
		}
	}
}

// TestALearnersWeek plays scenarios one after another on one lab, leaving
// each half-done or wrong (a taint, a cordoned node, the wrong node
// cordoned, a claim in default bound to a scenario's volume, cluster
// objects of a wrong answer): every start still works and says what it
// restored, every reference solution earns full marks, and `lab reset`
// leaves a lab that does not differ from its baseline.
func TestALearnersWeek(t *testing.T) {
	r, cat := newRunner(t, simtest.Need(t, sl))
	l := &learner{t: t, r: r, cat: cat, ctx: context.Background()}
	worker, worker2 := r.Cluster.Info.Names().Worker, r.Cluster.Info.Names().Worker2

	// Monday: the taint task, half-solved (a pod without toleration).
	s, _ := l.start("taint-toleration")
	l.wrong(s, "nodeName without a toleration")

	// Tuesday: drain-worker on the tainted node; cordons the wrong node too.
	s, restored := l.start("drain-worker")
	mustContain(t, restored, "taint type=db:NoSchedule removed from "+worker, "namespace sched deleted")
	l.wrong(s, "cordon only")
	l.do(s, steps.Spec{Action: &steps.Patch{Ref: lab.Ref{APIVersion: "v1", Kind: "Node", Name: worker2},
		Patch: map[string]any{"spec": map[string]any{"unschedulable": true}, "metadata": map[string]any{"labels": map[string]any{"disk": "ssd"}}}}})

	// Wednesday: local storage, with the claim made in default by mistake.
	s, restored = l.start("local-storage")
	mustContain(t, restored, worker+" uncordoned", worker2+" uncordoned", "label disk removed from "+worker2, "namespace shop deleted")
	l.do(s, steps.Spec{Action: &steps.Apply{Manifest: `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: local-slow}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-logs}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: local-slow
  local: {path: /mnt/logs}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [` + worker2 + `]}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: logs, namespace: default}
spec:
  storageClassName: local-slow
  volumeName: pv-logs
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 500Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: logger, namespace: default}
spec:
  containers: [{name: c, image: busybox:1.36, command: [sleep, infinity]}]
  volumes: [{name: v, persistentVolumeClaim: {claimName: logs}}]
`}}, steps.Spec{Action: &steps.Wait{Ref: lab.Ref{APIVersion: "v1", Kind: "PersistentVolumeClaim", Namespace: "default", Name: "logs"}, For: "object.status.phase == 'Bound'"}})

	// Thursday: start local-storage over; the claim in default must not
	// hold pv-logs, and the reference solution must then work.
	s, restored = l.start("local-storage")
	mustContain(t, restored, "PersistentVolumeClaim default/logs deleted", "PersistentVolume pv-logs deleted")
	l.fullMarks(s)

	// Friday: RBAC, wrong (cluster-wide), then everything else, solved.
	s, _ = l.start("rbac-deployer")
	l.wrong(s, "a ClusterRole and ClusterRoleBinding")
	for _, id := range runnableIDs(t, r, cat) {
		s, _ := l.start(id)
		l.fullMarks(s)
	}

	// Saturday: `lab reset`.
	if _, err := r.RestoreBaseline(l.ctx, nil, true); err != nil {
		t.Fatal(err)
	}
	if diff, err := r.Compare(l.ctx); err != nil || len(diff) > 0 {
		t.Errorf("after lab reset the lab differs from its baseline: %v %v", diff, err)
	}
}

// BenchmarkTaskSwitch measures what a learner waits for between two tasks:
// `ckalab start` of a scenario (bring the lab back to its baseline, then
// set the scenario up) after the previous scenario was solved. Each round
// goes through the whole catalog; the metrics are the median and the
// slowest switch (target: median under 2 s on the sim).
func BenchmarkTaskSwitch(b *testing.B) {
	r, cat := newRunner(b, simtest.Need(b, sl))
	ctx := context.Background()
	var all []*scenarios.Scenario
	ids := runnableIDs(b, r, cat)
	for _, id := range ids {
		s, err := cat.Load(id, r.TemplateData(id, nil))
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, s)
	}
	var switches []time.Duration
	per := map[string][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, s := range all {
			start := time.Now()
			if _, err := r.Start(ctx, s); err != nil {
				b.Fatal(err)
			}
			d := time.Since(start)
			switches = append(switches, d)
			per[s.ID] = append(per[s.ID], d)
			b.StopTimer()
			if _, err := r.Apply(ctx, s, s.Solution.Steps); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
	b.StopTimer()
	sort.Slice(switches, func(i, j int) bool { return switches[i] < switches[j] })
	b.ReportMetric(float64(switches[len(switches)/2].Milliseconds()), "median-ms/switch")
	b.ReportMetric(float64(switches[len(switches)-1].Milliseconds()), "max-ms/switch")
	var lines []string
	for _, id := range ids {
		ds := per[id]
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		lines = append(lines, id+" "+ds[len(ds)/2].Round(time.Millisecond).String())
	}
	b.Logf("median switch per scenario: %s", strings.Join(lines, ", "))
	if _, err := r.RestoreBaseline(ctx, nil, true); err != nil {
		b.Fatal(err)
	}
}
