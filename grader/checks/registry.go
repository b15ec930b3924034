// Package checks holds ckalab's check kinds, one file each. To add a kind,
// write its file and add one line to All.
package checks

import (
	"time"

	"github.com/ckalab/ckalab/grader"
)

// All returns every check kind.
func All() grader.CheckTypes {
	kinds := []grader.CheckType{
		{Name: "match", Summary: "an object exists and matches a partial object and CEL expressions", DefaultTimeout: 5 * time.Second, New: newMatch},
		{Name: "absent", Summary: "no object exists, or none matches", DefaultTimeout: 5 * time.Second, New: newAbsent},
		{Name: "canI", Summary: "the API server's RBAC decision for a user, group or service account", DefaultTimeout: 3 * time.Second, New: newCanI},
		{Name: "ready", Summary: "the pods of a selector are Ready, optionally on given nodes, in a given number, and without a restart over a window", DefaultTimeout: 20 * time.Second, New: newReady},
		{Name: "tolerates", Summary: "a pod (or pod template) tolerates a taint, judged as the scheduler judges it", DefaultTimeout: 5 * time.Second, New: newTolerates},
		{Name: "answerFile", Summary: "a file in the answer folder (YAML, JSON, kubeconfig or text) matches", DefaultTimeout: 2 * time.Second, New: newAnswerFile},
		// One look runs a command or two in a node (about 0.1s on kind). A
		// file is there once saved; what a command reports (a unit's state,
		// a container crictl lists) settles a few seconds after the change
		// (a kubelet restarting, a static pod's container starting).
		{Name: "nodeFile", Summary: "a file on a node exists (or not) and its text, YAML or JSON matches", DefaultTimeout: 5 * time.Second, New: newNodeFile},
		{Name: "nodeCommand", Summary: "a read-only command on a node (crictl ps, openssl x509, systemctl is-active, ...) exits and prints as expected", DefaultTimeout: 10 * time.Second, New: newNodeCommand},
		// Logs: a pod started by the learner's fix may take a few seconds to
		// print its first line.
		{Name: "podLogs", Summary: "a pod's log (or its previous container's) contains or matches", DefaultTimeout: 15 * time.Second, New: newPodLogs},
		// The kubelet notices a new static pod manifest within seconds (it
		// watches the folder; fileCheckFrequency, 20s, is its fallback), then
		// pulls and starts it; a control-plane component restarted by a
		// manifest edit takes longer still, the API server the longest.
		{Name: "staticPod", Summary: "the kubelet of a node runs a static pod: its mirror pod is Running and Ready, optionally with its manifest in the kubelet's staticPodPath", DefaultTimeout: 30 * time.Second, New: newStaticPod},
		{Name: "componentHealth", Summary: "a cluster component works: the kubelet (Node Ready, unit active) or a control-plane static pod (Running and Ready; /readyz for the API server)", DefaultTimeout: 45 * time.Second, New: newComponentHealth},
	}
	out := grader.CheckTypes{}
	for _, k := range kinds {
		out[k.Name] = k
	}
	return out
}
