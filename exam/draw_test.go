package exam_test

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/exam"
	"github.com/ckalab/ckalab/internal/cka"
)

// pool makes n runnable candidates of each domain: "storage-1", ...
func pool(n map[string]int) []exam.Candidate {
	var out []exam.Candidate
	for _, d := range cka.Names() {
		for i := 1; i <= n[d]; i++ {
			id := fmt.Sprintf("%s-%d", d, i)
			out = append(out, exam.Candidate{ID: id, Title: "Task " + id, Domain: d, Runnable: true, Needs: []string{"api"}})
		}
	}
	return out
}

func plenty() map[string]int {
	return map[string]int{"cluster-architecture": 8, "workloads-and-scheduling": 8, "services-and-networking": 8, "storage": 8, "troubleshooting": 8}
}

func cand(cands []exam.Candidate, id string) *exam.Candidate {
	for i := range cands {
		if cands[i].ID == id {
			return &cands[i]
		}
	}
	panic("no candidate " + id)
}

func draw(t *testing.T, cands []exam.Candidate, opts exam.DrawOptions) exam.DrawResult {
	t.Helper()
	if opts.Weights == nil {
		opts.Weights = cka.Weights()
	}
	r, err := exam.Draw(cands, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkDraw(t, cands, r)
	return r
}

// checkDraw holds for every draw: numbered 1..n, each scenario once,
// only runnable scenarios, no two that conflict, weights adding up to 100.
func checkDraw(t *testing.T, cands []exam.Candidate, r exam.DrawResult) {
	t.Helper()
	seen := map[string]bool{}
	var sum float64
	for i, task := range r.Tasks {
		c := cand(cands, task.ID)
		switch {
		case task.N != i+1:
			t.Errorf("task %d is numbered %d", i+1, task.N)
		case seen[task.ID]:
			t.Errorf("%s drawn twice", task.ID)
		case !c.Runnable:
			t.Errorf("%s drawn, but the lab cannot run it", task.ID)
		case task.Domain != c.Domain || task.Title != c.Title:
			t.Errorf("%s: domain %q title %q, want the candidate's", task.ID, task.Domain, task.Title)
		}
		seen[task.ID] = true
		sum += task.Weight
		for _, o := range c.Conflicts {
			if seen[o] {
				t.Errorf("%s and %s conflict, both drawn", task.ID, o)
			}
		}
		for _, o := range r.Tasks[:i] {
			if slices.Contains(cand(cands, o.ID).Conflicts, task.ID) {
				t.Errorf("%s and %s conflict, both drawn", o.ID, task.ID)
			}
		}
	}
	if len(r.Tasks) > 0 && math.Abs(sum-100) > 1e-9 {
		t.Errorf("weights add up to %v, want 100", sum)
	}
}

func byDomain(r exam.DrawResult) map[string]int {
	out := map[string]int{}
	for _, task := range r.Tasks {
		out[task.Domain]++
	}
	return out
}

func shortfalls(r exam.DrawResult) []string {
	var out []string
	for _, s := range r.Short {
		out = append(out, s.String())
	}
	return out
}

// TestDrawStratified: 16 tasks by the CKA's weights, largest remainder:
// 25% → 4, 15% → 2.4 → 2, 20% → 3.2 → 3, 10% → 1.6 → 2, 30% → 4.8 → 5; a
// domain's weight is spread over its tasks.
func TestDrawStratified(t *testing.T) {
	cands := pool(plenty())
	r := draw(t, cands, exam.DrawOptions{Count: 16, Seed: 1})
	want := map[string]int{"cluster-architecture": 4, "workloads-and-scheduling": 2, "services-and-networking": 3, "storage": 2, "troubleshooting": 5}
	if got := byDomain(r); !reflect.DeepEqual(got, want) {
		t.Errorf("tasks by domain %v, want %v", got, want)
	}
	if len(r.Short) != 0 || r.Missing() != 0 || r.Wanted != 16 {
		t.Errorf("short %v, missing %d, wanted %d: want a full exam", shortfalls(r), r.Missing(), r.Wanted)
	}
	weight := map[string]float64{"cluster-architecture": 6.25, "workloads-and-scheduling": 7.5, "services-and-networking": 20.0 / 3, "storage": 5, "troubleshooting": 6}
	for _, task := range r.Tasks {
		if math.Abs(task.Weight-weight[task.Domain]) > 1e-9 {
			t.Errorf("%s weighs %v, want %v", task.ID, task.Weight, weight[task.Domain])
		}
	}
}

// TestDrawSeed: the same seed draws the same exam; different seeds draw
// different ones.
func TestDrawSeed(t *testing.T) {
	cands := pool(plenty())
	for i := range cands {
		cands[i].Vars = map[string][]string{"ns": {"a", "b", "c"}}
	}
	first := draw(t, cands, exam.DrawOptions{Count: 16, Seed: 42})
	if again := draw(t, cands, exam.DrawOptions{Count: 16, Seed: 42}); !reflect.DeepEqual(first, again) {
		t.Errorf("seed 42 drew\n%+v\nthen\n%+v", first, again)
	}
	// The candidates' order is the caller's business, not the draw's.
	reversed := slices.Clone(cands)
	slices.Reverse(reversed)
	if again := draw(t, reversed, exam.DrawOptions{Count: 16, Seed: 42}); !reflect.DeepEqual(first, again) {
		t.Errorf("the candidates in another order drew another exam")
	}
	exams := map[string]bool{}
	for seed := range uint64(20) {
		var ids []string
		for _, task := range draw(t, cands, exam.DrawOptions{Count: 16, Seed: seed}).Tasks {
			ids = append(ids, task.ID)
		}
		exams[strings.Join(ids, ",")] = true
	}
	if len(exams) < 15 {
		t.Errorf("20 seeds drew %d different exams, want nearly 20", len(exams))
	}
}

// TestDrawRunsOut: a domain with too few runnable scenarios gives its
// places to the others by weight, and the draw says why it came short.
func TestDrawRunsOut(t *testing.T) {
	n := plenty()
	n["troubleshooting"] = 5
	cands := pool(n)
	cand(cands, "troubleshooting-2").Runnable = false
	cand(cands, "troubleshooting-4").Runnable = false
	for seed := range uint64(10) {
		r := draw(t, cands, exam.DrawOptions{Count: 16, Seed: seed})
		// 13 places left for 70% of the weight: 4.64, 2.79, 3.71, 1.86.
		want := map[string]int{"cluster-architecture": 4, "workloads-and-scheduling": 3, "services-and-networking": 4, "storage": 2, "troubleshooting": 3}
		if got := byDomain(r); !reflect.DeepEqual(got, want) {
			t.Errorf("seed %d: tasks by domain %v, want %v", seed, got, want)
		}
		wantShort := []string{"troubleshooting: 5 wanted, 3 runnable without conflicts (2 the lab cannot run)"}
		if got := shortfalls(r); !reflect.DeepEqual(got, wantShort) || r.Missing() != 0 {
			t.Errorf("seed %d: short %q, missing %d, want %q, 0", seed, got, r.Missing(), wantShort)
		}
	}
}

// TestDrawTooFew: a catalog smaller than the exam gives every scenario
// once, never one twice, and lists every domain that ran out.
func TestDrawTooFew(t *testing.T) {
	cands := pool(map[string]int{"storage": 1, "troubleshooting": 2})
	r := draw(t, cands, exam.DrawOptions{Count: 16, Seed: 3})
	if len(r.Tasks) != 3 || r.Missing() != 13 {
		t.Errorf("%d tasks, %d missing, want 3 and 13", len(r.Tasks), r.Missing())
	}
	want := []string{
		"cluster-architecture: 4 wanted, 0 runnable without conflicts",
		"services-and-networking: 3 wanted, 0 runnable without conflicts",
		"storage: 2 wanted, 1 runnable without conflicts",
		"troubleshooting: 5 wanted, 2 runnable without conflicts",
		"workloads-and-scheduling: 2 wanted, 0 runnable without conflicts",
	}
	if got := shortfalls(r); !reflect.DeepEqual(got, want) {
		t.Errorf("short:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestDrawConflicts: two scenarios that conflict are never in one exam,
// whichever of them lists the other; a domain short for it says so.
func TestDrawConflicts(t *testing.T) {
	n := plenty()
	n["storage"] = 2
	cands := pool(n)
	cand(cands, "storage-1").Conflicts = []string{"storage-2"}
	// One-sided, across domains.
	cand(cands, "troubleshooting-1").Conflicts = []string{"cluster-architecture-1", "cluster-architecture-2"}
	cand(cands, "workloads-and-scheduling-3").Conflicts = []string{"services-and-networking-5"}
	for seed := range uint64(30) {
		r := draw(t, cands, exam.DrawOptions{Count: 16, Seed: seed})
		want := "storage: 2 wanted, 1 runnable without conflicts (1 conflicts with a task already drawn)"
		if got := shortfalls(r); len(got) != 1 || got[0] != want {
			t.Errorf("seed %d: short %q, want [%q]", seed, got, want)
		}
		if len(r.Tasks) != 16 {
			t.Errorf("seed %d: %d tasks, want 16 (storage's place goes elsewhere)", seed, len(r.Tasks))
		}
	}
}

// TestDrawFixed: a set's tasks are in the exam and count towards their
// domains; their points are their weights; one the lab cannot run, or
// that conflicts with an earlier one, is left out with why.
func TestDrawFixed(t *testing.T) {
	cands := pool(plenty())
	cand(cands, "storage-1").Runnable = false
	cand(cands, "troubleshooting-3").Conflicts = []string{"troubleshooting-1"}
	r := draw(t, cands, exam.DrawOptions{Count: 16, Seed: 5,
		Fixed:  []string{"troubleshooting-1", "troubleshooting-2", "storage-1", "troubleshooting-3"},
		Points: map[string]int{"troubleshooting-1": 10}})
	if got := byDomain(r)["troubleshooting"]; got != 5 {
		t.Errorf("%d troubleshooting tasks, want 5 (two fixed, three drawn)", got)
	}
	fixed := map[string]bool{}
	for _, task := range r.Tasks {
		if task.Fixed {
			fixed[task.ID] = true
		}
		if task.ID == "troubleshooting-1" && task.Weight != 10 {
			t.Errorf("troubleshooting-1 weighs %v, want its 10 points", task.Weight)
		}
	}
	if !reflect.DeepEqual(fixed, map[string]bool{"troubleshooting-1": true, "troubleshooting-2": true}) {
		t.Errorf("fixed tasks %v, want troubleshooting-1 and -2", fixed)
	}
	want := []string{
		"storage-1 (storage): the lab cannot run it",
		"troubleshooting-3 (troubleshooting): it conflicts with troubleshooting-1, an earlier task of the set (both own the same node or object)",
	}
	if got := shortfalls(r); !reflect.DeepEqual(got, want) {
		t.Errorf("short:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestDrawNoDraw: an exam of fixed tasks only draws nothing in place of
// one the lab cannot run; the points of the rest are scaled to 100.
func TestDrawNoDraw(t *testing.T) {
	cands := pool(plenty())
	cand(cands, "storage-1").Runnable = false
	r := draw(t, cands, exam.DrawOptions{Count: 3, Seed: 5, NoDraw: true,
		Fixed:  []string{"cluster-architecture-1", "storage-1", "troubleshooting-1"},
		Points: map[string]int{"cluster-architecture-1": 40, "storage-1": 35, "troubleshooting-1": 25}})
	if len(r.Tasks) != 2 || r.Missing() != 1 {
		t.Fatalf("%d tasks, %d missing, want 2 and 1", len(r.Tasks), r.Missing())
	}
	for _, task := range r.Tasks {
		want := map[string]float64{"cluster-architecture-1": 40.0 / 65 * 100, "troubleshooting-1": 25.0 / 65 * 100}[task.ID]
		if math.Abs(task.Weight-want) > 1e-9 {
			t.Errorf("%s weighs %v, want %v", task.ID, task.Weight, want)
		}
	}
}

// TestDrawRules: a set's needs and exclusions keep scenarios out of the
// draw (not out of its fixed tasks), and the shortfall counts them.
func TestDrawRules(t *testing.T) {
	cands := pool(map[string]int{"cluster-architecture": 8, "workloads-and-scheduling": 8, "services-and-networking": 3, "storage": 8, "troubleshooting": 8})
	for _, id := range []string{"services-and-networking-1", "services-and-networking-2", "troubleshooting-1"} {
		cand(cands, id).Needs = []string{"api", "kubelet", "network"}
	}
	r := draw(t, cands, exam.DrawOptions{Count: 16, Seed: 9, Needs: []string{"api"}, Exclude: []string{"storage-2"},
		Fixed: []string{"troubleshooting-1"}})
	for _, task := range r.Tasks {
		if task.ID == "storage-2" || task.ID == "services-and-networking-1" || task.ID == "services-and-networking-2" {
			t.Errorf("%s drawn, but the rules leave it out", task.ID)
		}
	}
	if !slices.ContainsFunc(r.Tasks, func(task exam.DrawnTask) bool { return task.ID == "troubleshooting-1" }) {
		t.Error("the fixed troubleshooting-1 is missing: rules apply to the draw only")
	}
	want := []string{"services-and-networking: 3 wanted, 1 runnable without conflicts (2 the set leaves out)"}
	if got := shortfalls(r); !reflect.DeepEqual(got, want) {
		t.Errorf("short %q, want %q", got, want)
	}
}

// TestDrawOrder: the exam's order does not group domains: no two tasks in
// a row share one whenever the mix allows it, and the order varies.
func TestDrawOrder(t *testing.T) {
	cands := pool(plenty())
	firsts := map[string]bool{}
	for seed := range uint64(200) {
		r := draw(t, cands, exam.DrawOptions{Count: 16, Seed: seed})
		for i := 1; i < len(r.Tasks); i++ {
			if r.Tasks[i].Domain == r.Tasks[i-1].Domain {
				t.Fatalf("seed %d: tasks %d and %d are both %s", seed, i, i+1, r.Tasks[i].Domain)
			}
		}
		firsts[r.Tasks[0].Domain] = true
	}
	if len(firsts) != 5 {
		t.Errorf("the first task's domain was only ever %v", firsts)
	}
	// Five storage tasks and one other cannot avoid neighbours: the order
	// still ends, and the other task breaks the storage ones up.
	lopsided := pool(map[string]int{"storage": 5, "troubleshooting": 1})
	for seed := range uint64(20) {
		r := draw(t, lopsided, exam.DrawOptions{Count: 6, Seed: seed, Weights: map[string]int{"storage": 90, "troubleshooting": 10}})
		if len(r.Tasks) != 6 || r.Tasks[0].Domain != "storage" || r.Tasks[1].Domain != "troubleshooting" {
			t.Errorf("seed %d: order %v, want storage, troubleshooting, then storage", seed, r.Tasks)
		}
	}
}

// TestDrawVars: one value of each var per task, from its choices, the same
// for a seed whatever else is drawn.
func TestDrawVars(t *testing.T) {
	cands := pool(plenty())
	cand(cands, "storage-1").Vars = map[string][]string{"ns": {"red", "green", "blue"}, "size": {"1Gi", "2Gi"}}
	fixed := exam.DrawOptions{Count: 16, Fixed: []string{"storage-1"}}
	values := map[string]bool{}
	for seed := range uint64(30) {
		opts := fixed
		opts.Seed = seed
		r := draw(t, cands, opts)
		var vars map[string]string
		for _, task := range r.Tasks {
			if task.ID == "storage-1" {
				vars = task.Vars
			} else if task.Vars != nil {
				t.Errorf("%s has vars %v, declares none", task.ID, task.Vars)
			}
		}
		if !slices.Contains([]string{"red", "green", "blue"}, vars["ns"]) || !slices.Contains([]string{"1Gi", "2Gi"}, vars["size"]) || len(vars) != 2 {
			t.Fatalf("seed %d: vars %v", seed, vars)
		}
		values[vars["ns"]+"/"+vars["size"]] = true
		// Fewer tasks drawn around it: the same values.
		opts.Count = 4
		for _, task := range draw(t, cands, opts).Tasks {
			if task.ID == "storage-1" && !reflect.DeepEqual(task.Vars, vars) {
				t.Errorf("seed %d: vars %v in a shorter exam, %v in the full one", seed, task.Vars, vars)
			}
		}
	}
	if len(values) < 4 {
		t.Errorf("30 seeds drew only %v", values)
	}
}

func TestDrawErrors(t *testing.T) {
	cands := pool(plenty())
	tests := []struct {
		name  string
		cands []exam.Candidate
		opts  exam.DrawOptions
		want  string
	}{
		{"no tasks", cands, exam.DrawOptions{Count: 0}, "draw 0 tasks: want 1 to 40"},
		{"fewer than fixed", cands, exam.DrawOptions{Count: 1, Fixed: []string{"storage-1", "storage-2"}}, "draw 1 tasks: the set fixes 2"},
		{"unknown fixed", cands, exam.DrawOptions{Count: 2, Fixed: []string{"nope"}}, "draw: the set's task nope is not in the catalog"},
		{"fixed twice", cands, exam.DrawOptions{Count: 2, Fixed: []string{"storage-1", "storage-1"}}, "draw: the set lists storage-1 twice"},
		{"candidate twice", append(pool(map[string]int{"storage": 1}), pool(map[string]int{"storage": 1})...), exam.DrawOptions{Count: 2}, "draw: scenario storage-1 is a candidate twice"},
		{"negative weight", cands, exam.DrawOptions{Count: 2, Weights: map[string]int{"storage": -1}}, "draw: domain storage weighs -1, want 0 or more"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Weights == nil {
				tc.opts.Weights = cka.Weights()
			}
			_, err := exam.Draw(tc.cands, tc.opts)
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}
