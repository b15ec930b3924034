package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	"gopkg.in/yaml.v3"
)

// nodeFileSpec: a file on a node (a static pod manifest, the kubelet's
// /var/lib/kubelet/config.yaml, a backup the learner wrote) exists, or with
// exists: false does not, and its content contains a string, matches a
// regular expression, matches a partial object (yaml or json: the file is
// decoded as that format; `yaml: {}` decodes without matching fields, for
// expr) and CEL expressions over `file` (the decoded document, else the
// text). The rules are answerFile's (contentRules), facts too: what only
// the lab knows at grading time (an object, a read-only node command's
// output, a node's certificate), fetched at each look and bound in expr
// as facts.NAME, so that an answer the learner saved on a node is judged
// against the lab:
//
//	node: cp
//	path: {{ .Course }}/expiry
//	facts:
//	  cert: {certificate: {node: cp, path: /etc/kubernetes/pki/apiserver.crt}}
//	expr: ["facts.cert.notAfterDates.exists(d, file.contains(d))"]
//
// Facts may look inside another node than the file's; the check's node
// (NodeName) stays the file's.
type nodeFileSpec struct {
	Node         string         `yaml:"node"`
	Path         string         `yaml:"path"`
	Exists       *bool          `yaml:"exists"`
	Contains     string         `yaml:"contains"`
	YAML         map[string]any `yaml:"yaml"`
	JSON         map[string]any `yaml:"json"`
	contentRules `yaml:",inline"`
}

type nodeFileCheck struct {
	spec nodeFileSpec
	// format is "yaml", "json" or "text": how the file is decoded.
	format string
	expect map[string]any
}

func newNodeFile(body *yaml.Node, p string) (grader.Check, yamlx.Problems) {
	c := &nodeFileCheck{format: "text"}
	ps := yamlx.Decode(body, p, &c.spec)
	if c.spec.Node == "" {
		ps.Add(body, yamlx.Join(p, "node"), "required")
	}
	if !path.IsAbs(c.spec.Path) || path.Clean(c.spec.Path) != c.spec.Path {
		ps.Add(valueOf(body, "path"), yamlx.Join(p, "path"), "want an absolute, clean path on the node, got %q", c.spec.Path)
	}
	switch {
	case c.spec.YAML != nil && c.spec.JSON != nil:
		ps.Add(body, p, "set yaml or json, not both: they say how the file is decoded")
	case c.spec.YAML != nil:
		c.format, c.expect = "yaml", c.spec.YAML
	case c.spec.JSON != nil:
		c.format, c.expect = "json", c.spec.JSON
	}
	if !c.wantExists() && (c.spec.Contains != "" || c.format != "text" || len(c.spec.Expr) > 0 || c.spec.Matches != "" || len(c.spec.Facts) > 0) {
		ps.Add(valueOf(body, "exists"), yamlx.Join(p, "exists"), "a file that must not exist has no content to judge: drop contains, matches, yaml, json, expr and facts")
	}
	if len(c.spec.Ordered) > 0 && len(c.expect) == 0 {
		ps.Add(valueOf(body, "ordered"), yamlx.Join(p, "ordered"), "ordered applies to the lists of yaml or json, which are not set")
	}
	return c, append(ps, c.spec.compile(body, p, ps)...)
}

func (c *nodeFileCheck) wantExists() bool { return c.spec.Exists == nil || *c.spec.Exists }

// NodeName implements grader.NodeCheck.
func (c *nodeFileCheck) NodeName() string { return c.spec.Node }

func (c *nodeFileCheck) expected() string {
	where := fmt.Sprintf("file %s on node %s", c.spec.Path, c.spec.Node)
	if !c.wantExists() {
		return "no " + where
	}
	parts := []string{where}
	if c.format != "text" {
		parts[0] = c.format + " " + where
	}
	if c.spec.Contains != "" {
		parts = append(parts, fmt.Sprintf("containing %q", c.spec.Contains))
	}
	parts = append(parts, c.spec.wants(c.expect)...)
	return strings.Join(parts, ", ")
}

// decode reads the file as its format says.
func (c *nodeFileCheck) decode(raw []byte) (any, error) {
	var value any
	var err error
	switch c.format {
	case "yaml":
		err = yaml.Unmarshal(raw, &value)
	case "json":
		err = json.Unmarshal(raw, &value)
	default:
		value = string(raw)
	}
	if err != nil {
		return nil, fmt.Errorf("%s on %s is not valid %s: %w", c.spec.Path, c.spec.Node, c.format, err)
	}
	return value, nil
}

// Observe reads the file on the node (lab.ReadNodeFile: a regular file,
// read with cat) and judges it.
func (c *nodeFileCheck) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	obs := grader.Observation{Expected: c.expected()}
	ctx, exec, cancel, err := onNode(ctx, env)
	defer cancel()
	if err != nil {
		return failedExpecting(obs.Expected, err)
	}
	raw, found, err := lab.ReadNodeFile(ctx, exec, c.spec.Node, c.spec.Path)
	if err != nil {
		return failedExpecting(obs.Expected, err)
	}
	where := c.spec.Path + " on " + c.spec.Node
	switch {
	case !c.wantExists() && found:
		obs.Actual = where + " exists"
		obs.Problems = []string{where + " exists; it should not"}
		return obs
	case !c.wantExists():
		obs.Passed, obs.Actual = true, where+" does not exist"
		return obs
	case !found:
		obs.Actual = where + " does not exist"
		obs.Problems = []string{where + " does not exist (or is not a regular file)"}
		return obs
	}
	value, err := c.decode(raw)
	if err != nil {
		obs.Actual = err.Error()
		obs.Problems = []string{err.Error()}
		return obs
	}
	if c.spec.Contains != "" && !bytes.Contains(raw, []byte(c.spec.Contains)) {
		obs.Problems = append(obs.Problems, fmt.Sprintf("text does not contain %q", c.spec.Contains))
	}
	obs.Problems = append(obs.Problems, c.spec.problems(ctx, env, c.expect, raw, value)...)
	obs.Passed = len(obs.Problems) == 0
	if obs.Passed {
		obs.Actual = where + " matches"
	} else {
		obs.Actual = where + " differs"
	}
	return obs
}
