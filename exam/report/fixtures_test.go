package report

import (
	"time"

	"github.com/ckalab/ckalab/grader"
)

var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// check builds a grader result; a failed one explains itself.
func check(id, title string, pts int, passed bool) grader.Result {
	r := grader.Result{ID: id, Title: title, Type: "object", Points: pts, Passed: passed,
		Elapsed: 300 * time.Millisecond}
	if passed {
		r.Earned = pts
		return r
	}
	r.Elapsed = 5 * time.Second
	r.Why = "the check " + id + " wants " + title
	r.Expected = "as the task says"
	r.Actual = "something else"
	return r
}

func grade(scenario string, results ...grader.Result) *grader.Report {
	r := &grader.Report{Scenario: scenario, Results: results}
	for _, res := range results {
		r.Total += res.Points
		r.Earned += res.Earned
	}
	r.Passed = r.Earned == r.Total
	return r
}

// passingExam: weights adding up to 100, graded early, one task partial.
func passingExam() Exam {
	return Exam{
		ID: "exam-7f3a", Title: "CKA practice exam 1",
		Started: t0, Deadline: t0.Add(2 * time.Hour), GradedAt: t0.Add(97*time.Minute + 30*time.Second),
		PassMark: 66,
		Tasks: []Task{
			{N: 1, Scenario: "taint-toleration", Title: "Schedule a pod on a tainted node", Domain: "workloads-and-scheduling", Weight: 15,
				Grade: grade("taint-toleration", check("toleration", "the pod tolerates the taint", 2, true), check("running", "the pod runs on node01", 3, true))},
			{N: 2, Scenario: "etcd-backup", Title: "Back up etcd", Domain: "cluster-architecture", Weight: 25,
				Grade: grade("etcd-backup", check("snapshot", "a snapshot is at /opt/backup/etcd.db", 4, true))},
			{N: 3, Scenario: "netpol-deny-ingress", Title: "Deny ingress to the database", Domain: "services-and-networking", Weight: 20, Flagged: true,
				Grade: grade("netpol-deny-ingress", check("policy", "a policy selects the db pods", 2, true), check("blocked", "web cannot reach db", 3, false))},
			{N: 4, Scenario: "pvc-bind", Title: "Bind a claim", Domain: "storage", Weight: 10,
				Grade: grade("pvc-bind", check("bound", "the claim is bound", 2, true))},
			{N: 5, Scenario: "kubelet-broken", Title: "Repair the kubelet on node01", Domain: "troubleshooting", Weight: 30,
				Grade: grade("kubelet-broken", check("ready", "node01 is Ready", 5, true))},
		},
	}
}

// failingExam: graded late, a task not graded, flagged tasks, long and
// multi-line explanations, no points on one task.
func failingExam() Exam {
	long := check("endpoints", "the service has endpoints", 3, false)
	long.Why = "A Service routes only to pods whose labels match its selector, and only to those that are Ready; " +
		"check the selector against the pods' labels with kubectl get pods --show-labels and the readiness probe."
	long.Expected = "at least 2 ready endpoints behind service web in namespace shop"
	long.Actual = "0 endpoints: the selector app=web-frontend matches no pod (pods are labelled app=web)"
	long.Problems = []string{"spec.selector.app: want web, have web-frontend", "pod web-6d4f9 is not Ready: readiness probe failed"}
	multi := check("static", "the static pod's manifest is fixed", 2, false)
	multi.Expected = "spec:\n  containers:\n  - image: registry.k8s.io/kube-scheduler:v1.37.2"
	multi.Actual = "spec:\n  containers:\n  - image: registry.k8s.io/kube-scheduler:v1.37.2x (ErrImagePull: the tag does not exist)"
	return Exam{
		ID: "exam-0c19", Title: "CKA practice exam 2",
		Started: t0, Deadline: t0.Add(2 * time.Hour), GradedAt: t0.Add(9*time.Hour + 12*time.Minute), GradedLate: true,
		PassMark: 66,
		Tasks: []Task{
			{N: 1, Scenario: "rbac-readonly", Title: "Give the auditor read-only access to pods", Domain: "cluster-architecture", Weight: 10,
				Grade: grade("rbac-readonly", check("role", "a role allows get, list, watch on pods", 2, true), check("binding", "the auditor is bound to it", 2, true))},
			{N: 2, Scenario: "etcd-backup", Title: "Back up etcd", Domain: "cluster-architecture", Weight: 15,
				Note: "setup failed: etcd did not become ready within 60s", Grade: nil},
			{N: 3, Scenario: "deploy-scale", Title: "Scale the web deployment and roll out a new image", Domain: "workloads-and-scheduling", Weight: 15, Flagged: true,
				Grade: grade("deploy-scale", check("replicas", "web has 4 replicas", 2, true), check("image", "web runs nginx:1.27", 2, false), check("rollout", "the rollout completed", 1, false))},
			{N: 4, Scenario: "svc-endpoints", Title: "Fix the web service so that it has endpoints", Domain: "services-and-networking", Weight: 20,
				Grade: grade("svc-endpoints", check("svc", "service web exists", 1, true), long)},
			{N: 5, Scenario: "pvc-bind", Title: "Bind a claim", Domain: "storage", Weight: 10, Flagged: true,
				Grade: grade("pvc-bind", check("bound", "the claim is bound", 2, false))},
			{N: 6, Scenario: "controlplane-broken", Title: "Bring the scheduler back", Domain: "troubleshooting", Weight: 30,
				Grade: grade("controlplane-broken", check("running", "kube-scheduler runs", 2, true), multi)},
		},
	}
}

// oddWeightsExam: weights that add up to 7, one task of no known domain,
// graded at the deadline.
func oddWeightsExam() Exam {
	return Exam{
		ID: "exam-weights", Title: "Weights that add up to 7",
		Started: t0, Deadline: t0.Add(30 * time.Minute), GradedAt: t0.Add(30 * time.Minute),
		PassMark: 50,
		Tasks: []Task{
			{N: 3, Scenario: "c", Title: "Third", Domain: "troubleshooting", Weight: 1,
				Grade: grade("c", check("x", "x", 1, true), check("y", "y", 2, false))},
			{N: 1, Scenario: "a", Title: "First", Domain: "storage", Weight: 4,
				Grade: grade("a", check("x", "x", 1, true), check("y", "y", 1, true), check("z", "z", 1, false))},
			{N: 2, Scenario: "b", Title: "Second", Domain: "", Weight: 2,
				Grade: grade("b", check("x", "x", 1, true))},
		},
	}
}
