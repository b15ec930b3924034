package lab

import (
	"os"
	"path/filepath"
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
			if err := uk.Remove("ckalab-sim"); err != nil {
				t.Fatal(err)
			}
			got, err = clientcmd.LoadFromFile(tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if got.Contexts["ckalab-sim"] != nil || got.CurrentContext != "" {
				t.Errorf("after Remove: %+v", got)
			}
			if err := uk.Remove("ckalab-sim"); err != nil {
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
