// Package images keeps the container images scenarios use as archives in a
// local cache, so that labs load them into their nodes with no registry.
package images

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/dockercli"
)

// Normalize spells an image name the way containerd stores it:
// "busybox:1.36" is "docker.io/library/busybox:1.36"; a name without a tag
// gets ":latest", as docker pull does.
func Normalize(name string) (string, error) {
	if name == "" || strings.TrimSpace(name) != name || strings.ContainsAny(name, " \t\n") {
		return "", fmt.Errorf("image %q: not an image reference", name)
	}
	if strings.ToLower(name) != name && !strings.Contains(name, "@") {
		// Repository names are lower case; tags may not be, but a capital in
		// a short name is nearly always a typo.
		repo, _, _ := strings.Cut(lastPath(name), ":")
		if strings.ToLower(repo) != repo {
			return "", fmt.Errorf("image %q: repository names are lower case", name)
		}
	}
	domain, rest := "docker.io", name
	if i := strings.IndexByte(name, '/'); i >= 0 {
		first := name[:i]
		if strings.ContainsAny(first, ".:") || first == "localhost" {
			domain, rest = first, name[i+1:]
		}
	}
	if domain == "index.docker.io" {
		// Docker Hub's old name; containerd stores docker.io.
		domain = "docker.io"
	}
	if domain == "docker.io" && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	if !strings.Contains(lastPath(rest), ":") && !strings.Contains(rest, "@") {
		rest += ":latest"
	}
	ref := domain + "/" + rest
	if !refPattern.MatchString(ref) {
		return "", fmt.Errorf("image %q: not an image reference", name)
	}
	return ref, nil
}

var refPattern = regexp.MustCompile(`^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`)

func lastPath(name string) string {
	return name[strings.LastIndexByte(name, '/')+1:]
}

// Cache is a folder of `docker save` archives, one per image.
type Cache struct {
	Dir string
	// Docker makes archives (pull, pack).
	Docker dockercli.Docker
}

// DefaultDir is the cache folder under the user's XDG cache directory.
func DefaultDir(dirs lab.Dirs) string { return filepath.Join(dirs.Cache, "images") }

// MissingError says an image is not in the cache, and how to get it there.
type MissingError struct {
	Ref string
	Dir string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("image %s is not in the image cache (%s): run `ckalab images pull %s` on a machine with a registry, or `ckalab images pack %s` if Docker already has it", e.Ref, e.Dir, e.Ref, e.Ref)
}

// Path is where an image's archive lives: the reference made safe for a
// file name, plus a hash of it, since the safe spelling alone can clash
// (quay.io/a/b:c and quay.io/a_b:c).
func (c Cache) Path(ref string) string {
	safe := strings.NewReplacer("/", "_", ":", "_", "@", "_").Replace(ref)
	sum := sha256.Sum256([]byte(ref))
	return filepath.Join(c.Dir, fmt.Sprintf("%s-%x.tar", safe, sum[:4]))
}

// Open returns the archive of ref, or a *MissingError.
func (c Cache) Open(ref string) (io.ReadCloser, error) {
	f, err := os.Open(c.Path(ref))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &MissingError{Ref: ref, Dir: c.Dir}
	}
	return f, err
}

// Size is the archive's size in bytes, or -1 when the image is not cached.
func (c Cache) Size(ref string) int64 {
	fi, err := os.Stat(c.Path(ref))
	if err != nil {
		return -1
	}
	return fi.Size()
}

// Pack saves an image Docker already has into the cache. The archive is
// written beside its final name and renamed, so a cut-off save never looks
// like a cached image.
func (c Cache) Pack(ctx context.Context, ref string) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("image cache: %w", err)
	}
	tmp, err := os.CreateTemp(c.Dir, ".pack-*.tar")
	if err != nil {
		return fmt.Errorf("image cache: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if _, err := c.Docker.Output(ctx, "image", "inspect", "--format", "{{.Id}}", ref); err != nil {
		return fmt.Errorf("image %s is not in Docker: `ckalab images pull %s` fetches it (needs a registry), or `docker load` it first", ref, ref)
	}
	if _, err := c.Docker.Output(ctx, "save", "--output", tmp.Name(), ref); err != nil {
		return fmt.Errorf("save %s: %w", ref, err)
	}
	if err := os.Rename(tmp.Name(), c.Path(ref)); err != nil {
		return fmt.Errorf("image cache: %w", err)
	}
	return nil
}

// Pull fetches an image from its registry into Docker, then packs it.
func (c Cache) Pull(ctx context.Context, ref string) error {
	if _, err := c.Docker.Output(ctx, "pull", "--quiet", ref); err != nil {
		return fmt.Errorf("pull %s: %w", ref, err)
	}
	return c.Pack(ctx, ref)
}

// NormalizeAll normalizes and de-duplicates names, keeping every problem.
func NormalizeAll(names []string) ([]string, error) {
	var refs []string
	var errs []error
	for _, n := range names {
		ref, err := Normalize(n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !slices.Contains(refs, ref) {
			refs = append(refs, ref)
		}
	}
	slices.Sort(refs)
	return refs, errors.Join(errs...)
}
