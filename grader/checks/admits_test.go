package checks_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/simtest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestAdmitsPodSecurityAndQuota: the real API server's admission decides.
// Pod Security's enforce label refuses a privileged pod and admits one that
// meets "restricted"; a quota of zero pods refuses any pod; and the dry
// runs leave nothing behind.
func TestAdmitsPodSecurityAndQuota(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	// spec is an admits check of a pod with the given securityContexts.
	spec := func(expect, reason, podSC, containerSC string) string {
		if reason != "" {
			reason = "reason: " + reason
		}
		return fmt.Sprintf(`
expect: %s
%s
namespace: %s
object: |
  apiVersion: v1
  kind: Pod
  metadata: {name: probe}
  spec:
    securityContext: %s
    containers:
    - {name: c, image: busybox:1.36, securityContext: %s}
`, expect, reason, ns, podSC, containerSC)
	}
	const (
		privilegedSC      = "{privileged: true}"
		restrictedPodSC   = "{runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}"
		restrictedCtrSC   = "{allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}"
		podSecurity, none = "PodSecurity", ""
	)
	privileged := func(expect string) string {
		if expect == "denied" {
			return spec(expect, podSecurity, "{}", privilegedSC)
		}
		return spec(expect, none, "{}", privilegedSC)
	}
	restricted := spec("allowed", none, restrictedPodSC, restrictedCtrSC)

	// Before the namespace enforces anything: a privileged pod is accepted.
	wantProblem(t, mustFailNow(t, build(t, "admits", privileged("denied")), env), "the API server accepts Pod probe")
	mustPass(t, build(t, "admits", privileged("allowed")), env, time.Second)

	ctx := context.Background()
	nsObj, err := c.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nsObj.Labels["pod-security.kubernetes.io/enforce"] = "restricted"
	if _, err := c.Kube.CoreV1().Namespaces().Update(ctx, nsObj, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	obs := mustPass(t, build(t, "admits", privileged("denied")), env, 5*time.Second)
	unitWantContains(t, "actual", obs.Actual, `violates PodSecurity "restricted:latest"`)
	mustPass(t, build(t, "admits", restricted), env, time.Second)

	// A quota of no pods refuses even a compliant pod, for its own reason.
	create(t, c, ns, "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: none}\nspec: {hard: {pods: \"0\"}}\n")
	mustPass(t, build(t, "admits", spec("denied", "exceeded quota", restrictedPodSC, restrictedCtrSC)), env, 5*time.Second)
	// The privileged pod is refused for Pod Security still, not the quota:
	// a denial for another reason does not count.
	wantProblem(t, mustFailNow(t, build(t, "admits", spec("denied", "exceeded quota", "{}", privilegedSC)), env),
		`not for the reason asked ("exceeded quota")`)

	// What admission makes of an object: a claim that names no class gets
	// the lab's default StorageClass, standard.
	claim := fmt.Sprintf("expect: allowed\nnamespace: %s\nresult: {spec: {storageClassName: %%s}}\nobject: |\n  apiVersion: v1\n  kind: PersistentVolumeClaim\n  metadata: {name: data}\n  spec:\n    accessModes: [ReadWriteOnce]\n    resources: {requests: {storage: 1Gi}}\n", ns)
	mustPass(t, build(t, "admits", fmt.Sprintf(claim, "standard")), env, time.Second)
	wantProblem(t, mustFailNow(t, build(t, "admits", fmt.Sprintf(claim, "fast")), env), "as admitted: spec.storageClassName")

	pods, err := c.Kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(pods.Items) != 0 {
		t.Errorf("pods after the dry runs: %v, %v; want none stored", pods, err)
	}
}
