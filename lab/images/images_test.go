package images

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/lab"
)

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"busybox:1.36", "docker.io/library/busybox:1.36"},
		{"busybox", "docker.io/library/busybox:latest"},
		{"library/busybox:1.36", "docker.io/library/busybox:1.36"},
		{"docker.io/busybox", "docker.io/library/busybox:latest"},
		{"docker.io/library/busybox:1.36", "docker.io/library/busybox:1.36"},
		{"nginx/nginx", "docker.io/nginx/nginx:latest"},
		{"bitnami/kubectl:1.37", "docker.io/bitnami/kubectl:1.37"},
		{"registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"},
		{"registry.k8s.io/etcd", "registry.k8s.io/etcd:latest"},
		{"index.docker.io/x:1", "docker.io/library/x:1"},
		{"index.docker.io/team/x:1", "docker.io/team/x:1"},
		{"localhost:5000/x:1", "localhost:5000/x:1"},
		{"localhost:5000/x", "localhost:5000/x:latest"},
		{"localhost/x", "localhost/x:latest"},
		{"quay.io/a/b:c", "quay.io/a/b:c"},
		{"my-registry.example.com:443/team/app:v1.2.3", "my-registry.example.com:443/team/app:v1.2.3"},
		{"ghcr.io/org/img_name.v2:tag-1_x", "ghcr.io/org/img_name.v2:tag-1_x"},
		// Tags may hold capitals; only repository names must not.
		{"busybox:Latest", "docker.io/library/busybox:Latest"},
		// Digests: no ":latest" is added, with or without a tag.
		{"busybox@sha256:" + hex64, "docker.io/library/busybox@sha256:" + hex64},
		{"busybox:1.36@sha256:" + hex64, "docker.io/library/busybox:1.36@sha256:" + hex64},
		{"registry.k8s.io/pause@sha256:" + hex64, "registry.k8s.io/pause@sha256:" + hex64},
		{"localhost:5000/x@sha256:" + hex64, "localhost:5000/x@sha256:" + hex64},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Normalize(tc.in)
			if err != nil {
				t.Fatalf("Normalize(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
			}
			// A normalized name is a fixed point.
			again, err := Normalize(got)
			if err != nil || again != got {
				t.Fatalf("Normalize(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}

func TestNormalizeRejects(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		// wantMsg, when set, must appear in the error.
		wantMsg string
	}{
		{"empty", "", "not an image reference"},
		{"only a space", " ", "not an image reference"},
		{"leading space", " busybox", "not an image reference"},
		{"trailing space", "busybox ", "not an image reference"},
		{"inner space", "a b", "not an image reference"},
		{"tab", "busy\tbox", "not an image reference"},
		{"newline", "busybox\n", "not an image reference"},
		{"capital repository", "Busybox", "lower case"},
		{"capital repository with tag", "Busybox:1.36", "lower case"},
		{"capital last path element", "library/Busybox:1", "lower case"},
		{"capital namespace", "MyOrg/app", ""},
		{"capital registry", "Quay.io/a/b", ""},
		{"capital with digest", "Busybox@sha256:" + hex64, ""},
		{"empty tag", "busybox:", ""},
		{"tag starting with a dash", "busybox:-x", ""},
		{"tag too long", "busybox:" + strings.Repeat("a", 129), ""},
		{"two tags", "busybox:1.36:extra", ""},
		{"short digest", "busybox@sha256:abc", ""},
		{"upper-case digest", "busybox@sha256:" + strings.ToUpper(hex64), ""},
		{"unknown digest algorithm", "busybox@md5:" + hex64[:32], ""},
		{"leading slash", "/busybox", ""},
		{"trailing slash", "busybox/", ""},
		{"empty path element", "quay.io//b", ""},
		{"URL", "https://quay.io/a/b", ""},
		{"non-numeric port", "foo:bar/baz", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(tc.in)
			if err == nil {
				t.Fatalf("Normalize(%q) = %q, want an error", tc.in, got)
			}
			if got != "" {
				t.Errorf("Normalize(%q) returned %q with its error, want \"\"", tc.in, got)
			}
			if !strings.Contains(err.Error(), "image ") {
				t.Errorf("error %q does not say it is about an image", err)
			}
			if tc.wantMsg != "" && !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
		})
	}
}

func TestNormalizeAll(t *testing.T) {
	refs, err := NormalizeAll([]string{
		"nginx",
		"busybox:1.36",
		"Busybox",
		"docker.io/library/busybox:1.36", // same image as busybox:1.36
		"a b",
		"busybox",
		"docker.io/library/nginx:latest", // same image as nginx
		"registry.k8s.io/pause:3.10",
	})
	want := []string{
		"docker.io/library/busybox:1.36",
		"docker.io/library/busybox:latest",
		"docker.io/library/nginx:latest",
		"registry.k8s.io/pause:3.10",
	}
	if !slices.Equal(refs, want) {
		t.Errorf("refs = %q, want %q (deduplicated, sorted, good names kept despite the bad ones)", refs, want)
	}
	if err == nil {
		t.Fatal("want an error for the bad names")
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error %T is not a joined error", err)
	}
	if n := len(joined.Unwrap()); n != 2 {
		t.Errorf("error holds %d problems, want 2: %v", n, err)
	}
	for _, bad := range []string{`"Busybox"`, `"a b"`} {
		if !strings.Contains(err.Error(), bad) {
			t.Errorf("error %q does not name %s", err, bad)
		}
	}
}

func TestNormalizeAllClean(t *testing.T) {
	refs, err := NormalizeAll([]string{"busybox", "busybox:latest", "docker.io/library/busybox"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"docker.io/library/busybox:latest"}; !slices.Equal(refs, want) {
		t.Errorf("refs = %q, want %q", refs, want)
	}
	refs, err = NormalizeAll(nil)
	if err != nil || len(refs) != 0 {
		t.Errorf("NormalizeAll(nil) = %q, %v; want nothing and no error", refs, err)
	}
}

func TestDefaultDir(t *testing.T) {
	got := DefaultDir(lab.Dirs{Cache: "/c/ckalab", State: "/s"})
	if want := filepath.Join("/c/ckalab", "images"); got != want {
		t.Errorf("DefaultDir = %q, want %q", got, want)
	}
}

func TestCachePath(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	refs := []string{
		"docker.io/library/busybox:1.36",
		"docker.io/library/busybox:1.37",
		"docker.io/library/busybox:latest",
		"docker.io/library/busybox@sha256:" + hex64,
		"docker.io/library/busybox:1.36@sha256:" + hex64,
		"docker.io/nginx/nginx:latest",
		"docker.io/library/nginx:latest",
		"registry.k8s.io/pause:3.10",
		"localhost:5000/x:1",
		"localhost/x:1",
		"quay.io/a/b:c",
		// Not normalized, but Path must still stay in Dir.
		"../../etc/passwd",
		"..",
		"/abs/path:tag",
	}
	seen := map[string]string{}
	for _, ref := range refs {
		p := c.Path(ref)
		if filepath.Dir(p) != c.Dir {
			t.Errorf("Path(%q) = %q, not directly inside %q", ref, p, c.Dir)
		}
		if !strings.HasSuffix(p, ".tar") {
			t.Errorf("Path(%q) = %q, want a .tar file", ref, p)
		}
		if other, dup := seen[p]; dup {
			t.Errorf("Path(%q) = Path(%q) = %q", ref, other, p)
		}
		seen[p] = ref
		if c.Path(ref) != p {
			t.Errorf("Path(%q) is not stable", ref)
		}
	}
}

// TestCachePathUnderscores: '_' is legal in repository names and tags, and
// Path also maps '/', ':' and '@' to '_'; distinct images must still get
// distinct archives.
func TestCachePathUnderscores(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	refs := []string{"quay.io/a/b:c", "quay.io/a_b:c", "quay.io/a:b_c", "index.docker.io/x:1"}
	for _, ref := range refs {
		if _, err := Normalize(ref); err != nil {
			t.Fatalf("%q should be a valid reference: %v", ref, err)
		}
	}
	seen := map[string]string{}
	for _, ref := range refs {
		p := c.Path(ref)
		if other, dup := seen[p]; dup {
			t.Errorf("%q and %q share the archive %s", other, ref, filepath.Base(p))
		}
		seen[p] = ref
	}
}

func TestCacheOpenAndSize(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	const ref = "docker.io/library/busybox:1.36"

	if got := c.Size(ref); got != -1 {
		t.Errorf("Size of a missing image = %d, want -1", got)
	}
	rc, err := c.Open(ref)
	if rc != nil {
		rc.Close()
		t.Error("Open of a missing image returned a reader")
	}
	var missing *MissingError
	if !errors.As(err, &missing) {
		t.Fatalf("Open of a missing image: %v (%T), want *MissingError", err, err)
	}
	if missing.Ref != ref || missing.Dir != c.Dir {
		t.Errorf("MissingError = %+v, want Ref %q Dir %q", missing, ref, c.Dir)
	}
	for _, want := range []string{
		"image " + ref + " ",
		c.Dir,
		"`ckalab images pull " + ref + "`",
		"`ckalab images pack " + ref + "`",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}

	if err := os.WriteFile(c.Path(ref), []byte("archive!"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := c.Size(ref); got != 8 {
		t.Errorf("Size = %d, want 8", got)
	}
	rc, err = c.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); string(b) != "archive!" {
		t.Errorf("Open read %q, want %q", b, "archive!")
	}
	// Another tag of the same image is still missing.
	if got := c.Size("docker.io/library/busybox:1.37"); got != -1 {
		t.Errorf("Size of another tag = %d, want -1", got)
	}
}

func TestCacheOpenMissingDir(t *testing.T) {
	c := Cache{Dir: filepath.Join(t.TempDir(), "never-made")}
	_, err := c.Open("docker.io/library/busybox:1.36")
	var missing *MissingError
	if !errors.As(err, &missing) {
		t.Fatalf("Open with no cache folder: %v, want *MissingError", err)
	}
	if c.Size("docker.io/library/busybox:1.36") != -1 {
		t.Error("Size with no cache folder should be -1")
	}
}

// fakeDocker answers Output with out, after recording the call; Run is not
// used by the cache and fails the test.
type fakeDocker struct {
	t     *testing.T
	calls [][]string
	out   func(args []string) (string, error)
}

func (d *fakeDocker) Output(_ context.Context, args ...string) (string, error) {
	d.calls = append(d.calls, slices.Clone(args))
	return d.out(args)
}

func (d *fakeDocker) Run(_ context.Context, _ io.Reader, _, _ io.Writer, args ...string) error {
	d.t.Errorf("unexpected docker Run %q", args)
	return errors.New("unexpected")
}

// scriptedDocker behaves like docker for one image: inspect succeeds when
// has, save writes archive to its --output path (after failing with
// saveErr, if set), pull fails with pullErr.
func scriptedDocker(t *testing.T, has bool, archive string, pullErr, saveErr error) *fakeDocker {
	return &fakeDocker{t: t, out: func(args []string) (string, error) {
		switch {
		case len(args) >= 2 && args[0] == "image" && args[1] == "inspect":
			if !has {
				return "", errors.New("docker image inspect: exit status 1: Error: No such image")
			}
			return "sha256:1234\n", nil
		case len(args) == 4 && args[0] == "save" && args[1] == "--output":
			if saveErr != nil {
				// A save cut off half-way leaves a partial file.
				if err := os.WriteFile(args[2], []byte("partial"), 0o644); err != nil {
					t.Fatal(err)
				}
				return "", saveErr
			}
			return "", os.WriteFile(args[2], []byte(archive), 0o644)
		case len(args) >= 1 && args[0] == "pull":
			return "", pullErr
		}
		t.Errorf("unexpected docker %q", args)
		return "", errors.New("unexpected")
	}}
}

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestCachePack(t *testing.T) {
	const ref = "docker.io/library/busybox:1.36"
	d := scriptedDocker(t, true, "the archive", nil, nil)
	c := Cache{Dir: filepath.Join(t.TempDir(), "nested", "images"), Docker: d}

	if err := c.Pack(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(c.Path(ref))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "the archive" {
		t.Errorf("archive = %q, want %q", b, "the archive")
	}
	if got, want := dirEntries(t, c.Dir), []string{filepath.Base(c.Path(ref))}; !slices.Equal(got, want) {
		t.Errorf("cache holds %q, want only %q (no temporary file left)", got, want)
	}
	if len(d.calls) != 2 {
		t.Fatalf("docker calls = %q, want image inspect then save", d.calls)
	}
	if want := []string{"image", "inspect", "--format", "{{.Id}}", ref}; !slices.Equal(d.calls[0], want) {
		t.Errorf("first call = %q, want %q", d.calls[0], want)
	}
	save := d.calls[1]
	if save[0] != "save" || save[1] != "--output" || save[3] != ref {
		t.Fatalf("second call = %q, want save --output <tmp> %s", save, ref)
	}
	if filepath.Dir(save[2]) != c.Dir || save[2] == c.Path(ref) {
		t.Errorf("save wrote %q, want a temporary file beside %q", save[2], c.Path(ref))
	}
	if c.Size(ref) != int64(len("the archive")) {
		t.Errorf("Size = %d after Pack", c.Size(ref))
	}
}

func TestCachePackReplacesOldArchive(t *testing.T) {
	const ref = "docker.io/library/busybox:1.36"
	c := Cache{Dir: t.TempDir(), Docker: scriptedDocker(t, true, "new", nil, nil)}
	if err := os.WriteFile(c.Path(ref), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.Pack(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(c.Path(ref)); string(b) != "new" {
		t.Errorf("archive = %q, want the new one", b)
	}
}

func TestCachePackImageNotInDocker(t *testing.T) {
	const ref = "docker.io/library/busybox:1.36"
	d := scriptedDocker(t, false, "", nil, nil)
	c := Cache{Dir: t.TempDir(), Docker: d}

	err := c.Pack(context.Background(), ref)
	if err == nil {
		t.Fatal("Pack of an image Docker lacks succeeded")
	}
	for _, want := range []string{"image " + ref + " is not in Docker", "ckalab images pull " + ref} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if got := dirEntries(t, c.Dir); len(got) != 0 {
		t.Errorf("cache holds %q after a failed Pack, want nothing", got)
	}
	if len(d.calls) != 1 {
		t.Errorf("docker calls = %q, want only the inspect", d.calls)
	}
	if c.Size(ref) != -1 {
		t.Error("a failed Pack left the image looking cached")
	}
}

func TestCachePackSaveFails(t *testing.T) {
	const ref = "docker.io/library/busybox:1.36"
	saveErr := errors.New("docker save: no space left on device")
	c := Cache{Dir: t.TempDir(), Docker: scriptedDocker(t, true, "", nil, saveErr)}

	err := c.Pack(context.Background(), ref)
	if !errors.Is(err, saveErr) {
		t.Fatalf("Pack = %v, want it to wrap %v", err, saveErr)
	}
	if !strings.Contains(err.Error(), "save "+ref) {
		t.Errorf("error %q does not name the image", err)
	}
	if got := dirEntries(t, c.Dir); len(got) != 0 {
		t.Errorf("cache holds %q after a failed save, want nothing (no partial or temporary file)", got)
	}
	if c.Size(ref) != -1 {
		t.Error("a failed save left the image looking cached")
	}
}

func TestCachePackCacheDirIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d := scriptedDocker(t, true, "x", nil, nil)
	err := Cache{Dir: file, Docker: d}.Pack(context.Background(), "docker.io/library/busybox:1.36")
	if err == nil || !strings.Contains(err.Error(), "image cache") {
		t.Errorf("Pack into a file = %v, want an image cache error", err)
	}
	if len(d.calls) != 0 {
		t.Errorf("docker was called: %q", d.calls)
	}
}

func TestCachePull(t *testing.T) {
	const ref = "registry.k8s.io/pause:3.10"
	d := scriptedDocker(t, true, "pause", nil, nil)
	c := Cache{Dir: t.TempDir(), Docker: d}

	if err := c.Pull(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	var verbs []string
	for _, call := range d.calls {
		verbs = append(verbs, call[0])
	}
	if want := []string{"pull", "image", "save"}; !slices.Equal(verbs, want) {
		t.Errorf("docker calls = %q, want pull, image inspect, save", d.calls)
	}
	if want := []string{"pull", "--quiet", ref}; !slices.Equal(d.calls[0], want) {
		t.Errorf("pull call = %q, want %q", d.calls[0], want)
	}
	if b, _ := os.ReadFile(c.Path(ref)); string(b) != "pause" {
		t.Errorf("archive = %q, want %q", b, "pause")
	}
}

func TestCachePullFails(t *testing.T) {
	const ref = "registry.k8s.io/pause:3.10"
	pullErr := errors.New("no route to host")
	d := scriptedDocker(t, true, "pause", pullErr, nil)
	c := Cache{Dir: t.TempDir(), Docker: d}

	err := c.Pull(context.Background(), ref)
	if !errors.Is(err, pullErr) || !strings.Contains(err.Error(), "pull "+ref) {
		t.Fatalf("Pull = %v, want it to name %s and wrap %v", err, ref, pullErr)
	}
	if len(d.calls) != 1 {
		t.Errorf("docker calls = %q, want only the pull", d.calls)
	}
	if got := dirEntries(t, c.Dir); len(got) != 0 {
		t.Errorf("cache holds %q after a failed pull", got)
	}
}
