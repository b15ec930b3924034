package exam

import (
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"slices"
)

// Candidate is a scenario as the draw sees it; the caller builds it from
// the catalog and the lab.
type Candidate struct {
	ID, Title, Domain string
	// Runnable: the lab offers everything the scenario needs.
	Runnable bool
	// Needs are the lab capabilities the scenario needs, for a set's
	// draw.needs.
	Needs []string
	// Conflicts lists the scenarios it cannot share a lab with (they own
	// the same node or object); either side listing the other is enough.
	Conflicts []string
	// Vars are the scenario's declared vars: name → choices.
	Vars map[string][]string
}

// DrawOptions say what to draw.
type DrawOptions struct {
	Count   int            // tasks wanted
	Weights map[string]int // domain → percent of the tasks
	// Seed makes the draw reproducible: the same candidates, options and
	// seed give the same exam, and an exam's state records its seed.
	Seed uint64
	// Fixed are a set's tasks, in every exam of it, in this order of
	// preference when they conflict.
	Fixed []string
	// Points are fixed tasks' shares of the exam, in percent (see
	// spreadWeights).
	Points map[string]int
	// NoDraw: the exam is exactly the fixed tasks; a fixed task the lab
	// cannot run leaves the exam shorter rather than making room for a
	// random one.
	NoDraw bool
	// Needs, when not empty, keeps out of the draw the scenarios that need
	// a capability not listed (a set's draw.needs). Fixed tasks are not
	// filtered: the set named them.
	Needs []string
	// Exclude keeps scenarios out of the draw.
	Exclude []string
}

// DrawResult is one exam's tasks and what the draw could not fill.
type DrawResult struct {
	// Tasks in exam order, numbered from 1.
	Tasks  []DrawnTask
	Wanted int // DrawOptions.Count
	// Short lists the fixed tasks left out and the domains that ran out,
	// each with why.
	Short []Shortfall
}

// Missing is how many of the wanted tasks the exam lacks.
func (r DrawResult) Missing() int { return max(r.Wanted-len(r.Tasks), 0) }

// DrawnTask is one task of an exam.
type DrawnTask struct {
	N                 int // its number in the exam, from 1
	ID, Title, Domain string
	Weight            float64           // share of the exam's points, in percent
	Vars              map[string]string // one value of each var, for this exam
	Fixed             bool              // a set's task rather than a drawn one
}

// Streams of the seed's random numbers, one per use, so that one use
// does not shift another: a scenario that gains a var does not change
// which tasks are drawn.
const (
	streamPick  = 0x7069636b // "pick"
	streamOrder = 0x6f726472 // "ordr"
)

// Draw picks an exam's tasks. The number of tasks of each domain is
// proportional to its weight (largest-remainder rounding); within a
// domain the scenarios are picked at random from the seed, skipping those
// the lab cannot run, those the options leave out, and any that conflicts
// with a task already in the exam. A domain that runs out gives its
// places to the others by weight; what still cannot be filled is listed
// in Short, with why, and the exam is shorter. A scenario is in an exam
// at most once.
func Draw(cands []Candidate, opts DrawOptions) (DrawResult, error) {
	if opts.Count < 1 || opts.Count > MaxCount {
		return DrawResult{}, fmt.Errorf("draw %d tasks: want 1 to %d", opts.Count, MaxCount)
	}
	if len(opts.Fixed) > opts.Count {
		return DrawResult{}, fmt.Errorf("draw %d tasks: the set fixes %d", opts.Count, len(opts.Fixed))
	}
	byID := map[string]*Candidate{}
	for i := range cands {
		c := &cands[i]
		if byID[c.ID] != nil {
			return DrawResult{}, fmt.Errorf("draw: scenario %s is a candidate twice", c.ID)
		}
		byID[c.ID] = c
	}
	for d, w := range opts.Weights {
		if w < 0 {
			return DrawResult{}, fmt.Errorf("draw: domain %s weighs %d, want 0 or more", d, w)
		}
	}
	d := drawing{opts: opts, byID: byID, conflicts: conflictSet(cands), have: map[string]int{},
		rng: rand.New(rand.NewPCG(opts.Seed, streamPick))}
	if err := d.fixed(); err != nil {
		return DrawResult{}, err
	}
	if !opts.NoDraw {
		d.fill()
	}
	spreadWeights(d.tasks, opts.Weights, opts.Points)
	tasks := interleave(d.tasks, rand.New(rand.NewPCG(opts.Seed, streamOrder)))
	for i := range tasks {
		tasks[i].N = i + 1
		tasks[i].Vars = drawVars(byID[tasks[i].ID].Vars, opts.Seed, tasks[i].ID)
	}
	return DrawResult{Tasks: tasks, Wanted: opts.Count, Short: d.short}, nil
}

// drawVars picks one value of each var for a task. Each task has its own
// stream of the seed, so that its values depend only on the seed and the
// scenario, not on the other tasks drawn.
func drawVars(declared map[string][]string, seed uint64, id string) map[string]string {
	if len(declared) == 0 {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	out := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(declared)) { // stable for a seed
		if choices := declared[name]; len(choices) > 0 {
			out[name] = choices[rng.IntN(len(choices))]
		}
	}
	return out
}
