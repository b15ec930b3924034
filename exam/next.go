package exam

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Recommendation is the scenario to practise now, and why.
type Recommendation struct {
	Scenario string `json:"scenario"`
	Title    string `json:"title"`
	Domain   string `json:"domain"`
	// Reason says why, in plain words, as one sentence.
	Reason string `json:"reason"`
	// Strength is the domain's.
	Strength DomainStrength `json:"strength"`
	// FailedChecks are the scenario's checks that failed before, the
	// most often first.
	FailedChecks []CheckFailures `json:"failedChecks,omitempty"`
}

// ErrNothingToRecommend: there is no candidate, or the only ones were just
// passed with full marks.
var ErrNothingToRecommend = errors.New("nothing to recommend")

// Recommend picks the scenario to practise now from candidates (the
// scenarios the lab can run: the caller filters, and Runnable is not
// looked at), given the history's entries, the exam's domain weights (in
// percent) and the clock.
//
// The domain comes first: the one where the learner stands to lose the
// most exam points, its weight times what its strength lacks of 100%. So
// a domain never tried (strength 0) loses its whole weight, Troubleshooting
// at 60% (30 × 0.4 = 12 points) comes before Storage at 20% (10 × 0.8 = 8),
// and with no history at all the heaviest domain comes first. A domain
// none of whose candidates can be recommended is passed over, and the
// reason says so.
//
// In the domain, the scenario is, in this order: one whose checks have
// been failing and whose last try was not full marks (the most recent
// failures weighing most); one never tried; one failed before but passed
// last time (to see whether it stuck); one always passed, the longest ago
// first. A scenario just passed with full marks (in the newest entry) is
// never recommended: doing it again at once proves nothing.
func Recommend(entries []Entry, candidates []Candidate, weights map[string]int, now time.Time) (Recommendation, error) {
	if len(candidates) == 0 {
		return Recommendation{}, fmt.Errorf("%w: no scenario to choose from", ErrNothingToRecommend)
	}
	byDomain := map[string][]Candidate{}
	for _, c := range candidates {
		byDomain[c.Domain] = append(byDomain[c.Domain], c)
	}
	var domains []string
	for d := range weights {
		domains = append(domains, d)
	}
	for d := range byDomain {
		if _, ok := weights[d]; !ok {
			domains = append(domains, d)
		}
	}
	slices.Sort(domains)
	strengths := map[string]DomainStrength{}
	for _, s := range DomainStrengths(entries, domains, now) {
		strengths[s.Domain] = s
	}
	loss := func(d string) float64 {
		return float64(max(weights[d], 0)) * (100 - strengths[d].Percent) / 100
	}
	slices.SortStableFunc(domains, func(a, b string) int {
		sa, sb := strengths[a], strengths[b]
		return cmp.Or(cmp.Compare(loss(b), loss(a)), compareBool(!sa.Tried, !sb.Tried), cmp.Compare(weights[b], weights[a]))
	})

	records := ScenarioRecords(entries, now)
	just := justPassed(entries)
	var skipped []string // why each domain ranked before the chosen one was passed over
	var passedOver []string
	for _, d := range domains {
		cands := byDomain[d]
		var usable []Candidate
		for _, c := range cands {
			if !just[c.ID] {
				usable = append(usable, c)
			}
		}
		if len(usable) == 0 {
			switch {
			case len(cands) == 0:
				skipped = append(skipped, fmt.Sprintf("the lab can run no %s scenario", d))
			case len(cands) == 1:
				skipped = append(skipped, fmt.Sprintf("you just passed %s, the only %s scenario here, with full marks", cands[0].ID, d))
			default:
				skipped = append(skipped, fmt.Sprintf("you just passed every %s scenario here with full marks", d))
			}
			passedOver = append(passedOver, d)
			continue
		}
		c, tier := pickScenario(usable, records)
		r := records[c.ID]
		rec := Recommendation{Scenario: c.ID, Title: c.Title, Domain: d, Strength: strengths[d]}
		if r != nil {
			rec.FailedChecks = r.Failed
		}
		reason := slices.Clone(skipped)
		reason = append(reason, domainReason(d, domains, passedOver, strengths, weights, loss))
		reason = append(reason, scenarioReason(c, tier, r, strengths[d].Tried))
		rec.Reason = capitalize(strings.Join(reason, "; "))
		return rec, nil
	}
	if len(candidates) == 1 {
		return Recommendation{}, fmt.Errorf("%w: %s is the only scenario to choose from, and you just passed it with full marks", ErrNothingToRecommend, candidates[0].ID)
	}
	return Recommendation{}, fmt.Errorf("%w: you just passed every scenario to choose from with full marks", ErrNothingToRecommend)
}

// tier is why a scenario was picked, in order of preference.
type tier int

const (
	tierFailing   tier = iota // checks failed, and the last try was not full marks
	tierNew                   // never tried
	tierRelearned             // checks failed before, full marks last time
	tierPassed                // always full marks
)

// pickScenario picks from cands (of one domain, none just passed) by tier,
// then: the most failing lately; for new ones the candidates' order; the
// longest ago.
func pickScenario(cands []Candidate, records map[string]*ScenarioRecord) (Candidate, tier) {
	tierOf := func(c Candidate) tier {
		r := records[c.ID]
		switch {
		case r == nil:
			return tierNew
		case len(r.Failed) > 0 && !r.LastFull:
			return tierFailing
		case len(r.Failed) > 0:
			return tierRelearned
		default:
			return tierPassed
		}
	}
	best := slices.MinFunc(cands, func(a, b Candidate) int {
		ta, tb := tierOf(a), tierOf(b)
		if ta != tb || ta == tierNew {
			return cmp.Compare(ta, tb) // new ones: MinFunc keeps the first
		}
		ra, rb := records[a.ID], records[b.ID]
		return cmp.Or(cmp.Compare(rb.FailWeight, ra.FailWeight), ra.Last.Compare(rb.Last), cmp.Compare(a.ID, b.ID))
	})
	return best, tierOf(best)
}

// justPassed are the scenarios that earned full marks in the newest entry.
func justPassed(entries []Entry) map[string]bool {
	out := map[string]bool{}
	if len(entries) == 0 {
		return out
	}
	switch e := entries[len(entries)-1]; e.Kind {
	case KindPractice:
		if e.Practice.Full() {
			out[e.Practice.Scenario] = true
		}
	case KindExam:
		for _, t := range e.Exam.Tasks {
			if t.Full() {
				out[t.Scenario] = true
			}
		}
	}
	return out
}

// domainReason says why domain d was chosen; passedOver are the domains
// ranked before it that had nothing to recommend.
func domainReason(d string, ranked, passedOver []string, strengths map[string]DomainStrength, weights map[string]int, loss func(string) float64) string {
	s := strengths[d]
	if s.Tried && s.Percent >= 100 {
		// Chosen with nothing to lose: so is every domain that could be.
		return fmt.Sprintf("you have had full marks lately in every domain you can practise here; %s weighs the most (%d%% of the exam)", d, weights[d])
	}
	lead := ""
	if len(passedOver) > 0 {
		lead = "of the rest, "
	}
	if !s.Tried {
		return fmt.Sprintf("%syou have not practised %s yet, and it is %d%% of the exam", lead, d, weights[d])
	}
	evidence := fmt.Sprintf("%s%% over your last %s", floorPercent(s.Percent), triesText(s))
	// The weakest of the domains that could be chosen: a domain passed
	// over is explained before.
	weakest := true
	for _, o := range ranked {
		if o != d && !slices.Contains(passedOver, o) && (!strengths[o].Tried || strengths[o].Percent < s.Percent) {
			weakest = false
		}
	}
	if weakest {
		return fmt.Sprintf("%s%s is your weakest domain (%s)", lead, d, evidence)
	}
	return fmt.Sprintf("%s%s costs you the most exam points (%s, and it is %d%% of the exam)", lead, d, evidence, weights[d])
}

// scenarioReason says why c was chosen in its domain.
func scenarioReason(c Candidate, t tier, r *ScenarioRecord, domainTried bool) string {
	switch t {
	case tierFailing:
		f := r.Failed[0]
		return fmt.Sprintf("you missed check '%s' in %s %s", f.Check, c.ID, times(f.Count))
	case tierRelearned:
		f := r.Failed[0]
		return fmt.Sprintf("you passed %s last time after missing check '%s' %s: see whether it stuck", c.ID, f.Check, times(f.Count))
	case tierPassed:
		return fmt.Sprintf("you passed every %s scenario you tried with full marks; %s is the one you did the longest ago", c.Domain, c.ID)
	}
	if !domainTried {
		return "start with " + c.ID
	}
	return fmt.Sprintf("you have not tried %s yet", c.ID)
}

// triesText is what a strength is over, after "your last": "3 exams and
// 2 practice attempts", "exam and practice attempt", "2 practice attempts".
func triesText(s DomainStrength) string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{s.Exams, "exam"}, {s.Practices, "practice attempt"}} {
		switch {
		case p.n == 1:
			parts = append(parts, p.what)
		case p.n > 1:
			parts = append(parts, fmt.Sprintf("%d %ss", p.n, p.what))
		}
	}
	return strings.Join(parts, " and ")
}

// times is "once", "twice", "3 times".
func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}

// floorPercent renders a percent without decimals, floored as the exam's
// report does: 65.9% is not the pass mark of 66%.
func floorPercent(p float64) string {
	return fmt.Sprintf("%d", int(math.Floor(p+1e-9)))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// compareBool orders true first.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}
