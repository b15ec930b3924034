package kind_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/dockercli"
	"github.com/ckalab/ckalab/lab/images"
	"github.com/ckalab/ckalab/lab/kind"
	"github.com/ckalab/ckalab/lab/kubeadm"
)

// The stand-in node test runs the provider's node paths (listing through
// kind's library, status, exec with stdin and exit codes, shells, image
// loading with kind's own loader, node steps and their undoing by the
// baseline, delete) against real Docker containers.
// The containers are a FROM-scratch image labelled as kind labels its nodes,
// whose one program, testdata/standin (built by the test), stands in for the
// commands the provider and the test run there (sh, cat, systemctl, ctr,
// containerd...): a real node image takes `make kind-image`, which `make e2e`
// uses.

// standInFiles are the stand-in node's files besides its programs.
var standInFiles = map[string]string{
	"kind/version":            "v1.37.2\n",
	"var/lib/standin/images":  "registry.k8s.io/pause:3.10.1\ndocker.io/library/nginx:1.27\n",
	"var/lib/standin/imports": "",
}

// standInLinks are the commands testdata/standin answers to, by folder.
var standInLinks = map[string][]string{
	"bin":           {"sh", "cat", "rm", "sleep", "touch", "true"},
	"usr/bin":       {"systemctl"},
	"usr/local/bin": {"ctr", "containerd", "crictl"},
}

func TestStandInNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker")
	}
	requireDocker(t)
	ctx := t.Context()
	image := buildStandIn(t)
	cluster := fmt.Sprintf("ckalabtest%d", time.Now().UnixNano()%1e6)
	for _, n := range []struct{ suffix, role string }{
		{"control-plane", "control-plane"}, {"worker", "worker"}, {"worker2", "worker"},
	} {
		name := cluster + "-" + n.suffix
		docker(t, "run", "--detach", "--name", name,
			"--label", "io.x-k8s.kind.cluster="+cluster, "--label", "io.x-k8s.kind.role="+n.role,
			image, "/bin/sleep", "600")
		t.Cleanup(func() { _ = exec.Command("docker", "rm", "--force", "--volumes", name).Run() })
	}
	dirs := lab.Dirs{State: t.TempDir(), Cache: t.TempDir()}
	p := kind.New(dirs)
	p.KindCluster = cluster
	cp, w1, w2 := cluster+"-control-plane", cluster+"-worker", cluster+"-worker2"

	t.Run("status", func(t *testing.T) {
		st, err := p.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Exists || !st.Healthy || st.ContextName != "kind-"+cluster {
			t.Fatalf("status = %+v, want an existing healthy lab with context kind-%s", st, cluster)
		}
		if len(st.Components) != 3 {
			t.Fatalf("components = %+v, want the 3 nodes", st.Components)
		}
		for i, want := range []string{cp, w1, w2} {
			c := st.Components[i]
			if c.Name != want || !c.Running || c.Detail != "kubelet active" || c.Version != "v1.37.2" {
				t.Errorf("component %d = %+v, want %s running, kubelet active, v1.37.2", i, c, want)
			}
		}
	})

	t.Run("exec", func(t *testing.T) {
		out, _, code, err := p.Exec(ctx, w1, []string{"cat"}, []byte("from stdin\n"))
		if err != nil || code != 0 || string(out) != "from stdin\n" {
			t.Errorf("cat with stdin = %q, %d, %v; want the input back", out, code, err)
		}
		_, stderr, code, err := p.Exec(ctx, w1, []string{"sh", "-c", "echo oops >&2; exit 3"}, nil)
		if err != nil || code != 3 || string(stderr) != "oops\n" {
			t.Errorf("failing command = %q, %d, %v; want stderr oops, code 3, no error", stderr, code, err)
		}
		if _, _, _, err := p.Exec(ctx, w1, []string{"/no/such/program"}, nil); err == nil {
			t.Error("a program that does not exist: no error")
		}
		if _, _, _, err := p.Exec(ctx, cluster+"-worker9", []string{"true"}, nil); err == nil || !strings.Contains(err.Error(), w2) {
			t.Errorf("unknown node: error %v, want one listing the nodes", err)
		}
	})

	t.Run("shell runs a command", func(t *testing.T) {
		var out, errOut bytes.Buffer
		err := p.Shell(ctx, cp, lab.ShellIO{In: strings.NewReader(""), Out: &out, Err: &errOut, Command: []string{"sh", "-c", "pwd; echo $TERM"}})
		if err != nil || out.String() != "/root\nxterm\n" {
			t.Errorf("shell = %q (stderr %q), %v; want /root and TERM xterm", out.String(), errOut.String(), err)
		}
	})

	t.Run("node steps, undone by reset", func(t *testing.T) {
		testNodeSteps(t, p, cp, w1)
	})

	t.Run("load images", func(t *testing.T) {
		cache := images.Cache{Dir: t.TempDir(), Docker: dockercli.CLI{}}
		p.Cache = cache
		// Not cached and not on the nodes: an error naming the fix, and no
		// node was touched.
		err := p.LoadImages(ctx, []string{"docker.io/library/busybox:1.36"}, lab.NoProgress{})
		var missing *images.MissingError
		if !errors.As(err, &missing) || !strings.Contains(err.Error(), "ckalab images pull docker.io/library/busybox:1.36") {
			t.Fatalf("missing image: error %v, want an images.MissingError naming `ckalab images pull`", err)
		}
		if got := nodeFile(t, p, w1, "/var/lib/standin/imports"); got != "" {
			t.Fatalf("a failed load imported %q", got)
		}
		archive := []byte("not really a tar, the stand-in ctr only stores it")
		if err := os.WriteFile(cache.Path("docker.io/library/busybox:1.36"), archive, 0o644); err != nil {
			t.Fatal(err)
		}
		// nginx is already on every node: only busybox is loaded, on each.
		refs := []string{"docker.io/library/busybox:1.36", "docker.io/library/nginx:1.27"}
		if err := p.LoadImages(ctx, refs, lab.NoProgress{}); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{cp, w1, w2} {
			if got := nodeFile(t, p, n, "/var/lib/standin/imported.tar"); got != string(archive) {
				t.Errorf("%s received %q, want the cached archive", n, got)
			}
			imports := nodeFile(t, p, n, "/var/lib/standin/imports")
			if strings.Count(imports, "images import") != 1 || !strings.Contains(imports, "--snapshotter=overlayfs") {
				t.Errorf("%s imports = %q, want one import with the node's snapshotter", n, imports)
			}
		}
	})

	t.Run("stopped kubelet is reported, not unhealthy", func(t *testing.T) {
		if _, _, _, err := p.Exec(ctx, w2, []string{"touch", "/run/kubelet-stopped"}, nil); err != nil {
			t.Fatal(err)
		}
		st, err := p.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Healthy || st.Components[2].Detail != "kubelet inactive" {
			t.Errorf("status = %+v, want healthy with %s's kubelet inactive", st, w2)
		}
	})

	t.Run("stopped node", func(t *testing.T) {
		docker(t, "stop", "--time", "1", w2)
		st, err := p.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Healthy || st.Components[2].Running || st.Components[2].Detail != "container exited" {
			t.Errorf("status = %+v, want unhealthy with %s's container exited", st, w2)
		}
	})

	t.Run("another lab's nodes", func(t *testing.T) {
		// The kubeadm lab's nodes are a kind cluster too; its image's label
		// says whose they are, and only that provider claims them.
		other := cluster + "k"
		name := other + "-control-plane"
		docker(t, "run", "--detach", "--name", name, "--label", "io.x-k8s.kind.cluster="+other,
			"--label", "io.x-k8s.kind.role=control-plane", "--label", kind.LabLabel+"="+kubeadm.LabValue,
			image, "/bin/sleep", "600")
		t.Cleanup(func() { _ = exec.Command("docker", "rm", "--force", "--volumes", name).Run() })
		k := kind.New(lab.Dirs{State: t.TempDir(), Cache: t.TempDir()})
		k.KindCluster = other
		if st, err := k.Status(ctx); err != nil || st.Exists {
			t.Errorf("kind lab status = %+v, %v; want none (the nodes are the kubeadm lab's)", st, err)
		}
		var otherLab *kind.OtherLabError
		if _, err := k.Up(ctx, lab.NoProgress{}); !errors.As(err, &otherLab) || otherLab.Lab != kubeadm.LabValue {
			t.Errorf("kind lab up = %v, want the kubeadm lab's cluster named", err)
		}
		kp := kubeadm.New(lab.Dirs{State: t.TempDir(), Cache: t.TempDir()})
		kp.Nodes.KindCluster = other
		if ok, err := kp.Nodes.Exists(ctx); !ok || err != nil {
			t.Errorf("the kubeadm provider's view: exists %v, %v; want its own lab", ok, err)
		}
		// And the kind lab's unlabelled nodes are not the kubeadm lab's.
		kp.Nodes.KindCluster = cluster
		if st, err := kp.Status(ctx); err != nil || st.Exists {
			t.Errorf("kubeadm status of the kind lab's nodes = %+v, %v; want none", st, err)
		}
	})

	t.Run("down", func(t *testing.T) {
		if err := p.Down(ctx, lab.NoProgress{}); err != nil {
			t.Fatal(err)
		}
		st, err := p.Status(ctx)
		if err != nil || st.Exists {
			t.Errorf("after down: status %+v, %v; want no lab", st, err)
		}
		out := docker(t, "ps", "--all", "--quiet", "--filter", "label=io.x-k8s.kind.cluster="+cluster)
		if strings.TrimSpace(out) != "" {
			t.Errorf("containers left after down: %s", out)
		}
	})
}

func nodeFile(t *testing.T, p *kind.Provider, node, path string) string {
	t.Helper()
	out, stderr, code, err := p.Exec(t.Context(), node, []string{"cat", path}, nil)
	if err != nil || code != 0 {
		t.Fatalf("cat %s on %s: %v, exit %d: %s", path, node, err, code, stderr)
	}
	return string(out)
}

// requireDocker skips without a Docker engine, except in CI, where a
// missing engine is a failure. Docker here refuses --privileged (a missing
// capability), which kind always asks for, so the test puts the repository's
// docker wrapper first on PATH, as `make e2e` does.
func requireDocker(t *testing.T) {
	t.Helper()
	if err := exec.Command("docker", "version").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but Docker is not usable: %v", err)
		}
		t.Skipf("Docker is not usable: %v", err)
	}
	wrapper, err := filepath.Abs("../../hack/docker-unprivileged")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(wrapper, "docker")); err != nil {
		t.Fatalf("docker wrapper: %v", err)
	}
	t.Setenv("PATH", wrapper+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := dockercli.CLI{}.Output(context.Background(), args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// buildStandIn builds testdata/standin, static, for the Docker engine's
// architecture and imports it with the stand-in's files and links as an image
// named after its content.
func buildStandIn(t *testing.T) string {
	t.Helper()
	arch := strings.TrimSpace(docker(t, "version", "--format", "{{.Server.Arch}}"))
	bin := filepath.Join(t.TempDir(), "standin")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./testdata/standin")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the stand-in node's program: %v: %s", err, out)
	}
	prog, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, body []byte) {
		h.ModTime = time.Unix(0, 0)
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"bin", "usr", "usr/bin", "usr/local", "usr/local/bin", "kind", "var", "var/lib", "var/lib/standin", "root", "run", "tmp"} {
		add(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755}, nil)
	}
	add(&tar.Header{Name: "bin/standin", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(prog))}, prog)
	for _, dir := range slices.Sorted(maps.Keys(standInLinks)) {
		for _, name := range standInLinks[dir] {
			add(&tar.Header{Name: dir + "/" + name, Typeflag: tar.TypeSymlink, Linkname: "/bin/standin", Mode: 0o777}, nil)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(standInFiles)) {
		body := []byte(standInFiles[name])
		add(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}, body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	// Named after its content: concurrent runs of other versions keep theirs.
	sum := sha256.Sum256(buf.Bytes())
	image := fmt.Sprintf("ckalab-test/kind-standin:%x", sum[:6])
	cmd := exec.Command("docker", "import", "--change", "ENV PATH=/usr/local/bin:/usr/bin:/bin", "-", image)
	cmd.Stdin = &buf
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker import: %v: %s", err, out)
	}
	return image
}
