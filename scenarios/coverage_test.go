package scenarios

import (
	"slices"
	"testing"
)

func TestCoverage(t *testing.T) {
	all := []*Scenario{
		{File: File{ID: "b", Domain: "storage", Competency: "Manage persistent volumes and persistent volume claims"}},
		{File: File{ID: "a", Domain: "storage", Competency: "Manage persistent volumes and persistent volume claims"}},
		{File: File{ID: "c", Domain: "troubleshooting", Competency: "Troubleshoot cluster components"}},
	}
	lines := Coverage(all)
	if len(lines) != 27 {
		t.Fatalf("%d lines, want the curriculum's 27", len(lines))
	}
	if lines[0].Domain != "cluster-architecture" || lines[len(lines)-1].Domain != "troubleshooting" {
		t.Errorf("order: first %s, last %s; want the curriculum's", lines[0].Domain, lines[len(lines)-1].Domain)
	}
	for _, l := range lines {
		switch l.Competency {
		case "Manage persistent volumes and persistent volume claims":
			if !slices.Equal(l.Scenarios, []string{"a", "b"}) {
				t.Errorf("%s: %q, want a and b, sorted", l.Competency, l.Scenarios)
			}
		case "Troubleshoot cluster components":
			if !slices.Equal(l.Scenarios, []string{"c"}) {
				t.Errorf("%s: %q", l.Competency, l.Scenarios)
			}
		default:
			if l.Scenarios == nil || len(l.Scenarios) != 0 {
				t.Errorf("%s: %#v, want an empty list", l.Competency, l.Scenarios)
			}
		}
	}
}
