package kubeadm

import (
	"strings"
	"testing"
)

// What `kubeadm init` writes to /etc/kubernetes/admin.conf (shortened).
const adminConf = `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: Q0EK
    server: https://172.18.0.2:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: kubernetes-admin
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
users:
- name: kubernetes-admin
  user:
    client-certificate-data: Q0VSVAo=
    client-key-data: S0VZCg==
`

func TestHostKubeconfig(t *testing.T) {
	cfg, err := hostKubeconfig([]byte(adminConf), "0.0.0.0:40123\n[::]:40123\n")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != ContextName || len(cfg.Contexts) != 1 || len(cfg.Clusters) != 1 || len(cfg.AuthInfos) != 1 {
		t.Fatalf("config = %+v, want one context %s", cfg, ContextName)
	}
	c := cfg.Clusters[ContextName]
	if c.Server != "https://127.0.0.1:40123" || c.TLSServerName != "kubernetes" || string(c.CertificateAuthorityData) != "CA\n" {
		t.Errorf("cluster = server %q, tls-server-name %q, CA %q; want the published port, checked as \"kubernetes\", the cluster's CA", c.Server, c.TLSServerName, c.CertificateAuthorityData)
	}
	if u := cfg.AuthInfos[ContextName]; string(u.ClientKeyData) != "KEY\n" {
		t.Errorf("user = %+v, want admin.conf's key", u)
	}
	// kind's own publishing: loopback only.
	cfg, err = hostKubeconfig([]byte(adminConf), "127.0.0.1:39999\n")
	if err != nil || cfg.Clusters[ContextName].Server != "https://127.0.0.1:39999" {
		t.Errorf("loopback port: %v, %v", cfg, err)
	}

	for _, tc := range []struct{ name, conf, ports, want string }{
		{"no port published", adminConf, "", "publishes no API server port"},
		{"not a kubeconfig", "{", "127.0.0.1:1\n", "yaml"},
		{"no current context", strings.Replace(adminConf, "current-context: kubernetes-admin@kubernetes", "current-context: other", 1), "127.0.0.1:1\n", "no current context"},
		{"user missing", strings.Replace(adminConf, "user: kubernetes-admin\n", "user: nobody\n", 1), "127.0.0.1:1\n", "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := hostKubeconfig([]byte(tc.conf), tc.ports); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}
