package steps_test

// Unit tests of the explanations, on a fake clientset: they need no lab
// and run under -short.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/scenarios/steps"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/fake"
)

func TestExplainWait(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	stuck := fakelab.PendingPod("shop", "web-1")
	fine := fakelab.ReadyPod("shop", "web-2")
	stranger := fakelab.PendingPod("shop", "other")
	stranger.Labels = map[string]string{"app": "other"}
	kube := fake.NewClientset(stuck, fine, stranger)
	deploy := unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "shop"},
		"spec":     map[string]any{"replicas": int64(2), "selector": map[string]any{"matchLabels": map[string]any{"app": "web"}}},
		"status": map[string]any{"conditions": []any{
			map[string]any{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable", "message": "Deployment does not have minimum availability."},
			map[string]any{"type": "Progressing", "status": "True", "message": "ReplicaSet \"web-abc\" is progressing."},
		}},
	}}
	wait := func(name string, labels map[string]string, cond string) *steps.Wait {
		return &steps.Wait{Ref: lab.Ref{APIVersion: "apps/v1", Kind: "Deployment", Name: name, Namespace: "shop"}, Labels: labels, For: cond}
	}

	for _, tc := range []struct {
		name string
		w    *steps.Wait
		objs []unstructured.Unstructured
		want []string
	}{
		{"workload: its failing conditions and pods", wait("web", nil, "object.status.readyReplicas == 2"), []unstructured.Unstructured{deploy}, []string{
			"Deployment shop/web: Available is False: Deployment does not have minimum availability.",
			"pod shop/web-1 is Pending: " + fakelab.UnschedulableMessage,
		}},
		{"missing", wait("web", nil, "true"), nil, []string{"it does not exist"}},
		{"fields the condition reads", wait("web", nil, "has(object.status.hard) && object.spec.replicas == 5 && object.spec.replicas > 0"),
			[]unstructured.Unstructured{withoutConditions(deploy, "nothing")}, []string{"status.hard is not set, spec.replicas is 2"}},
		{"labelled objects", wait("", map[string]string{"app": "web"}, "objects.size() == 3"),
			[]unstructured.Unstructured{withoutConditions(deploy, "nothing"), renamed(withoutConditions(deploy, "nothing"), "api")}, []string{"2 match now: shop/web, shop/api"}},
		{"labelled none", wait("", map[string]string{"app": "web"}, "objects.size() == 3"), nil, []string{"none match now"}},
	} {
		got, err := steps.ExplainWait(ctx, kube, tc.w, tc.objs)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !equal(got, tc.want) {
			t.Errorf("%s: reasons\n%s\nwant\n%s", tc.name, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

// withoutConditions is a Deployment whose pods the fake does not have.
func withoutConditions(d unstructured.Unstructured, app string) unstructured.Unstructured {
	c := *d.DeepCopy()
	unstructured.RemoveNestedField(c.Object, "status")
	_ = unstructured.SetNestedField(c.Object, app, "spec", "selector", "matchLabels", "app")
	return c
}

func renamed(u unstructured.Unstructured, name string) unstructured.Unstructured {
	u.SetName(name)
	return u
}

func TestTimeoutErrorThroughStepError(t *testing.T) {
	t.Parallel()
	te := &steps.TimeoutError{What: "Pod shop/web", After: 3 * time.Second, Reasons: []string{"pod shop/web is Pending: " + fakelab.UnschedulableMessage},
		Detail: "`object.status.phase == 'Running'` is false"}
	if want := "still waiting after 3s for Pod shop/web: pod shop/web is Pending: " + fakelab.UnschedulableMessage; te.Error() != want {
		t.Errorf("error %q, want %q", te, want)
	}
	var err error = &steps.StepError{Step: 2, Action: "wait", Err: te}
	err = fmt.Errorf("setup of drain-worker failed at %w", err)
	var got *steps.TimeoutError
	if !errors.As(err, &got) || got != te {
		t.Fatalf("errors.As through StepError: %v", err)
	}
	if strings.Contains(err.Error(), "object.status") {
		t.Errorf("the CEL expression is in the learner's message: %v", err)
	}
	te.Reasons = append(te.Reasons, "event of pod shop/web: Warning FailedMount: x")
	if want := "still waiting after 3s for Pod shop/web:\n  - pod shop/web is Pending: " + fakelab.UnschedulableMessage + "\n  - event of pod shop/web: Warning FailedMount: x"; te.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", te, want)
	}
}
