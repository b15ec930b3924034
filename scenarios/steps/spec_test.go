package steps_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios/steps"
	"gopkg.in/yaml.v3"
)

// How a step is decoded: what the registry makes of its keys, and what
// Validate reports of its YAML.
func TestSpecDecoding(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		kind      string
		sound     bool     // what the step does is known and allowed
		want      []string // "path: message", in order; none means valid
	}{
		{"a kind", "show: kubectl drain w1\ndrain: {node: w1}", "drain", true, nil},
		{"a typo of a kind", "show: x\ndran: {node: w1}", "", false, []string{
			`step.dran: unknown field (did you mean "drain"?)`, "step: no action: want one of apply, patch, delete, wait, drain, taint, writeFile, nodeFile, nodeService, nodeCommand"}},
		{"a key like no kind", "drain: {node: w1}\nretries: 3", "drain", true, []string{
			"step.retries: unknown field (step kinds: apply, delete, drain, nodeCommand, nodeFile, nodeService, patch, taint, wait, writeFile)"}},
		{"an unknown field of a body", "drain: {node: w1, nodes: [w2]}", "drain", true, []string{`step.drain.nodes: unknown field (did you mean "node"?)`}},
		{"a field of the wrong type is not also missing", "drain: {node: [w1]}", "drain", false, []string{"step.drain.node: got a list, want a string"}},
		{"show of the wrong type", "show: [a]\ndrain: {node: w1}", "drain", true, []string{"step.show: got a list, want a string"}},
		{"a body that is no mapping", "drain: w1", "drain", false, []string{"step.drain: got the string `w1`, want a mapping"}},
		{"a kind without a body is no action", "drain:", "", false, []string{"step: no action: want one of apply, patch, delete, wait, drain, taint, writeFile, nodeFile, nodeService, nodeCommand"}},
		{"a step that is no mapping", "just a string", "", false, []string{"step: got the string `just a ...`, want a mapping"}},
		{"merge keys, the step's own keys first", "defaults: &d {drain: {node: w2}, show: merged}\nstep:\n  <<: *d\n  drain: {node: w1}", "drain", true, nil},
		{"a merge of no mapping", "step:\n  <<: [1]\n  drain: {node: w1}", "drain", true, []string{"step: map merge requires map or sequence of maps as the value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tc.src), &doc); err != nil {
				t.Fatal(err)
			}
			node := doc.Content[0]
			if strings.Contains("\n"+tc.src, "\nstep:") {
				node = node.Content[len(node.Content)-1]
			}
			var s steps.Spec
			if err := node.Decode(&s); err != nil {
				t.Fatalf("Decode returned %v; a step never fails to decode", err)
			}
			if s.Name() != tc.kind {
				t.Errorf("kind %q, want %q", s.Name(), tc.kind)
			}
			ps, sound := s.Validate("step", node, nil)
			var got []string
			for _, p := range ps {
				got = append(got, p.Path+": "+p.Msg)
			}
			if !equal(got, tc.want) {
				t.Errorf("problems\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if sound != tc.sound {
				t.Errorf("sound %v, want %v", sound, tc.sound)
			}
		})
	}

	// The merged show is the step's, its own drain wins.
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("d: &d {drain: {node: w2}, show: merged}\ns: {<<: *d, drain: {node: w1}}"), &doc); err != nil {
		t.Fatal(err)
	}
	var s steps.Spec
	if err := doc.Content[0].Content[3].Decode(&s); err != nil {
		t.Fatal(err)
	}
	if d, ok := s.Action.(*steps.Drain); !ok || d.Node != "w1" || s.Show != "merged" {
		t.Errorf("merged step %+v %+v", s, s.Action)
	}
}

// A step renders as JSON the way it is written.
func TestSpecJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		spec steps.Spec
		want string
	}{
		{steps.Spec{Show: "kubectl taint node w1 a=b:NoSchedule", Action: &steps.Taint{Node: "w1", Key: "a", Value: "b", Effect: "NoSchedule"}},
			`{"show":"kubectl taint node w1 a=b:NoSchedule","taint":{"node":"w1","key":"a","value":"b","effect":"NoSchedule"}}`},
		{steps.Spec{Action: &steps.Patch{Ref: lab.Ref{APIVersion: "v1", Kind: "Node", Name: "w1"}, Patch: map[string]any{"spec": map[string]any{"unschedulable": true}}}},
			`{"patch":{"apiVersion":"v1","kind":"Node","name":"w1","patch":{"spec":{"unschedulable":true}}}}`},
		{steps.Spec{Action: &steps.WriteFile{Path: "a.txt", Content: "x"}}, `{"writeFile":{"path":"a.txt","content":"x"}}`},
		{steps.Spec{}, `{}`},
	} {
		got, err := json.Marshal(tc.spec)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s, %v\nwant %s", got, err, tc.want)
		}
	}
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	kinds := steps.All()
	seen := map[string]bool{}
	for _, k := range kinds {
		if seen[k.Name] {
			t.Errorf("%s is registered twice", k.Name)
		}
		seen[k.Name] = true
		if k.Summary == "" || k.New == nil {
			t.Errorf("%s: summary %q, New %v", k.Name, k.Summary, k.New != nil)
		}
		if s := (steps.Spec{Action: k.New()}); s.Name() != k.Name {
			t.Errorf("a step made in code with %T is named %q, want %q", k.New(), s.Name(), k.Name)
		}
	}
	if _, ok := kinds.Find("exec"); ok {
		t.Error("found a kind exec")
	}
}
