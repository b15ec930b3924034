package exam

import (
	"reflect"
	"testing"

	"github.com/ckalab/ckalab/internal/cka"
)

func TestLargestRemainder(t *testing.T) {
	ckaNames := cka.Names()
	tests := []struct {
		name    string
		n       int
		weights map[string]int
		domains []string
		want    map[string]int
	}{
		{"cka 16", 16, cka.Weights(), ckaNames, map[string]int{"cluster-architecture": 4, "workloads-and-scheduling": 2, "services-and-networking": 3, "storage": 2, "troubleshooting": 5}},
		{"cka 10", 10, cka.Weights(), ckaNames, map[string]int{"cluster-architecture": 3, "workloads-and-scheduling": 1, "services-and-networking": 2, "storage": 1, "troubleshooting": 3}},
		// 2 places for 25/75: 0.5 and 1.5, a tie of fractions: the heavier wins.
		{"tie", 2, map[string]int{"a": 25, "b": 75}, []string{"a", "b"}, map[string]int{"a": 0, "b": 2}},
		{"no weight", 5, map[string]int{"a": 0}, []string{"a"}, map[string]int{}},
		{"no places", 0, map[string]int{"a": 10}, []string{"a"}, map[string]int{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := largestRemainder(tc.n, tc.weights, tc.domains); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestApportionFloors: a domain never gets fewer places than it has tasks
// (a set's fixed ones), and the others share what is left by weight; a
// pinned domain gets exactly its count.
func TestApportionFloors(t *testing.T) {
	w := cka.Weights()
	names := cka.Names()
	// Storage holds 4 fixed tasks where its weight gives 2: 12 places left
	// for the other 90%.
	got := apportion(16, w, names, nil, map[string]int{"storage": 4})
	want := map[string]int{"cluster-architecture": 3, "workloads-and-scheduling": 2, "services-and-networking": 3, "storage": 4, "troubleshooting": 4}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("floors: got %v, want %v", got, want)
	}
	// Troubleshooting ran out at 1: its places go to the others by weight.
	got = apportion(16, w, names, map[string]int{"troubleshooting": 1}, nil)
	want = map[string]int{"cluster-architecture": 6, "workloads-and-scheduling": 3, "services-and-networking": 4, "storage": 2, "troubleshooting": 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pinned: got %v, want %v", got, want)
	}
	total := 0
	for _, c := range got {
		total += c
	}
	if total != 16 {
		t.Errorf("%d places shared, want 16", total)
	}
}
