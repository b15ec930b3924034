package kubeadm

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// What `lab status` says of a node at each stage of building a cluster.
func TestDescribeNode(t *testing.T) {
	for _, tc := range []struct {
		name, out, version, detail string
	}{
		{"bare node", "containerd=none\nkubelet=none\nkubeadm=\n", "",
			"no containerd, no kubelet, no kubeadm, not in a cluster"},
		{"packages installed, kubelet waiting for kubeadm", "containerd=active\nkubelet=activating\nkubeadm=v1.37.2\n", "v1.37.2",
			"containerd active, kubelet activating, not in a cluster"},
		{"containerd stopped", "containerd=inactive\nkubelet=inactive\nkubeadm=v1.36.3\n", "v1.36.3",
			"containerd not running, kubelet not running, not in a cluster"},
		{"control plane", "containerd=active\nkubelet=active\nkubeadm=v1.37.2\ncluster=initialised\n", "v1.37.2",
			"containerd active, kubelet active, control plane initialised"},
		{"worker", "containerd=active\nkubelet=active\nkubeadm=v1.37.2\ncluster=joined\n", "v1.37.2",
			"containerd active, kubelet active, joined"},
		{"no output", "", "", "no containerd, no kubelet, no kubeadm, not in a cluster"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			version, detail := describeNode(tc.out)
			if version != tc.version || detail != tc.detail {
				t.Errorf("describeNode(%q) = %q, %q; want %q, %q", tc.out, version, detail, tc.version, tc.detail)
			}
		})
	}
}

// stateScript in a real shell, with stand-ins for the programs it asks:
// what a node with the packages installed and no cluster prints.
func TestStateScriptInAShell(t *testing.T) {
	if _, err := os.Stat("/etc/kubernetes/kubelet.conf"); err == nil {
		t.Skip("this machine is a Kubernetes node: the script would read its files")
	}
	bin := t.TempDir()
	stub := func(name, body string) {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	stub("containerd", "exit 0")
	stub("kubelet", "exit 0")
	stub("systemctl", `[ "$1" = is-active ] || exit 2
case "$2" in containerd) echo active ;; kubelet) echo activating; exit 3 ;; *) echo inactive; exit 3 ;; esac`)
	stub("kubeadm", `[ "$*" = "version -o short" ] && echo v1.37.2`)
	cmd := exec.Command("sh", "-c", stateScript)
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("stateScript: %v", err)
	}
	version, detail := describeNode(string(out))
	if version != "v1.37.2" || detail != "containerd active, kubelet activating, not in a cluster" {
		t.Errorf("from %q: %q, %q", out, version, detail)
	}

	// Nothing installed: kubeadm, containerd and kubelet are not found.
	for _, name := range []string{"containerd", "kubelet", "kubeadm"} {
		os.Remove(filepath.Join(bin, name))
	}
	cmd = exec.Command("sh", "-c", stateScript)
	cmd.Env = []string{"PATH=" + bin + ":/nonexistent"}
	if out, err = cmd.Output(); err != nil {
		t.Fatalf("stateScript on a bare node: %v", err)
	}
	if _, detail := describeNode(string(out)); detail != "no containerd, no kubelet, no kubeadm, not in a cluster" {
		t.Errorf("bare node: from %q: %q", out, detail)
	}
}
