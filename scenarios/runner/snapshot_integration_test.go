package runner_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/ckalab/ckalab/internal/simtest"
	"github.com/ckalab/ckalab/scenarios"
	"github.com/ckalab/ckalab/scenarios/runner"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestSnapshotOnRealAPI: what the "grading changes nothing" stage calls a
// change, on the real API server. An object that an earlier deletion was
// already removing may go; an object that a LIST misses but a GET finds
// unchanged was not deleted; an object really deleted is reported.
func TestSnapshotOnRealAPI(t *testing.T) {
	l := simtest.Need(t, sl)
	r, _ := newRunner(t, l)
	ctx := context.Background()
	const ns = "snapshot-test"
	cms := l.Cluster.Kube.CoreV1().ConfigMaps(ns)
	if _, err := l.Cluster.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = l.Cluster.Kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	for _, cm := range []*corev1.ConfigMap{
		{ObjectMeta: metav1.ObjectMeta{Name: "kept"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "going", Finalizers: []string{"ckalab.dev/test"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "deleted"}},
	} {
		if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// "going" is being deleted before the first snapshot, held by its
	// finalizer, as a namespace is held by its content.
	if err := cms.Delete(ctx, "going", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	s := &scenarios.Scenario{File: scenarios.File{ID: "snapshot-test", Namespaces: []string{ns}}}
	before, err := r.SnapshotOf(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"ConfigMap " + ns + "/kept", "ConfigMap " + ns + "/going", "ConfigMap " + ns + "/deleted", "Namespace /" + ns} {
		if _, ok := before[key]; !ok {
			t.Fatalf("snapshot lacks %s: %v", key, slices.Sorted(maps.Keys(before)))
		}
	}

	going, err := cms.Get(ctx, "going", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	going.Finalizers = nil
	if _, err := cms.Update(ctx, going, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, "deleted", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	after, err := r.SnapshotOf(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	// As a stale watch cache would list: without kept.
	delete(after, "ConfigMap "+ns+"/kept")
	missed, err := r.MissedByList(ctx, before, after)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"ConfigMap " + ns + "/kept"}; !slices.Equal(missed, want) {
		t.Errorf("missed by list: %v, want %v", missed, want)
	}
	if got, want := runner.Snapshot(before).Diff(after), "ConfigMap "+ns+"/deleted deleted"; got != want {
		t.Errorf("diff: %q, want %q", got, want)
	}
}
