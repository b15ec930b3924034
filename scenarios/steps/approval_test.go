package steps_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/simtest"
	"github.com/ckalab/ckalab/scenarios/steps"
	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestPatchApproval approves a CertificateSigningRequest through the patch
// step's approval subresource, as `kubectl certificate approve` does, on a
// real API server; the sim's controller manager then issues the
// certificate.
func TestPatchApproval(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ctx := context.Background()
	name := simtest.UniqueName(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: name}}, key)
	if err != nil {
		t.Fatal(err)
	}
	request := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	csrs := c.Kube.CertificatesV1().CertificateSigningRequests()
	t.Cleanup(func() { _ = csrs.Delete(context.Background(), name, metav1.DeleteOptions{}) })
	env := steps.Env{Cluster: c}
	run(t, env, step(t, fmt.Sprintf(`
apply:
  manifest: |
    apiVersion: certificates.k8s.io/v1
    kind: CertificateSigningRequest
    metadata: {name: %s}
    spec:
      request: %s
      signerName: kubernetes.io/kube-apiserver-client
      usages: [client auth]
`, name, request)))
	got := run(t, env, step(t, fmt.Sprintf(`
patch:
  apiVersion: certificates.k8s.io/v1
  kind: CertificateSigningRequest
  name: %s
  subresource: approval
  type: merge
  patch: {status: {conditions: [{type: Approved, status: "True", reason: KubectlApprove, message: approved by a test}]}}
`, name)))
	if want := "patched CertificateSigningRequest " + name + "/approval"; !equal(got, []string{want}) {
		t.Errorf("changed %q, want %q", got, want)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		csr, err := csrs.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		approved := false
		for _, cond := range csr.Status.Conditions {
			approved = approved || cond.Type == certificatesv1.CertificateApproved && cond.Status == "True"
		}
		if approved && len(csr.Status.Certificate) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CSR %s: conditions %+v, certificate %d bytes; want approved and issued", name, csr.Status.Conditions, len(csr.Status.Certificate))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
