package exam_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/exam"
	"github.com/ckalab/ckalab/internal/cka"
)

// catalog is the candidates of the Recommend tests: a few scenarios of
// every domain, in id order as the catalog lists them.
func catalog(ids ...string) []exam.Candidate {
	domains := map[string]string{
		"controlplane-broken": "troubleshooting", "kubelet-broken": "troubleshooting", "node-notready": "troubleshooting",
		"drain-worker": "cluster-architecture", "rbac-deployer": "cluster-architecture",
		"taint-toleration":     "workloads-and-scheduling",
		"service-no-endpoints": "services-and-networking",
		"local-storage":        "storage",
	}
	if len(ids) == 0 {
		ids = []string{"controlplane-broken", "drain-worker", "kubelet-broken", "local-storage", "node-notready", "rbac-deployer",
			"service-no-endpoints", "taint-toleration"}
	}
	var out []exam.Candidate
	for _, id := range ids {
		out = append(out, exam.Candidate{ID: id, Title: "Title of " + id, Domain: domains[id]})
	}
	return out
}

func TestRecommend(t *testing.T) {
	now := t0.Add(30 * 24 * time.Hour)
	day := func(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }
	// fullMarks practises a scenario of every domain but skip with full
	// marks, a day ago: those domains are at 100%.
	fullMarks := func(skip ...string) []exam.Entry {
		var out []exam.Entry
		for _, p := range [][2]string{{"rbac-deployer", "cluster-architecture"}, {"taint-toleration", "workloads-and-scheduling"},
			{"service-no-endpoints", "services-and-networking"}, {"local-storage", "storage"}, {"node-notready", "troubleshooting"}} {
			if !contains(skip, p[1]) {
				out = append(out, practice(p[0], p[1], day(1), 2, 2))
			}
		}
		return out
	}
	// Every domain at pct%, over one exam a day ago.
	everyDomainAt := func(pct int, skip ...string) []exam.Entry {
		var tasks []exam.TaskResult
		for _, d := range cka.Domains() {
			if !contains(skip, d.Name) {
				tasks = append(tasks, task("x-"+d.Name, d.Name, pct, 100, "c"))
			}
		}
		return []exam.Entry{examOf(day(1), tasks...)}
	}
	then := func(a []exam.Entry, b ...exam.Entry) []exam.Entry {
		return append(append([]exam.Entry(nil), a...), b...)
	}

	tests := []struct {
		name       string
		entries    []exam.Entry
		candidates []exam.Candidate
		want       string // scenario
		reason     string
	}{
		{
			name: "no history: the heaviest domain, its first scenario",
			want: "controlplane-broken", reason: "You have not practised troubleshooting yet, and it is 30% of the exam; start with controlplane-broken",
		},
		{
			name: "the weakest domain, and in it the scenario whose check failed most often",
			entries: then(fullMarks("troubleshooting"),
				examOf(day(3), task("kubelet-broken", "troubleshooting", 1, 5, "kubelet-running"), task("drain-worker", "cluster-architecture", 1, 1)),
				examOf(day(3), task("kubelet-broken", "troubleshooting", 2, 5, "kubelet-running", "config"), task("taint-toleration", "workloads-and-scheduling", 1, 1)),
				examOf(day(3), task("node-notready", "troubleshooting", 16, 25, "ready"), task("local-storage", "storage", 1, 1)),
			),
			want:   "kubelet-broken",
			reason: "Troubleshooting is your weakest domain (41% over your last 3 exams); you missed check 'kubelet-running' in kubelet-broken twice",
		},
		{
			name: "a check failed once lately before one failed twice a month ago",
			entries: then(fullMarks("troubleshooting"),
				practice("node-notready", "troubleshooting", day(28), 0, 2, "ready"),
				practice("node-notready", "troubleshooting", day(27), 0, 2, "ready"),
				practice("kubelet-broken", "troubleshooting", day(1), 0, 2, "kubelet-running"),
			),
			want:   "kubelet-broken",
			reason: "Troubleshooting is your weakest domain (0% over your last 3 practice attempts); you missed check 'kubelet-running' in kubelet-broken once",
		},
		{
			name:    "a domain never practised is the weakest",
			entries: everyDomainAt(70, "storage"),
			want:    "local-storage", reason: "You have not practised storage yet, and it is 10% of the exam; start with local-storage",
		},
		{
			name: "weights: troubleshooting at 60% (12 points lost) before storage at 20% (8)",
			entries: then(fullMarks("troubleshooting", "storage"),
				practice("local-storage", "storage", day(1), 1, 5, "pv"),
				practice("kubelet-broken", "troubleshooting", day(1), 3, 5, "kubelet-running"),
			),
			want:   "kubelet-broken",
			reason: "Troubleshooting costs you the most exam points (60% over your last practice attempt, and it is 30% of the exam); you missed check 'kubelet-running' in kubelet-broken once",
		},
		{
			name: "weights: storage at 20% (8 points lost) before troubleshooting at 80% (6)",
			entries: then(fullMarks("troubleshooting", "storage"),
				practice("local-storage", "storage", day(1), 1, 5, "pv"),
				practice("kubelet-broken", "troubleshooting", day(1), 4, 5, "kubelet-running"),
			),
			want:   "local-storage",
			reason: "Storage is your weakest domain (20% over your last practice attempt); you missed check 'pv' in local-storage once",
		},
		{
			name: "a scenario never tried before one always passed",
			entries: then(fullMarks("troubleshooting"),
				practice("node-notready", "troubleshooting", day(3), 0, 2, "ready"),
				practice("controlplane-broken", "troubleshooting", day(2), 2, 2),
				practice("service-no-endpoints", "services-and-networking", day(1), 2, 2)),
			candidates: catalog("controlplane-broken", "kubelet-broken", "local-storage"),
			want:       "kubelet-broken",
			reason:     "Troubleshooting is your weakest domain (51% over your last 2 practice attempts); you have not tried kubelet-broken yet",
		},
		{
			name: "never the one just passed with full marks",
			entries: then(fullMarks("troubleshooting"),
				practice("kubelet-broken", "troubleshooting", day(2), 0, 2, "kubelet-running"),
				practice("node-notready", "troubleshooting", day(1), 0, 2, "ready"),
				practice("kubelet-broken", "troubleshooting", now, 2, 2),
			),
			candidates: catalog("kubelet-broken", "node-notready", "local-storage"),
			want:       "node-notready",
			reason:     "Troubleshooting is your weakest domain (34% over your last 3 practice attempts); you missed check 'ready' in node-notready once",
		},
		{
			name: "the only one of its domain just passed: the next domain",
			entries: then(fullMarks("troubleshooting", "storage"),
				practice("local-storage", "storage", day(1), 1, 2, "pv"),
				practice("kubelet-broken", "troubleshooting", day(2), 0, 2, "kubelet-running"),
				practice("kubelet-broken", "troubleshooting", now, 1, 2, "kubelet-running"),
				practice("rbac-deployer", "cluster-architecture", now, 2, 2),
				exam.Entry{Kind: exam.KindExam, When: now, Exam: &exam.ExamResult{Tasks: []exam.TaskResult{
					{Scenario: "kubelet-broken", Domain: "troubleshooting", Earned: 2, Total: 2, Score: 50, Max: 50}}}},
			),
			candidates: catalog("kubelet-broken", "local-storage"),
			want:       "local-storage",
			reason:     "You just passed kubelet-broken, the only troubleshooting scenario here, with full marks; of the rest, storage is your weakest domain (50% over your last practice attempt); you missed check 'pv' in local-storage once",
		},
		{
			name:       "a domain the lab cannot practise is passed over",
			entries:    fullMarks("troubleshooting"),
			candidates: catalog("drain-worker", "rbac-deployer"),
			want:       "drain-worker",
			reason:     "The lab can run no troubleshooting scenario; you have had full marks lately in every domain you can practise here; cluster-architecture weighs the most (25% of the exam); you have not tried drain-worker yet",
		},
		{
			name: "failing lately before passed after failing before, and before always passed",
			entries: then(fullMarks("troubleshooting"),
				practice("kubelet-broken", "troubleshooting", day(5), 0, 2, "kubelet-running"),
				practice("kubelet-broken", "troubleshooting", day(4), 2, 2),
				practice("controlplane-broken", "troubleshooting", day(3), 2, 2),
				practice("node-notready", "troubleshooting", day(3), 1, 2, "ready"),
				practice("local-storage", "storage", day(0), 2, 2),
			),
			candidates: catalog("controlplane-broken", "kubelet-broken", "node-notready"),
			want:       "node-notready",
		},
		{
			name: "passed after failing: see whether it stuck, before one always passed",
			entries: then(fullMarks("troubleshooting"),
				practice("kubelet-broken", "troubleshooting", day(5), 0, 2, "kubelet-running"),
				practice("kubelet-broken", "troubleshooting", day(4), 2, 2),
				practice("controlplane-broken", "troubleshooting", day(3), 2, 2),
				practice("node-notready", "troubleshooting", day(3), 1, 2, "ready"),
				practice("local-storage", "storage", day(0), 2, 2),
			),
			candidates: catalog("controlplane-broken", "kubelet-broken"),
			want:       "kubelet-broken",
			reason:     "Troubleshooting is your weakest domain (63% over your last 4 practice attempts); you passed kubelet-broken last time after missing check 'kubelet-running' once: see whether it stuck",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cands := tc.candidates
			if cands == nil {
				cands = catalog()
			}
			got, err := exam.Recommend(tc.entries, cands, cka.Weights(), now)
			if err != nil {
				t.Fatal(err)
			}
			if got.Scenario != tc.want || got.Title != "Title of "+tc.want {
				t.Errorf("Recommend() = %s (%s), want %s\nreason: %s", got.Scenario, got.Title, tc.want, got.Reason)
			}
			if tc.reason != "" && got.Reason != tc.reason {
				t.Errorf("reason:\n got %q\nwant %q", got.Reason, tc.reason)
			}
		})
	}
}

func TestRecommendNothing(t *testing.T) {
	_, err := exam.Recommend(nil, nil, cka.Weights(), t0)
	if !errors.Is(err, exam.ErrNothingToRecommend) {
		t.Errorf("Recommend() of no candidates: %v, want ErrNothingToRecommend", err)
	}
	just := []exam.Entry{practice("kubelet-broken", "troubleshooting", t0, 2, 2)}
	_, err = exam.Recommend(just, catalog("kubelet-broken"), cka.Weights(), t0)
	if !errors.Is(err, exam.ErrNothingToRecommend) || !strings.Contains(err.Error(), "kubelet-broken is the only scenario to choose from, and you just passed it with full marks") {
		t.Errorf("Recommend() of the one just passed: %v", err)
	}
}

// TestRecommendCarriesTheFailedChecks: the recommendation lists the
// scenario's failed checks, the most often first, and its domain's
// strength.
func TestRecommendCarriesTheFailedChecks(t *testing.T) {
	entries := []exam.Entry{
		practice("kubelet-broken", "troubleshooting", t0, 0, 5, "kubelet-running", "config"),
		practice("local-storage", "storage", t0, 1, 1),
		practice("kubelet-broken", "troubleshooting", t0.Add(time.Hour), 0, 5, "kubelet-running"),
	}
	got, err := exam.Recommend(entries, catalog("kubelet-broken", "node-notready"), map[string]int{"troubleshooting": 30, "storage": 10}, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got.Scenario != "kubelet-broken" || got.Domain != "troubleshooting" || len(got.FailedChecks) != 2 ||
		got.FailedChecks[0].Check != "kubelet-running" || got.FailedChecks[0].Count != 2 || got.FailedChecks[1].Check != "config" {
		t.Errorf("Recommend() = %+v", got)
	}
	if s := got.Strength; s.Domain != "troubleshooting" || !s.Tried || s.Percent != 0 || s.Practices != 2 {
		t.Errorf("strength %+v", s)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
