package steps

import (
	"github.com/ckalab/ckalab/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// entry is one key of a mapping node and its value.
type entry struct{ key, value *yaml.Node }

// entries lists a step's keys, then those its YAML merge keys ("<<:
// *defaults") bring that it does not have itself, the first merged mapping
// winning, as yaml.v3 merges them into a struct. A merge of anything but
// mappings is a problem, as in yaml.v3.
func entries(n *yaml.Node, ps *yamlx.Problems) []entry {
	seen := map[string]bool{}
	visiting := map[*yaml.Node]bool{}
	var out []entry
	var add func(n *yaml.Node)
	add = func(n *yaml.Node) {
		if visiting[n] {
			return // an anchor that contains itself; yaml.v3 refuses it too
		}
		visiting[n] = true
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
				merges = append(merges, v)
				continue
			}
			if !seen[k.Value] {
				seen[k.Value] = true
				out = append(out, entry{k, v})
			}
		}
		for _, m := range merges {
			m = resolve(m)
			list := []*yaml.Node{m}
			if m.Kind == yaml.SequenceNode {
				list = m.Content
			}
			for _, item := range list {
				if item = resolve(item); item.Kind != yaml.MappingNode {
					ps.Add(item, "", "map merge requires map or sequence of maps as the value")
					continue
				}
				add(item)
			}
		}
	}
	add(n)
	return out
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}
