package checks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path"
	"runtime/debug"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ckalab/ckalab/grader"
	"github.com/ckalab/ckalab/internal/yamlx"
	"github.com/ckalab/ckalab/lab"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"
	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// etcdSnapshotSpec: a file on a node is an etcd snapshot as `etcdctl
// snapshot save` writes it, taken after the scenario's setup. Contains
// names a marker object that the setup created through the API just
// before: the snapshot must hold it, with the UID it has now, so that a
// snapshot from before the setup (an earlier attempt's, an old backup), a
// copy of etcd's database file or any other file fails.
//
// What etcdctl writes (etcd's maintenance Snapshot RPC, v3.4 to v3.7):
// etcd's bbolt database, then the sha256 of those bytes (32 bytes). etcdutl
// snapshot restore finds the digest by the file's size (size % 512 == 32)
// and refuses a file without one, or whose digest differs, unless given
// --skip-hash-check. Keys live in the bbolt bucket "key": each bolt key is a
// revision (8 bytes main, '_', 8 bytes sub, big endian; a tombstone adds
// 't'), each value an mvccpb.KeyValue (protobuf) whose key is the API
// server's /registry/<resource>/<namespace>/<name>.
type etcdSnapshotSpec struct {
	Node     string  `yaml:"node"`
	Path     string  `yaml:"path"`
	Contains lab.Ref `yaml:"contains"`
}

type etcdSnapshotCheck struct {
	spec etcdSnapshotSpec
}

// maxSnapshotSize is the largest snapshot the check reads (it is held in
// memory, then in a temporary file): a lab's etcd holds a few megabytes;
// etcd's default quota is 2 GiB.
const maxSnapshotSize = 256 << 20

// snapshotMarkerKinds are the kinds a marker may be, by apiVersion/kind,
// and whether they are namespaced: kinds the API server stores under
// /registry/<resource>/ (services, nodes, ingresses and custom resources
// have other prefixes), and whose values are not encrypted at rest by
// default (a Secret may be, when the lab configures it: its UID is then
// not checked).
var snapshotMarkerKinds = map[string]bool{
	"v1/ConfigMap":      true,
	"v1/Secret":         true,
	"v1/ServiceAccount": true,
	"v1/Namespace":      false,
}

func snapshotMarkerKindNames() string {
	var names []string
	for k := range snapshotMarkerKinds {
		names = append(names, strings.TrimPrefix(k, "v1/"))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func newEtcdSnapshot(body *yaml.Node, p string) (grader.Check, yamlx.Problems) {
	c := &etcdSnapshotCheck{}
	ps := yamlx.Decode(body, p, &c.spec)
	if c.spec.Node == "" {
		ps.Add(body, yamlx.Join(p, "node"), "required")
	}
	if !path.IsAbs(c.spec.Path) || path.Clean(c.spec.Path) != c.spec.Path {
		ps.Add(valueOf(body, "path"), yamlx.Join(p, "path"), "want an absolute, clean path on the node, got %q", c.spec.Path)
	}
	at, cp := valueOf(body, "contains"), yamlx.Join(p, "contains")
	if at == body {
		ps.Add(body, cp, "required: the marker object the setup creates just before, which the snapshot must hold")
		return c, ps
	}
	m := c.spec.Contains
	namespaced, known := snapshotMarkerKinds[m.APIVersion+"/"+m.Kind]
	switch {
	case m.APIVersion == "" || m.Kind == "":
		ps.Add(at, cp, "want apiVersion and kind (a marker such as apiVersion: v1, kind: ConfigMap)")
	case !known:
		ps.Add(at, cp, "%s %s: want apiVersion v1 and a kind whose etcd key ckalab knows: %s", m.APIVersion, m.Kind, snapshotMarkerKindNames())
	case namespaced && m.Namespace == "":
		ps.Add(at, yamlx.Join(cp, "namespace"), "required: %s is namespaced", m.Kind)
	case !namespaced && m.Namespace != "":
		ps.Add(valueOf(at, "namespace"), yamlx.Join(cp, "namespace"), "%s is cluster-scoped: drop namespace", m.Kind)
	}
	if m.Name == "" {
		ps.Add(at, yamlx.Join(cp, "name"), "required")
	}
	return c, ps
}

// NodeName implements grader.NodeCheck.
func (c *etcdSnapshotCheck) NodeName() string { return c.spec.Node }

func (c *etcdSnapshotCheck) marker() string { return c.spec.Contains.String() }

func (c *etcdSnapshotCheck) expected() string {
	return fmt.Sprintf("an etcd snapshot at %s on node %s, as `etcdctl snapshot save` writes it (a bbolt database and its sha256), holding %s with the uid it has now",
		c.spec.Path, c.spec.Node, c.marker())
}

// Observe reads the marker's UID through the API, then the file off the
// node, and judges the file in a temporary copy.
func (c *etcdSnapshotCheck) Observe(ctx context.Context, env *grader.Env) grader.Observation {
	obs := grader.Observation{Expected: c.expected()}
	key, err := c.etcdKey(env)
	if err != nil {
		return failedExpecting(obs.Expected, err)
	}
	objs, err := lab.Find(ctx, env.Cluster, c.spec.Contains, nil)
	if err != nil {
		return failedExpecting(obs.Expected, fmt.Errorf("read %s: %w", c.marker(), err))
	}
	uid := ""
	if len(objs) == 1 {
		uid = string(objs[0].GetUID())
	}
	nctx, exec, cancel, err := onNode(ctx, env)
	defer cancel()
	if err != nil {
		return failedExpecting(obs.Expected, err)
	}
	where := c.spec.Path + " on " + c.spec.Node
	raw, found, err := lab.ReadNodeFileLimited(nctx, exec, c.spec.Node, c.spec.Path, maxSnapshotSize)
	var tooLarge *lab.NodeFileTooLargeError
	switch {
	case errors.As(err, &tooLarge):
		obs.Actual = "too large to judge"
		obs.Problems = []string{err.Error() + ": not a lab's etcd snapshot"}
		return obs
	case err != nil:
		return failedExpecting(obs.Expected, err)
	case !found:
		obs.Actual = "no file"
		obs.Problems = []string{where + " does not exist (or is not a regular file)"}
		return obs
	}
	snap, bad := readEtcdSnapshot(raw, key)
	if bad != nil {
		obs.Actual = bad.actual
		obs.Problems = []string{where + ": " + bad.problem}
		return obs
	}
	obs.Actual = snap.summary()
	switch rec := snap.marker; {
	case rec == nil:
		obs.Actual += ", without " + c.marker()
		obs.Problems = append(obs.Problems, fmt.Sprintf("%s does not hold %s (etcd key %s): taken before the setup made it, or from another cluster", where, c.marker(), key))
	case rec.deleted:
		obs.Actual += ", " + c.marker() + " deleted"
		obs.Problems = append(obs.Problems, fmt.Sprintf("%s: %s was deleted before the snapshot was taken (revision %d)", where, c.marker(), rec.revision))
	case uid == "":
		obs.Actual += ", holds " + c.marker()
		obs.Problems = append(obs.Problems, fmt.Sprintf("%s is not in the cluster, so the snapshot's copy cannot be told from an older one: start the scenario again (its setup makes it)", c.marker()))
	case bytes.HasPrefix(rec.value, []byte("k8s:enc:")):
		obs.Actual += fmt.Sprintf(", holds %s (encrypted at rest: uid not compared)", c.marker())
	case !bytes.Contains(rec.value, []byte(uid)):
		obs.Actual += fmt.Sprintf(", holds %s with another uid", c.marker())
		obs.Problems = append(obs.Problems, fmt.Sprintf("%s holds %s, but not the one in the cluster now (uid %s): taken before this attempt's setup", where, c.marker(), uid))
	default:
		obs.Actual += fmt.Sprintf(", holds %s (uid %s)", c.marker(), uid)
	}
	obs.Passed = len(obs.Problems) == 0
	return obs
}

// etcdKey is the key the API server stores the marker under, its resource
// from the lab's RESTMapper.
func (c *etcdSnapshotCheck) etcdKey(env *grader.Env) (string, error) {
	m := c.spec.Contains
	gv, err := schema.ParseGroupVersion(m.APIVersion)
	if err != nil {
		return "", fmt.Errorf("apiVersion %q: %w", m.APIVersion, err)
	}
	mapping, err := env.Cluster.Mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: m.Kind}, gv.Version)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", m.APIVersion, m.Kind, err)
	}
	key := "/registry/" + mapping.Resource.Resource + "/"
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		key += m.Namespace + "/"
	}
	return key + m.Name, nil
}

// etcdSnapshot is what a snapshot file holds.
type etcdSnapshot struct {
	// size is the database's, without the digest.
	size int64
	// revision is the store's last (the main revision of the key bucket's
	// last entry); keys counts the entries of every bucket, as `etcdutl
	// snapshot status` does.
	revision int64
	keys     int
	// marker is the marker key's last revision, nil when it has none.
	marker *markerRecord
}

type markerRecord struct {
	revision int64
	deleted  bool
	value    []byte
}

func (s etcdSnapshot) summary() string {
	return fmt.Sprintf("snapshot of %s, revision %d, %d keys", humanBytes(s.size), s.revision, s.keys)
}

// snapshotVerdict is a file that is no valid snapshot: a short actual and
// the problem.
type snapshotVerdict struct{ actual, problem string }

// boltMagic is bbolt's, in the meta page at the start of its file (after
// the 16-byte page header, in the byte order of the machine that wrote it:
// little endian on the platforms kind runs).
const boltMagic = 0xED0CDAED

// readEtcdSnapshot judges raw as `etcdutl snapshot restore` would (bbolt,
// the digest), then reads its keys. key is the marker's etcd key.
func readEtcdSnapshot(raw []byte, key string) (*etcdSnapshot, *snapshotVerdict) {
	isBolt := len(raw) >= 24 && binary.LittleEndian.Uint32(raw[16:20]) == boltMagic
	hasDigest := len(raw)%512 == sha256.Size
	switch {
	case !isBolt:
		return nil, &snapshotVerdict{"not a bbolt file", fmt.Sprintf("not a bbolt file (%s, %s), so not an etcd snapshot", humanBytes(int64(len(raw))), describeStart(raw))}
	case !hasDigest:
		return nil, &snapshotVerdict{"bbolt file without the sha256 etcdctl appends",
			"a bbolt file without the sha256 `etcdctl snapshot save` appends (a copy of etcd's db file, or truncated): `etcdutl snapshot restore` refuses it without --skip-hash-check"}
	}
	db, digest := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if sum := sha256.Sum256(db); !bytes.Equal(sum[:], digest) {
		return nil, &snapshotVerdict{"hash mismatch", "hash mismatch (truncated or not from etcdctl snapshot save): its last 32 bytes are not the sha256 of the rest"}
	}
	snap, err := readBoltSnapshot(db, key)
	if err != nil {
		return nil, &snapshotVerdict{"not a readable etcd database", err.Error()}
	}
	return snap, nil
}

// readBoltSnapshot opens db (no digest) read-only in a temporary file and
// reads its buckets. A corrupt file that still carries a good digest (made
// by hand) may make bbolt panic or fault: that is an error too.
func readBoltSnapshot(db []byte, key string) (snap *etcdSnapshot, err error) {
	f, err := os.CreateTemp("", "ckalab-etcd-snapshot-*.db")
	if err != nil {
		return nil, fmt.Errorf("copy the snapshot: %w", err)
	}
	name := f.Name()
	defer os.Remove(name)
	_, werr := f.Write(db)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, fmt.Errorf("copy the snapshot: %w", werr)
	}
	bdb, err := bolt.Open(name, 0o400, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("bbolt cannot open it: %w", err)
	}
	defer bdb.Close()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			snap, err = nil, fmt.Errorf("a corrupt bbolt file: %v", r)
		}
	}()
	snap = &etcdSnapshot{size: int64(len(db))}
	err = bdb.View(func(tx *bolt.Tx) error {
		keys := tx.Bucket([]byte("key"))
		if keys == nil {
			return errors.New(`a bbolt file without etcd's "key" bucket: not an etcd snapshot`)
		}
		if err := tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			return b.ForEach(func(_, _ []byte) error { snap.keys++; return nil })
		}); err != nil {
			return err
		}
		return keys.ForEach(func(rev, value []byte) error {
			tombstone := len(rev) == 18 && rev[17] == 't'
			if (len(rev) != 17 && !tombstone) || rev[8] != '_' {
				return fmt.Errorf("key bucket entry %x is not an etcd revision", rev)
			}
			snap.revision = int64(binary.BigEndian.Uint64(rev[:8]))
			k, v, err := parseKeyValue(value)
			if err != nil {
				return fmt.Errorf("revision %d: %w", snap.revision, err)
			}
			if string(k) == key {
				snap.marker = &markerRecord{revision: snap.revision, deleted: tombstone, value: bytes.Clone(v)}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// parseKeyValue reads the key (field 1) and value (field 5) of a
// marshaled mvccpb.KeyValue: key, create_revision, mod_revision, version,
// value, lease.
func parseKeyValue(b []byte) (key, value []byte, err error) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, nil, fmt.Errorf("not an mvccpb.KeyValue: %w", protowire.ParseError(n))
		}
		b = b[n:]
		if (num == 1 || num == 5) && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return nil, nil, fmt.Errorf("not an mvccpb.KeyValue: %w", protowire.ParseError(m))
			}
			if num == 1 {
				key = v
			} else {
				value = v
			}
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return nil, nil, fmt.Errorf("not an mvccpb.KeyValue: %w", protowire.ParseError(m))
		}
		b = b[m:]
	}
	return key, value, nil
}

// humanBytes renders a size as `etcdutl snapshot status` users read it.
func humanBytes(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1_000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d bytes", n)
}

// describeStart says what a file that is no bbolt file starts with.
func describeStart(raw []byte) string {
	start := raw[:min(len(raw), 40)]
	switch {
	case len(raw) == 0:
		return "empty"
	case utf8.Valid(start) && !bytes.ContainsRune(start, 0):
		return fmt.Sprintf("text starting %q", excerpt(start, 40))
	case len(raw) < 24:
		return "too short for bbolt's meta page"
	}
	return "no bbolt meta page at its start"
}
