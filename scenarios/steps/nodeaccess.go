package steps

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/baseline"
)

// Node steps (nodeFile, nodeService, nodeCommand) act inside a lab node
// through its provider's node exec (a kind lab's `docker exec`), with the
// operations of lab/nodeops.go. Whatever they change must be what
// `ckalab reset` restores from the lab's baseline: files it records
// (baseline.RestoresNodeFile), folders it removes whole (an etcd
// snapshot's restored data, baseline.RemovesNodeFolder) and the units
// whose state it records (baseline.NodeUnits).

// NodeStep is an Action that acts inside a lab node, which only a lab with
// node access (the node capability) offers.
type NodeStep interface {
	NodeName() string
}

// Node is the node the step acts inside ("" for a step that does not).
func (s Spec) Node() string {
	if n, ok := s.Action.(NodeStep); ok {
		return n.NodeName()
	}
	return ""
}

// nodeExec is the lab's node access, or an error wrapping
// lab.ErrNoNodeAccess on a lab without (the sim).
func nodeExec(env Env, node string) (lab.Execer, error) {
	if env.Cluster == nil || env.Cluster.Exec == nil {
		return nil, fmt.Errorf("reach node %s: %w; run this scenario on a kind lab", node, lab.ErrNoNodeAccess)
	}
	return env.Cluster.Exec, nil
}

// checkNodeFolder refuses a folder a node command makes with what it holds
// (etcdutl snapshot restore's data folder) unless reset removes it whole.
func checkNodeFolder(p string) error {
	switch {
	case p == "":
		return errors.New("required")
	case !path.IsAbs(p) || path.Clean(p) != p:
		return fmt.Errorf("%q must be an absolute path without .., // or a trailing /", p)
	case !baseline.RemovesNodeFolder(p):
		return fmt.Errorf("%q is not a folder that reset removes, so reset could not undo it: use one of %s or a folder in it",
			p, strings.Join(baseline.RestoreFolders(), ", "))
	}
	return nil
}

// checkNodePath refuses a node path that is not absolute and clean, or
// that reset would not restore (so could not undo).
func checkNodePath(p string) error {
	switch {
	case p == "":
		return errors.New("required")
	case !path.IsAbs(p) || path.Clean(p) != p:
		return fmt.Errorf("%q must be an absolute path without .., // or a trailing /", p)
	case !baseline.RestoresNodeFile(p):
		return fmt.Errorf("%q is not a node file that reset restores, so reset could not undo it: use one of %s (a folder ends with /)",
			p, strings.Join(baseline.DefaultNodeFiles(), ", "))
	}
	return nil
}
