package fakelab

import (
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"
)

// allowAll answers every SubjectAccessReview "allowed", as an API server
// that enforces the bootstrap RBAC answers the baseline's probe (the fakes
// hold no RBAC to decide with; tests of RBAC decisions prepend their own
// reactor, or use the sim).
func allowAll(action clienttesting.Action) (bool, runtime.Object, error) {
	sar := action.(clienttesting.CreateAction).GetObject().(*authorizationv1.SubjectAccessReview).DeepCopy()
	sar.Status = authorizationv1.SubjectAccessReviewStatus{Allowed: true, Reason: "fakelab allows everything"}
	return true, sar, nil
}

// DenyAll makes the lab's API server deny every SubjectAccessReview with
// an evaluation error, as one whose authorizer lost its RBAC caches.
func DenyAll(kube *clienttesting.Fake, evaluationError string) {
	kube.PrependReactor("create", "subjectaccessreviews", func(action clienttesting.Action) (bool, runtime.Object, error) {
		sar := action.(clienttesting.CreateAction).GetObject().(*authorizationv1.SubjectAccessReview).DeepCopy()
		sar.Status = authorizationv1.SubjectAccessReviewStatus{EvaluationError: evaluationError}
		return true, sar, nil
	})
}
