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
// as containers by key), merge or json. Subresource, when set, patches
// that subresource instead of the object itself: only "approval" of a
// CertificateSigningRequest, which is what `kubectl certificate approve`
// and `deny` write (its conditions); no other subresource is needed by a
// task, and status ones would let a scenario fake what controllers report.
type Patch struct {
	lab.Ref     `yaml:",inline"`
	Type        string `yaml:"type,omitempty" json:"type,omitempty"`
	Subresource string `yaml:"subresource,omitempty" json:"subresource,omitempty"`
	Patch       any    `yaml:"patch" json:"patch"`
}

// patchSubresources are the subresources a patch may write, each with the
// kind it belongs to.
func patchSubresources() map[string]string {
	return map[string]string{"approval": "CertificateSigningRequest"}
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
	if p.Subresource != "" {
		if kind, ok := patchSubresources()[p.Subresource]; !ok {
			v.Add("subresource", "got %q, want approval (of a CertificateSigningRequest) or none", p.Subresource)
		} else if p.Kind != kind {
			v.Add("subresource", "%s is a subresource of a %s, not of a %s", p.Subresource, kind, p.Kind)
		}
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
	var subresources []string
	if p.Subresource != "" {
		if kind, ok := patchSubresources()[p.Subresource]; !ok || p.Kind != kind {
			return nil, fmt.Errorf("patch %s: subresource %q is not allowed", p.Ref, p.Subresource)
		}
		subresources = []string{p.Subresource}
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
	if _, err := ri.Patch(ctx, p.Name, patchTypes()[p.Type], body, metav1.PatchOptions{FieldManager: FieldManager}, subresources...); err != nil {
		return nil, fmt.Errorf("patch %s: %w", p.Ref, err)
	}
	if p.Subresource != "" {
		return []string{"patched " + p.Ref.String() + "/" + p.Subresource}, nil
	}
	return []string{"patched " + p.Ref.String()}, nil
}
