package baseline

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ckalab/ckalab/lab"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A lab is as new only if its API server enforces the RBAC objects it
// serves. After etcd's data changed under it, an API server came back
// (kind lab, 2026-12-06) answering every admin request (system:masters
// skips RBAC) while its authorizer's caches missed ClusterRoles that etcd
// held: every ServiceAccount lost its rights (CoreDNS, kube-proxy, the
// network policy agent, metrics-server), and with them DNS, Services and
// NetworkPolicies, which no object comparison shows.
//
// So the baseline asks the API server about one right that every cluster
// grants from the start and that no scenario may take away: a
// ServiceAccount may create SelfSubjectAccessReviews, through the
// bootstrap ClusterRoleBinding system:basic-user (kept by the API server
// itself). Denied, the API server's authorizer does not see its own
// bootstrap roles.

// authzProbe is the SubjectAccessReview the probe sends.
func authzProbe() *authorizationv1.SubjectAccessReview {
	return &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   "system:serviceaccount:" + metav1.NamespaceDefault + ":default",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + metav1.NamespaceDefault, "system:authenticated"},
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews", Verb: "create",
		},
	}}
}

// authzStale says how the API server's authorization differs from what
// its RBAC objects grant ("" when it enforces them).
func authzStale(ctx context.Context, c *lab.Cluster) (string, error) {
	sar, err := c.Kube.AuthorizationV1().SubjectAccessReviews().Create(ctx, authzProbe(), metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("ask the API server whether a ServiceAccount may create a SelfSubjectAccessReview: %w", err)
	}
	if sar.Status.Allowed {
		return "", nil
	}
	why := strings.TrimSpace(sar.Status.EvaluationError)
	if why == "" {
		why = strings.TrimSpace(sar.Status.Reason)
	}
	if why == "" {
		why = "denied"
	}
	return "the API server does not enforce its own RBAC objects (a ServiceAccount may not create a SelfSubjectAccessReview, " +
		"which ClusterRoleBinding system:basic-user grants: " + why + "): its authorization caches are stale", nil
}

// AuthzFix is an API server that enforces RBAC from stale caches, and how
// to make it read them again: restart it.
type AuthzFix struct {
	Stale string
	// Restart are the nodes whose kube-apiserver static pod reset
	// restarts (from the baseline's manifests; none in a lab without node
	// files, which reset cannot fix).
	Restart []EtcdReturn
}

func (a AuthzFix) String() string {
	var nodes []string
	for _, r := range a.Restart {
		nodes = append(nodes, r.Node)
	}
	if len(nodes) == 0 {
		return a.Stale
	}
	return "kube-apiserver restarted on " + strings.Join(nodes, ", ") + ": " + a.Stale
}

// apiServers are the baseline's kube-apiserver static pods, as
// restartControlPlane takes them.
func (b *Baseline) apiServers() []EtcdReturn {
	var out []EtcdReturn
	for _, node := range b.labNodes() {
		nf, ok := b.NodeFiles[node]
		if !ok {
			continue
		}
		e, _ := etcdReturnOf(node, nf, lab.NodeListing{Files: nf.Files})
		e.Restart = slices.DeleteFunc(e.Restart, func(p ControlPlanePod) bool { return p.Name != "kube-apiserver" })
		if len(e.Restart) > 0 {
			out = append(out, EtcdReturn{Node: node, Restart: e.Restart})
		}
	}
	return out
}

// applyAuthz restarts the API servers if they still enforce stale RBAC
// caches once everything else is undone (the objects Apply wrote back may
// have been what the probe missed), and waits until they enforce what
// they serve.
func (a *AuthzFix) apply(ctx context.Context, c *lab.Cluster, opts ApplyOptions) error {
	stale, err := authzStale(ctx, c)
	if err != nil || stale == "" {
		return err
	}
	if len(a.Restart) == 0 || opts.Exec == nil {
		return fmt.Errorf("%s; restart the API server to fix it", stale)
	}
	for _, e := range a.Restart {
		if err := restartControlPlane(ctx, c, opts.Exec, e, opts); err != nil {
			return err
		}
	}
	err = poll(ctx, opts.ControlPlaneTimeout, opts.Interval, func() (bool, string, error) {
		stale, err := authzStale(ctx, c)
		if err != nil {
			return false, err.Error(), nil
		}
		return stale == "", stale, nil
	})
	if err != nil {
		return fmt.Errorf("after kube-apiserver restarted: %w", err)
	}
	return nil
}
