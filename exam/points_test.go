package exam

import (
	"math"
	"testing"
)

// TestSpreadWeights: points are kept; the rest share what they leave by
// domain weight; a task of a domain weighed 0 counts as an average one.
func TestSpreadWeights(t *testing.T) {
	tasks := []DrawnTask{
		{ID: "a", Domain: "cluster-architecture"},
		{ID: "b", Domain: "cluster-architecture"},
		{ID: "c", Domain: "troubleshooting"},
		{ID: "d", Domain: "storage"},
	}
	spreadWeights(tasks, map[string]int{"cluster-architecture": 40, "troubleshooting": 60, "storage": 0}, map[string]int{"a": 10})
	// b 40, c 60, d the average 50: 150 sharing the 90 points leave.
	want := map[string]float64{"a": 10, "b": 24, "c": 36, "d": 30}
	for _, task := range tasks {
		if math.Abs(task.Weight-want[task.ID]) > 1e-9 {
			t.Errorf("%s weighs %v, want %v", task.ID, task.Weight, want[task.ID])
		}
	}
}
