package checks_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/grader/checks"
	"github.com/ckalab/ckalab/lab"
)

// A pod as the kubelet reports it: the container's id is the runtime's
// (containerd://, 64 hex digits), which crictl shows too, cut to 13.
const (
	ledgerContainerID = "3f2a9c1e0b7d44e1a8c5b6f7d9e0a1b2c3d4e5f60718293a4b5c6d7e8f901234"
	ledgerPodUID      = "5d1e2c3b-8a9f-4c7d-9e0b-1a2b3c4d5e6f"
	busyboxImageID    = "sha256:af4709625109f8c3a4b2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0"
)

const ledgerPod = `apiVersion: v1
kind: Pod
metadata:
  name: ledger
  namespace: ops
  uid: ` + ledgerPodUID + `
spec:
  nodeName: w1
  containers:
  - name: sync
    image: busybox:1.36
status:
  phase: Running
  containerStatuses:
  - name: sync
    image: docker.io/library/busybox:1.36
    imageID: docker.io/library/busybox@sha256:7c3c3cea5d4d6133d6a694d23382f6a7b32652f23855abdba3eb039ca5995447
    containerID: containerd://` + ledgerContainerID + `
    ready: true
    restartCount: 0
`

// The id check of a crictl-inspect scenario: the full id, or a prefix of
// 12 or more hex digits (crictl ps shows 13).
const containerIDExpr = `file.trim().matches('^[0-9a-f]{12,64}$') && facts.pod.status.containerStatuses.exists(s, s.name == 'sync' && s.containerID.startsWith('containerd://' + file.trim()))`

// testCerts makes a CA (10 years, as kubeadm's) and an API server serving
// certificate it signed (1 year), in PEM.
func testCerts(t *testing.T, notBefore time.Time) (caPEM, leafPEM string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubernetes"},
		NotBefore: notBefore, NotAfter: notBefore.AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(0x3a7f), Subject: pkix.Name{CommonName: "kube-apiserver"},
		NotBefore: notBefore, NotAfter: notBefore.AddDate(1, 0, 0),
		DNSNames:    []string{"kubernetes", "kubernetes.default", "ckalab-control-plane"},
		IPAddresses: []net.IP{net.ParseIP("10.96.0.1"), net.ParseIP("172.18.0.3")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	}
	return enc(caDER), enc(leafDER)
}

func TestFactsUnit(t *testing.T) {
	t.Parallel()
	l := newUnitLab(t, ledgerPod)
	nodes := l.withNodes("cp", "w1")
	// Issued Jan 2 2026 15:04:05 UTC: the serving certificate expires Jan 2
	// 2027, the CA Jan 2 2036.
	caPEM, leafPEM := testCerts(t, time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC))
	nodes.SetFile("cp", "/etc/kubernetes/pki/ca.crt", caPEM)
	nodes.SetFile("cp", "/etc/kubernetes/pki/apiserver.crt", leafPEM)
	nodes.SetFile("cp", "/etc/kubernetes/pki/apiserver.key", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n")
	nodes.SetFile("cp", "/etc/hosts", "127.0.0.1 localhost\n")
	nodes.SetUnit("cp", "kubelet", lab.UnitState{Active: "inactive", Enabled: "enabled"})
	nodes.SetFile("cp", "/etc/kubernetes/pki/broken.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	answers := map[string]string{
		"full-id":    ledgerContainerID + "\n",
		"short-id":   ledgerContainerID[:13] + "\n",
		"eleven":     ledgerContainerID[:11] + "\n",
		"pod-uid":    ledgerPodUID + "\n",
		"empty":      "",
		"image-id":   busyboxImageID[:7+13] + "\n",
		"image-name": "docker.io/library/busybox:1.36\n",
		"openssl":    "notAfter=Jan  2 15:04:05 2027 GMT\n",
		"iso":        "2027-01-02\n",
		"rfc3339":    "2027-01-02T15:04:05Z\n",
		"kubeadm":    "apiserver   Jan 02, 2027 15:04 UTC   364d   ca   no\n",
		"ca-expiry":  "notAfter=Jan  2 15:04:05 2036 GMT\n",
		"issuer":     "issuer=CN = kubernetes\n",
		"etcd-ca":    "issuer=CN = etcd-ca\n",
	}
	for name, content := range answers {
		nodes.SetFile("w1", "/opt/course/"+name, content)
	}
	nodes.Run = func(node string, argv []string, _ []byte) (string, string, int, bool) {
		switch strings.Join(argv, " ") {
		case "crictl images -q busybox:1.36":
			return busyboxImageID + "\n", "", 0, true
		case "crictl images -q busybox:9.99":
			return "", "", 0, true
		case "crictl inspect 0123456789ab":
			return "", `level=fatal msg="getting the status of the container \"0123456789ab\": not found"` + "\n", 1, true
		case "crictl images -q":
			return busyboxImageID + "\n", "", 0, true
		}
		return "", "", 0, false
	}

	// nodeFile with facts: the answer on w1, judged against the lab.
	runUnitCases(t, "nodeFile", l.Env, []unitCase{
		{"object: the full container id", `
node: w1
path: /opt/course/full-id
facts: {pod: {object: {apiVersion: v1, kind: Pod, namespace: ops, name: ledger}}}
expr: ["` + containerIDExpr + `"]
`, true, nil},
		{"object: the id as crictl ps shows it (13 characters)", `
node: w1
path: /opt/course/short-id
facts: {pod: {object: {apiVersion: v1, kind: Pod, namespace: ops, name: ledger}}}
expr: ["` + containerIDExpr + `"]
`, true, nil},
		{"object: too short a prefix", `
node: w1
path: /opt/course/eleven
facts: {pod: {object: {apiVersion: v1, kind: Pod, namespace: ops, name: ledger}}}
expr: ["` + containerIDExpr + `"]
`, false, []string{"is false"}},
		{"object: the pod's uid is not the container's id", `
node: w1
path: /opt/course/pod-uid
facts: {pod: {object: {apiVersion: v1, kind: Pod, namespace: ops, name: ledger}}}
expr: ["` + containerIDExpr + `"]
`, false, []string{"is false"}},
		{"object: an empty answer is no prefix", `
node: w1
path: /opt/course/empty
facts: {pod: {object: {apiVersion: v1, kind: Pod, namespace: ops, name: ledger}}}
expr: ["` + containerIDExpr + `"]
`, false, []string{"is false"}},
		{"object: missing fails the look, never passes", `
node: w1
path: /opt/course/full-id
facts: {pod: {object: {apiVersion: v1, kind: Pod, namespace: ops, name: nginx}}}
expr: ["!(` + containerIDExpr + `)"]
`, false, []string{"fact pod: Pod ops/nginx not found"}},
		{"object: unknown kind", `
node: w1
path: /opt/course/full-id
facts: {w: {object: {apiVersion: example.com/v1, kind: Widget, name: w}}}
expr: ["facts.w.spec.size() == 0"]
`, false, []string{"fact w: read Widget w:"}},
		{"nodeCommand: the image id as crictl images prints it", `
node: w1
path: /opt/course/image-id
facts: {img: {nodeCommand: {node: w1, command: [crictl, images, -q, "busybox:1.36"]}}}
expr: ["facts.img.exitCode == 0 && facts.img.stdout.contains(file.trim())"]
`, true, nil},
		{"nodeCommand: what it printed differs", `
node: w1
path: /opt/course/image-name
facts: {img: {nodeCommand: {node: w1, command: [crictl, images, -q, "busybox:1.36"]}}}
expr: ["facts.img.stdout.contains(file.trim())"]
`, false, []string{"facts.img.stdout.contains(file.trim())` is false"}},
		{"nodeCommand: an empty stdout is bound as it is", `
node: w1
path: /opt/course/image-id
facts: {img: {nodeCommand: {node: w1, command: [crictl, images, -q, "busybox:9.99"]}}}
expr: ["facts.img.stdout != '' && facts.img.stdout.contains(file.trim())"]
`, false, []string{"is false"}},
		{"nodeCommand: a command that fails fails the look", `
node: w1
path: /opt/course/full-id
facts: {c: {nodeCommand: {node: w1, command: [crictl, inspect, 0123456789ab]}}}
expr: ["!facts.c.stdout.contains(file.trim())"]
`, false, []string{"fact c: `crictl inspect 0123456789ab` on w1 exited 1, want 0", "not found"}},
		{"nodeCommand: exitCodes lets an exit stand for an answer", `
node: w1
path: /opt/course/full-id
facts: {kubelet: {nodeCommand: {node: cp, command: [systemctl, is-active, kubelet], exitCodes: [0, 3]}}}
expr: ["facts.kubelet.exitCode == 3 && facts.kubelet.stdout.trim() == 'inactive'"]
`, true, nil},
		{"nodeCommand: exit 3 outside exitCodes", `
node: w1
path: /opt/course/full-id
facts: {kubelet: {nodeCommand: {node: cp, command: [systemctl, is-active, kubelet]}}}
expr: ["facts.kubelet.stdout != ''"]
`, false, []string{"exited 3, want 0"}},
		{"nodeCommand: the command is not on the node", `
node: w1
path: /opt/course/full-id
facts: {j: {nodeCommand: {node: w1, command: [journalctl, -u, kubelet, -n, "5"]}}}
expr: ["facts.j.stdout != ''"]
`, false, []string{"fact j:", "exited 127"}},
		{"nodeCommand: an unknown node", `
node: w1
path: /opt/course/full-id
facts: {img: {nodeCommand: {node: w9, command: [crictl, images, -q]}}}
expr: ["facts.img.stdout != ''"]
`, false, []string{"fact img: run `crictl images -q` on w9", `no node "w9"`}},
	})

	certFact := `facts: {cert: {certificate: {node: cp, path: /etc/kubernetes/pki/apiserver.crt}}}`
	names := "facts.cert.notAfterDates.exists(d, file.contains(d))"
	var dateCases []unitCase
	for _, a := range []string{"openssl", "iso", "rfc3339", "kubeadm"} {
		dateCases = append(dateCases, unitCase{"certificate: the expiry as " + a + " writes it",
			"node: w1\npath: /opt/course/" + a + "\n" + certFact + "\nexpr: [\"" + names + "\"]\n", true, nil})
	}
	runUnitCases(t, "nodeFile", l.Env, append(dateCases, []unitCase{
		{"certificate: the CA's expiry is another day", "node: w1\npath: /opt/course/ca-expiry\n" + certFact + "\nexpr: [\"" + names + "\"]\n", false,
			[]string{"is false"}},
		{"certificate: every field", "node: w1\npath: /opt/course/issuer\n" + certFact + `
expr:
- facts.cert.notAfter == '2027-01-02T15:04:05Z' && facts.cert.notBefore == '2026-01-02T15:04:05Z'
- timestamp(facts.cert.notAfter) - timestamp(facts.cert.notBefore) == duration('8760h')
- facts.cert.issuer == 'CN=kubernetes' && facts.cert.issuerCN == 'kubernetes'
- facts.cert.subject == 'CN=kube-apiserver' && facts.cert.subjectCN == 'kube-apiserver'
- "'kubernetes.default' in facts.cert.dnsNames && '10.96.0.1' in facts.cert.ipAddresses"
- facts.cert.serial == '3A7F' && !facts.cert.isCA
- "'Jan 02, 2027' in facts.cert.notAfterDates && '2026-01-02' in facts.cert.notBeforeDates"
- file.split('=')[file.split('=').size() - 1].trim() == facts.cert.issuerCN
`, true, nil},
		{"certificate: another CA's name", "node: w1\npath: /opt/course/etcd-ca\n" + certFact + `
expr: ["file.split('=')[file.split('=').size() - 1].trim() == facts.cert.issuerCN"]
`, false, []string{"is false"}},
		{"certificate: the CA itself", `
node: w1
path: /opt/course/ca-expiry
facts: {ca: {certificate: {node: cp, path: /etc/kubernetes/pki/ca.crt}}}
expr: ["facts.ca.isCA && facts.ca.notAfterDates.exists(d, file.contains(d))"]
`, true, nil},
		{"certificate: a key is no certificate", `
node: w1
path: /opt/course/openssl
facts: {cert: {certificate: {node: cp, path: /etc/kubernetes/pki/apiserver.key}}}
expr: ["facts.cert.notAfterDates.exists(d, file.contains(d))"]
`, false, []string{"fact cert: /etc/kubernetes/pki/apiserver.key on cp: no PEM certificate in it"}},
		{"certificate: a text file is no certificate", `
node: w1
path: /opt/course/openssl
facts: {cert: {certificate: {node: cp, path: /etc/hosts}}}
expr: ["facts.cert.notAfterDates.exists(d, file.contains(d))"]
`, false, []string{"fact cert: /etc/hosts on cp: no PEM certificate"}},
		{"certificate: a PEM block that does not parse", `
node: w1
path: /opt/course/openssl
facts: {cert: {certificate: {node: cp, path: /etc/kubernetes/pki/broken.crt}}}
expr: ["facts.cert.notAfterDates.exists(d, file.contains(d))"]
`, false, []string{"fact cert: /etc/kubernetes/pki/broken.crt on cp: not a valid certificate"}},
		{"certificate: missing", `
node: w1
path: /opt/course/openssl
facts: {cert: {certificate: {node: cp, path: /etc/kubernetes/pki/front-proxy.crt}}}
expr: ["facts.cert.notAfterDates.exists(d, file.contains(d))"]
`, false, []string{"fact cert: /etc/kubernetes/pki/front-proxy.crt on cp does not exist"}},
		{"a missing answer fails before any fact is fetched", "node: w1\npath: /opt/course/none\n" + certFact + "\nexpr: [\"" + names + "\"]\n", false,
			[]string{"/opt/course/none on w1 does not exist"}},
		{"two facts, on two nodes", `
node: w1
path: /opt/course/openssl
facts:
  cert: {certificate: {node: cp, path: /etc/kubernetes/pki/apiserver.crt}}
  ca: {certificate: {node: cp, path: /etc/kubernetes/pki/ca.crt}}
  pod: {object: {apiVersion: v1, kind: Pod, namespace: ops, name: ledger}}
expr:
- facts.cert.notAfterDates.exists(d, file.contains(d))
- "!facts.ca.notAfterDates.exists(d, file.contains(d))"
- facts.pod.spec.nodeName == 'w1'
`, true, nil},
	}...))

	t.Run("facts are fetched at every look", func(t *testing.T) {
		chk := build(t, "nodeFile", "node: w1\npath: /opt/course/openssl\n"+certFact+"\nexpr: [\""+names+"\"]\n")
		unitPass(t, chk, l.Env)
		nodes.SetFile("cp", "/etc/kubernetes/pki/apiserver.crt", caPEM) // renewed, say
		defer nodes.SetFile("cp", "/etc/kubernetes/pki/apiserver.crt", leafPEM)
		unitFail(t, chk, l.Env, "is false")
	})

	t.Run("expected names the facts", func(t *testing.T) {
		obs := unitFail(t, build(t, "nodeFile", `
node: w1
path: /opt/course/pod-uid
facts:
  pod: {object: {apiVersion: v1, kind: Pod, namespace: ops, name: ledger}}
  img: {nodeCommand: {node: w1, command: [crictl, images, -q]}}
expr: ["`+containerIDExpr+`", "facts.img.exitCode == 0"]
`), l.Env, "is false")
		unitWantContains(t, "expected", obs.Expected, "with facts img (`crictl images -q` on w1), pod (Pod ops/ledger)")
	})

	t.Run("answerFile: object and certificate facts", func(t *testing.T) {
		env := &grader.Env{Cluster: l.Cluster, AnswerDir: t.TempDir()}
		write := func(name, content string) {
			t.Helper()
			if err := os.WriteFile(filepath.Join(env.AnswerDir, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		write("id", ledgerContainerID[:12]+"\n")
		write("expiry", "2027-01-02 15:04:05Z\n")
		write("uid", ledgerPodUID+"\n")
		runUnitCases(t, "answerFile", env, []unitCase{
			{"object pass", `
path: id
format: text
facts: {pod: {object: {apiVersion: v1, kind: Pod, namespace: ops, name: ledger}}}
expr: ["` + containerIDExpr + `"]
`, true, nil},
			{"object: the pod's uid", `
path: uid
format: text
facts: {pod: {object: {apiVersion: v1, kind: Pod, namespace: ops, name: ledger}}}
expr: ["` + containerIDExpr + `"]
`, false, []string{"is false"}},
			{"object: the uid is a field too", `
path: uid
format: text
facts: {pod: {object: {apiVersion: v1, kind: Pod, namespace: ops, name: ledger}}}
expr: ["file.trim() == facts.pod.metadata.uid"]
`, true, nil},
			{"certificate pass", "path: expiry\nformat: text\n" + certFact + "\nexpr: [\"" + names + "\"]\n", true, nil},
		})
		// Without a lab (answerFile alone needs none), a fact says so.
		bare := &grader.Env{AnswerDir: env.AnswerDir}
		unitFail(t, build(t, "answerFile", `{path: id, format: text, facts: {pod: {object: {apiVersion: v1, kind: Pod, namespace: ops, name: ledger}}}, expr: ["facts.pod.metadata.name != ''"]}`),
			bare, "fact pod: no lab to read Pod ops/ledger from")
		unitFail(t, build(t, "answerFile", "path: expiry\nformat: text\n"+certFact+"\nexpr: [\""+names+"\"]\n"),
			bare, "fact cert: this check needs a lab with node access (kind)")
	})
}

// TestFactsNodeName: a fact on a node makes an answerFile check a node
// check; nodeFile's node stays the file's.
func TestFactsNodeName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ kind, src, want string }{
		{"answerFile", `{path: a, format: text}`, ""},
		{"answerFile", `{path: a, format: text, facts: {p: {object: {apiVersion: v1, kind: Pod, name: x}}}, expr: [facts.p.kind == 'Pod']}`, ""},
		{"answerFile", `{path: a, format: text, facts: {c: {certificate: {node: cp, path: /a.crt}}}, expr: [facts.c.isCA]}`, "cp"},
		{"answerFile", `{path: a, format: text, facts: {z: {certificate: {node: w2, path: /a.crt}}, b: {nodeCommand: {node: w1, command: [ls]}}}, expr: [facts.z.isCA, facts.b.exitCode == 0]}`, "w1"},
		{"nodeFile", `{node: w1, path: /a, facts: {c: {certificate: {node: cp, path: /a.crt}}}, expr: [facts.c.isCA]}`, "w1"},
	} {
		got := ""
		if n, ok := build(t, c.kind, c.src).(grader.NodeCheck); ok {
			got = n.NodeName()
		}
		if got != c.want {
			t.Errorf("%s %s: node %q, want %q", c.kind, c.src, got, c.want)
		}
	}
}

func TestFactsValidation(t *testing.T) {
	t.Parallel()
	obj := `{object: {apiVersion: v1, kind: Pod, namespace: ops, name: ledger}}`
	cases := []struct{ src, want string }{
		{`{node: w1, path: /a, facts: {pod: {objekt: {name: x}}}, expr: [facts.pod.x == 1]}`, `nodeFile.facts.pod.objekt: unknown field (did you mean "object"?)`},
		{`{node: w1, path: /a, facts: {pod: {}}, expr: [facts.pod.x == 1]}`, "nodeFile.facts.pod: no source: want one of object, nodeCommand, certificate"},
		{`{node: w1, path: /a, facts: {pod: {object: {apiVersion: v1, kind: Pod, name: x}, certificate: {node: cp, path: /a}}}, expr: [facts.pod.x == 1]}`,
			"nodeFile.facts.pod: a fact has one source; got object and certificate"},
		{`{node: w1, path: /a, facts: {my-pod: ` + obj + `}, expr: [file == '']}`, "nodeFile.facts.my-pod: a fact's name is used in expressions as facts.my-pod"},
		{`{node: w1, path: /a, facts: {1pod: ` + obj + `}, expr: [file == '']}`, "nodeFile.facts.1pod: a fact's name"},
		{`{node: w1, path: /a, facts: {in: ` + obj + `}, expr: [file == '']}`, "nodeFile.facts.in: a fact's name"},
		{`{node: w1, path: /a, facts: {pod: {object: {kind: Pod}}}, expr: [facts.pod.x == 1]}`, "nodeFile.facts.pod.object.apiVersion: required"},
		{`{node: w1, path: /a, facts: {pod: {object: {apiVersion: v1, kind: Pod}}}, expr: [facts.pod.x == 1]}`, "nodeFile.facts.pod.object.name: required: a fact is one object"},
		{`{node: w1, path: /a, facts: {c: {nodeCommand: {command: [ls]}}}, expr: [facts.c.x == 1]}`, "nodeFile.facts.c.nodeCommand.node: required"},
		{`{node: w1, path: /a, facts: {c: {nodeCommand: {node: cp, command: [sh, -c, id]}}}, expr: [facts.c.x == 1]}`,
			`nodeFile.facts.c.nodeCommand.command: "sh" is not one of the read-only commands nodeCommand runs`},
		{`{node: w1, path: /a, facts: {c: {nodeCommand: {node: cp, command: [etcdctl, snapshot, save, /opt/course/s.db]}}}, expr: [facts.c.x == 1]}`,
			"etcdctl snapshot save writes a file: a step may run it, a check only looks"},
		{`{node: w1, path: /a, facts: {c: {nodeCommand: {node: cp, command: [crictl, logs, --follow, abc]}}}, expr: [facts.c.x == 1]}`,
			"nodeFile.facts.c.nodeCommand.command: crictl logs: flag --follow is not one nodeCommand allows"},
		{`{node: w1, path: /a, facts: {c: {nodeCommand: {node: cp, command: [ls], exitCodes: [0, 300]}}}, expr: [facts.c.x == 1]}`,
			"nodeFile.facts.c.nodeCommand.exitCodes[1]: got 300, want 0 to 255"},
		{`{node: w1, path: /a, facts: {c: {nodeCommand: {node: cp, command: "crictl ps"}}}, expr: [facts.c.x == 1]}`, "nodeFile.facts.c.nodeCommand.command: "},
		{`{node: w1, path: /a, facts: {c: {certificate: {node: cp, path: pki/ca.crt}}}, expr: [facts.c.x == 1]}`,
			`nodeFile.facts.c.certificate.path: want an absolute, clean path on the node, got "pki/ca.crt"`},
		{`{node: w1, path: /a, facts: {c: {certificate: {path: /ca.crt}}}, expr: [facts.c.x == 1]}`, "nodeFile.facts.c.certificate.node: required"},
		{`{node: w1, path: /a, facts: {pod: ` + obj + `}, expr: [facts.nope.x == 1]}`, "nodeFile.expr[0]: ERROR: <input>:1:6: undeclared reference to 'facts.nope' (did you mean 'facts.pod'?)"},
		{`{node: w1, path: /a, expr: [facts.pod.x == 1]}`, "nodeFile.expr[0]: ERROR: <input>:1:1: undeclared reference to 'facts'"},
		{`{node: w1, path: /a, facts: {pod: ` + obj + `}}`, "nodeFile.facts.pod: no expression uses it"},
		{`{node: w1, path: /a, facts: {pod: ` + obj + `, pods: ` + obj + `}, expr: [facts.pods.x == 1]}`, "nodeFile.facts.pod: no expression uses it"},
		{`{node: w1, path: /a, exists: false, facts: {pod: ` + obj + `}}`, "drop contains, matches, yaml, json, expr and facts"},
		{`{node: w1, path: /a, facts: [pod], expr: [file == '']}`, "nodeFile.facts: "},
		{`{path: a, format: text, facts: {pod: {certificate: {node: cp, path: /x}, nodeCommand: {node: cp, command: [ls]}}}, expr: [facts.pod.x == 1]}`,
			"answerFile.facts.pod: a fact has one source; got nodeCommand and certificate"},
	}
	for _, c := range cases {
		kind := "nodeFile"
		if strings.HasPrefix(c.src, "{path: a,") {
			kind = "answerFile"
		}
		unitWantInvalid(t, kind, c.src, c.want)
	}

	// Problems carry the line of what they are about.
	_, ps := buildProblems(t, "nodeFile", `node: w1
path: /a
facts:
  pod:
    object: {apiVersion: v1, kind: Pod, name: x}
  bad-name:
    certificate: {node: cp, path: /a.crt}
  cmd:
    nodeCommand:
      node: cp
      command: [rm, -rf, /]
expr: [facts.pod.x == 1, facts.cmd.exitCode == 0]
`)
	for _, want := range []string{`^6: nodeFile\.facts\.bad-name: a fact's name`, `^11: nodeFile\.facts\.cmd\.nodeCommand\.command: "rm" is not one`} {
		found := false
		for _, p := range ps {
			found = found || regexp.MustCompile(want).MatchString(p)
		}
		if !found {
			t.Errorf("no problem matching %s: %q", want, ps)
		}
	}
}

// TestFactDateRenderings: the renderings of a certificate's day, padded
// as each tool pads it.
func TestFactDateRenderings(t *testing.T) {
	t.Parallel()
	got := checks.DateRenderings(time.Date(2027, 1, 2, 15, 4, 5, 0, time.UTC))
	want := []string{"2027-01-02", "Jan  2 15:04:05 2027", "Jan 2 15:04:05 2027", "Jan 02, 2027", "Jan 2, 2027", "January 2, 2027", "02 Jan 2027", "02 January 2027"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("renderings\n got %q\nwant %q", got, want)
	}
	// A two-digit day renders once per layout family, and a time in
	// another zone is the day in UTC, as openssl and kubeadm print it.
	got = checks.DateRenderings(time.Date(2027, 11, 21, 1, 30, 0, 0, time.FixedZone("CET", 3600)))
	want = []string{"2027-11-21", "Nov 21 00:30:00 2027", "Nov 21, 2027", "November 21, 2027", "21 Nov 2027", "21 November 2027"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("renderings\n got %q\nwant %q", got, want)
	}
}

// TestFactsDecodingProblems: a fact decoding refused is reported once,
// and the expressions naming it still compile.
func TestFactsDecodingProblems(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ src, want string }{
		{`{node: w1, path: /a, facts: {pod: 3}, expr: [facts.pod.x == 1]}`, "1: nodeFile.facts.pod: got `3`, want a mapping"},
		{"node: w1\npath: /a\nfacts:\n  pod: {object: {apiVersion: v1, kind: Pod, name: x}}\n  pod: {object: {apiVersion: v1, kind: Pod, name: y}}\nexpr: [facts.pod.x == 1]\n", "5: nodeFile.facts.pod: "},
	} {
		_, ps := buildProblems(t, "nodeFile", c.src)
		if len(ps) != 1 || !strings.HasPrefix(ps[0], c.want) {
			t.Errorf("%s: problems %q, want one starting %q", c.src, ps, c.want)
		}
	}
}
