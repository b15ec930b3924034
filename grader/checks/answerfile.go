package checks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
	"k8s.io/client-go/tools/clientcmd"
)

// answerFileSpec: a file the user writes into the answer folder. Formats:
// yaml and json (decoded), kubeconfig (read as kubectl reads it, with
// client-go's clientcmd, then seen as {currentContext, contexts, clusters,
// users}) and text. expect is a partial match, expr CEL over `file`,
// matches a regular expression over the raw text. facts (contentRules,
// factSpec) are what only the lab knows at grading time, fetched at each
// look and bound in expr as facts.NAME: an object, a read-only node
// command's {stdout, stderr, exitCode}, a node's certificate (its dates,
// also as the renderings an answer may use, issuer, subject, names):
//
//	path: q3/container-id
//	format: text
//	facts:
//	  pod: {object: {apiVersion: v1, kind: Pod, namespace: ops, name: ledger}}
//	expr:
//	- file.trim().matches('^[0-9a-f]{12,64}$')
//	- facts.pod.status.containerStatuses[0].containerID.startsWith('containerd://' + file.trim())
//
// A fact on a node makes the check a grader.NodeCheck (needs: [node]).
type answerFileSpec struct {
	Path         string         `yaml:"path"`
	Format       string         `yaml:"format"`
	Expect       map[string]any `yaml:"expect"`
	contentRules `yaml:",inline"`
}

type answerFileCheck struct {
	spec answerFileSpec
}

func newAnswerFile(body *yaml.Node, p string) (grader.Check, yamlx.Problems) {
	c := &answerFileCheck{}
	ps := yamlx.Decode(body, p, &c.spec)
	if c.spec.Path == "" || path.IsAbs(c.spec.Path) || !fs.ValidPath(c.spec.Path) {
		ps.Add(body, yamlx.Join(p, "path"), "want a relative path inside the answer folder, got %q", c.spec.Path)
	}
	switch c.spec.Format {
	case "yaml", "json", "kubeconfig":
	case "text":
		if len(c.spec.Expect) > 0 {
			ps.Add(body, yamlx.Join(p, "expect"), "a text file has no fields; use matches or expr")
		}
	default:
		ps.Add(body, yamlx.Join(p, "format"), "got %q, want yaml, json, kubeconfig or text", c.spec.Format)
	}
	return c, append(ps, c.spec.compile(body, p, ps)...)
}

// NodeName implements grader.NodeCheck: the node a fact looks inside (the
// first, by the facts' names, when several do), or "" when none does.
func (c *answerFileCheck) NodeName() string { return c.spec.factsNode() }

// load reads and decodes the file.
func (c *answerFileCheck) load(dir string) (raw []byte, value any, err error) {
	full := filepath.Join(dir, filepath.FromSlash(c.spec.Path))
	raw, err = os.ReadFile(full)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("%s does not exist", full)
		}
		return nil, nil, err
	}
	switch c.spec.Format {
	case "text":
		return raw, string(raw), nil
	case "json":
		err = json.Unmarshal(raw, &value)
	case "yaml":
		err = yaml.Unmarshal(raw, &value)
	case "kubeconfig":
		value, err = kubeconfigView(raw)
	}
	if err != nil {
		return raw, nil, fmt.Errorf("%s is not valid %s: %w", full, c.spec.Format, err)
	}
	return raw, value, nil
}

// kubeconfigView loads a kubeconfig as kubectl would and flattens it into
// names a check can match: contexts.NAME.{cluster,user,namespace},
// clusters.NAME.server, users.NAME.
func kubeconfigView(raw []byte) (map[string]any, error) {
	cfg, err := clientcmd.Load(raw)
	if err != nil {
		return nil, err
	}
	contexts := map[string]any{}
	for name, c := range cfg.Contexts {
		ctx := map[string]any{"cluster": c.Cluster, "user": c.AuthInfo}
		if c.Namespace != "" {
			ctx["namespace"] = c.Namespace
		}
		contexts[name] = ctx
	}
	clusters := map[string]any{}
	for name, c := range cfg.Clusters {
		clusters[name] = map[string]any{"server": c.Server}
	}
	users := map[string]any{}
	for name, u := range cfg.AuthInfos {
		users[name] = map[string]any{"username": u.Username, "hasToken": u.Token != "",
			"hasClientCertificate": len(u.ClientCertificateData) > 0 || u.ClientCertificate != ""}
	}
	return map[string]any{"currentContext": cfg.CurrentContext, "contexts": contexts, "clusters": clusters, "users": users}, nil
}

// Observe reads the file and judges it.
func (c *answerFileCheck) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	want := c.spec.wants(c.spec.Expect)
	obs := grader.Observation{Expected: strings.TrimSpace(c.spec.Format + " file " + c.spec.Path + " " + strings.Join(want, ", "))}
	raw, value, err := c.load(env.AnswerDir)
	if err != nil {
		obs.Actual = err.Error()
		obs.Problems = []string{err.Error()}
		return obs
	}
	obs.Problems = c.spec.problems(ctx, env, c.spec.Expect, raw, value)
	obs.Passed = len(obs.Problems) == 0
	if obs.Passed {
		obs.Actual = c.spec.Path + " matches"
	} else {
		obs.Actual = c.spec.Path + " differs"
	}
	return obs
}
