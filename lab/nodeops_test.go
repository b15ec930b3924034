package lab_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
)

// TestNodeOps: the node operations against a fake node that models
// exactly their commands.
func TestNodeOps(t *testing.T) {
	ctx := context.Background()
	n := fakelab.NewNodes("cp", "w1")
	const manifest = "/etc/kubernetes/manifests/web.yaml"

	if _, found, err := lab.ReadNodeFile(ctx, n, "w1", manifest); found || err != nil {
		t.Fatalf("missing file: found %v, %v", found, err)
	}
	if err := lab.WriteNodeFile(ctx, n, "w1", manifest, []byte("kind: Pod\n"), "0600"); err != nil {
		t.Fatal(err)
	}
	if data, found, err := lab.ReadNodeFile(ctx, n, "w1", manifest); !found || err != nil || string(data) != "kind: Pod\n" {
		t.Fatalf("read back %q, %v, %v", data, found, err)
	}
	if err := lab.MoveNodeFile(ctx, n, "w1", manifest, "/root/web.yaml"); err != nil {
		t.Fatal(err)
	}
	if got := n.Files("w1"); len(got) != 1 || got[0] != "/root/web.yaml" {
		t.Errorf("after move: %q", got)
	}
	err := lab.MoveNodeFile(ctx, n, "w1", manifest, "/root/again.yaml")
	var ne *lab.NodeError
	if !errors.As(err, &ne) || ne.Node != "w1" || ne.Code != 1 {
		t.Errorf("moving a missing file: %v, want a NodeError with mv's exit", err)
	}
	if err := lab.RemoveNodeFile(ctx, n, "w1", "/root/web.yaml"); err != nil || len(n.Files("w1")) != 0 {
		t.Errorf("remove: %v, files %q", err, n.Files("w1"))
	}
	if err := lab.RemoveNodeFile(ctx, n, "w1", "/root/web.yaml"); err != nil {
		t.Errorf("removing a missing file is no error: %v", err)
	}

	for _, action := range []string{"stop", "disable"} {
		if err := lab.NodeUnit(ctx, n, "w1", "kubelet", action); err != nil {
			t.Fatal(err)
		}
	}
	st, err := lab.NodeUnitState(ctx, n, "w1", "kubelet")
	if err != nil || st != (lab.UnitState{Active: "inactive", Enabled: "disabled"}) {
		t.Errorf("after stop and disable: %+v, %v", st, err)
	}
	if st, _ := lab.NodeUnitState(ctx, n, "cp", "kubelet"); st != (lab.UnitState{Active: "active", Enabled: "enabled"}) {
		t.Errorf("another node's kubelet changed: %+v", st)
	}
	if err := lab.NodeUnit(ctx, n, "w1", "nope", "start"); !errors.As(err, &ne) || ne.Code != 5 {
		t.Errorf("unknown unit: %v", err)
	}
	if _, _, err := lab.ReadNodeFile(ctx, n, "w9", manifest); err == nil {
		t.Error("an unknown node is an error")
	}
	if err := lab.WriteNodeFile(ctx, nil, "w1", manifest, nil, ""); !errors.Is(err, lab.ErrNoNodeAccess) {
		t.Errorf("no node access: %v", err)
	}
}
