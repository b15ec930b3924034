package sim

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certValidity is long enough for any practice lab; a lab that outlives it
// is recreated by `lab down && lab up`.
const certValidity = 365 * 24 * time.Hour

// authority is a CA that signs the lab's certificates.
type authority struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  []byte
}

// keyPair is a signed certificate and its key, PEM encoded.
type keyPair struct {
	Cert []byte
	Key  []byte
}

func newKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
}

func encodeKey(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

func newAuthority(cn string, now time.Time) (*authority, []byte, error) {
	key, err := newKey()
	if err != nil {
		return nil, nil, fmt.Errorf("CA key: %w", err)
	}
	sn, err := serial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return &authority{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, keyPEM, nil
}

// certRequest describes a leaf certificate.
type certRequest struct {
	CommonName   string
	Organization []string
	DNSNames     []string
	IPs          []net.IP
	Server       bool
	Client       bool
}

func (a *authority) issue(req certRequest, now time.Time) (keyPair, error) {
	key, err := newKey()
	if err != nil {
		return keyPair{}, fmt.Errorf("key for %s: %w", req.CommonName, err)
	}
	sn, err := serial()
	if err != nil {
		return keyPair{}, err
	}
	var usage []x509.ExtKeyUsage
	if req.Server {
		usage = append(usage, x509.ExtKeyUsageServerAuth)
	}
	if req.Client {
		usage = append(usage, x509.ExtKeyUsageClientAuth)
	}
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: req.CommonName, Organization: req.Organization},
		DNSNames:     req.DNSNames,
		IPAddresses:  req.IPs,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  usage,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, key.Public(), a.key)
	if err != nil {
		return keyPair{}, fmt.Errorf("certificate for %s: %w", req.CommonName, err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return keyPair{}, err
	}
	return keyPair{Cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), Key: keyPEM}, nil
}

// pki is every credential a sim lab uses.
type pki struct {
	CA        []byte
	CAKey     []byte
	EtcdCA    []byte
	SAKey     []byte
	SAPub     []byte
	APIServer keyPair // serving
	EtcdPeer  keyPair // etcd serving
	EtcdCli   keyPair // apiserver -> etcd
	Admin     keyPair // kubernetes-admin, system:masters
	KCM       keyPair // system:kube-controller-manager
	Scheduler keyPair // system:kube-scheduler
	Kwok      keyPair // the node simulator
}

// newPKI generates a fresh PKI laid out like kubeadm's: one cluster CA, a
// separate etcd CA, and the service-account signing key pair.
func newPKI(now time.Time) (*pki, error) {
	ca, caKey, err := newAuthority("kubernetes", now)
	if err != nil {
		return nil, err
	}
	etcdCA, _, err := newAuthority("etcd-ca", now)
	if err != nil {
		return nil, err
	}
	p := &pki{CA: ca.pem, CAKey: caKey, EtcdCA: etcdCA.pem}
	loopback := []net.IP{net.ParseIP("127.0.0.1")}
	issues := []struct {
		ca  *authority
		out *keyPair
		req certRequest
	}{
		{ca, &p.APIServer, certRequest{CommonName: "kube-apiserver", Server: true,
			DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
			IPs:      []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")}}},
		{etcdCA, &p.EtcdPeer, certRequest{CommonName: "etcd", Server: true, Client: true, DNSNames: []string{"localhost"}, IPs: loopback}},
		{etcdCA, &p.EtcdCli, certRequest{CommonName: "kube-apiserver-etcd-client", Client: true}},
		{ca, &p.Admin, certRequest{CommonName: "kubernetes-admin", Organization: []string{"system:masters"}, Client: true}},
		{ca, &p.KCM, certRequest{CommonName: "system:kube-controller-manager", Client: true}},
		{ca, &p.Scheduler, certRequest{CommonName: "system:kube-scheduler", Client: true}},
		// kwok writes the status of every node and pod, which no node
		// identity may do under NodeRestriction.
		{ca, &p.Kwok, certRequest{CommonName: "kwok", Organization: []string{"system:masters"}, Client: true}},
	}
	for _, is := range issues {
		if *is.out, err = is.ca.issue(is.req, now); err != nil {
			return nil, err
		}
	}
	saKey, err := newKey()
	if err != nil {
		return nil, fmt.Errorf("service-account key: %w", err)
	}
	if p.SAKey, err = encodeKey(saKey); err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return nil, err
	}
	p.SAPub = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	return p, nil
}

// write lays the PKI out in dir, private keys readable by the owner only.
func (p *pki) write(dir string) error {
	files := map[string][]byte{
		"ca.crt": p.CA, "ca.key": p.CAKey, "etcd/ca.crt": p.EtcdCA,
		"sa.key": p.SAKey, "sa.pub": p.SAPub,
		"apiserver.crt": p.APIServer.Cert, "apiserver.key": p.APIServer.Key,
		"etcd/server.crt": p.EtcdPeer.Cert, "etcd/server.key": p.EtcdPeer.Key,
		"apiserver-etcd-client.crt": p.EtcdCli.Cert, "apiserver-etcd-client.key": p.EtcdCli.Key,
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}
