package cli_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/cmd/internal/cli"
	"github.com/ckalab/ckalab/lab/providers"
	"github.com/ckalab/ckalab/scenarios"
)

// The built-in scenarios, as `ckalab list` orders them: the embedded
// folders, by name (the scenarios package's TestBuiltinIDs pins the list
// itself).
var builtinIDs = embeddedScenarioIDs()

func embeddedScenarioIDs() []string {
	dirs, err := fs.ReadDir(scenarios.Builtin(), ".")
	if err != nil {
		panic(err)
	}
	var ids []string
	for _, d := range dirs {
		if d.IsDir() {
			ids = append(ids, d.Name())
		}
	}
	slices.Sort(ids)
	return ids
}

// The built-in scenarios the sim cannot run: they act inside nodes, need
// kubelets (real pods) or NetworkPolicy enforcement (kind).
var nodeScenarioIDs = []string{"controlplane-broken", "coredns-broken", "crictl-inspect", "etcd-backup", "etcd-restore", "kubeadm-certs",
	"kubeadm-ha-config", "kubelet-broken", "metrics-server", "netpol-cross-namespace", "netpol-deny-ingress", "node-notready", "pod-connectivity",
	"static-pod"}

func TestVersion(t *testing.T) {
	h := newHarness(t)

	r := h.expect(cli.ExitOK, "version")
	contains(t, "version", r.stdout,
		"ckalab "+cli.Version+" (go",
		"kind lab: Kubernetes v1.37.2, node image ckalab/node:v1.37.2\n",
		"sim lab: Kubernetes v1.37.2, kwok ",
		"scenario format: ckalab.dev/v1alpha1\n")
	if r.stderr != "" {
		t.Errorf("version: stderr not empty:\n%s", r.stderr)
	}

	r = h.expect(cli.ExitOK, "version", "-o", "json")
	var v struct {
		Version, Go, Platform, ScenarioAPI string
		Labs                               map[string]string
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("version -o json: not JSON: %v\n%s", err, r.stdout)
	}
	if v.Version != cli.Version || v.ScenarioAPI != "ckalab.dev/v1alpha1" || v.Go == "" || v.Platform == "" {
		t.Errorf("version -o json: %+v", v)
	}
	if !strings.HasPrefix(v.Labs["sim"], "Kubernetes v1.37.2, kwok v") || v.Labs["kind"] != "Kubernetes v1.37.2, node image ckalab/node:v1.37.2" {
		t.Errorf("version -o json: labs = %q", v.Labs)
	}
}

func TestHelpListsExitCodes(t *testing.T) {
	h := newHarness(t)
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		r := h.expect(cli.ExitOK, args...)
		contains(t, strings.Join(args, " "), r.stdout,
			"Exit codes:\n",
			"  0  success (grade: full marks)\n",
			"  1  error\n",
			"  2  bad command line\n",
			"  3  grade: not full marks",
			"  4  no lab running",
			"lab         Create, inspect and remove the practice cluster",
		)
	}
}

func TestUsageErrors(t *testing.T) {
	known := strings.Join(providers.All().Names(), ", ") // kind, sim
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // on stderr, after "ERROR: "
	}{
		{"unknown command", []string{"bogus"}, nil, `unknown command "bogus" for "ckalab"`},
		{"unknown subcommand", []string{"lab", "bogus"}, nil, `unknown command "bogus" for "ckalab lab"`},
		{"a typo of a command", []string{"lsit"}, nil, "unknown command \"lsit\" for \"ckalab\"\n\nDid you mean this?\n\tlist"},
		{"a typo of a subcommand", []string{"lab", "stauts"}, nil, "unknown command \"stauts\" for \"ckalab lab\"\n\nDid you mean this?\n\tstatus"},
		{"an argument to cobra's completion command", []string{"completion", "bash", "extra"}, nil, `unknown command "extra" for "ckalab completion bash"`},
		{"argument to a command without arguments", []string{"version", "extra"}, nil, `unknown command "extra" for "ckalab version"`},
		{"unknown flag", []string{"--bogus"}, nil, "unknown flag: --bogus"},
		{"unknown flag of a subcommand", []string{"list", "--bogus"}, nil, "unknown flag: --bogus"},
		{"unknown shorthand flag", []string{"-o", "json"}, nil, "unknown shorthand flag: 'o' in -o"},
		{"flag without its value", []string{"lab", "up", "--provider"}, nil, "flag needs an argument: --provider"},
		{"grade with two scenarios", []string{"grade", "a", "b"}, nil, "accepts at most 1 arg(s), received 2"},
		{"show without a scenario", []string{"show"}, nil, "accepts 1 arg(s), received 0"},
		{"validate without a path", []string{"scenario", "validate"}, nil, "name scenario files or folders, or pass --conflicts"},
		{"version -o yaml", []string{"version", "-o", "yaml"}, nil, `--output "yaml": want text or json`},
		{"list -o yaml", []string{"list", "-o", "yaml"}, nil, `--output "yaml": want table, json or markdown`},
		{"learn -o yaml", []string{"learn", "-o", "yaml"}, nil, `--output "yaml": want text or json`},
		{"lab status -o yaml", []string{"lab", "status", "-o", "yaml"}, nil, `--output "yaml": want table or json`},
		// The output format is checked before the lab is looked for.
		{"grade -o yaml", []string{"grade", "-o", "yaml"}, nil, `--output "yaml": want table or json`},
		{"scenario test -o yaml", []string{"scenario", "test", "--all", "-o", "yaml"}, nil, `--output "yaml": want text or json`},
		{"scenario test without ids or --all", []string{"scenario", "test"}, nil, "name scenarios or pass --all"},
		{"scenario test with ids and --all", []string{"scenario", "test", "--all", "rbac-deployer"}, nil, "name scenarios or pass --all"},
		{"lab up --image with the sim", []string{"lab", "up", "--provider", "sim", "--image", "x:1"}, nil, "--image: the sim provider's nodes do not boot from an image"},
		{"ssh with two nodes", []string{"ssh", "ckalab-worker", "ckalab-worker2"}, nil, "one node, then the command after --: ckalab ssh <node> -- <command>..."},
		{"ssh without a node", []string{"ssh"}, nil, "requires at least 1 arg(s), only received 0"},
		{"images pull a bad name", []string{"images", "pull", "Busybox"}, nil, `image "Busybox": repository names are lower case (an argument is an image like busybox:1.36 or a scenario id)`},
		{"list --domain nope", []string{"list", "--domain", "nope"}, nil, `--domain "nope": want one of cluster-architecture, workloads-and-scheduling, services-and-networking, storage, troubleshooting`},
		{"lab up --provider nope", []string{"lab", "up", "--provider", "nope"}, nil, `--provider "nope": unknown provider (known: ` + known + `)`},
		{"CKALAB_PROVIDER=nope lab up", []string{"lab", "up"}, map[string]string{"CKALAB_PROVIDER": "nope"}, `$CKALAB_PROVIDER "nope": unknown provider (known: ` + known + `)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			for k, v := range tt.env {
				h.vars[k] = v
			}
			r := h.expect(cli.ExitUsage, tt.args...)
			if r.stdout != "" {
				t.Errorf("stdout not empty:\n%s", r.stdout)
			}
			want := "ERROR: " + tt.want + "\nRun 'ckalab --help' for usage.\n"
			if r.stderr != want {
				t.Errorf("stderr:\n got %q\nwant %q", r.stderr, want)
			}
			if exists(h.stateDir()) {
				t.Errorf("a usage error created %s", h.stateDir())
			}
		})
	}
}

func TestScenarioValidate(t *testing.T) {
	h := newHarness(t)

	t.Run("every mistake on its own line", func(t *testing.T) {
		file := filepath.Join("testdata", "invalid-scenario", "scenario.yaml")
		for _, arg := range []string{filepath.Dir(file), file} {
			r := h.expect(cli.ExitError, "scenario", "validate", arg)
			if r.stdout != "" {
				t.Errorf("stdout not empty:\n%s", r.stdout)
			}
			want := []string{
				file + `:5: id: got "Bad_ID", want lower-case letters, digits and dashes`,
				file + `:9: difficulty: got "impossible", want one of easy, medium, hard`,
				file + `:10: minutes: got 90, want 1 to 60`,
				file + `:11: needs[1]: unknown capability "gpu" (want one of api, kubelet, network, node)`,
				file + `:13: namespaces[0]: "Team_A" is not a valid namespace name`,
				file + `:19: checks[0].points: got 0, want 1 or more`,
				file + `:19: checks[0].title: required: one line saying what is checked`,
				file + `:26: checks[1].id: duplicate id "first"`,
				file + `:29: checks[1].frobnicate: unknown field (check kinds: absent, admits, answerFile, canI, componentHealth, etcdSnapshot, match, metrics, nodeCommand, nodeFile, podExec, podLogs, ready, staticPod, tolerates, traffic)`,
				file + `:34: solution.steps[0]: no action: want one of apply, patch, delete, wait, drain, taint, writeFile, nodeFile, nodeService, nodeCommand`,
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			var problems []string
			for _, l := range lines {
				if strings.HasPrefix(l, file+":") {
					problems = append(problems, l)
				}
			}
			for _, w := range want {
				if !slices.Contains(problems, w) {
					t.Errorf("missing problem line %q", w)
				}
			}
			if len(problems) != len(want) {
				t.Errorf("%d problem lines, want %d:\n%s", len(problems), len(want), r.stderr)
			}
			if last := lines[len(lines)-1]; last != "ERROR: 1 of 1 file(s) have problems" {
				t.Errorf("last stderr line %q, want the summary", last)
			}
		}
	})

	t.Run("shape mistakes", func(t *testing.T) {
		file := filepath.Join("testdata", "malformed-scenario", "scenario.yaml")
		r := h.expect(cli.ExitError, "scenario", "validate", file)
		// Each as file:line: [field: ]problem. (The field of a type
		// mismatch is asserted only loosely: internal/yamlx omits it.)
		for _, w := range []struct{ prefix, suffix string }{
			{file + ":9: ", "got the string `ten`, want an integer"},
			{file + ":10: ", "got the string `api`, want a list"},
			{file + ":11: ", "estimate: unknown field"},
		} {
			found := false
			for _, l := range strings.Split(r.stderr, "\n") {
				if strings.HasPrefix(l, w.prefix) && strings.HasSuffix(l, w.suffix) {
					found = true
				}
			}
			if !found {
				t.Errorf("no line %q...%q in stderr:\n%s", w.prefix, w.suffix, r.stderr)
			}
		}
	})

	t.Run("a missing file", func(t *testing.T) {
		missing := filepath.Join(h.dir, "nope", "scenario.yaml")
		r := h.expect(cli.ExitError, "scenario", "validate", missing)
		contains(t, "stderr", r.stderr, missing, "no such file or directory", "ERROR: 1 of 1 file(s) have problems\n")
	})

	t.Run("a good scenario folder", func(t *testing.T) {
		dir := filepath.Join("..", "..", "..", "scenarios", "builtin", "rbac-deployer")
		r := h.expect(cli.ExitOK, "scenario", "validate", dir)
		want := "✓ " + filepath.Join(dir, "scenario.yaml") + ": rbac-deployer, 4 checks, 9 points\n"
		if r.stdout != want {
			t.Errorf("stdout:\n got %q\nwant %q", r.stdout, want)
		}
		if r.stderr != "" {
			t.Errorf("stderr not empty:\n%s", r.stderr)
		}
	})

	t.Run("every built-in scenario", func(t *testing.T) {
		dirs, err := filepath.Glob(filepath.Join("..", "..", "..", "scenarios", "builtin", "*"))
		if err != nil || len(dirs) != len(builtinIDs) {
			t.Fatalf("built-in scenario folders: %v %v", dirs, err)
		}
		r := h.expect(cli.ExitOK, append([]string{"scenario", "validate"}, dirs...)...)
		if n := strings.Count(r.stdout, "✓ "); n != len(dirs) {
			t.Errorf("%d scenarios valid, want %d:\n%s", n, len(dirs), r.stdout)
		}
	})

	t.Run("good and bad together", func(t *testing.T) {
		r := h.expect(cli.ExitError, "scenario", "validate",
			filepath.Join("..", "..", "..", "scenarios", "builtin", "rbac-deployer"),
			filepath.Join("testdata", "invalid-scenario"))
		contains(t, "stdout", r.stdout, ": rbac-deployer, 4 checks, 9 points\n")
		contains(t, "stderr", r.stderr, "ERROR: 1 of 2 file(s) have problems\n")
	})
}

func TestLearn(t *testing.T) {
	h := newHarness(t)

	r := h.expect(cli.ExitOK, "learn")
	contains(t, "learn", r.stdout, "TOPIC", "DOMAIN", "SUMMARY", "\nrbac ", "\ntaints-and-tolerations ", "\nkubeconfig ")

	r = h.expect(cli.ExitOK, "learn", "rbac")
	if !strings.HasPrefix(r.stdout, "# RBAC with Roles, ClusterRoles and bindings\n\n") {
		t.Errorf("learn rbac: does not start with the lesson's title:\n%s", r.stdout)
	}
	if n := strings.Count(r.stdout, "# RBAC with Roles, ClusterRoles and bindings"); n != 1 {
		t.Errorf("learn rbac: the title appears %d times, want once", n)
	}
	contains(t, "learn rbac", r.stdout, "kubectl auth can-i", "\nPractise: ckalab start rbac-deployer | ckalab start rbac-cluster-reader | ckalab start rbac-aggregate-view | ckalab start serviceaccount-no-token | ckalab start csr-user-access\n")

	r = h.expect(cli.ExitError, "learn", "nope")
	if r.stdout != "" {
		t.Errorf("learn nope: stdout not empty:\n%s", r.stdout)
	}
	contains(t, "learn nope", r.stderr, `ERROR: lesson "nope" not found; valid lessons: `, "rbac", "taints-and-tolerations")

	r = h.expect(cli.ExitOK, "learn", "-o", "json")
	var lessons []struct{ Slug, Title, Domain string }
	if err := json.Unmarshal([]byte(r.stdout), &lessons); err != nil {
		t.Fatalf("learn -o json: not a JSON list: %v\n%s", err, r.stdout)
	}
	var slugs []string
	for _, l := range lessons {
		if l.Title == "" || l.Domain == "" {
			t.Errorf("learn -o json: lesson %q without title or domain", l.Slug)
		}
		slugs = append(slugs, l.Slug)
	}
	for _, s := range []string{"rbac", "kubeconfig", "taints-and-tolerations"} {
		if !slices.Contains(slugs, s) {
			t.Errorf("learn -o json: no lesson %q in %v", s, slugs)
		}
	}

	r = h.expect(cli.ExitOK, "learn", "rbac", "-o", "json")
	var one struct{ Slug, Title string }
	if err := json.Unmarshal([]byte(r.stdout), &one); err != nil || one.Slug != "rbac" || one.Title == "" {
		t.Errorf("learn rbac -o json: %+v, %v\n%s", one, err, r.stdout)
	}
}

func TestListAndShowWithoutLab(t *testing.T) {
	h := newHarness(t)

	r := h.expect(cli.ExitOK, "list", "-o", "json")
	var entries []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil {
		t.Fatalf("list -o json: not a JSON list: %v\n%s", err, r.stdout)
	}
	var ids []string
	for _, e := range entries {
		id, _ := e["id"].(string)
		ids = append(ids, id)
		if _, ok := e["runnable"]; ok {
			t.Errorf("list -o json without a lab: %s has a runnable field", id)
		}
		if e["title"] == "" || e["points"] == nil {
			t.Errorf("list -o json: %s lacks title or points: %v", id, e)
		}
	}
	if !slices.Equal(ids, builtinIDs) {
		t.Errorf("list -o json: ids %v, want %v", ids, builtinIDs)
	}

	r = h.expect(cli.ExitOK, "list")
	for _, id := range builtinIDs {
		contains(t, "list", r.stdout, "\n"+id+" ")
	}
	if n := strings.Count(r.stdout, "\n"); n != len(builtinIDs)+1 {
		t.Errorf("list: %d lines, want a header and %d rows:\n%s", n, len(builtinIDs), r.stdout)
	}
	contains(t, "list stderr", r.stderr, "no lab reachable", "ckalab lab up`")

	r = h.expect(cli.ExitOK, "list", "--domain", "storage", "-o", "json")
	entries = nil
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil || len(entries) != 7 || entries[0]["id"] != "default-storageclass" || entries[1]["id"] != "local-storage" || entries[2]["id"] != "pv-reclaim-access" || entries[3]["id"] != "pv-static-binding" || entries[4]["id"] != "pvc-access-modes-storageclass" || entries[5]["id"] != "pvc-expand" || entries[6]["id"] != "storageclass-binding-mode" {
		t.Errorf("list --domain storage: %v %v\n%s", entries, err, r.stdout)
	}

	r = h.expect(cli.ExitOK, "show", "taint-toleration")
	contains(t, "show", r.stdout,
		"Run a database pod on a tainted node  (taint-toleration)\n",
		"workloads-and-scheduling · easy · 6 min · 5 points\n",
		"Node `ckalab-worker` is reserved for databases",
		"Lesson: ckalab learn taints-and-tolerations\n")
	lacks(t, "show", r.stdout, "{{", "<no value>")

	r = h.expect(cli.ExitError, "show", "nope")
	if want := "ERROR: no scenario \"nope\"; `ckalab list` shows them\n"; r.stderr != want {
		t.Errorf("show nope: stderr %q, want %q", r.stderr, want)
	}
}

func TestLabCommandsWithoutLab(t *testing.T) {
	h := newHarness(t)

	r := h.expect(cli.ExitNoLab, "lab", "status")
	if r.stdout != "" {
		t.Errorf("lab status: stdout not empty:\n%s", r.stdout)
	}
	// One way to start a lab per registered provider (kind, sim).
	var starts []string
	for _, name := range providers.All().Names() {
		starts = append(starts, "ckalab lab up --provider "+name)
	}
	if want := "No lab is running. Start one with: " + strings.Join(starts, ", or ") + "\n"; r.stderr != want {
		t.Errorf("lab status: stderr %q, want %q", r.stderr, want)
	}

	r = h.expect(cli.ExitNoLab, "lab", "status", "-o", "json")
	var st struct {
		Provider string `json:"provider"`
		Exists   *bool  `json:"exists"`
		Healthy  *bool  `json:"healthy"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("lab status -o json: %v\n%s", err, r.stdout)
	}
	if st.Provider != "none" || st.Exists == nil || *st.Exists || st.Healthy == nil || *st.Healthy {
		t.Errorf("lab status -o json: %s", r.stdout)
	}

	r = h.expect(cli.ExitOK, "lab", "down")
	if want := "No lab is running; nothing to do.\n"; r.stderr != want || r.stdout != "" {
		t.Errorf("lab down: %s", r)
	}

	r = h.expect(cli.ExitNoLab, "lab", "kubeconfig")
	if want := "ERROR: no lab is running\n"; r.stderr != want || r.stdout != "" {
		t.Errorf("lab kubeconfig: %s", r)
	}

	// --provider wins over $CKALAB_PROVIDER.
	h.vars["CKALAB_PROVIDER"] = "nope"
	h.expect(cli.ExitNoLab, "lab", "status", "--provider", "sim")

	if exists(h.kubeconfig()) {
		t.Errorf("commands without a lab created %s", h.kubeconfig())
	}
	if exists(filepath.Join(h.stateDir(), "labs")) {
		t.Errorf("commands without a lab created %s", filepath.Join(h.stateDir(), "labs"))
	}
}

// notALab serves a Kubernetes API without ckalab's marker ConfigMap.
func notALab(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404,"message":"%s not found"}`, r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func writeKubeconfig(t *testing.T, path, server string) {
	t.Helper()
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: other
  cluster: {server: %q}
users:
- name: other
  user: {token: not-a-secret}
contexts:
- name: other
  context: {cluster: other, user: other}
current-context: other
`, server)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCommandsNeedingALab(t *testing.T) {
	kubeconfigs := []struct {
		name  string
		setup func(t *testing.T, h *harness) []string // returns global flags
		want  []string                                // on stderr
	}{
		{"KUBECONFIG names a missing file", func(t *testing.T, h *harness) []string { return nil }, []string{"no kubeconfig found", "`ckalab lab up"}},
		{"KUBECONFIG names an empty file", func(t *testing.T, h *harness) []string {
			if err := os.WriteFile(h.kubeconfig(), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return nil
		}, []string{"no kubeconfig found", "`ckalab lab up"}},
		{"--kubeconfig names a missing file", func(t *testing.T, h *harness) []string {
			return []string{"--kubeconfig", filepath.Join(h.dir, "also-missing")}
		}, []string{"also-missing", "`ckalab lab up` starts one (`--provider sim` without Docker)"}},
		{"the current context's server refuses connections", func(t *testing.T, h *harness) []string {
			writeKubeconfig(t, h.kubeconfig(), "https://127.0.0.1:1")
			return nil
		}, []string{"connection refused", "`ckalab lab up` starts one (`--provider sim` without Docker)"}},
		{"the current context is not a ckalab lab", func(t *testing.T, h *harness) []string {
			writeKubeconfig(t, h.kubeconfig(), notALab(t))
			return nil
		}, []string{`context "other": not a ckalab lab`, "`ckalab lab up`"}},
		// As a kind lab's API server answers while etcd restarts on a
		// restored snapshot: not a missing lab.
		{"the API server answers but cannot serve", func(t *testing.T, h *harness) []string {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusGatewayTimeout)
				fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Timeout","code":504,"message":"the server was unable to return a response in the time allotted"}`)
			}))
			t.Cleanup(srv.Close)
			writeKubeconfig(t, h.kubeconfig(), srv.URL)
			return nil
		}, []string{"unable to return a response", "answers but cannot serve yet", "needs a minute or two"}},
	}
	commands := [][]string{
		{"grade"}, {"grade", "rbac-deployer", "-o", "json"}, {"start", "rbac-deployer"}, {"start"},
		{"hint"}, {"solution"}, {"reset"}, {"scenario", "test", "rbac-deployer"},
	}
	for _, kc := range kubeconfigs {
		t.Run(kc.name, func(t *testing.T) {
			h := newHarness(t)
			flags := kc.setup(t, h)
			for _, args := range commands {
				args = append(slices.Clone(flags), args...)
				r := h.expect(cli.ExitNoLab, args...)
				if r.stdout != "" {
					t.Errorf("%v: stdout not empty:\n%s", args, r.stdout)
				}
				if !strings.HasPrefix(r.stderr, "ERROR: ") {
					t.Errorf("%v: stderr does not start with ERROR:\n%s", args, r.stderr)
				}
				contains(t, fmt.Sprint(args), r.stderr, kc.want...)
			}
			// list and show work without a lab and mark nothing.
			r := h.expect(cli.ExitOK, "list", "-o", "json")
			lacks(t, "list -o json", r.stdout, `"runnable"`)
			h.expect(cli.ExitOK, "show", "rbac-deployer")
		})
	}
}
