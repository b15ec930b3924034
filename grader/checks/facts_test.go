package checks_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/simtest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestFactsObject: an answer judged against an object of a real API
// server, read at each look: its uid (known only once it exists), a
// cluster-scoped object, and one that is missing.
func TestFactsObject(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	env := envFor(t, c)
	create(t, c, ns, `
apiVersion: v1
kind: ConfigMap
metadata:
  name: ledger
data:
  owner: finance
`)
	cm, err := c.Kube.CoreV1().ConfigMaps(ns).Get(context.Background(), "ledger", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	writeAnswer(t, env, "q1/uid", string(cm.UID)+"\n")
	writeAnswer(t, env, "q1/namespace.yaml", fmt.Sprintf("name: %s\nowner: finance\n", ns))

	uid := build(t, "answerFile", fmt.Sprintf(`
path: q1/uid
format: text
facts:
  cm: {object: {apiVersion: v1, kind: ConfigMap, namespace: %s, name: ledger}}
expr: ["file.trim() == facts.cm.metadata.uid"]
`, ns))
	obs := mustPass(t, uid, env, 5*time.Second)
	if obs.Actual != "q1/uid matches" {
		t.Errorf("actual %q", obs.Actual)
	}
	unitWantContains(t, "expected", obs.Expected, "with facts cm (ConfigMap "+ns+"/ledger)")

	both := build(t, "answerFile", fmt.Sprintf(`
path: q1/namespace.yaml
format: yaml
facts:
  ns: {object: {apiVersion: v1, kind: Namespace, name: %s}}
  cm: {object: {apiVersion: v1, kind: ConfigMap, namespace: %s, name: ledger}}
expr:
- file.name == facts.ns.metadata.name && facts.ns.status.phase == 'Active'
- file.owner == facts.cm.data.owner
`, ns, ns))
	mustPass(t, both, env, 5*time.Second)

	// Made anew, the object has another uid: the fact is read at each look.
	if err := c.Kube.CoreV1().ConfigMaps(ns).Delete(context.Background(), "ledger", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	obs = mustFailNow(t, uid, env)
	wantProblem(t, obs, "fact cm: ConfigMap "+ns+"/ledger not found")
	create(t, c, ns, `
apiVersion: v1
kind: ConfigMap
metadata:
  name: ledger
data:
  owner: finance
`)
	obs = mustFailNow(t, uid, env)
	wantProblem(t, obs, "`file.trim() == facts.cm.metadata.uid` is false")
}
