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
	}
	out := grader.CheckTypes{}
	for _, k := range kinds {
		out[k.Name] = k
	}
	return out
}
