// Package cka is the CKA curriculum's shape that both the scenario format
// and the lessons follow: its domains, in curriculum order, and their exam
// weights. One table, so that a scenario and a lesson can never disagree on
// what a domain is called.
package cka

// Domain is one part of the CKA curriculum.
type Domain struct {
	Name   string
	Weight int // share of the exam's points, in percent
}

// Domains returns the curriculum's domains in curriculum order.
func Domains() []Domain {
	return []Domain{
		{"cluster-architecture", 25},
		{"workloads-and-scheduling", 15},
		{"services-and-networking", 20},
		{"storage", 10},
		{"troubleshooting", 30},
	}
}

// Names returns the domains' names in curriculum order.
func Names() []string {
	var out []string
	for _, d := range Domains() {
		out = append(out, d.Name)
	}
	return out
}

// Weights returns each domain's exam weight, by name.
func Weights() map[string]int {
	out := map[string]int{}
	for _, d := range Domains() {
		out[d.Name] = d.Weight
	}
	return out
}
