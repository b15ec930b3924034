package steps

import "slices"

// containerImages lists the images of every container, init container and
// ephemeral container in documents (manifests or patches), sorted, once
// each.
func containerImages(docs ...any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if list, ok := x.([]any); ok && isContainerList(k) {
					for _, c := range list {
						if m, ok := c.(map[string]any); ok {
							if img, ok := m["image"].(string); ok {
								out = append(out, img)
							}
						}
					}
					continue
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, d := range docs {
		walk(d)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// isContainerList says whether a pod spec field's items have an image.
func isContainerList(field string) bool {
	switch field {
	case "containers", "initContainers", "ephemeralContainers":
		return true
	}
	return false
}
