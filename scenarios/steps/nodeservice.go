package steps

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/baseline"
)

// NodeService starts, stops, restarts, enables or disables a systemd unit
// of a lab node: a stopped kubelet or container runtime to troubleshoot.
// Only the units whose state reset restores may be named.
type NodeService struct {
	Node   string `yaml:"node" json:"node"`
	Unit   string `yaml:"unit" json:"unit"`
	Action string `yaml:"action" json:"action"`
}

// Validate wants the node, a unit reset restores and an action.
func (s *NodeService) Validate(v *Validation) {
	if s.Node == "" {
		v.Add("node", "required")
	}
	if err := checkUnit(s.Unit); err != nil {
		v.Add("unit", "%v", err)
	}
	if err := checkUnitAction(s.Action); err != nil {
		v.Add("action", "%v", err)
	}
}

func checkUnit(unit string) error {
	units := baseline.NodeUnits()
	switch {
	case unit == "":
		return fmt.Errorf("required: one of %s", strings.Join(units, ", "))
	case !slices.Contains(units, unit):
		return fmt.Errorf("got %q, want one of %s: reset restores only their state, so could not undo a change to another unit", unit, strings.Join(units, ", "))
	}
	return nil
}

func checkUnitAction(action string) error {
	if !slices.Contains(lab.UnitActions, action) {
		return fmt.Errorf("got %q, want one of %s", action, strings.Join(lab.UnitActions, ", "))
	}
	return nil
}

// NodeName is the node the step acts inside.
func (s *NodeService) NodeName() string { return s.Node }

// Changes is the node.
func (s *NodeService) Changes(fs.FS) []Change { return nodeChange(s.Node) }

// Run runs `systemctl <action> <unit>` on the node. A start or restart
// reloads systemd first, as a person does after changing a unit's files:
// a drop-in an earlier nodeFile step wrote takes effect.
func (s *NodeService) Run(ctx context.Context, env Env) ([]string, error) {
	exec, err := nodeExec(env, s.Node)
	if err != nil {
		return nil, err
	}
	if err := checkUnit(s.Unit); err != nil {
		return nil, fmt.Errorf("unit: %w", err)
	}
	if err := checkUnitAction(s.Action); err != nil {
		return nil, fmt.Errorf("action: %w", err)
	}
	if s.Action == "start" || s.Action == "restart" {
		if err := lab.NodeDaemonReload(ctx, exec, s.Node); err != nil {
			return nil, err
		}
	}
	if err := lab.NodeUnit(ctx, exec, s.Node, s.Unit, s.Action); err != nil {
		return nil, err
	}
	return []string{fmt.Sprintf("systemctl %s %s on %s", s.Action, s.Unit, s.Node)}, nil
}
