package exam

import (
	"math/rand/v2"
	"slices"
)

// interleave puts drawn tasks in a random exam order in which no two
// tasks in a row share a domain, whenever the mix of domains allows it: a
// real exam does not hand out its troubleshooting tasks in one block, and
// neither should the practice, or a learner could budget time by domain.
//
// At each place it picks at random among the tasks of another domain than
// the previous one that still leave an arrangement of the rest without
// neighbours of one domain; when the mix allows none (five storage tasks
// out of six), it takes the domain with the most tasks left, so that its
// tasks are as spread as they can be.
func interleave(tasks []DrawnTask, rng *rand.Rand) []DrawnTask {
	rest := slices.Clone(tasks)
	out := make([]DrawnTask, 0, len(tasks))
	prev := ""
	for len(rest) > 0 {
		count := map[string]int{}
		for _, t := range rest {
			count[t.Domain]++
		}
		var pick []int
		for i, t := range rest {
			if t.Domain != prev && arrangeable(count, t.Domain, len(rest)-1) {
				pick = append(pick, i)
			}
		}
		if len(pick) == 0 {
			most := 0
			for i, t := range rest {
				switch c := count[t.Domain]; {
				case t.Domain == prev:
				case c > most:
					most, pick = c, []int{i}
				case c == most:
					pick = append(pick, i)
				}
			}
		}
		if len(pick) == 0 { // only the previous task's domain is left
			pick = []int{0}
		}
		i := pick[rng.IntN(len(pick))]
		out = append(out, rest[i])
		prev = rest[i].Domain
		rest = slices.Delete(rest, i, i+1)
	}
	return out
}

// arrangeable reports whether the tasks counted, less one of domain first,
// can follow a task of domain first with no neighbours of one domain: no
// domain may have more than half of the n places (rounded up), and first
// no more than half rounded down, since the place after it is barred.
func arrangeable(count map[string]int, first string, n int) bool {
	for d, c := range count {
		if d == first {
			c--
		}
		if c > (n+1)/2 || (d == first && c > n/2) {
			return false
		}
	}
	return true
}
