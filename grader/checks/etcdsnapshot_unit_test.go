package checks_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/lab"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"
)

// etcdEntry is one revision of etcd's key bucket.
type etcdEntry struct {
	rev        int64
	key, value string
	tombstone  bool
}

// etcdSnapshotFile builds what `etcdctl snapshot save` writes: a bbolt
// database with etcd's buckets ("key": revision → marshaled
// mvccpb.KeyValue; "meta"), written out as etcd's backend.Snapshot writes
// it (tx.WriteTo), then its sha256. buckets false leaves the key bucket
// out.
func etcdSnapshotFile(t *testing.T, entries []etcdEntry, keyBucket bool) (db, withDigest []byte) {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "db")
	bdb, err := bolt.Open(dbPath, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	err = bdb.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		if err := meta.Put([]byte("consistent_index"), binary.BigEndian.AppendUint64(nil, 42)); err != nil {
			return err
		}
		if !keyBucket {
			return nil
		}
		kb, err := tx.CreateBucket([]byte("key"))
		if err != nil {
			return err
		}
		for _, e := range entries {
			rev := binary.BigEndian.AppendUint64(nil, uint64(e.rev))
			rev = binary.BigEndian.AppendUint64(append(rev, '_'), 0)
			if e.tombstone {
				rev = append(rev, 't')
			}
			if err := kb.Put(rev, keyValue(e)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := bdb.View(func(tx *bolt.Tx) error { _, err := tx.WriteTo(&buf); return err }); err != nil {
		t.Fatal(err)
	}
	db = buf.Bytes()
	sum := sha256.Sum256(db)
	return db, append(bytes.Clone(db), sum[:]...)
}

// keyValue marshals an mvccpb.KeyValue (key 1, create_revision 2,
// mod_revision 3, version 4, value 5); a tombstone's holds only its key.
func keyValue(e etcdEntry) []byte {
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	b = protowire.AppendBytes(b, []byte(e.key))
	if e.tombstone {
		return b
	}
	for num, v := range map[protowire.Number]int64{2: e.rev, 3: e.rev, 4: 1} {
		b = protowire.AppendTag(b, num, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(v))
	}
	b = protowire.AppendTag(b, 5, protowire.BytesType)
	return protowire.AppendBytes(b, []byte(e.value))
}

// storedObject is a value as the API server stores it: "k8s\x00" and a
// protobuf runtime.Unknown whose raw object holds the metadata strings.
func storedObject(kind, name, uid string) string {
	raw := protowire.AppendTag(nil, 1, protowire.BytesType)
	raw = protowire.AppendString(raw, name)
	raw = protowire.AppendTag(raw, 5, protowire.BytesType)
	raw = protowire.AppendString(raw, uid)
	u := protowire.AppendTag(nil, 1, protowire.BytesType)
	u = protowire.AppendString(u, "v1/"+kind)
	u = protowire.AppendTag(u, 2, protowire.BytesType)
	u = protowire.AppendBytes(u, raw)
	return "k8s\x00" + string(u)
}

// answerReadLimited answers lab.ReadNodeFileLimited's script on fake
// nodes, as TestReadNodeFileLimited shows the real script does; sizes
// fakes a file's size without holding its bytes.
func answerReadLimited(nodes *fakelab.Nodes, sizes map[string]int64) func(string, []string, []byte) (string, string, int, bool) {
	return func(node string, argv []string, _ []byte) (string, string, int, bool) {
		if len(argv) != 6 || argv[0] != "sh" || !strings.Contains(argv[2], "head -c") {
			return "", "", 0, false
		}
		limit, err := strconv.ParseInt(argv[5], 10, 64)
		if err != nil {
			return "", "", 0, false
		}
		if size, ok := sizes[argv[4]]; ok && size > limit {
			return strconv.FormatInt(size, 10) + "\n", "", 45, true
		}
		c, ok := nodes.File(node, argv[4])
		switch {
		case !ok:
			return "", "", 44, true
		case int64(len(c)) > limit:
			return strconv.Itoa(len(c)) + "\n", "", 45, true
		}
		return c, "", 0, true
	}
}

func TestEtcdSnapshotUnit(t *testing.T) {
	t.Parallel()
	const (
		uid    = "6f1c2d4e-0a9b-4c3d-8e7f-112233445566"
		oldUID = "0d9e8f7a-1111-4222-8333-444455556666"
		key    = "/registry/configmaps/finance/ledger-2041"
	)
	l := newUnitLab(t, `
apiVersion: v1
kind: ConfigMap
metadata: {name: ledger-2041, namespace: finance, uid: `+uid+`}
---
apiVersion: v1
kind: Secret
metadata: {name: vault, namespace: finance, uid: 9a9a9a9a-0000-4000-8000-000000000001}
---
apiVersion: v1
kind: Namespace
metadata: {name: finance, uid: 7b7b7b7b-0000-4000-8000-000000000002}
`)
	nodes := l.withNodes("cp", "w1")
	nodes.Run = answerReadLimited(nodes, map[string]int64{"/opt/course/1/huge.db": 300 << 20})

	others := []etcdEntry{
		{rev: 2, key: "/registry/namespaces/finance", value: storedObject("Namespace", "finance", "7b7b7b7b-0000-4000-8000-000000000002")},
		{rev: 3, key: "/registry/configmaps/kube-system/kube-root-ca.crt", value: storedObject("ConfigMap", "kube-root-ca.crt", "aaaa")},
	}
	marker := etcdEntry{rev: 7, key: key, value: storedObject("ConfigMap", "ledger-2041", uid)}
	put := func(p string, data []byte) { nodes.SetFile("cp", p, string(data)) }

	_, good := etcdSnapshotFile(t, append(others, marker,
		etcdEntry{rev: 9, key: "/registry/secrets/finance/vault", value: "k8s:enc:aescbc:v1:key1:\x01\x02\x03"},
		etcdEntry{rev: 10, key: "/registry/configmaps/finance/orphan", value: storedObject("ConfigMap", "orphan", oldUID)}), true)
	put("/opt/course/1/etcd-snapshot.db", good)
	_, before := etcdSnapshotFile(t, others, true)
	put("/opt/course/1/before-setup.db", before)
	_, older := etcdSnapshotFile(t, append(others, etcdEntry{rev: 5, key: key, value: storedObject("ConfigMap", "ledger-2041", oldUID)}), true)
	put("/opt/course/1/older.db", older)
	_, deleted := etcdSnapshotFile(t, append(others, marker, etcdEntry{rev: 8, key: key, tombstone: true}), true)
	put("/opt/course/1/deleted.db", deleted)
	rawDB, _ := etcdSnapshotFile(t, append(others, marker), true)
	put("/opt/course/1/db-copy.db", rawDB)
	badHash := bytes.Clone(good)
	badHash[len(badHash)-1] ^= 0xff
	put("/opt/course/1/bad-hash.db", badHash)
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0xff
	put("/opt/course/1/flipped.db", flipped)
	put("/opt/course/1/truncated.db", good[:len(good)-1000])
	_, noKeys := etcdSnapshotFile(t, nil, false)
	put("/opt/course/1/no-keys.db", noKeys)
	put("/opt/course/1/text.db", []byte("etcd snapshot, honest\n"))
	put("/opt/course/1/empty.db", nil)

	check := func(file, contains string) string {
		return `{node: cp, path: /opt/course/1/` + file + `, contains: ` + contains + `}`
	}
	cm := `{apiVersion: v1, kind: ConfigMap, namespace: finance, name: ledger-2041}`
	runUnitCases(t, "etcdSnapshot", l.Env, []unitCase{
		{"pass: a snapshot holding the marker with its uid", check("etcd-snapshot.db", cm), true, nil},
		{"pass: a cluster-scoped marker", check("etcd-snapshot.db", `{apiVersion: v1, kind: Namespace, name: finance}`), true, nil},
		{"pass: a Secret encrypted at rest, its uid unreadable", check("etcd-snapshot.db", `{apiVersion: v1, kind: Secret, namespace: finance, name: vault}`), true, nil},
		{"no file", check("missing.db", cm), false, []string{"/opt/course/1/missing.db on cp does not exist"}},
		{"not bbolt: text", check("text.db", cm), false, []string{"not a bbolt file", `text starting "etcd snapshot, honest"`}},
		{"not bbolt: empty", check("empty.db", cm), false, []string{"not a bbolt file (0 bytes, empty)"}},
		{"bad hash", check("bad-hash.db", cm), false, []string{"hash mismatch (truncated or not from etcdctl snapshot save)"}},
		{"a byte changed in the database", check("flipped.db", cm), false, []string{"hash mismatch"}},
		{"no digest: a copy of etcd's db file", check("db-copy.db", cm), false, []string{"without the sha256", "--skip-hash-check"}},
		{"truncated", check("truncated.db", cm), false, []string{"without the sha256", "truncated"}},
		{"bbolt without etcd's key bucket", check("no-keys.db", cm), false, []string{`without etcd's "key" bucket`}},
		{"marker missing: taken before setup", check("before-setup.db", cm), false,
			[]string{"before-setup.db on cp does not hold ConfigMap finance/ledger-2041 (etcd key " + key + ")", "taken before the setup"}},
		{"marker uid differs: an earlier attempt's marker", check("older.db", cm), false,
			[]string{"not the one in the cluster now (uid " + uid + ")", "before this attempt's setup"}},
		{"marker deleted in the snapshot", check("deleted.db", cm), false, []string{"on cp: ConfigMap finance/ledger-2041 was deleted before the snapshot was taken (revision 8)"}},
		{"marker in neither", check("etcd-snapshot.db", `{apiVersion: v1, kind: ConfigMap, namespace: finance, name: gone}`), false,
			[]string{"does not hold ConfigMap finance/gone"}},
		{"marker gone from the cluster", check("etcd-snapshot.db", `{apiVersion: v1, kind: ConfigMap, namespace: finance, name: orphan}`), false,
			[]string{"ConfigMap finance/orphan is not in the cluster", "start the scenario again"}},
		{"too large", check("huge.db", cm), false, []string{"is 314572800 bytes, over the 268435456 bytes ckalab reads"}},
		{"an unknown node is an error", `{node: w9, path: /opt/course/1/etcd-snapshot.db, contains: ` + cm + `}`, false, []string{`no node "w9"`}},
	})

	t.Run("actual sums the snapshot up", func(t *testing.T) {
		obs := unitPass(t, build(t, "etcdSnapshot", check("etcd-snapshot.db", cm)), l.Env)
		unitWantContains(t, "actual", obs.Actual, "snapshot of ", " kB, revision 10, 6 keys", "holds ConfigMap finance/ledger-2041 (uid "+uid+")")
		unitWantContains(t, "expected", obs.Expected, "/opt/course/1/etcd-snapshot.db on node cp", "etcdctl snapshot save", "ConfigMap finance/ledger-2041")
		obs = unitPass(t, build(t, "etcdSnapshot", check("etcd-snapshot.db", `{apiVersion: v1, kind: Secret, namespace: finance, name: vault}`)), l.Env)
		unitWantContains(t, "actual", obs.Actual, "encrypted at rest: uid not compared")
		obs = unitFail(t, build(t, "etcdSnapshot", check("missing.db", cm)), l.Env)
		if obs.Actual != "no file" {
			t.Errorf("actual %q, want %q", obs.Actual, "no file")
		}
	})

	t.Run("the marker's uid is the live one: a marker made again fails the old snapshot", func(t *testing.T) {
		obs := unitFail(t, build(t, "etcdSnapshot", check("older.db", cm)), l.Env)
		unitWantContains(t, "actual", obs.Actual, "holds ConfigMap finance/ledger-2041 with another uid")
	})

	t.Run("no node access (sim)", func(t *testing.T) {
		sim := newUnitLab(t, "")
		unitFail(t, build(t, "etcdSnapshot", check("etcd-snapshot.db", cm)), sim.Env, "this check needs a lab with node access (kind)")
	})

	t.Run("validation", func(t *testing.T) {
		unitWantInvalid(t, "etcdSnapshot", `{node: cp, path: /opt/x.db}`, "contains: required")
		unitWantInvalid(t, "etcdSnapshot", `{path: /opt/x.db, contains: `+cm+`}`, "node: required")
		unitWantInvalid(t, "etcdSnapshot", `{node: cp, path: opt/x.db, contains: `+cm+`}`, "want an absolute, clean path")
		unitWantInvalid(t, "etcdSnapshot", `{node: cp, path: /opt/x.db, contains: {apiVersion: apps/v1, kind: Deployment, namespace: a, name: b}}`,
			"a kind whose etcd key ckalab knows: ConfigMap, Namespace, Secret, ServiceAccount")
		unitWantInvalid(t, "etcdSnapshot", `{node: cp, path: /opt/x.db, contains: {apiVersion: v1, kind: ConfigMap, name: b}}`, "contains.namespace: required")
		unitWantInvalid(t, "etcdSnapshot", `{node: cp, path: /opt/x.db, contains: {apiVersion: v1, kind: Namespace, namespace: a, name: b}}`, "cluster-scoped")
		unitWantInvalid(t, "etcdSnapshot", `{node: cp, path: /opt/x.db, contains: {apiVersion: v1, kind: ConfigMap, namespace: a}}`, "contains.name: required")
		unitWantInvalid(t, "etcdSnapshot", `{node: cp, path: /opt/x.db, contains: `+cm+`, exists: false}`, "exists")
	})
}

// TestReadNodeFileLimited runs lab.ReadNodeFileLimited's script on this
// machine (fakelab.Host) and on fake nodes answered by answerReadLimited,
// and wants the same results: the fake stands in for the script above.
func TestReadNodeFileLimited(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{"small": "abc", "exact": "0123456789", "over": "0123456789x", "empty": ""}
	nodes := fakelab.NewNodes("n")
	nodes.Run = answerReadLimited(nodes, nil)
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		nodes.SetFile("n", filepath.Join(dir, name), content)
	}
	if err := os.Mkdir(filepath.Join(dir, "folder"), 0o755); err != nil {
		t.Fatal(err)
	}
	nodes.SetDir("n", filepath.Join(dir, "folder"))
	type result struct {
		data  string
		found bool
		err   string
	}
	read := func(e lab.Execer, name string) result {
		data, found, err := lab.ReadNodeFileLimited(context.Background(), e, "n", filepath.Join(dir, name), 10)
		r := result{data: string(data), found: found}
		if err != nil {
			r.err = err.Error()
		}
		var tl *lab.NodeFileTooLargeError
		if err != nil && !errors.As(err, &tl) {
			t.Errorf("%s: an error other than too large: %v", name, err)
		}
		return r
	}
	want := map[string]result{
		"small":   {data: "abc", found: true},
		"exact":   {data: "0123456789", found: true},
		"empty":   {found: true},
		"over":    {found: true, err: filepath.Join(dir, "over") + " on n is 11 bytes, over the 10 bytes ckalab reads"},
		"missing": {},
		"folder":  {},
	}
	for name, w := range want {
		for which, e := range map[string]lab.Execer{"host": fakelab.Host{}, "fake": nodes} {
			if got := read(e, name); got != w {
				t.Errorf("%s on the %s: got %+v, want %+v", name, which, got, w)
			}
		}
	}
	if _, _, err := lab.ReadNodeFileLimited(context.Background(), nodes, "n", filepath.Join(dir, "small"), 0); err == nil {
		t.Error("a limit of 0: no error")
	}
}
