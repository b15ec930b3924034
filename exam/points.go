package exam

// spreadWeights sets each task's Weight, its share of the exam in percent,
// so that the weights add up to 100 and a score is their weighted sum.
//
// A task with points (a set's) weighs its points. The others share what
// the points leave, each domain in proportion to its weight and spread
// evenly over its tasks, as the CKA weighs a domain rather than a task.
// A task of a domain the set weighs at 0 (a set may still list it) weighs
// as much as an average task without points, so that it is never free.
// When the draw falls short, the shares are scaled back up to 100: the
// exam is scored on the tasks it has.
func spreadWeights(tasks []DrawnTask, weights map[string]int, points map[string]int) {
	n := map[string]int{} // tasks without points, by domain
	left := 100.0
	for _, t := range tasks {
		if p := points[t.ID]; p > 0 {
			left -= float64(p)
		} else {
			n[t.Domain]++
		}
	}
	left = max(left, 0)
	raw := make([]float64, len(tasks))
	var sum float64
	var plain int
	for i, t := range tasks {
		if points[t.ID] > 0 {
			continue
		}
		if w := weights[t.Domain]; w > 0 {
			raw[i] = float64(w) / float64(n[t.Domain])
			sum += raw[i]
			plain++
		}
	}
	avg := 1.0
	if plain > 0 {
		avg = sum / float64(plain)
	}
	for i, t := range tasks {
		if points[t.ID] == 0 && weights[t.Domain] <= 0 {
			raw[i] = avg
			sum += avg
		}
	}
	var total float64
	for i, t := range tasks {
		if p := points[t.ID]; p > 0 {
			tasks[i].Weight = float64(p)
		} else if sum > 0 {
			tasks[i].Weight = left * raw[i] / sum
		}
		total += tasks[i].Weight
	}
	if total > 0 {
		for i := range tasks {
			tasks[i].Weight *= 100 / total
		}
	}
}
