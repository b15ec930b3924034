package exam

import (
	"cmp"
	"slices"
)

// largestRemainder shares n places among domains in proportion to their
// weights (the Hare quota with largest-remainder rounding, as seats are
// shared by votes): each domain gets the whole part of its exact share,
// and the places left go to the largest fractions. Ties go to the heavier
// domain, then to the first by name, so that the result never depends on
// map order. No weight at all: no places.
func largestRemainder(n int, weights map[string]int, domains []string) map[string]int {
	out := map[string]int{}
	total := 0
	for _, d := range domains {
		total += max(weights[d], 0)
	}
	if n <= 0 || total == 0 {
		return out
	}
	type rest struct {
		domain string
		frac   int // numerator of the fraction, over total
	}
	var rests []rest
	given := 0
	for _, d := range domains {
		w := max(weights[d], 0)
		out[d] = n * w / total
		given += out[d]
		rests = append(rests, rest{d, n * w % total})
	}
	slices.SortStableFunc(rests, func(a, b rest) int {
		return cmp.Or(cmp.Compare(b.frac, a.frac), cmp.Compare(weights[b.domain], weights[a.domain]), cmp.Compare(a.domain, b.domain))
	})
	for i := 0; given < n; i++ {
		out[rests[i].domain]++
		given++
	}
	return out
}

// apportion shares n places among domains by weight, as largestRemainder
// does, with two constraints: a pinned domain gets exactly its pinned
// count (it ran out of scenarios: its places go to the others, by
// weight), and every domain gets at least its floor (the tasks it already
// has: a set's fixed tasks, or those drawn before another domain ran out;
// largest remainder can give a domain fewer places when the total grows,
// and a task once drawn stays drawn). A domain whose share falls below
// its floor is held at the floor and the rest shared again among the
// others, until every share holds.
func apportion(n int, weights map[string]int, domains []string, pinned, floor map[string]int) map[string]int {
	held := map[string]int{}
	for d, c := range pinned {
		held[d] = c
	}
	for {
		rest := n
		var free []string
		for _, d := range domains {
			if c, ok := held[d]; ok {
				rest -= c
			} else {
				free = append(free, d)
			}
		}
		share := largestRemainder(max(rest, 0), weights, free)
		grew := false
		for _, d := range free {
			if share[d] < floor[d] {
				held[d] = floor[d]
				grew = true
			}
		}
		if !grew {
			for d, c := range held {
				share[d] = c
			}
			return share
		}
	}
}
