package checks

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	"gopkg.in/yaml.v3"
)

// factSpec is one of the facts of an answerFile or nodeFile check: what
// only the lab knows when it grades (a container's id, the day a
// certificate expires), fetched at each look before the expressions run
// and bound in them as facts.NAME. It has exactly one source:
//
//   - object: {apiVersion, kind, namespace, name}: the object as match sees
//     it (facts.pod.status.containerStatuses[0].containerID);
//   - nodeCommand: {node, command, exitCodes}: a read-only command of
//     lab/nodetools.go's allow-list, as the nodeCommand check runs it (no
//     shell), seen as {stdout, stderr, exitCode}; an exit code other than
//     those of exitCodes (default [0]) fails the look, so that a command
//     that failed never stands for an empty answer;
//   - certificate: {node, path}: the first PEM certificate of a node file
//     (/etc/kubernetes/pki/apiserver.crt), parsed, seen as
//     certificateFact says.
//
// A fact that cannot be fetched (no such object, a command that fails, a
// file that is no certificate) fails the look with a problem naming it
// ("fact pod: Pod web/nginx not found"), never passes it.
type factSpec struct {
	Object      *lab.Ref         `yaml:"object"`
	NodeCommand *nodeCommandFact `yaml:"nodeCommand"`
	Certificate *certificateFact `yaml:"certificate"`
}

// nodeCommandFact is a fact's read-only node command.
type nodeCommandFact struct {
	Node      string   `yaml:"node"`
	Command   []string `yaml:"command"`
	ExitCodes []int    `yaml:"exitCodes"`
}

// certificateFact is a fact's certificate, read off a node (its first
// PEM CERTIFICATE block) and seen as:
//
//	notAfter, notBefore   RFC 3339 in UTC ("2027-01-02T15:04:05Z"), for
//	                      timestamp() and comparisons
//	notAfterDates,        the day in the renderings people and tools
//	notBeforeDates        write it: 2027-01-02 (ISO 8601, RFC 3339,
//	                      openssl -dateopt iso_8601), "Jan  2 15:04:05 2027"
//	                      and "Jan 2 15:04:05 2027" (openssl x509 -enddate,
//	                      date), "Jan 02, 2027" and "Jan 2, 2027" (kubeadm
//	                      certs check-expiration), "January 2, 2027",
//	                      "02 Jan 2027" (RFC 1123), "02 January 2027"; an
//	                      answer names the day when it contains one:
//	                      facts.cert.notAfterDates.exists(d, file.contains(d))
//	issuer, subject       RFC 2253 ("CN=kubernetes")
//	issuerCN, subjectCN   the common names ("kubernetes", "kube-apiserver")
//	dnsNames, ipAddresses the subject alternative names
//	serial                upper-case hex, as openssl x509 -serial prints it
//	isCA                  the basic constraints' CA flag
type certificateFact struct {
	Node string `yaml:"node"`
	Path string `yaml:"path"`
}

// namedFact is a validated fact.
type namedFact struct {
	name string
	spec factSpec
}

// factName is a name CEL can select after "facts.".
var factName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// celReserved are CEL's keywords and reserved words, which are no field
// names.
var celReserved = []string{"as", "break", "const", "continue", "else", "false", "for", "function", "if", "import",
	"in", "let", "loop", "package", "namespace", "null", "return", "true", "var", "void", "while"}

// factSources are a fact's sources, as written.
var factSources = []string{"object", "nodeCommand", "certificate"}

// sources names the sources a fact sets.
func (f factSpec) sources() []string {
	var out []string
	for i, set := range []bool{f.Object != nil, f.NodeCommand != nil, f.Certificate != nil} {
		if set {
			out = append(out, factSources[i])
		}
	}
	return out
}

// node is the node a fact looks inside ("" for an object).
func (f factSpec) node() string {
	switch {
	case f.NodeCommand != nil:
		return f.NodeCommand.Node
	case f.Certificate != nil:
		return f.Certificate.Node
	}
	return ""
}

// describe renders the source for messages.
func (f factSpec) describe() string {
	switch {
	case f.Object != nil:
		return f.Object.String()
	case f.NodeCommand != nil:
		return fmt.Sprintf("`%s` on %s", strings.Join(f.NodeCommand.Command, " "), f.NodeCommand.Node)
	case f.Certificate != nil:
		return fmt.Sprintf("certificate %s on %s", f.Certificate.Path, f.Certificate.Node)
	}
	return "nothing"
}

// compileFacts validates the facts (their names, one source each and its
// fields), in the order the file gives them, and returns them sorted by
// name. prior are the problems found so far (a field of the wrong type, an
// unknown field), which it does not repeat.
func compileFacts(body *yaml.Node, p string, facts map[string]factSpec, prior yamlx.Problems) ([]namedFact, yamlx.Problems) {
	var ps yamlx.Problems
	factsPath := yamlx.Join(p, "facts")
	node := lookup(body, "facts")
	if node == nil || node.Kind != yaml.MappingNode {
		return nil, nil // none, or not a mapping (decoding said so)
	}
	var out []namedFact
	for i := 0; i+1 < len(node.Content); i += 2 {
		key, val := node.Content[i], node.Content[i+1]
		name := key.Value
		fp := yamlx.Join(factsPath, name)
		if slices.ContainsFunc(out, func(f namedFact) bool { return f.name == name }) {
			continue // a repeated key, which decoding reported
		}
		spec, ok := facts[name]
		if !ok || val.Kind != yaml.MappingNode {
			// Decoding said what is wrong; the name still stands, so that
			// the expressions using it compile.
			out = append(out, namedFact{name: name})
			continue
		}
		if !factName.MatchString(name) || slices.Contains(celReserved, name) {
			ps.Add(key, fp, "a fact's name is used in expressions as facts.%s: want letters, digits and _, not starting with a digit, and no CEL keyword", name)
		}
		switch src := spec.sources(); {
		case len(src) == 0 && !prior.Explains(fp):
			ps.Add(key, fp, "no source: want one of %s", strings.Join(factSources, ", "))
		case len(src) > 1:
			ps.Add(key, fp, "a fact has one source; got %s", strings.Join(src, " and "))
		}
		ps = append(ps, spec.validate(val, fp, prior)...)
		out = append(out, namedFact{name: name, spec: spec})
	}
	slices.SortFunc(out, func(a, b namedFact) int { return strings.Compare(a.name, b.name) })
	return out, ps
}

// validate checks the fields of the fact's source; fact is its node and
// fp its path.
func (f factSpec) validate(fact *yaml.Node, fp string, prior yamlx.Problems) yamlx.Problems {
	var ps yamlx.Problems
	required := func(at *yaml.Node, sp, field, value, why string) {
		if value == "" && !prior.Explains(yamlx.Join(sp, field)) {
			ps.Add(at, yamlx.Join(sp, field), "required%s", why)
		}
	}
	if o := f.Object; o != nil {
		sp, at := yamlx.Join(fp, "object"), valueOf(fact, "object")
		required(at, sp, "apiVersion", o.APIVersion, "")
		required(at, sp, "kind", o.Kind, "")
		required(at, sp, "name", o.Name, ": a fact is one object")
	}
	if c := f.NodeCommand; c != nil {
		sp, at := yamlx.Join(fp, "nodeCommand"), valueOf(fact, "nodeCommand")
		required(at, sp, "node", c.Node, "")
		cp := yamlx.Join(sp, "command")
		// A check only observes: the read-only entries.
		if _, err := lab.AllowedNodeCommand(c.Command, lab.ReadOnly); err != nil && !prior.Explains(cp) {
			ps.Add(valueOf(at, "command"), cp, "%v", err)
		}
		for i, code := range c.ExitCodes {
			if code < 0 || code > 255 {
				ps.Add(valueOf(at, "exitCodes"), yamlx.Index(yamlx.Join(sp, "exitCodes"), i), "got %d, want 0 to 255", code)
			}
		}
	}
	if c := f.Certificate; c != nil {
		sp, at := yamlx.Join(fp, "certificate"), valueOf(fact, "certificate")
		required(at, sp, "node", c.Node, "")
		if !path.IsAbs(c.Path) || path.Clean(c.Path) != c.Path {
			ps.Add(valueOf(at, "path"), yamlx.Join(sp, "path"), "want an absolute, clean path on the node, got %q", c.Path)
		}
	}
	return ps
}

// lookup is the value of a mapping's key, or nil.
func lookup(mapping *yaml.Node, key string) *yaml.Node {
	if mapping == nil || mapping.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		if mapping.Content[i].Value == key {
			return mapping.Content[i+1]
		}
	}
	return nil
}

// factVar is the CEL variable a fact is bound to.
func factVar(name string) string { return "facts." + name }

// usesFact says whether an expression names facts.NAME.
func usesFact(src, name string) bool {
	return regexp.MustCompile(`\bfacts\s*\.\s*` + regexp.QuoteMeta(name) + `\b`).MatchString(src)
}

// fetchFacts fetches every fact, as the variables of the expressions
// (facts.NAME → value), and a problem for each that could not be fetched.
func fetchFacts(ctx context.Context, env *grader.Env, facts []namedFact) (map[string]any, []string) {
	vars := make(map[string]any, len(facts))
	var problems []string
	for _, f := range facts {
		v, err := f.spec.fetch(ctx, env)
		if err != nil {
			problems = append(problems, fmt.Sprintf("fact %s: %v", f.name, err))
			continue
		}
		vars[factVar(f.name)] = v
	}
	return vars, problems
}

// fetch reads the fact from the lab.
func (f factSpec) fetch(ctx context.Context, env *grader.Env) (any, error) {
	switch {
	case f.Object != nil:
		return fetchObject(ctx, env, *f.Object)
	case f.NodeCommand != nil:
		return fetchNodeCommand(ctx, env, *f.NodeCommand)
	case f.Certificate != nil:
		return fetchCertificate(ctx, env, *f.Certificate)
	}
	return nil, errors.New("no source")
}

func fetchObject(ctx context.Context, env *grader.Env, ref lab.Ref) (any, error) {
	if env.Cluster == nil {
		return nil, fmt.Errorf("no lab to read %s from", ref)
	}
	objs, err := lab.Find(ctx, env.Cluster, ref, nil)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("%s not found", ref)
	}
	return objs[0].Object, nil
}

func fetchNodeCommand(ctx context.Context, env *grader.Env, c nodeCommandFact) (any, error) {
	ctx, exec, cancel, err := onNode(ctx, env)
	defer cancel()
	if err != nil {
		return nil, err
	}
	cmd := strings.Join(c.Command, " ")
	// Checked again: a check made in code was never validated.
	if _, err := lab.AllowedNodeCommand(c.Command, lab.ReadOnly); err != nil {
		return nil, err
	}
	stdout, stderr, code, err := exec.Exec(ctx, c.Node, c.Command, nil)
	if err != nil {
		return nil, fmt.Errorf("run `%s` on %s: %w", cmd, c.Node, err)
	}
	want := c.ExitCodes
	if len(want) == 0 {
		want = []int{0}
	}
	if !slices.Contains(want, code) {
		msg := fmt.Sprintf("`%s` on %s exited %d, want %s", cmd, c.Node, code, joinInts(want))
		if e := excerpt(stderr, 300); e != "" {
			msg += " (stderr: " + e + ")"
		}
		return nil, errors.New(msg)
	}
	return map[string]any{"stdout": string(stdout), "stderr": string(stderr), "exitCode": int64(code)}, nil
}

func joinInts(codes []int) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = fmt.Sprint(c)
	}
	if len(s) == 1 {
		return s[0]
	}
	return "one of " + strings.Join(s, ", ")
}

func fetchCertificate(ctx context.Context, env *grader.Env, c certificateFact) (any, error) {
	ctx, exec, cancel, err := onNode(ctx, env)
	defer cancel()
	if err != nil {
		return nil, err
	}
	raw, found, err := lab.ReadNodeFile(ctx, exec, c.Node, c.Path)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%s on %s does not exist (or is not a regular file)", c.Path, c.Node)
	}
	cert, err := parseCertificate(raw)
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", c.Path, c.Node, err)
	}
	return certificateView(cert), nil
}

// parseCertificate parses the first PEM CERTIFICATE block of data (a
// kubeadm .crt holds one; a bundle starts with the leaf).
func parseCertificate(data []byte) (*x509.Certificate, error) {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM certificate in it (want a block -----BEGIN CERTIFICATE-----)")
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("not a valid certificate: %w", err)
		}
		return cert, nil
	}
}

// certificateView is a certificate as expressions see it (certificateFact).
func certificateView(cert *x509.Certificate) map[string]any {
	ips := make([]string, len(cert.IPAddresses))
	for i, ip := range cert.IPAddresses {
		ips[i] = ip.String()
	}
	dns := slices.Clone(cert.DNSNames)
	if dns == nil {
		dns = []string{}
	}
	return map[string]any{
		"notAfter":       cert.NotAfter.UTC().Format(time.RFC3339),
		"notBefore":      cert.NotBefore.UTC().Format(time.RFC3339),
		"notAfterDates":  dateRenderings(cert.NotAfter),
		"notBeforeDates": dateRenderings(cert.NotBefore),
		"issuer":         cert.Issuer.String(),
		"issuerCN":       cert.Issuer.CommonName,
		"subject":        cert.Subject.String(),
		"subjectCN":      cert.Subject.CommonName,
		"dnsNames":       dns,
		"ipAddresses":    ips,
		"serial":         strings.ToUpper(cert.SerialNumber.Text(16)),
		"isCA":           cert.IsCA,
	}
}

// dateLayouts render a day as people and tools write it. Each is matched
// as a substring of an answer, so none may start with a day without its
// leading zero ("2 Jan 2027" is inside "12 Jan 2027").
var dateLayouts = []string{
	"2006-01-02",           // ISO 8601, RFC 3339, openssl -dateopt iso_8601
	"Jan _2 15:04:05 2006", // openssl x509 -enddate (notAfter=Jan  2 15:04:05 2027 GMT), date
	"Jan 2 15:04:05 2006",  // the same, written with one space
	"Jan 02, 2006",         // kubeadm certs check-expiration (Jan 02, 2027 15:04 UTC)
	"Jan 2, 2006",
	"January 2, 2006",
	"02 Jan 2006", // RFC 1123 (date -R, HTTP): Sat, 02 Jan 2027 15:04:05 GMT
	"02 January 2006",
}

// dateRenderings is t's day (in UTC, as openssl and kubeadm print it) in
// each of dateLayouts, without repeats.
func dateRenderings(t time.Time) []string {
	t = t.UTC()
	var out []string
	for _, l := range dateLayouts {
		if s := t.Format(l); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// firstFactNode is the node the facts look inside: that of the first of
// them (by name) that names one, or "".
func firstFactNode(facts []namedFact) string {
	for _, f := range facts {
		if n := f.spec.node(); n != "" {
			return n
		}
	}
	return ""
}

// describeFacts renders the facts for a check's expected line.
func describeFacts(facts []namedFact) string {
	if len(facts) == 0 {
		return ""
	}
	parts := make([]string, len(facts))
	for i, f := range facts {
		parts[i] = fmt.Sprintf("%s (%s)", f.name, f.spec.describe())
	}
	return "with facts " + strings.Join(parts, ", ")
}
