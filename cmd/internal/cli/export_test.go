package cli

import (
	"slices"

	"github.com/spf13/cobra"
)

// CommandPaths is the path of every command in ckalab's tree, the root
// first, cobra's help and completion commands included: the golden --help
// test walks the real tree, so that a new command cannot miss its file.
func CommandPaths() [][]string {
	var paths [][]string
	var walk func(c *cobra.Command, parent []string)
	walk = func(c *cobra.Command, parent []string) {
		path := append(slices.Clone(parent), c.Name())
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			walk(sub, path)
		}
	}
	walk((&app{}).rootCommand(), nil)
	return paths
}
