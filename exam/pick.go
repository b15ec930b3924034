package exam

import (
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
)

// drawing is one Draw in progress.
type drawing struct {
	opts      DrawOptions
	byID      map[string]*Candidate
	conflicts map[[2]string]bool
	rng       *rand.Rand
	tasks     []DrawnTask
	have      map[string]int // tasks by domain
	short     []Shortfall
}

func conflictSet(cands []Candidate) map[[2]string]bool {
	out := map[[2]string]bool{}
	for _, c := range cands {
		for _, o := range c.Conflicts {
			out[[2]string{c.ID, o}] = true
			out[[2]string{o, c.ID}] = true
		}
	}
	return out
}

// clash names a task already drawn that c conflicts with ("" if none).
func (d *drawing) clash(c *Candidate) string {
	for _, t := range d.tasks {
		if d.conflicts[[2]string{c.ID, t.ID}] {
			return t.ID
		}
	}
	return ""
}

func (d *drawing) add(c *Candidate, fixed bool) {
	d.tasks = append(d.tasks, DrawnTask{ID: c.ID, Title: c.Title, Domain: c.Domain, Fixed: fixed})
	d.have[c.Domain]++
}

// fixed places the set's tasks first, in the set's order.
func (d *drawing) fixed() error {
	seen := map[string]bool{}
	for _, id := range d.opts.Fixed {
		c := d.byID[id]
		switch {
		case c == nil:
			return fmt.Errorf("draw: the set's task %s is not in the catalog", id)
		case seen[id]:
			return fmt.Errorf("draw: the set lists %s twice", id)
		}
		seen[id] = true
		if !c.Runnable {
			d.short = append(d.short, Shortfall{Domain: c.Domain, Scenario: id, Reason: "the lab cannot run it"})
			continue
		}
		if other := d.clash(c); other != "" {
			d.short = append(d.short, Shortfall{Domain: c.Domain, Scenario: id,
				Reason: fmt.Sprintf("it conflicts with %s, an earlier task of the set (both own the same node or object)", other)})
			continue
		}
		d.add(c, true)
	}
	return nil
}

// fill draws the places the fixed tasks leave, domain by domain.
func (d *drawing) fill() {
	// The weighed domains and those of fixed tasks (a set may list a task
	// of a domain it weighs at 0), sorted: map order must not reach the
	// random numbers.
	domains := slices.Collect(maps.Keys(d.opts.Weights))
	domains = append(domains, slices.Collect(maps.Keys(d.have))...)
	slices.Sort(domains)
	domains = slices.Compact(domains)
	fixedShort := len(d.short)
	pools, tally := d.pools()
	pinned := map[string]int{} // domains that ran out
	var byWeight map[string]int
	for {
		target := apportion(d.opts.Count, d.opts.Weights, domains, pinned, d.have)
		if byWeight == nil {
			byWeight = target
		}
		var slots []string
		for _, dom := range domains {
			for range target[dom] - d.have[dom] {
				slots = append(slots, dom)
			}
		}
		// Fill the places in a random order of domains: with conflicts,
		// the domain that draws first wins, and no domain should always.
		d.rng.Shuffle(len(slots), func(i, j int) { slots[i], slots[j] = slots[j], slots[i] })
		ranOut := false
		for _, dom := range slots {
			if _, ok := pinned[dom]; ok {
				continue
			}
			c := d.next(pools, dom, tally)
			if c == nil {
				pinned[dom] = d.have[dom]
				s := tally[dom]
				s.Domain, s.Wanted, s.Got = dom, byWeight[dom], d.have[dom]
				s.PassedOn = max(target[dom]-byWeight[dom], 0)
				d.short = append(d.short, s)
				ranOut = true
				continue
			}
			d.add(c, false)
		}
		if !ranOut {
			break
		}
	}
	// After the fixed tasks left out (in the set's order), the domains
	// that ran out, by name.
	slices.SortFunc(d.short[fixedShort:], func(a, b Shortfall) int { return cmp.Compare(a.Domain, b.Domain) })
}

// pools sorts each domain's drawable candidates into a random order, and
// counts those it cannot draw.
func (d *drawing) pools() (map[string][]*Candidate, map[string]Shortfall) {
	fixed := map[string]bool{}
	for _, id := range d.opts.Fixed {
		fixed[id] = true
	}
	sorted := slices.SortedFunc(maps.Values(d.byID), func(a, b *Candidate) int { return cmp.Compare(a.ID, b.ID) })
	pools := map[string][]*Candidate{}
	tally := map[string]Shortfall{}
	for _, c := range sorted {
		s := tally[c.Domain]
		s.Domain = c.Domain
		switch {
		case fixed[c.ID]:
			continue
		case !c.Runnable:
			s.NotRunnable++
		case !d.allowed(c):
			s.NotAllowed++
		default:
			pools[c.Domain] = append(pools[c.Domain], c)
		}
		tally[c.Domain] = s
	}
	for _, dom := range slices.Sorted(maps.Keys(pools)) {
		p := pools[dom]
		d.rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
	}
	return pools, tally
}

// allowed applies the options' needs and exclusions.
func (d *drawing) allowed(c *Candidate) bool {
	if slices.Contains(d.opts.Exclude, c.ID) {
		return false
	}
	if len(d.opts.Needs) == 0 {
		return true
	}
	for _, n := range c.Needs {
		if !slices.Contains(d.opts.Needs, n) {
			return false
		}
	}
	return true
}

// next takes the domain's next candidate that conflicts with no task
// drawn; one that conflicts is dropped for good (tasks are never
// undrawn). nil: the domain ran out.
func (d *drawing) next(pools map[string][]*Candidate, dom string, tally map[string]Shortfall) *Candidate {
	for len(pools[dom]) > 0 {
		c := pools[dom][0]
		pools[dom] = pools[dom][1:]
		if d.clash(c) == "" {
			return c
		}
		s := tally[dom]
		s.Conflicting++
		tally[dom] = s
	}
	return nil
}
