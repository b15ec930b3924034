package fakelab

import (
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clienttesting "k8s.io/client-go/testing"
)

// serverSidePatch does on the dynamic fake (client-go v0.37) the two
// patches it cannot do itself:
//
//   - Server-side apply. The fake's tracker only merges an apply into an
//     object that exists (a new one is "not found"). Here a new object is
//     created, and an existing one gets the applied fields on top of its
//     own (maps merged key by key, anything else replaced): what one field
//     manager applying again with Force does, except that field ownership
//     is not modelled (fields it applied before and no longer applies
//     stay).
//   - Strategic merge patches. The fake looks the patch's merge keys up in
//     the Go struct of what it stores, an Unstructured, and fails ("unable
//     to find api field"). Here they are looked up in the kind's typed
//     struct from client-go's scheme, as the API server does.
//
// Merge and JSON patches are left to the fake, which does them.
func serverSidePatch(tracker clienttesting.ObjectTracker) clienttesting.ReactionFunc {
	return func(action clienttesting.Action) (bool, runtime.Object, error) {
		pa, ok := action.(clienttesting.PatchActionImpl)
		if !ok || pa.GetSubresource() != "" {
			return false, nil, nil
		}
		gvr, ns, name := pa.GetResource(), pa.GetNamespace(), pa.GetName()
		var err error
		switch pa.GetPatchType() {
		case types.ApplyPatchType:
			err = apply(tracker, pa)
		case types.StrategicMergePatchType:
			err = strategic(tracker, pa)
		default:
			return false, nil, nil
		}
		if err != nil {
			return true, nil, err
		}
		obj, err := tracker.Get(gvr, ns, name)
		return true, obj, err
	}
}

func apply(tracker clienttesting.ObjectTracker, pa clienttesting.PatchActionImpl) error {
	gvr, ns := pa.GetResource(), pa.GetNamespace()
	applied := &unstructured.Unstructured{}
	if err := applied.UnmarshalJSON(pa.GetPatch()); err != nil {
		return err
	}
	live, err := tracker.Get(gvr, ns, pa.GetName())
	if apierrors.IsNotFound(err) {
		return tracker.Create(gvr, applied, ns)
	}
	if err != nil {
		return err
	}
	u, ok := live.(*unstructured.Unstructured)
	if !ok {
		return fmt.Errorf("fakelab: %s %s is stored as %T", gvr.Resource, pa.GetName(), live)
	}
	u.Object = merged(u.Object, applied.Object)
	return tracker.Update(gvr, u, ns)
}

// merged is live with applied on top: maps merge key by key, any other
// value (a list included) is replaced.
func merged(live, applied map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range live {
		out[k] = v
	}
	for k, v := range applied {
		lm, lok := out[k].(map[string]any)
		am, aok := v.(map[string]any)
		if lok && aok {
			out[k] = merged(lm, am)
			continue
		}
		out[k] = v
	}
	return out
}

func strategic(tracker clienttesting.ObjectTracker, pa clienttesting.PatchActionImpl) error {
	gvr, ns := pa.GetResource(), pa.GetNamespace()
	live, err := tracker.Get(gvr, ns, pa.GetName())
	if err != nil {
		return err
	}
	u, ok := live.(*unstructured.Unstructured)
	if !ok {
		return fmt.Errorf("fakelab: %s %s is stored as %T", gvr.Resource, pa.GetName(), live)
	}
	typed, err := clientgoscheme.Scheme.New(u.GroupVersionKind())
	if err != nil {
		return err
	}
	old, err := u.MarshalJSON()
	if err != nil {
		return err
	}
	patched, err := strategicpatch.StrategicMergePatch(old, pa.GetPatch(), typed)
	if err != nil {
		return err
	}
	var obj map[string]any
	if err := json.Unmarshal(patched, &obj); err != nil {
		return err
	}
	return tracker.Update(gvr, &unstructured.Unstructured{Object: obj}, ns)
}
