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
		{Name: "admits", Summary: "the API server accepts, or refuses for a given reason, a dry-run create of an object (Pod Security, quotas, limit ranges, admission policies decide; nothing is stored)", DefaultTimeout: 5 * time.Second, New: newAdmits},
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
		{Name: "etcdSnapshot", Summary: "a node file is an etcd snapshot as etcdctl snapshot save writes it (bbolt, its sha256), taken after setup: it holds the setup's marker object with its current uid", DefaultTimeout: 5 * time.Second, New: newEtcdSnapshot},
		// Logs: a pod started by the learner's fix may take a few seconds to
		// print its first line.
		{Name: "podLogs", Summary: "a pod's log (or its previous container's) contains or matches", DefaultTimeout: 15 * time.Second, New: newPodLogs},
		// A command in a pod answers in well under a second, each run cut
		// off after 10s; what it reads (a mounted ConfigMap, an env var of a
		// restarted pod) settles some seconds after the learner's change.
		{Name: "podExec", Summary: "a command that only reads, run in a container of a pod, exits and prints as expected", DefaultTimeout: 15 * time.Second, New: newPodExec},
		// One look is one probe (two with a control) of at most 2s each. A
		// NetworkPolicy takes effect a second or two after it is made
		// (kind's kube-network-policies), a new pod's rules a few more.
		{Name: "traffic", Summary: "a TCP (or HTTP) connection from a pod to a pod, Service or host is allowed, or denied while a control path connects", DefaultTimeout: 20 * time.Second, New: newTraffic},
		// The kubelet notices a new static pod manifest within seconds (it
		// watches the folder; fileCheckFrequency, 20s, is its fallback), then
		// pulls and starts it; a control-plane component restarted by a
		// manifest edit takes longer still, the API server the longest.
		{Name: "staticPod", Summary: "the kubelet of a node runs a static pod: its mirror pod is Running and Ready, optionally with its manifest in the kubelet's staticPodPath", DefaultTimeout: 30 * time.Second, New: newStaticPod},
		{Name: "componentHealth", Summary: "a cluster component works: the kubelet (Node Ready, unit active) or a control-plane static pod (Running and Ready; /readyz for the API server)", DefaultTimeout: 45 * time.Second, New: newComponentHealth},
		// A metrics server scrapes every kubelet each metric resolution (15s
		// in its manifest) and turns Ready after two of them: after a
		// fix, the new pod takes about a minute to serve every node and pod.
		{Name: "metrics", Summary: "the metrics API serves node and pod metrics (kubectl top nodes and top pods work): its APIService is Available, NodeMetrics for every node, optionally PodMetrics for a namespace's pods", DefaultTimeout: 90 * time.Second, New: newMetrics},
	}
	out := grader.CheckTypes{}
	for _, k := range kinds {
		out[k.Name] = k
	}
	return out
}
