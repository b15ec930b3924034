package checks_test

import (
	"fmt"
	"testing"

	"github.com/ckalab/ckalab/internal/simtest"
)

// etcdSnapshot on the sim lab: the marker is found through the real API
// server's discovery (the RESTMapper gives its etcd key's resource), and
// the check then says it needs node access rather than failing like a
// wrong answer. Reading a real `etcdctl snapshot save` file on a kind node
// is covered by the kind end-to-end run (`make e2e`).
func TestEtcdSnapshotOnSim(t *testing.T) {
	t.Parallel()
	l := simtest.Need(t, sl)
	c := l.Cluster
	ns := newNS(t, c)
	create(t, c, ns, `
apiVersion: v1
kind: ConfigMap
metadata: {name: marker}
data: {at: setup}
`)
	chk := build(t, "etcdSnapshot", fmt.Sprintf(`{node: %s, path: /opt/course/1/etcd-snapshot.db, contains: {apiVersion: v1, kind: ConfigMap, namespace: %s, name: marker}}`, controlPlane, ns))
	obs := mustFailNow(t, chk, envFor(t, c))
	wantProblem(t, obs, "this check needs a lab with node access (kind); the sim lab has none")
}
