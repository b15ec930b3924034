package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/ckalab/ckalab/lab"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Patch patches one object. Type is strategic (default: merges lists such
// as containers by key), merge or json.
type Patch struct {
	lab.Ref `yaml:",inline"`
	Type    string `yaml:"type,omitempty" json:"type,omitempty"`
	Patch   any    `yaml:"patch" json:"patch"`
}

// patchTypes maps a Patch's type to the API's.
func patchTypes() map[string]types.PatchType {
	return map[string]types.PatchType{"": types.StrategicMergePatchType, "strategic": types.StrategicMergePatchType,
		"merge": types.MergePatchType, "json": types.JSONPatchType}
}

// Validate wants the object named, a known type and a patch that writes
// nothing that could reach the host (podsafety.go).
func (p *Patch) Validate(v *Validation) {
	requireRef(v, p.Ref, true)
	if _, ok := patchTypes()[p.Type]; !ok {
		v.Add("type", "got %q, want strategic, merge or json", p.Type)
	}
	if p.Patch == nil {
		v.Add("patch", "required")
	}
	for _, pr := range patchHostAccess(p.Ref, p.Patch) {
		v.Add("patch", "%s", pr)
	}
}

// Images are those of the containers the patch writes.
func (p *Patch) Images(fs.FS) []string { return containerImages(p.Patch) }

// Changes is the patched object.
func (p *Patch) Changes(fs.FS) []Change { return []Change{{Verb: VerbPatch, Object: p.Ref}} }

// Run patches the object, which must exist.
func (p *Patch) Run(ctx context.Context, env Env) ([]string, error) {
	if ps := patchHostAccess(p.Ref, p.Patch); len(ps) > 0 {
		return nil, &HostAccessError{Action: VerbPatch, What: p.Ref.String(), Problems: ps}
	}
	ri, _, err := lab.Client(env.Cluster, p.APIVersion, p.Kind, p.Namespace)
	if err != nil {
		return nil, err
	}
	live, err := getLive(ctx, ri, p.Name)
	if err != nil {
		return nil, err
	}
	if err := protectLive(VerbPatch, p.Ref, live, nil); err != nil {
		return nil, err
	}
	if err := refuseLive(VerbPatch, p.Ref, live, patchTouchesPods(p.Kind, p.Patch)); err != nil {
		return nil, err
	}
	body, err := json.Marshal(p.Patch)
	if err != nil {
		return nil, fmt.Errorf("encode patch: %w", err)
	}
	if _, err := ri.Patch(ctx, p.Name, patchTypes()[p.Type], body, metav1.PatchOptions{FieldManager: FieldManager}); err != nil {
		return nil, fmt.Errorf("patch %s: %w", p.Ref, err)
	}
	return []string{"patched " + p.Ref.String()}, nil
}
