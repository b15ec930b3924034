package cli

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios/runner"
)

func TestRunListMarksWhatTheLabCannotRun(t *testing.T) {
	r := newRunApp(t)
	apiless := func(context.Context) *lab.Info { return &lab.Info{Provider: "sim"} }
	if err := runList(context.Background(), &listOptions{app: r.app, labInfo: apiless, Output: "table", Domain: "storage"}); err != nil {
		t.Fatal(err)
	}
	want := "ID                              DOMAIN    DIFFICULTY   TIME   POINTS   THIS LAB      TITLE\n" +
		"default-storageclass            storage   easy         6m     8        ✗ needs api   A new default StorageClass that keeps its volumes\n" +
		"local-storage                   storage   medium       10m    10       ✗ needs api   A local PersistentVolume behind a no-provisioner StorageClass\n" +
		"pv-reclaim-access               storage   medium       8m     9        ✗ needs api   A retained volume for a claim, and an old volume kept when its claim goes\n" +
		"pv-static-binding               storage   medium       8m     8        ✗ needs api   Bind a claim to one chosen PersistentVolume\n" +
		"pvc-access-modes-storageclass   storage   medium       9m     9        ✗ needs api   Change an immutable StorageClass's reclaim policy, and claim a single-pod block or file volume\n" +
		"pvc-expand                      storage   easy         6m     8        ✗ needs api   Grow a bound PersistentVolumeClaim in place\n" +
		"storageclass-binding-mode       storage   medium       9m     10       ✗ needs api   A default StorageClass that binds where the pod runs\n"
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
		"coredns-broken": "kubelet, network", "pod-connectivity": "kubelet, network", "kubeadm-ha-config": "node",
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
	open, store := r.fakeSession(t)
	if err := runShow(context.Background(), &showOptions{app: r.app, labInfo: fakeLab, session: open, Scenario: "taint-toleration"}); err != nil {
		t.Fatal(err)
	}
	// fakeLab's workers sort as w-1, w-2: the first is .Nodes.Worker.
	if !strings.Contains(r.out.String(), "Node `w-1` is reserved for databases") {
		t.Errorf("show on a lab with nodes w-1, w-2: the task does not name w-1:\n%s", r.out)
	}

	// A scenario started on the lab shows the values drawn for its
	// attempt (here the second port), not the first ones.
	r.out.Reset()
	if err := store.Put("ckalab-test", &runner.Attempt{Scenario: "service-no-endpoints", Vars: map[string]string{"cause": "targetPort", "port": "8000"}}); err != nil {
		t.Fatal(err)
	}
	if err := runShow(context.Background(), &showOptions{app: r.app, labInfo: fakeLab, session: open, Scenario: "service-no-endpoints"}); err != nil {
		t.Fatal(err)
	}
	if got := r.out.String(); !strings.Contains(got, "`web.storefront:8000`") || strings.Contains(got, "8080") {
		t.Errorf("show of a started scenario: not the attempt's port 8000:\n%s", got)
	}

	err := runShow(context.Background(), &showOptions{app: r.app, labInfo: noLabHere, session: noSession(t), Scenario: "nope"})
	if err == nil || !strings.Contains(err.Error(), `no scenario "nope"`) {
		t.Errorf("show nope: %v", err)
	}
}

func TestRunLearn(t *testing.T) {
	r := newRunApp(t)
	if err := runLearn(context.Background(), &learnOptions{app: r.app, Topic: new("rbac"), Output: "text"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.out.String(), "# RBAC with Roles, ClusterRoles and bindings\n\n") || !strings.HasSuffix(r.out.String(), "\nPractise: ckalab start rbac-deployer | ckalab start rbac-cluster-reader | ckalab start rbac-aggregate-view | ckalab start serviceaccount-no-token | ckalab start csr-user-access\n") {
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

// The lessons' language: --lang, else LC_ALL, LC_MESSAGES, LANG; English
// where a lesson has no translation, saying so.
func TestRunLearnLanguages(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		env    map[string]string
		flag   string
		topic  string
		want   string // start of stdout
		stderr string
	}{
		{"LANG fr_FR.UTF-8", map[string]string{"LANG": "fr_FR.UTF-8"}, "", "pod-security", "# L'admission Pod Security\n", ""},
		{"LC_MESSAGES wins over LANG", map[string]string{"LANG": "en_US.UTF-8", "LC_MESSAGES": "fr_CA"}, "", "pod-security", "# L'admission Pod Security\n", ""},
		{"LC_ALL wins over both", map[string]string{"LANG": "fr_FR.UTF-8", "LC_ALL": "C"}, "", "pod-security", "# Pod Security admission\n", ""},
		{"--lang wins over the environment", map[string]string{"LANG": "fr_FR.UTF-8"}, "en", "pod-security", "# Pod Security admission\n", ""},
		{"a language lessons are not written in", map[string]string{"LANG": "de_DE.UTF-8"}, "", "pod-security", "# Pod Security admission\n", ""},
		{"no translation yet", map[string]string{"LANG": "fr_FR.UTF-8"}, "", "deployments-rollouts", "# Rolling updates and rollbacks\n", "No fr version of this lesson yet; here it is in English.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunApp(t)
			for k, v := range tc.env {
				r.vars[k] = v
			}
			if err := runLearn(ctx, &learnOptions{app: r.app, Topic: new(tc.topic), Output: "text", Lang: tc.flag}); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(r.out.String(), tc.want) || r.errOut.String() != tc.stderr {
				t.Errorf("stdout starts %q, stderr %q; want %q, %q", firstLine(r.out.String()), r.errOut, tc.want, tc.stderr)
			}
		})
	}

	r := newRunApp(t)
	err := runLearn(ctx, &learnOptions{app: r.app, Topic: new("rbac"), Output: "text", Lang: "de"})
	if wantExit(t, "learn --lang de", err, ExitUsage); err == nil || !strings.Contains(err.Error(), "lessons exist in en, fr") {
		t.Errorf("learn --lang de: %v", err)
	}

	// The list: translated titles where there are some.
	r = newRunApp(t)
	if err := runLearn(ctx, &learnOptions{app: r.app, Output: "json", Lang: "fr"}); err != nil {
		t.Fatal(err)
	}
	var lessons []struct{ Slug, Title, Lang string }
	decodeJSON(t, "learn --lang fr -o json", r.out.Bytes(), &lessons)
	byslug := map[string]string{}
	for _, l := range lessons {
		byslug[l.Slug] = l.Lang + ": " + l.Title
	}
	if byslug["pod-security"] != "fr: L'admission Pod Security" || byslug["deployments-rollouts"] != "en: Rolling updates and rollbacks" {
		t.Errorf("learn --lang fr -o json: %v", byslug)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// list --coverage: every curriculum line, with the built-in scenarios that
// practise it, and a summary on stderr.
func TestRunListCoverage(t *testing.T) {
	r := newRunApp(t)
	if err := runList(context.Background(), &listOptions{app: r.app, labInfo: noLabHere, Output: "json", Coverage: true}); err != nil {
		t.Fatal(err)
	}
	var lines []struct {
		Domain, Competency string
		Scenarios          []string
	}
	decodeJSON(t, "list --coverage -o json", r.out.Bytes(), &lines)
	if len(lines) != 27 {
		t.Fatalf("%d lines, want the curriculum's 27", len(lines))
	}
	total := 0
	for _, l := range lines {
		total += len(l.Scenarios)
		if l.Competency == "Define and enforce Network Policies" && !slices.Equal(l.Scenarios, []string{"netpol-cross-namespace", "netpol-deny-ingress"}) {
			t.Errorf("%s: %q", l.Competency, l.Scenarios)
		}
	}
	all, err := r.app.allScenarios()
	if err != nil {
		t.Fatal(err)
	}
	if total != len(all) {
		t.Errorf("%d scenarios over the lines, want every built-in one once (%d)", total, len(all))
	}

	r = newRunApp(t)
	if err := runList(context.Background(), &listOptions{app: r.app, labInfo: noLabHere, Output: "table", Coverage: true, Domain: "storage"}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(r.out.String(), "\n"); n != 4 {
		t.Errorf("list --coverage --domain storage: %d lines, want a header and storage's 3:\n%s", n, r.out)
	}
	if !strings.Contains(r.errOut.String(), " of 3 curriculum lines covered") {
		t.Errorf("stderr %q: want the summary", r.errOut)
	}

	err = runList(context.Background(), &listOptions{app: newRunApp(t).app, labInfo: noLabHere, Output: "markdown"})
	if wantExit(t, "list -o markdown", err, ExitUsage); err == nil || !strings.Contains(err.Error(), "only with --coverage") {
		t.Errorf("list -o markdown without --coverage: %v", err)
	}
}
