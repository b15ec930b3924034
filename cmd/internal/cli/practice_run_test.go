package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/lab"
)

func TestRunListMarksWhatTheLabCannotRun(t *testing.T) {
	r := newRunApp(t)
	apiless := func(context.Context) *lab.Info { return &lab.Info{Provider: "sim"} }
	if err := runList(context.Background(), &listOptions{app: r.app, labInfo: apiless, Output: "table", Domain: "storage"}); err != nil {
		t.Fatal(err)
	}
	want := "ID                     DOMAIN    DIFFICULTY   TIME   POINTS   THIS LAB      TITLE\n" +
		"default-storageclass   storage   easy         6m     8        ✗ needs api   A new default StorageClass that keeps its volumes\n" +
		"local-storage          storage   medium       10m    10       ✗ needs api   A local PersistentVolume behind a no-provisioner StorageClass\n"
	if r.out.String() != want {
		t.Errorf("list --domain storage on a lab without api:\n%s\nwant\n%s", r.out, want)
	}
	if r.errOut.Len() != 0 {
		t.Errorf("stderr with a lab: %q", r.errOut)
	}

	r = newRunApp(t)
	if err := runList(context.Background(), &listOptions{app: r.app, labInfo: fakeLab, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var entries []listEntry
	decodeJSON(t, "list -o json", r.out.Bytes(), &entries)
	if len(entries) < 2 {
		t.Fatalf("list -o json: %d entries", len(entries))
	}
	// What the built-in scenarios that a lab with the API alone cannot run
	// lack: kubelets, node access (kind) or NetworkPolicy enforcement.
	lacking := map[string]string{
		"controlplane-broken": "kubelet, node", "crictl-inspect": "kubelet, node", "etcd-backup": "kubelet, node", "etcd-restore": "kubelet, node",
		"kubeadm-certs":  "kubelet, node",
		"kubelet-broken": "kubelet, node", "node-notready": "kubelet, node", "static-pod": "kubelet, node",
		"metrics-server": "kubelet", "netpol-cross-namespace": "kubelet, network", "netpol-deny-ingress": "kubelet, network",
	}
	for _, e := range entries {
		if want, ok := lacking[e.ID]; ok {
			if e.Runnable == nil || *e.Runnable || e.Missing != want {
				t.Errorf("%s on a lab with api only: runnable %v, missing %q, want missing %s", e.ID, e.Runnable, e.Missing, want)
			}
			continue
		}
		if e.Runnable == nil || !*e.Runnable || e.Missing != "" {
			t.Errorf("%s on a lab with api: runnable %v, missing %q", e.ID, e.Runnable, e.Missing)
		}
	}

	err := runList(context.Background(), &listOptions{app: r.app, labInfo: noLabHere, Output: "table", Domain: "nope"})
	wantExit(t, "list --domain nope", err, ExitUsage)
}

func TestRunShowUsesTheLabsNodeNames(t *testing.T) {
	r := newRunApp(t)
	if err := runShow(context.Background(), &showOptions{app: r.app, labInfo: fakeLab, Scenario: "taint-toleration"}); err != nil {
		t.Fatal(err)
	}
	// fakeLab's workers sort as w-1, w-2: the first is .Nodes.Worker.
	if !strings.Contains(r.out.String(), "Node `w-1` is reserved for databases") {
		t.Errorf("show on a lab with nodes w-1, w-2: the task does not name w-1:\n%s", r.out)
	}

	err := runShow(context.Background(), &showOptions{app: r.app, labInfo: noLabHere, Scenario: "nope"})
	if err == nil || !strings.Contains(err.Error(), `no scenario "nope"`) {
		t.Errorf("show nope: %v", err)
	}
}

func TestRunLearn(t *testing.T) {
	r := newRunApp(t)
	if err := runLearn(context.Background(), &learnOptions{app: r.app, Topic: new("rbac"), Output: "text"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.out.String(), "# RBAC with Roles, ClusterRoles and bindings\n\n") || !strings.HasSuffix(r.out.String(), "\nPractise: ckalab start rbac-deployer | ckalab start rbac-cluster-reader | ckalab start rbac-aggregate-view | ckalab start serviceaccount-no-token\n") {
		t.Errorf("learn rbac:\n%s", r.out)
	}

	r = newRunApp(t)
	if err := runLearn(context.Background(), &learnOptions{app: r.app, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var lessons []struct{ Slug string }
	decodeJSON(t, "learn -o json", r.out.Bytes(), &lessons)
	if len(lessons) == 0 || lessons[0].Slug == "" {
		t.Errorf("learn -o json: %s", r.out)
	}

	// An empty topic names no lesson; it does not list them.
	err := runLearn(context.Background(), &learnOptions{app: r.app, Topic: new(""), Output: "text"})
	if err == nil || !strings.Contains(err.Error(), `lesson "" not found`) {
		t.Errorf(`learn "": %v`, err)
	}
}

// TestRunHint: each call shows one hint more, and the attempt remembers
// how many; --all shows them all.
func TestRunHint(t *testing.T) {
	r := newRunApp(t)
	open, store := r.fakeSession(t)

	err := runHint(context.Background(), &hintOptions{app: r.app, session: open})
	wantExit(t, "hint without a started scenario", err, ExitUsage)

	opts := &hintOptions{app: r.app, session: open, Scenario: new("drain-worker")}
	if err := runHint(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if got := r.out.String(); !strings.HasPrefix(got, "Hint 1/2: ") || strings.Contains(got, "Hint 2/2") {
		t.Errorf("first hint:\n%s", got)
	}
	if r.errOut.String() != "Run `ckalab hint` again for the next one.\n" {
		t.Errorf("first hint: stderr %q", r.errOut)
	}
	if att, err := store.Current("ckalab-test"); err != nil || att == nil || att.Scenario != "drain-worker" || att.HintsShown != 1 {
		t.Fatalf("after the first hint: attempt %+v, %v", att, err)
	}

	// Now the current attempt; the hint's template names fakeLab's worker.
	r.out.Reset()
	if err := runHint(context.Background(), &hintOptions{app: r.app, session: open}); err != nil {
		t.Fatal(err)
	}
	if got := r.out.String(); !strings.Contains(got, "Hint 1/2: ") || !strings.Contains(got, "Hint 2/2: ") || !strings.Contains(got, "spec.nodeName=w-1") {
		t.Errorf("second hint:\n%s", got)
	}

	r.out.Reset()
	if err := runHint(context.Background(), &hintOptions{app: r.app, session: open, Scenario: new("daemonset-everywhere"), All: true}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(r.out.String(), "Hint "); n != 3 {
		t.Errorf("hint --all: %d hints, want 3:\n%s", n, r.out)
	}
}

func TestRunSolutionShowsTheSteps(t *testing.T) {
	r := newRunApp(t)
	open, _ := r.fakeSession(t)
	if err := runSolution(context.Background(), &solutionOptions{app: r.app, session: open, Scenario: new("rbac-deployer")}); err != nil {
		t.Fatal(err)
	}
	got := r.out.String()
	for _, want := range []string{"Solution: ", "\n1. $ kubectl create serviceaccount deployer -n team-a\n", "\n     kind: ServiceAccount\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("solution rbac-deployer lacks %q:\n%s", want, got)
		}
	}
}

// TestRunChecksItsOptionsBeforeTheLab: a bad command line is said before
// a lab is looked for.
func TestRunChecksItsOptionsBeforeTheLab(t *testing.T) {
	r := newRunApp(t)
	ctx := context.Background()
	for name, err := range map[string]error{
		"grade -o yaml":                 runGrade(ctx, &gradeOptions{app: r.app, session: noSession(t), Output: "yaml"}),
		"lab reset -o yaml":             runLabReset(ctx, &labResetOptions{app: r.app, session: noSession(t), Output: "yaml"}),
		"scenario test -o yaml":         runScenarioTest(ctx, &scenarioTestOptions{app: r.app, session: noSession(t), All: true, Output: "yaml"}),
		"scenario test without --all":   runScenarioTest(ctx, &scenarioTestOptions{app: r.app, session: noSession(t), Output: "text"}),
		"scenario test ids and --all":   runScenarioTest(ctx, &scenarioTestOptions{app: r.app, session: noSession(t), Scenarios: []string{"x"}, All: true, Output: "text"}),
		"scenario validate without any": runScenarioValidate(ctx, &scenarioValidateOptions{app: r.app}),
	} {
		wantExit(t, name, err, ExitUsage)
	}
	if r.out.Len() != 0 || r.errOut.Len() != 0 {
		t.Errorf("usage errors printed: stdout %q, stderr %q", r.out, r.errOut)
	}
}
