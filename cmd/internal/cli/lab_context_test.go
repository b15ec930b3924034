package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/cmd/internal/cli"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// deadSimLab makes the state of a sim lab that was made whole but whose
// components are all gone (as after a reboot), in the harness's folders.
func deadSimLab(t *testing.T, h *harness) string {
	t.Helper()
	dir := filepath.Join(h.stateDir(), "labs", "sim")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var procs []map[string]any
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"} {
		procs = append(procs, map[string]any{"name": name, "binary": filepath.Join(h.dir, "bin", name), "pid": 0, "logFile": filepath.Join(dir, "logs", name+".log")})
	}
	data, err := json.Marshal(map[string]any{"created": fixedNow, "apiServer": "https://127.0.0.1:1", "processes": procs, "kubeconfig": filepath.Join(dir, "kubeconfig")})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lab.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// userKubeconfig writes the user's kubeconfig with the given contexts (each
// with a cluster and user of its name) and current context.
func userKubeconfig(t *testing.T, path, current string, contexts ...string) {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	for _, n := range contexts {
		cfg.Clusters[n] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
		cfg.AuthInfos[n] = &clientcmdapi.AuthInfo{Token: "not-a-secret"}
		cfg.Contexts[n] = &clientcmdapi.Context{Cluster: n, AuthInfo: n}
	}
	cfg.CurrentContext = current
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
}

func currentContext(t *testing.T, path string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.CurrentContext
}

// TestLabAdviceNamesTheProvider: every "run ckalab lab ..." advice names the
// lab it is about; without --provider, `lab down` would pick a running kind
// lab before the sim.
func TestLabAdviceNamesTheProvider(t *testing.T) {
	t.Run("no lab", func(t *testing.T) {
		h := newHarness(t)
		r := h.expect(cli.ExitNoLab, "lab", "status")
		contains(t, "lab status", r.stderr, "ckalab lab up --provider kind", "ckalab lab up --provider sim")
	})
	t.Run("unhealthy sim lab", func(t *testing.T) {
		h := newHarness(t)
		dir := deadSimLab(t, h)
		r := h.expect(cli.ExitNoLab, "lab", "status", "--provider", "sim")
		contains(t, "lab status", r.stderr, "not healthy: recreate it with `ckalab lab down --provider sim && ckalab lab up --provider sim`\n")
		r = h.expect(cli.ExitError, "lab", "up", "--provider", "sim")
		contains(t, "lab up", r.stderr, "is not healthy (etcd is not running", "remove it with `ckalab lab down --provider sim`, then run `ckalab lab up --provider sim` again")
		if !exists(dir) {
			t.Error("lab up removed a lab that was whole (it may hold the user's work)")
		}
		r = h.expect(cli.ExitOK, "lab", "down", "--provider", "sim")
		contains(t, "lab down", r.stderr, "✓ The sim lab is gone.\n")
		if exists(dir) {
			t.Errorf("lab down left %s", dir)
		}
	})
	t.Run("unreadable sim state", func(t *testing.T) {
		h := newHarness(t)
		dir := filepath.Join(h.stateDir(), "labs", "sim")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "lab.json"), []byte(`{"processes": [{"na`), 0o600); err != nil {
			t.Fatal(err)
		}
		r := h.expect(cli.ExitNoLab, "lab", "status", "--provider", "sim")
		contains(t, "lab status", r.stderr, "sim lab state", "Remove what is left of the sim lab with `ckalab lab down --provider sim`\n")
		h.expect(cli.ExitOK, "lab", "down", "--provider", "sim")
		if exists(dir) {
			t.Errorf("lab down left %s", dir)
		}
	})
}

// TestLabDownRestoresTheContext: `lab down` of the lab whose context is
// current makes the context that was current before its `lab up` current
// again, and says so; when that one is gone it says there is none.
func TestLabDownRestoresTheContext(t *testing.T) {
	for _, tc := range []struct {
		name     string
		contexts []string // besides ckalab-sim
		current  string
		want     string // on stderr
		wantNow  string // current context after
	}{
		{"previous still there", []string{"other", "third"}, "ckalab-sim",
			"kubectl context is now other (it was current before this lab).\n", "other"},
		{"previous gone", []string{"third"}, "ckalab-sim",
			"kubectl has no current context now (other, current before this lab, is no longer in your kubeconfig); pick one with `kubectl config use-context` (contexts: third).\n", ""},
		{"user switched away", []string{"other", "third"}, "third", "", "third"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			dir := deadSimLab(t, h)
			if err := os.WriteFile(filepath.Join(dir, "previous-context"), []byte("other\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			userKubeconfig(t, h.kubeconfig(), tc.current, append(tc.contexts, "ckalab-sim")...)
			r := h.expect(cli.ExitOK, "lab", "down", "--provider", "sim")
			if tc.want != "" {
				contains(t, "lab down", r.stderr, tc.want)
			} else {
				lacks(t, "lab down", r.stderr, "kubectl context is now", "no current context")
			}
			if got := currentContext(t, h.kubeconfig()); got != tc.wantNow {
				t.Errorf("current context %q, want %q", got, tc.wantNow)
			}
		})
	}
}

// TestNoCurrentContext: a kubeconfig whose current context is empty (as a
// `lab down` of an older ckalab left it) is named with its contexts, not
// reported missing.
func TestNoCurrentContext(t *testing.T) {
	h := newHarness(t)
	userKubeconfig(t, h.kubeconfig(), "", "ckalab-sim", "other")
	for _, args := range [][]string{{"start", "rbac-deployer"}, {"grade"}} {
		r := h.expect(cli.ExitNoLab, args...)
		contains(t, strings.Join(args, " "), r.stderr, "kubeconfig "+h.kubeconfig()+" has no current context; its contexts: ckalab-sim, other; pick one with --context or `kubectl config use-context`")
		lacks(t, strings.Join(args, " "), r.stderr, "no kubeconfig found")
	}
}

// TestSimLabUpAfterInterruptedUpKeepsTheKeyPrivate, on a real sim lab:
// `lab up` removes what an interrupted `lab up` left and makes a new lab,
// makes ~/.kube/config private before writing the lab's admin key into it,
// puts a context that went missing back, and `lab down` makes the user's own
// context current again.
func TestSimLabUpAfterInterruptedUpKeepsTheKeyPrivate(t *testing.T) {
	bin := needSimBinaries(t) // before newHarness changes HOME
	h := newHarness(t)
	h.vars["CKALAB_SIM_BIN"] = bin
	start := time.Now()
	base := start.Truncate(time.Hour)
	h.now = func() time.Time { return base.Add(time.Since(start)) }
	// kubectl's default file, ~/.kube/config, readable by all.
	delete(h.vars, "KUBECONFIG")
	t.Setenv("KUBECONFIG", "")
	kubeconfig := filepath.Join(h.vars["HOME"], ".kube", "config")
	userKubeconfig(t, kubeconfig, "other", "other")
	if err := os.Chmod(kubeconfig, 0o644); err != nil {
		t.Fatal(err)
	}
	labDir := filepath.Join(h.stateDir(), "labs", "sim")
	t.Cleanup(func() {
		if r := h.run("lab", "down", "--provider", "sim"); r.code != cli.ExitOK {
			t.Errorf("cleanup: lab down: %s", r)
		}
	})
	// What a `lab up` killed while writing its state left.
	if err := os.MkdirAll(filepath.Join(labDir, "pki"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(labDir, "lab.json"), []byte(`{"created": "2026-`), 0o600); err != nil {
		t.Fatal(err)
	}

	r := h.expect(cli.ExitOK, "lab", "up", "--provider", "sim")
	contains(t, "lab up", r.stderr,
		"✓ Removing what an interrupted `lab up` left: folder "+labDir+" 🧹",
		"Starting kube-apiserver",
		"Made ~/.kube/config private (0600): it now holds the lab's admin key.\n",
		"The sim lab is ready. kubectl now uses context ckalab-sim.\n",
		"Switch back with: kubectl config use-context other\n")
	if strings.Index(r.stderr, "Removing what") > strings.Index(r.stderr, "Generating certificates") {
		t.Errorf("lab up: the clean-up does not come first:\n%s", r.stderr)
	}
	fi, err := os.Stat(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("~/.kube/config is %v after lab up, want 0600", m)
	}
	if got := currentContext(t, kubeconfig); got != "ckalab-sim" {
		t.Errorf("current context %q after lab up", got)
	}

	// The context went missing (an up killed before it was added, or the
	// user's own doing): up puts it back, and says so.
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	delete(cfg.Contexts, "ckalab-sim")
	cfg.CurrentContext = "other"
	if err := clientcmd.WriteToFile(*cfg, kubeconfig); err != nil {
		t.Fatal(err)
	}
	r = h.expect(cli.ExitOK, "lab", "up", "--provider", "sim")
	contains(t, "lab up with the context missing", r.stderr, "The sim lab is already running; its context ckalab-sim was missing from your kubeconfig and is back. kubectl now uses it.\n")
	lacks(t, "lab up with the context missing", r.stderr, "Made ", "Starting")
	if got := currentContext(t, kubeconfig); got != "ckalab-sim" {
		t.Errorf("current context %q after the second lab up", got)
	}
	r = h.expect(cli.ExitOK, "lab", "up", "--provider", "sim")
	contains(t, "third lab up", r.stderr, "The sim lab is already running (context ckalab-sim); nothing changed.\n")

	r = h.expect(cli.ExitOK, "lab", "down", "--provider", "sim")
	contains(t, "lab down", r.stderr, "kubectl context is now other (it was current before this lab).\n", "✓ The sim lab is gone.\n")
	if got := currentContext(t, kubeconfig); got != "other" {
		t.Errorf("current context %q after lab down, want other", got)
	}
	if exists(labDir) {
		t.Errorf("lab down left %s", labDir)
	}
}
