package lab

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func labConfig() *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:6443"}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "t"}
	cfg.Contexts["ctx"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	cfg.CurrentContext = "ctx"
	return cfg
}

// TestUserKubeconfigUsesInjectedEnv: Merge and Remove edit the file the
// injected environment names (first KUBECONFIG file, else HOME's), never
// the process's.
func TestUserKubeconfigUsesInjectedEnv(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "process-kubeconfig-must-not-be-used"))
	home := t.TempDir()
	first, second := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"HOME only", map[string]string{"HOME": home}, filepath.Join(home, ".kube", "config")},
		{"KUBECONFIG list", map[string]string{"HOME": home, "KUBECONFIG": first + string(os.PathListSeparator) + second}, first},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			uk := UserKubeconfig{Getenv: getenv}
			if _, err := uk.Merge("ckalab-sim", labConfig()); err != nil {
				t.Fatal(err)
			}
			got, err := clientcmd.LoadFromFile(tc.want)
			if err != nil {
				t.Fatalf("merge did not write %s: %v", tc.want, err)
			}
			if got.CurrentContext != "ckalab-sim" || got.Clusters["ckalab-sim"].Server != "https://127.0.0.1:6443" {
				t.Errorf("merged config %+v", got)
			}
			if _, err := os.Stat(os.Getenv("KUBECONFIG")); !os.IsNotExist(err) {
				t.Errorf("the process's KUBECONFIG was written: %v", err)
			}
			if paths := KubeconfigPaths(getenv); paths[0] != tc.want {
				t.Errorf("KubeconfigPaths = %v, want %s first", paths, tc.want)
			}
			if _, err := uk.Remove("ckalab-sim", ""); err != nil {
				t.Fatal(err)
			}
			got, err = clientcmd.LoadFromFile(tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if got.Contexts["ckalab-sim"] != nil || got.CurrentContext != "" {
				t.Errorf("after Remove: %+v", got)
			}
			if _, err := uk.Remove("ckalab-sim", ""); err != nil {
				t.Errorf("second Remove: %v", err)
			}
		})
	}
}

// TestTargetRawConfigUsesInjectedEnv reads the kubeconfig the injected
// environment names.
func TestTargetRawConfigUsesInjectedEnv(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	file := filepath.Join(t.TempDir(), "cfg")
	if err := clientcmd.WriteToFile(*labConfig(), file); err != nil {
		t.Fatal(err)
	}
	tgt := Target{Getenv: func(k string) string { return map[string]string{"KUBECONFIG": file}[k] }}
	cfg, name, err := tgt.RawConfig()
	if err != nil || name != "ctx" || cfg.Clusters["c"] == nil {
		t.Fatalf("RawConfig = %v, %q, %v", cfg, name, err)
	}
	tgt.Context = "other"
	if _, name, _ := tgt.RawConfig(); name != "other" {
		t.Errorf("--context ignored: %q", name)
	}
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// userConfig is a kubeconfig of the user's own with contexts "other" (current)
// and "third".
func userConfig() *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	for _, n := range []string{"other", "third"} {
		cfg.Clusters[n] = &clientcmdapi.Cluster{Server: "https://" + n + ".example:6443"}
		cfg.AuthInfos[n] = &clientcmdapi.AuthInfo{Token: n}
		cfg.Contexts[n] = &clientcmdapi.Context{Cluster: n, AuthInfo: n}
	}
	cfg.CurrentContext = "other"
	return cfg
}

// TestMergeKeepsTheKeyPrivate: the lab's admin key never lands in a file or
// a new folder that others can read.
func TestMergeKeepsTheKeyPrivate(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	t.Run("no ~/.kube yet", func(t *testing.T) {
		home := t.TempDir()
		uk := UserKubeconfig{Getenv: func(k string) string { return map[string]string{"HOME": home}[k] }}
		res, err := uk.Merge("ckalab-sim", labConfig())
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(home, ".kube", "config")
		if res.Path != path || res.MadePrivate || res.Previous != "" {
			t.Errorf("Merge = %+v, want Path %s, not MadePrivate, no Previous", res, path)
		}
		if m := fileMode(t, filepath.Join(home, ".kube")); m != 0o700 {
			t.Errorf("~/.kube created %v, want 0700", m)
		}
		if m := fileMode(t, path); m != 0o600 {
			t.Errorf("~/.kube/config created %v, want 0600", m)
		}
	})
	t.Run("missing folders of an explicit file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "a", "b", "config")
		if _, err := (UserKubeconfig{Path: path}).Merge("ckalab-sim", labConfig()); err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{filepath.Join(dir, "a"), filepath.Join(dir, "a", "b")} {
			if m := fileMode(t, d); m != 0o700 {
				t.Errorf("%s created %v, want 0700", d, m)
			}
		}
	})
	for _, tc := range []struct {
		mode        os.FileMode
		madePrivate bool
	}{{0o644, true}, {0o640, true}, {0o604, true}, {0o600, false}} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "shared")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "config")
			if err := clientcmd.WriteToFile(*userConfig(), path); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			res, err := (UserKubeconfig{Path: path}).Merge("ckalab-sim", labConfig())
			if err != nil {
				t.Fatal(err)
			}
			if res.MadePrivate != tc.madePrivate || res.Path != path || res.Previous != "other" {
				t.Errorf("Merge = %+v, want MadePrivate %v, Path %s, Previous other", res, tc.madePrivate, path)
			}
			if m := fileMode(t, path); m != 0o600 {
				t.Errorf("kubeconfig mode %v after Merge, want 0600", m)
			}
			if m := fileMode(t, dir); m != 0o755 {
				t.Errorf("existing folder changed to %v", m)
			}
		})
	}
}

// TestRemoveRestoresThePreviousContext: removing the lab's context makes the
// one that was current before the lab current again, when it still exists.
func TestRemoveRestoresThePreviousContext(t *testing.T) {
	for _, tc := range []struct {
		name string
		// change edits the kubeconfig between Merge and Remove.
		change      func(cfg *clientcmdapi.Config)
		wantCurrent string
		want        RemoveResult
	}{
		{"previous still there", nil, "other", RemoveResult{WasCurrent: true, Restored: "other", Contexts: []string{"other", "third"}}},
		{"previous gone", func(cfg *clientcmdapi.Config) { delete(cfg.Contexts, "other") }, "", RemoveResult{WasCurrent: true, Contexts: []string{"third"}}},
		{"user switched away", func(cfg *clientcmdapi.Config) { cfg.CurrentContext = "third" }, "third", RemoveResult{Contexts: []string{"other", "third"}}},
		{"lab context deleted by hand but still current", func(cfg *clientcmdapi.Config) {
			delete(cfg.Contexts, "ckalab-sim")
			delete(cfg.Clusters, "ckalab-sim")
			delete(cfg.AuthInfos, "ckalab-sim")
		}, "other", RemoveResult{WasCurrent: true, Restored: "other", Contexts: []string{"other", "third"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config")
			if err := clientcmd.WriteToFile(*userConfig(), path); err != nil {
				t.Fatal(err)
			}
			uk := UserKubeconfig{Path: path}
			res, err := uk.Merge("ckalab-sim", labConfig())
			if err != nil || res.Previous != "other" {
				t.Fatalf("Merge = %+v, %v; want Previous other", res, err)
			}
			if tc.change != nil {
				cfg, err := clientcmd.LoadFromFile(path)
				if err != nil {
					t.Fatal(err)
				}
				tc.change(cfg)
				if err := clientcmd.WriteToFile(*cfg, path); err != nil {
					t.Fatal(err)
				}
			}
			got, err := uk.Remove("ckalab-sim", res.Previous)
			if err != nil {
				t.Fatal(err)
			}
			if got.WasCurrent != tc.want.WasCurrent || got.Restored != tc.want.Restored || !slices.Equal(got.Contexts, tc.want.Contexts) {
				t.Errorf("Remove = %+v, want %+v", got, tc.want)
			}
			cfg, err := clientcmd.LoadFromFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.CurrentContext != tc.wantCurrent {
				t.Errorf("current context %q, want %q", cfg.CurrentContext, tc.wantCurrent)
			}
			if cfg.Contexts["ckalab-sim"] != nil || cfg.Clusters["ckalab-sim"] != nil || cfg.AuthInfos["ckalab-sim"] != nil {
				t.Errorf("lab entries left: %v", slices.Sorted(maps.Keys(cfg.Contexts)))
			}
		})
	}
}

// TestMergeDoesNotChangeTheLabsConfig: the caller's config stays as it was.
func TestMergeDoesNotChangeTheLabsConfig(t *testing.T) {
	lc := labConfig()
	lc.Clusters["c"].LocationOfOrigin = "/somewhere/else"
	if _, err := (UserKubeconfig{Path: filepath.Join(t.TempDir(), "config")}).Merge("ckalab-sim", lc); err != nil {
		t.Fatal(err)
	}
	if lc.Clusters["c"].LocationOfOrigin != "/somewhere/else" {
		t.Errorf("the lab's config was changed: %+v", lc.Clusters["c"])
	}
	if _, err := os.Stat("/somewhere/else"); err == nil {
		t.Error("Merge wrote to the lab cluster's LocationOfOrigin")
	}
}

func TestPreviousContextFile(t *testing.T) {
	dir := t.TempDir()
	if got := PreviousContext(dir); got != "" {
		t.Errorf("nothing saved: %q", got)
	}
	if err := SavePreviousContext(dir, "kind-ckalab"); err != nil {
		t.Fatal(err)
	}
	if got := PreviousContext(dir); got != "kind-ckalab" {
		t.Errorf("PreviousContext = %q", got)
	}
	if m := fileMode(t, filepath.Join(dir, previousContextFile)); m != 0o600 {
		t.Errorf("mode %v", m)
	}
	if err := SavePreviousContext(dir, ""); err != nil {
		t.Fatal(err)
	}
	if got := PreviousContext(dir); got != "" {
		t.Errorf("after forgetting: %q", got)
	}
	if err := SavePreviousContext(dir, ""); err != nil {
		t.Errorf("forgetting twice: %v", err)
	}
	if got := PreviousContext(filepath.Join(dir, "gone")); got != "" {
		t.Errorf("missing folder: %q", got)
	}
}

// TestRESTConfigWithoutCurrentContext names the file and its contexts rather
// than claiming there is no kubeconfig.
func TestRESTConfigWithoutCurrentContext(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	dir := t.TempDir()
	file := filepath.Join(dir, "cfg")
	cfg := userConfig()
	cfg.CurrentContext = ""
	if err := clientcmd.WriteToFile(*cfg, file); err != nil {
		t.Fatal(err)
	}
	env := func(kc string) func(string) string {
		return func(k string) string { return map[string]string{"KUBECONFIG": kc, "HOME": dir}[k] }
	}
	_, _, err := Target{Getenv: env(file)}.RESTConfig()
	if err == nil {
		t.Fatal("RESTConfig without a current context succeeded")
	}
	want := "kubeconfig " + file + " has no current context; its contexts: other, third; pick one with --context or `kubectl config use-context`"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	_, _, err = Target{Kubeconfig: file, Getenv: env("")}.RESTConfig()
	if err == nil || !strings.Contains(err.Error(), file+" has no current context") {
		t.Errorf("--kubeconfig: %v", err)
	}
	if _, name, err := (Target{Getenv: env(file), Context: "third"}).RESTConfig(); err != nil || name != "third" {
		t.Errorf("with --context: %q, %v", name, err)
	}

	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = Target{Getenv: env(empty)}.RESTConfig()
	if err == nil || !strings.HasPrefix(err.Error(), "no kubeconfig found ("+empty+" has no contexts): ") {
		t.Errorf("empty file: %v", err)
	}
	_, _, err = Target{Getenv: env(filepath.Join(dir, "missing"))}.RESTConfig()
	if err == nil || !strings.HasPrefix(err.Error(), "no kubeconfig found: ") {
		t.Errorf("missing file: %v", err)
	}
}
