package steps_test

// Unit tests of every step kind against client-go's fakes
// (internal/fakelab): no sim lab, no CKALAB_SIM_BIN, no t.Skip; they run
// under `go test -short`. The integration tests against the real sim
// (objects_test.go, node_test.go, explain_sim_test.go, ...) stay as they
// are and remain the only proof against a real API server.
//
//	kind       unit test           file                       shows it doing its job, and
//	---------  ------------------  -------------------------  ------------------------------------------
//	apply      TestApplyUnit       apply_unit_test.go         refusing a protected object (changing
//	                                                          nothing), an unknown kind
//	patch      TestPatchUnit       patch_unit_test.go         a missing object, a protected one;
//	           (and TestPatchSub…)                            a CSR's approval subresource, no other
//	delete     TestDeleteUnit      delete_unit_test.go        a missing object (no error), waiting and
//	                                                          reporting what holds it, protected objects
//	wait       TestWaitUnit        wait_unit_test.go          timing out with the reason, a missing
//	                                                          object, a cancelled context
//	drain      TestDrainUnit       drain_unit_test.go         a PodDisruptionBudget refusing, a missing
//	                                                          node
//	taint      TestTaintUnit       taint_unit_test.go         add, replace, remove; a missing node
//	writeFile  TestWriteFileUnit   writefile_unit_test.go     a path out of the folder, a symlink out
//	nodeFile   TestNodeFileUnit    nodefile_unit_test.go      write, move, remove; no node access (sim),
//	                                                          a missing file to move, a path reset could
//	                                                          not undo, a bad mode
//	nodeServ…  TestNodeServiceUnit nodeservice_unit_test.go   stop, disable, enable, start (reload first);
//	                                                          no node access, a unit reset does not restore
//	nodeComm…  TestNodeCommandUnit nodecommand_unit_test.go   saved output, an etcd snapshot; a non-zero
//	                                                          exit (its stderr), a timeout, no node access,
//	                                                          a shell, kubectl, options that write or load
//	                                                          code, a path reset could not undo
//
// The node steps' fake nodes (fakelab.Nodes) answer exactly the commands
// of lab/nodeops.go and, through Run, the node tools a test names.
//
// TestEveryStepKindHasUnitTest fails when a kind is registered in
// registry.go without an entry in unitTestOf below.
//
// What the fakes cannot express: server-side apply's field ownership
// (fakelab merges an apply into the live object), admission, defaulting
// and validation (an invalid Deployment is stored), controllers (no
// ReplicaSet replaces an evicted pod, no namespace terminates), foreground
// deletion of dependents, PodDisruptionBudgets (a test's reactor refuses
// an eviction), discovery, and one store behind both clients (the typed
// fake, which drain and taint use, does not see what the dynamic one,
// which apply, patch, delete and wait use, holds). Those stay covered by
// the sim tests.

import (
	"testing"

	"github.com/ckalab/ckalab/scenarios/steps"
)

// unitTestOf names, for every registered step kind, its unit test.
var unitTestOf = map[string]func(*testing.T){
	"apply":       TestApplyUnit,
	"patch":       TestPatchUnit,
	"delete":      TestDeleteUnit,
	"wait":        TestWaitUnit,
	"drain":       TestDrainUnit,
	"taint":       TestTaintUnit,
	"writeFile":   TestWriteFileUnit,
	"nodeFile":    TestNodeFileUnit,
	"nodeService": TestNodeServiceUnit,
	"nodeCommand": TestNodeCommandUnit,
}

func TestEveryStepKindHasUnitTest(t *testing.T) {
	kinds := steps.All()
	for _, name := range kinds.Names() {
		if unitTestOf[name] == nil {
			t.Errorf("step kind %q has no unit test against the fakes: add one and list it in unitTestOf and the table in kinds_unit_test.go", name)
		}
	}
	for name := range unitTestOf {
		if _, ok := kinds.Find(name); !ok {
			t.Errorf("unitTestOf lists %q, which is not a registered step kind", name)
		}
	}
}
