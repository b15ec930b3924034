package steps_test

import (
	"slices"
	"testing"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios/steps"
)

func TestNodeServiceUnit(t *testing.T) {
	t.Parallel()
	env, nodes := nodeLab(t, nil)
	for _, tc := range []struct {
		src  string
		want lab.UnitState
	}{
		{"nodeService: {node: w1, unit: kubelet, action: stop}", lab.UnitState{Active: "inactive", Enabled: "enabled"}},
		{"nodeService: {node: w1, unit: kubelet, action: disable}", lab.UnitState{Active: "inactive", Enabled: "disabled"}},
		{"nodeService: {node: w1, unit: kubelet, action: enable}", lab.UnitState{Active: "inactive", Enabled: "enabled"}},
		{"nodeService: {node: w1, unit: kubelet, action: start}", lab.UnitState{Active: "active", Enabled: "enabled"}},
	} {
		s, _ := parse(t, tc.src)
		action := s.Action.(*steps.NodeService).Action
		changed := validRun(t, env, tc.src)
		if got := nodes.Unit("w1", "kubelet"); !equal(changed, []string{"systemctl " + action + " kubelet on w1"}) || got != tc.want {
			t.Errorf("%s: changed %q, kubelet %+v; want %+v", tc.src, changed, got, tc.want)
		}
	}
	if st := nodes.Unit("cp", "kubelet"); st != (lab.UnitState{Active: "active", Enabled: "enabled"}) {
		t.Errorf("another node's kubelet changed: %+v", st)
	}
	// A start reloads systemd first (a drop-in written by a nodeFile step
	// takes effect), a stop does not need to.
	var verbs []string
	for _, c := range nodes.Calls() {
		verbs = append(verbs, c.Argv[1])
	}
	if want := []string{"stop", "disable", "enable", "daemon-reload", "start"}; !slices.Equal(verbs, want) {
		t.Errorf("systemctl ran %q, want %q", verbs, want)
	}

	// A unit the baseline does not record is refused, also when made in
	// code; so is an unknown action.
	if changed, err := (steps.Spec{Action: &steps.NodeService{Node: "w1", Unit: "ssh", Action: "stop"}}).Run(t.Context(), env); err == nil || len(changed) > 0 {
		t.Errorf("unit ssh: changed %q, err %v", changed, err)
	}
	needsKind(t, steps.Spec{Action: &steps.NodeService{Node: "w1", Unit: "kubelet", Action: "stop"}})
	refused(t, nil, map[string]string{
		"nodeService: {node: w1, unit: ssh, action: stop}":             `step.nodeService.unit: got "ssh", want one of kubelet, containerd: reset restores only their state`,
		"nodeService: {node: w1, unit: kubelet.service, action: stop}": `got "kubelet.service"`,
		"nodeService: {node: w1, action: stop}":                        "step.nodeService.unit: required: one of kubelet, containerd",
		"nodeService: {node: w1, unit: kubelet, action: mask}":         `step.nodeService.action: got "mask", want one of start, stop, restart, enable, disable`,
		"nodeService: {unit: kubelet, action: stop}":                   "step.nodeService.node: required",
	})
}
