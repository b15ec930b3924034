package scenarios

import (
	"slices"

	"github.com/ckalab/ckalab/internal/cka"
)

// CoverageLine is one line of the CKA curriculum and the scenarios that
// practise it.
type CoverageLine struct {
	Domain     string   `json:"domain"`
	Competency string   `json:"competency"`
	Scenarios  []string `json:"scenarios"` // ids, sorted; never nil
}

// Coverage maps every curriculum line, in curriculum order (domains as
// cka.Names orders them), to the scenarios whose competency it is.
func Coverage(all []*Scenario) []CoverageLine {
	var out []CoverageLine
	for _, domain := range cka.Names() {
		for _, comp := range competencies[domain] {
			line := CoverageLine{Domain: domain, Competency: comp, Scenarios: []string{}}
			for _, s := range all {
				if s.Domain == domain && s.Competency == comp {
					line.Scenarios = append(line.Scenarios, s.ID)
				}
			}
			slices.Sort(line.Scenarios)
			out = append(out, line)
		}
	}
	return out
}
