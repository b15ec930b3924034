package scenarios_test

import (
	"strings"
	"testing"

	"github.com/ckalab/ckalab/grader/checks"
	"github.com/ckalab/ckalab/scenarios"
)

// TestNodeStepsNeedNodeAccess: a step that acts inside a node, or a check
// that looks inside one, needs a lab with node access (needs: node; the runner refuses the scenario on a sim
// lab then) and, as any change of a node, owns.nodes.
func TestNodeStepsNeedNodeAccess(t *testing.T) {
	const file = `apiVersion: ckalab.dev/v1alpha1
kind: Scenario
id: node-steps
title: Node steps
domain: troubleshooting
competency: Troubleshoot clusters and nodes
difficulty: easy
minutes: 1
needs: [api]
owns: {nodes: [ckalab-control-plane]}
task: x
setup:
- nodeService: {node: ckalab-control-plane, unit: kubelet, action: stop}
checks:
- {id: x, title: x, points: 1, absent: {apiVersion: v1, kind: ConfigMap, namespace: default, name: x}}
- {id: y, title: y, points: 1, nodeFile: {node: ckalab-worker, path: /var/lib/kubelet/config.yaml, contains: staticPodPath}}
solution:
  explain: x
  steps:
  - nodeCommand: {node: ckalab-worker, command: [crictl, ps, -q], saveOutput: /opt/course/1/ids}
`
	parse := func(src string) error {
		_, err := scenarios.Loader{CheckTypes: checks.All()}.Parse("n.yaml", []byte(src), nil, scenarios.DefaultTemplateData())
		return err
	}
	wantLines(t, parse(file), []string{
		"n.yaml:13: setup[0].nodeService: acts inside node ckalab-control-plane: add node to needs (only a lab with node access, kind, can run it)",
		"n.yaml:16: checks[1].nodeFile: looks inside node ckalab-worker: add node to needs (only a lab with node access, kind, can grade it)",
		"n.yaml:20: solution.steps[0].nodeCommand: changes node ckalab-worker, which owns.nodes does not list (/opt/course/1/ids is outside the task's course folder, {{ .Course }}, whose files need none)",
		"n.yaml:20: solution.steps[0].nodeCommand: acts inside node ckalab-worker: add node to needs (only a lab with node access, kind, can run it)",
	})
	fixed := strings.NewReplacer("needs: [api]", "needs: [api, node]", "nodes: [ckalab-control-plane]", "nodes: [ckalab-control-plane, ckalab-worker]").Replace(file)
	if err := parse(fixed); err != nil {
		t.Errorf("with needs and owns: %v", err)
	}
}
