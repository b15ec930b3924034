package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/cmd/internal/cli"
	"github.com/ckalab/ckalab/internal/simtest"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/sim"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// needSimBinaries returns the folder of the sim binaries, or skips the test
// as simtest.Need does: always under -short, and when the binaries are
// missing, except under CI=true where that fails the test.
func needSimBinaries(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	bin := simtest.BinDir()
	if missing := (&sim.Provider{BinDir: bin}).MissingBinaries(); len(missing) > 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("integration test under CI=true: sim binaries %v not found in %q", missing, bin)
		}
		t.Skipf("integration test: sim binaries %v not found in %q (run `make sim`)", missing, bin)
	}
	return bin
}

// TestSimLabEndToEnd drives a whole practice session through Main on a real
// sim lab that `lab up` starts in the test's temporary folders.
func TestSimLabEndToEnd(t *testing.T) {
	bin := needSimBinaries(t) // before newHarness changes HOME
	h := newHarness(t)
	h.vars["CKALAB_SIM_BIN"] = bin
	// The clock starts at a fixed instant but must advance: the grader polls a
	// failing check until Env.Now passes its deadline (a frozen clock never
	// gets there), and the lab's certificates are valid from Env.Now, so it
	// must be close to the real time.
	start := time.Now()
	base := start.Truncate(time.Hour)
	h.now = func() time.Time { return base.Add(time.Since(start)) }

	labDir := filepath.Join(h.stateDir(), "labs", "sim")
	t.Cleanup(func() {
		// Runs even when the test failed half-way; a second `lab down` is a no-op.
		if r := h.run("lab", "down"); r.code != cli.ExitOK {
			t.Errorf("cleanup: lab down: %s", r)
		}
		if exists(labDir) {
			t.Errorf("cleanup: %s still exists", labDir)
		}
	})

	// The user already has a kubeconfig with a context of their own.
	writeKubeconfig(t, h.kubeconfig(), "https://127.0.0.1:1")

	// lab up
	r := h.expect(cli.ExitOK, "lab", "up", "--provider", "sim")
	contains(t, "lab up", r.stderr,
		"Creating the sim lab ...\n",
		"Starting kube-apiserver",
		"The sim lab is ready. kubectl now uses context ckalab-sim.\n",
		"Switch back with: kubectl config use-context other\n",
		"Its own kubeconfig: "+filepath.Join(labDir, "kubeconfig")+"\n")
	if r.stdout != "" {
		t.Errorf("lab up: stdout not empty:\n%s", r.stdout)
	}
	cfg, err := clientcmd.LoadFromFile(h.kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != "ckalab-sim" || cfg.Contexts["ckalab-sim"] == nil || cfg.Contexts["other"] == nil {
		t.Fatalf("kubeconfig after lab up: current %q, contexts %v", cfg.CurrentContext, keys(cfg.Contexts))
	}

	// A second lab up changes nothing.
	kubeconfigBefore := readFile(t, h.kubeconfig())
	stateBefore := readFile(t, filepath.Join(labDir, "lab.json"))
	r = h.expect(cli.ExitOK, "lab", "up")
	contains(t, "second lab up", r.stderr, "The sim lab is already running (context ckalab-sim); nothing changed.\n")
	lacks(t, "second lab up", r.stderr, "Starting")
	if !bytes.Equal(readFile(t, h.kubeconfig()), kubeconfigBefore) {
		t.Error("second lab up changed the kubeconfig")
	}
	if !bytes.Equal(readFile(t, filepath.Join(labDir, "lab.json")), stateBefore) {
		t.Error("second lab up changed the lab's state file")
	}

	// lab status
	r = h.expect(cli.ExitOK, "lab", "status")
	components := []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 1+len(components) {
		t.Errorf("lab status: want a header and %d rows:\n%s", len(components), r.stdout)
	}
	for _, c := range components {
		found := false
		for _, l := range lines {
			if f := strings.Fields(l); len(f) >= 3 && f[0] == c && f[1] == "running" {
				found = true
			}
		}
		if !found {
			t.Errorf("lab status: no running %s:\n%s", c, r.stdout)
		}
	}
	contains(t, "lab status", r.stdout, "v1.37.2")
	contains(t, "lab status", r.stderr, "healthy; context ckalab-sim")
	r = h.expect(cli.ExitOK, "lab", "status", "-o", "json")
	var st struct {
		Exists, Healthy bool
		Context         string `json:"context"`
		Components      []struct {
			Name    string
			Running bool
			PID     int
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("lab status -o json: %v\n%s", err, r.stdout)
	}
	if !st.Exists || !st.Healthy || st.Context != "ckalab-sim" || len(st.Components) != len(components) {
		t.Errorf("lab status -o json:\n%s", r.stdout)
	}
	r = h.expect(cli.ExitOK, "lab", "kubeconfig")
	if r.stdout != filepath.Join(labDir, "kubeconfig")+"\n" {
		t.Errorf("lab kubeconfig: %q", r.stdout)
	}

	// The marker deleted by hand: practice commands refuse the cluster,
	// `lab status` says so and how to fix it, `lab up` writes it back.
	rc, err := clientcmd.BuildConfigFromFlags("", filepath.Join(labDir, "kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	kube := kubernetes.NewForConfigOrDie(rc)
	if err := kube.CoreV1().ConfigMaps(lab.MarkerNamespace).Delete(context.Background(), lab.MarkerName, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.expect(cli.ExitNoLab, "start", "taint-toleration")
	r = h.expect(cli.ExitNoLab, "lab", "status")
	contains(t, "lab status without marker", r.stderr, "the lab marker is gone: ConfigMap kube-public/ckalab-lab was deleted: `ckalab lab up --provider sim` writes it back")
	lacks(t, "lab status without marker", r.stderr, "healthy; context")
	r = h.expect(cli.ExitOK, "lab", "up", "--provider", "sim")
	contains(t, "lab up without marker", r.stderr, "The lab marker kube-public/ckalab-lab was gone and is back")
	h.expect(cli.ExitOK, "lab", "status")

	// The sim's provider opens no shells: ssh names the lab that runs.
	r = h.expect(cli.ExitNoLab, "ssh", "ckalab-worker", "--", "true")
	contains(t, "ssh on the sim", r.stderr, "ERROR: the sim lab has no nodes to log into; start a lab that has: ckalab lab up --provider kind, or ckalab lab up --provider kubeadm\n")

	// list marks every scenario runnable, but those that act inside nodes.
	r = h.expect(cli.ExitOK, "list")
	for _, id := range builtinIDs {
		mark := "✓"
		if slices.Contains(nodeScenarioIDs, id) {
			mark = "✗"
		}
		found := false
		for _, l := range strings.Split(r.stdout, "\n") {
			if f := strings.Fields(l); len(f) > 6 && f[0] == id && f[5] == mark {
				found = true
			}
		}
		if !found {
			t.Errorf("list: %s is not marked %s:\n%s", id, mark, r.stdout)
		}
	}
	lacks(t, "list stderr", r.stderr, "no lab reachable")
	r = h.expect(cli.ExitOK, "list", "-o", "json")
	var entries []struct {
		ID       string
		Runnable *bool
	}
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil || len(entries) != len(builtinIDs) {
		t.Fatalf("list -o json: %v\n%s", err, r.stdout)
	}
	for _, e := range entries {
		if want := !slices.Contains(nodeScenarioIDs, e.ID); e.Runnable == nil || *e.Runnable != want {
			t.Errorf("list -o json: %s runnable %v, want %v", e.ID, e.Runnable, want)
		}
	}

	// A practice session.
	r = h.expect(cli.ExitOK, "start", "rbac-deployer")
	contains(t, "start", r.stdout,
		"A service account that may deploy, and nothing more  (rbac-deployer)\n",
		"1. Create the ServiceAccount `deployer` in `team-a`.",
		"Lesson: ckalab learn rbac\n")
	contains(t, "start stderr", r.stderr, "✓ Setting up rbac-deployer", "When done: ckalab grade")

	r = h.expect(cli.ExitChecksFailed, "grade")
	contains(t, "grade", r.stdout, "✗ rbac-deployer: 0/9 points\n", "Run `ckalab grade --explain` to see why each check failed.\n")
	lacks(t, "grade", r.stdout, "expected:")

	r = h.expect(cli.ExitChecksFailed, "grade", "-o", "json")
	var rep struct {
		Scenario      string
		Earned, Total int
		Passed        bool
		Checks        []struct {
			ID     string
			Passed bool
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("grade -o json: %v\n%s", err, r.stdout)
	}
	if rep.Scenario != "rbac-deployer" || rep.Earned != 0 || rep.Total != 9 || rep.Passed || len(rep.Checks) != 4 {
		t.Errorf("grade -o json: %+v", rep)
	}

	r = h.expect(cli.ExitChecksFailed, "grade", "--explain")
	contains(t, "grade --explain", r.stdout,
		"✗ objects: RoleBinding deployer binds Role deployer to ServiceAccount deployer (2 points)\n",
		"  expected: RoleBinding \"deployer\" in namespace team-a",
		"  actual:   no RoleBinding \"deployer\" in namespace team-a\n",
		"  why: ")

	r = h.expect(cli.ExitOK, "hint")
	if !strings.HasPrefix(r.stdout, "Hint 1/3: ") || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("first hint:\n%s", r.stdout)
	}
	contains(t, "hint stderr", r.stderr, "Run `ckalab hint` again for the next one.")
	r = h.expect(cli.ExitOK, "hint")
	if l := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(l) != 2 || !strings.HasPrefix(l[0], "Hint 1/3: ") || !strings.HasPrefix(l[1], "Hint 2/3: ") {
		t.Errorf("second hint:\n%s", r.stdout)
	}

	r = h.expect(cli.ExitOK, "solution", "--apply")
	contains(t, "solution", r.stdout, "Solution: A service account that may deploy, and nothing more\n", "1. $ kubectl create serviceaccount deployer -n team-a\n")
	contains(t, "solution stderr", r.stderr, "✓ Applying the reference solution")

	r = h.expect(cli.ExitOK, "grade")
	contains(t, "grade after the solution", r.stdout, "✓ rbac-deployer: 9/9 points, full marks\n")

	r = h.expect(cli.ExitOK, "reset")
	contains(t, "reset", r.stderr, "✓ Resetting rbac-deployer", "restored: namespace team-a emptied (3 objects)\n",
		"The task is as new. `ckalab show rbac-deployer` prints it again.\n")
	r = h.expect(cli.ExitChecksFailed, "grade")
	contains(t, "grade after reset", r.stdout, "✗ rbac-deployer: 0/9 points\n")
	r = h.expect(cli.ExitOK, "hint")
	if !strings.HasPrefix(r.stdout, "Hint 1/3: ") || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("first hint after reset:\n%s", r.stdout)
	}

	// A scenario with an answer file.
	r = h.expect(cli.ExitOK, "start", "kubeconfig-context")
	answer := filepath.Join(h.vars["XDG_STATE_HOME"], "ckalab", "answers", "ckalab-sim", "kubeconfig-context", "kubeconfig.yaml")
	contains(t, "start kubeconfig-context", r.stdout, "The kubeconfig file `"+answer+"` has two clusters")
	if ac, err := clientcmd.LoadFromFile(answer); err != nil {
		t.Errorf("answer file: %v", err)
	} else if ac.CurrentContext != "prod" || len(ac.Contexts) != 2 {
		t.Errorf("answer file: current context %q, contexts %v", ac.CurrentContext, keys(ac.Contexts))
	}

	// The whole lab back to its baseline: what a task left is listed,
	// undone, and the lab is then as new.
	h.expect(cli.ExitOK, "start", "taint-toleration")
	r = h.expect(cli.ExitOK, "lab", "reset", "--dry-run")
	if r.stdout != "taint type=db:NoSchedule removed from ckalab-worker\nnamespace sched deleted\n" {
		t.Errorf("lab reset --dry-run stdout: %q", r.stdout)
	}
	contains(t, "lab reset --dry-run", r.stderr, "2 difference(s) from the baseline; `ckalab lab reset` undoes them.\n")
	r = h.expect(cli.ExitOK, "lab", "reset", "-o", "json")
	var reset struct {
		Context     string
		Differences []string
	}
	if err := json.Unmarshal([]byte(r.stdout), &reset); err != nil || reset.Context != "ckalab-sim" || len(reset.Differences) != 2 {
		t.Errorf("lab reset -o json: %v\n%s", err, r.stdout)
	}
	r = h.expect(cli.ExitOK, "lab", "reset", "--dry-run")
	contains(t, "lab reset --dry-run after reset", r.stderr, "The lab is as new: nothing differs from its baseline.\n")
	h.expect(cli.ExitUsage, "grade") // the task was forgotten

	// The authoring proof of a scenario.
	r = h.expect(cli.ExitOK, "scenario", "test", "rbac-deployer")
	if r.stdout != "1 scenario(s) tested, 0 failed\n" {
		t.Errorf("scenario test stdout: %q", r.stdout)
	}
	contains(t, "scenario test stderr", r.stderr, "rbac-deployer\n", "✓ reference solution earns full marks: 9/9 points", "✓ wrong answer does not earn full marks")
	lacks(t, "scenario test stderr", r.stderr, "✗")

	// lab down removes everything.
	r = h.expect(cli.ExitOK, "lab", "down")
	contains(t, "lab down", r.stderr, "Stopping the sim lab", "✓ The sim lab is gone.\n")
	cfg, err = clientcmd.LoadFromFile(h.kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Contexts["ckalab-sim"] != nil || cfg.Clusters["ckalab-sim"] != nil || cfg.AuthInfos["ckalab-sim"] != nil {
		t.Errorf("kubeconfig after lab down still has ckalab-sim: contexts %v", keys(cfg.Contexts))
	}
	if cfg.Contexts["other"] == nil {
		t.Errorf("lab down removed the user's own context: %v", keys(cfg.Contexts))
	}
	if exists(labDir) {
		t.Errorf("lab down left %s", labDir)
	}
	for _, c := range st.Components {
		if cmdline := procCmdline(c.PID); strings.Contains(cmdline, h.dir) {
			t.Errorf("%s (pid %d) still runs: %s", c.Name, c.PID, cmdline)
		}
	}
	if pids := processesMentioning(h.dir); len(pids) > 0 {
		t.Errorf("processes of the lab still run: %v", pids)
	}
	h.expect(cli.ExitNoLab, "lab", "status")
	h.expect(cli.ExitNoLab, "grade")
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// procCmdline is a process's command line ("" when it is gone or a zombie).
func procCmdline(pid int) string {
	data, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return strings.ReplaceAll(string(data), "\x00", " ")
}

// processesMentioning lists the processes whose command line contains s.
func processesMentioning(s string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	self := strconv.Itoa(os.Getpid())
	for _, e := range entries {
		if e.Name() == self || strings.Trim(e.Name(), "0123456789") != "" {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(data), s) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(data), "\x00", " "))
		}
	}
	return out
}
