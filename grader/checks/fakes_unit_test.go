package checks_test

// Unit tests of every check kind against client-go's fakes: no sim lab, no
// CKALAB_SIM_BIN, no t.Skip; they run under `go test -short`. They add fast
// coverage; the integration tests against the real sim (match_test.go,
// cani_test.go, ready_test.go, ...) stay as they are and remain the only
// proof against a real API server.
//
//	kind             unit test                file                          fails (at least) when
//	---------------  -----------------------  ----------------------------  -----------------------------------------
//	match            TestMatchUnit            match_unit_test.go            a field or expr differs; object missing;
//	                                                                        unknown kind (an error, never a pass)
//	absent           TestAbsentUnit           absent_unit_test.go           a (namespaced or cluster-scoped) object
//	                                                                        still matches; an API error
//	admits           TestAdmitsUnit           admits_unit_test.go           accepted when it should be refused;
//	                                                                        refused for another reason; refused when
//	                                                                        it should be accepted; admitted as other
//	                                                                        than result; no decision (an error,
//	                                                                        never a pass); invalid specs
//	canI             TestCanIUnit             cani_unit_test.go             too little access; too much access; the
//	                                                                        service account is missing; API error
//	ready            TestReadyUnit            ready_unit_test.go            not Ready / Pending; count; nodes,
//	                                                                        avoidNodes, everyNode; no pods; no
//	                                                                        workload; steadyFor: a restart or a cut
//	                                                                        window (also ready_steady_test.go)
//	tolerates        TestToleratesUnit        tolerates_unit_test.go        wrong value or effect; a template without
//	                                                                        tolerations; no pod; taint off the node
//	answerFile       TestAnswerFileUnit       answerfile_unit_test.go       yaml, json, text, kubeconfig differ;
//	                                                                        missing file; invalid json; a fact
//	                                                                        that cannot be read (TestFactsUnit in
//	                                                                        facts_unit_test.go: each source, a
//	                                                                        missing object, a failing command, not
//	                                                                        a certificate)
//	nodeFile         TestNodeFileUnit         nodefile_unit_test.go         yaml, json, text differ; missing file; a
//	                                                                        file that must not exist does; invalid
//	                                                                        yaml; no node access (sim)
//	nodeCommand      TestNodeCommandUnit      nodecommand_unit_test.go      exit code, stdout differ; command not
//	                                                                        found; no node access; a command or flag
//	                                                                        off the read-only allow-list (validation)
//	etcdSnapshot     TestEtcdSnapshotUnit     etcdsnapshot_unit_test.go     no file; not bbolt; bad or no sha256
//	                                                                        (truncated, a db copy); no key bucket;
//	                                                                        marker missing, deleted, with another uid,
//	                                                                        gone from the API; too large; no node
//	                                                                        access (snapshots built in the test)
//	podLogs          TestPodLogsUnit          podlogs_unit_test.go          a log differs (each pod's); no pod; the
//	                                                                        log cannot be read
//	podExec          TestPodExecUnit          podexec_unit_test.go          exit code, stdout differ; command not in
//	                                                                        the image; the exec cannot run; no pod,
//	                                                                        pod not Running; no pod exec in the lab
//	traffic          TestTrafficUnit          traffic_unit_test.go          allowed: timed out, refused, DNS fails;
//	                                                                        denied: connects, refused, probe broken,
//	                                                                        control also blocked; no source pod;
//	                                                                        target pod or Service missing; no nc
//	staticPod        TestStaticPodUnit        staticpod_unit_test.go        no mirror pod; a pod made through the
//	                                                                        API; crash-looping; the manifest not in
//	                                                                        the kubelet's staticPodPath; no node
//	                                                                        access
//	componentHealth  TestComponentHealthUnit  componenthealth_unit_test.go  Node not Ready; kubelet unit inactive;
//	                                                                        mirror pod missing or crash-looping; no
//	                                                                        control-plane node; /readyz failing
//	metrics          TestMetricsUnit          metrics_unit_test.go          APIService not Available (its condition
//	                                                                        reported) or missing; a node (every or a
//	                                                                        listed one) without NodeMetrics; no
//	                                                                        PodMetrics; no Running pod; the metrics
//	                                                                        API answers an error
//
// Each has a passing case too. The fakes: typed objects in
// k8s.io/client-go/kubernetes/fake (ServiceAccounts, pods, nodes;
// SubjectAccessReviews through a reactor), the same objects in
// k8s.io/client-go/dynamic/fake (what match, absent, tolerates and ready's
// workload lookup read) and a fixed RESTMapper, all three made by
// internal/fakelab; for steadyFor a wait injected with checks.SetReadyWait
// (export_test.go). The node kinds run on fakelab.Nodes (files and
// systemd units in memory; a test's Run hook answers crictl, find and the
// like), pod logs come from a GetLogs reactor, and /readyz from
// checks.SetComponentReadyz. metrics reads the APIService and
// the metrics.k8s.io objects from a dynamic fake of its own (metricsLab:
// they are in no scheme the fakes know, and their resources are not what
// the fake guesses from their kinds). podExec and traffic run their commands
// through fakelab.SetPodExec (traffic's answers are busybox's nc and wget
// messages, from a fake network of open, refused and unresolved paths),
// and traffic's probes are timed by checks.SetTrafficClock.
//
// The grader's polling loop and report: grader/grader_unit_test.go.
// TestEveryKindHasUnitTest fails when a kind is registered in registry.go
// without an entry in unitTestOf below.
//
// What the fakes cannot express: real RBAC decisions (the reactor answers
// from a rule list written in the test, so canI's unit test proves the
// check's logic, not the authorizer's), admission and defaulting, controllers
// (no pod ever becomes Ready by itself; the tests write the status), field
// selectors on pods other than those fakelab adds (metadata.name,
// metadata.namespace, spec.nodeName), server-side quantity normalisation,
// discovery (the mapper is a fixed table, so a CRD appearing and
// Mapper.Reset are not exercised), and one store behind both clients (a
// change made through the typed fake is not seen by the dynamic one).
// Those stay covered by the sim tests. Nor can they run a command in a
// pod: what a container prints and how a network with policies answers
// are the tests' own words, checked against busybox's sources, not
// against a real container (the sim has none: that needs a kind lab).

import (
	"context"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/grader/checks"
	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
)

// unitTestOf names, for every registered check kind, its unit test.
var unitTestOf = map[string]func(*testing.T){
	"match":           TestMatchUnit,
	"absent":          TestAbsentUnit,
	"admits":          TestAdmitsUnit,
	"canI":            TestCanIUnit,
	"ready":           TestReadyUnit,
	"tolerates":       TestToleratesUnit,
	"answerFile":      TestAnswerFileUnit,
	"nodeFile":        TestNodeFileUnit,
	"nodeCommand":     TestNodeCommandUnit,
	"etcdSnapshot":    TestEtcdSnapshotUnit,
	"podLogs":         TestPodLogsUnit,
	"podExec":         TestPodExecUnit,
	"traffic":         TestTrafficUnit,
	"staticPod":       TestStaticPodUnit,
	"componentHealth": TestComponentHealthUnit,
	"metrics":         TestMetricsUnit,
}

func TestEveryKindHasUnitTest(t *testing.T) {
	kinds := checks.All()
	for _, name := range kinds.Names() {
		if unitTestOf[name] == nil {
			t.Errorf("check kind %q has no unit test against the fakes: add one and list it in unitTestOf and the table in fakes_unit_test.go", name)
		}
	}
	for name := range unitTestOf {
		if _, ok := kinds[name]; !ok {
			t.Errorf("unitTestOf lists %q, which is not a registered check kind", name)
		}
	}
}

// unitLab is a lab made of client-go's fakes (internal/fakelab), with the
// grader's view of it. Every object is stored in both the typed clientset
// (which canI, ready and tolerates' node read) and the dynamic client
// (which match, absent, tolerates' targets and ready's workloads read), so
// both views agree at the start. Changes made through one of them are not
// seen by the other.
type unitLab struct {
	Cluster *lab.Cluster
	Kube    *kubefake.Clientset
	Dynamic *dynamicfake.FakeDynamicClient
	Env     *grader.Env
}

// newUnitLab builds the fakes holding the objects of a YAML manifest;
// namespaced objects without a namespace go to "default".
func newUnitLab(t *testing.T, manifest string) *unitLab {
	t.Helper()
	c := fakelab.New(t, fakelab.Manifest(t, manifest)...)
	kube, dyn := fakelab.Fakes(c)
	return &unitLab{Cluster: c, Kube: kube, Dynamic: dyn, Env: &grader.Env{Cluster: c, AnswerDir: t.TempDir()}}
}

// withNodes gives the lab nodes in memory (fakelab.Nodes), reached as a
// kind lab reaches its nodes.
func (l *unitLab) withNodes(names ...string) *fakelab.Nodes {
	nodes := fakelab.NewNodes(names...)
	l.Cluster.Exec = nodes
	return nodes
}

// unitPass observes once and wants a pass without problems.
func unitPass(t *testing.T, chk grader.Check, env *grader.Env) grader.Observation {
	t.Helper()
	obs := chk.Observe(context.Background(), env)
	if !obs.Passed || len(obs.Problems) != 0 {
		t.Fatalf("want a pass: passed %v, actual %q, problems %q", obs.Passed, obs.Actual, obs.Problems)
	}
	if obs.Expected == "" || obs.Actual == "" {
		t.Errorf("a pass should still explain itself: expected %q, actual %q", obs.Expected, obs.Actual)
	}
	return obs
}

// unitFail observes once and wants a failure that says why: a problem
// containing every fragment, and an expected and actual rendering.
func unitFail(t *testing.T, chk grader.Check, env *grader.Env, fragments ...string) grader.Observation {
	t.Helper()
	obs := chk.Observe(context.Background(), env)
	if obs.Passed {
		t.Fatalf("want a failure: passed, actual %q", obs.Actual)
	}
	if len(obs.Problems) == 0 || obs.Actual == "" {
		t.Errorf("a failure must say why: actual %q, problems %q", obs.Actual, obs.Problems)
	}
	unitWantProblem(t, obs, fragments...)
	return obs
}

func unitWantProblem(t *testing.T, obs grader.Observation, fragments ...string) {
	t.Helper()
	for _, p := range obs.Problems {
		all := true
		for _, f := range fragments {
			if !strings.Contains(p, f) {
				all = false
				break
			}
		}
		if all {
			return
		}
	}
	t.Errorf("no problem containing %q; problems: %q (actual %q)", fragments, obs.Problems, obs.Actual)
}

func unitWantContains(t *testing.T, what, got string, fragments ...string) {
	t.Helper()
	for _, f := range fragments {
		if !strings.Contains(got, f) {
			t.Errorf("%s %q does not contain %q", what, got, f)
		}
	}
}

// unitWantInvalid builds a check body that must not validate, and wants a
// problem containing want.
func unitWantInvalid(t *testing.T, kind, src, want string) {
	t.Helper()
	_, ps := buildProblems(t, kind, src)
	for _, p := range ps {
		if strings.Contains(p, want) {
			return
		}
	}
	t.Errorf("%s %s: problems %q, want one containing %q", kind, src, ps, want)
}

// unitCase is one check body observed once: a pass, or a failure with a
// problem containing every fragment of why.
type unitCase struct {
	name, src string
	pass      bool
	why       []string
}

// runUnitCases builds each case's check of kind and observes it in env.
func runUnitCases(t *testing.T, kind string, env *grader.Env, cases []unitCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			chk := build(t, kind, c.src)
			if c.pass {
				unitPass(t, chk, env)
				return
			}
			unitFail(t, chk, env, c.why...)
		})
	}
}
