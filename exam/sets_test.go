package exam_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/exam"
	"github.com/ckalab/ckalab/grader/checks"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios"
)

// builtinCatalog loads the shipped scenarios, as the CLI will.
func builtinCatalog(t *testing.T) (*scenarios.Catalog, []*scenarios.Scenario) {
	t.Helper()
	cat, err := scenarios.NewCatalog(scenarios.Loader{CheckTypes: checks.All()}, scenarios.Source{Name: "builtin", FS: scenarios.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	all, err := cat.LoadAll(scenarios.DefaultTemplateData())
	if err != nil {
		t.Fatal(err)
	}
	return cat, all
}

// candidates builds the draw's view of the catalog on a lab that offers
// caps; this is the glue the CLI will have.
func candidates(all []*scenarios.Scenario, caps ...lab.Capability) []exam.Candidate {
	conflicts := map[string][]string{}
	for _, c := range scenarios.Conflicts(all) {
		conflicts[c.A] = append(conflicts[c.A], c.B)
		conflicts[c.B] = append(conflicts[c.B], c.A)
	}
	var out []exam.Candidate
	for _, s := range all {
		runnable := true
		for _, n := range s.Needs() {
			runnable = runnable && slices.Contains(caps, n)
		}
		out = append(out, exam.Candidate{ID: s.ID, Title: s.Title, Domain: s.Domain, Runnable: runnable,
			Needs: s.File.Needs, Conflicts: conflicts[s.ID], Vars: s.Vars})
	}
	return out
}

// TestBuiltinSets: the shipped sets parse, name only scenarios of the
// catalog, and draw exams that hold together on the lab each is for.
func TestBuiltinSets(t *testing.T) {
	sets, err := exam.Sets()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range sets {
		ids = append(ids, s.ID)
		if s.Duration != 2*time.Hour || s.PassMark != 66 || s.Count != 16 {
			t.Errorf("%s: %s, %d%%, %d tasks; want the CKA's 2h, 66%%, 16", s.ID, s.Duration, s.PassMark, s.Count)
		}
	}
	if !slices.Equal(ids, []string{"cka-kind", "cka-sim"}) {
		t.Fatalf("sets %v", ids)
	}
	cat, all := builtinCatalog(t)
	for _, s := range sets {
		if err := exam.Check(s, cat.Has); err != nil {
			t.Errorf("%s: %v", s.ID, err)
		}
	}

	sim, _ := exam.LookupSet("cka-sim")
	simCands := candidates(all, lab.CapAPI)
	for seed := range uint64(20) {
		r := draw(t, simCands, sim.Options(seed))
		for _, task := range r.Tasks {
			if c := cand(simCands, task.ID); !slices.Equal(c.Needs, []string{"api"}) {
				t.Errorf("seed %d: cka-sim drew %s, which needs %v", seed, task.ID, c.Needs)
			}
		}
		if r.Missing() > 0 && len(r.Short) == 0 {
			t.Errorf("seed %d: %d tasks missing and no shortfall said why", seed, r.Missing())
		}
	}
	// On kind the sim's set draws the same scenarios: draw.needs, not the
	// lab, keeps the others out.
	kindCands := candidates(all, lab.AllCapabilities()...)
	onSim := draw(t, simCands, sim.Options(7))
	onKind := draw(t, kindCands, sim.Options(7))
	if len(onSim.Tasks) != len(onKind.Tasks) {
		t.Errorf("cka-sim drew %d tasks on the sim, %d on kind", len(onSim.Tasks), len(onKind.Tasks))
	}

	// The catalog's conflicts (scenarios that own the same node) allow 12
	// tasks at most today; the draw skips conflicts as it goes rather
	// than search for the largest exam.
	kind, _ := exam.LookupSet("cka-kind")
	for seed := range uint64(20) {
		r := draw(t, kindCands, kind.Options(seed))
		if len(r.Tasks) < 10 {
			t.Errorf("seed %d: cka-kind drew only %d tasks: %s", seed, len(r.Tasks), shortfalls(r))
		}
	}
	r := draw(t, kindCands, kind.Options(1))
	t.Logf("cka-kind, seed 1: %d tasks; short: %s", len(r.Tasks), strings.Join(shortfalls(r), "; "))
	r = draw(t, simCands, sim.Options(1))
	t.Logf("cka-sim, seed 1: %d tasks; short: %s", len(r.Tasks), strings.Join(shortfalls(r), "; "))
}

func TestLookupSet(t *testing.T) {
	if s, err := exam.LookupSet("cka-kind"); err != nil || s.ID != "cka-kind" {
		t.Errorf("got %v, %v", s, err)
	}
	if _, err := exam.LookupSet("cka-simm"); err == nil || err.Error() != `no exam set "cka-simm" (did you mean cka-sim?)` {
		t.Errorf("got %v", err)
	}
	if _, err := exam.LookupSet("quiz"); err == nil || err.Error() != `no exam set "quiz"; the built-in ones: cka-kind, cka-sim` {
		t.Errorf("got %v", err)
	}
}
