package kind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/images"
	"github.com/ckalab/ckalab/lab/kind/kindfake"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	kinderrors "sigs.k8s.io/kind/pkg/errors"
	kindexec "sigs.k8s.io/kind/pkg/exec"
	kindlog "sigs.k8s.io/kind/pkg/log"
)

// ---- fakes (lab/kind/kindfake) ----

var _ Cluster = (*kindfake.Cluster)(nil)

// ---- fixtures ----

const (
	cpName      = ClusterName + "-control-plane"
	workerName  = ClusterName + "-worker"
	worker2Name = ClusterName + "-worker2"

	kubeletCmd = "systemctl is-active kubelet"
	versionCmd = "cat /kind/version"
	ctrList    = "ctr --namespace=k8s.io images list --quiet"
	ctrConfig  = "containerd config dump"
	ctrImport  = "ctr --namespace=k8s.io images import --all-platforms --digests --snapshotter=overlayfs -"

	containerdConfig = "version = 3\n[plugins]\n  [plugins.\"io.containerd.cri.v1.images\"]\n    snapshotter = \"overlayfs\"\n"
)

var nodeNames = []string{cpName, workerName, worker2Name}

func testKubeconfig(server string) string {
	return `apiVersion: v1
kind: Config
clusters:
- name: kind-ckalab
  cluster:
    server: ` + server + `
contexts:
- name: kind-ckalab
  context:
    cluster: kind-ckalab
    user: kind-ckalab
current-context: kind-ckalab
users:
- name: kind-ckalab
  user:
    token: secret-token
`
}

func inspectState(node string) string { return "inspect --format {{.State.Status}} " + node }
func inspectImage(img string) string  { return "image inspect --format {{.Id}} " + img }

// healthyLab is a running kind lab: three running node containers with
// active kubelets.
func healthyLab(t *testing.T) (*kindfake.Cluster, *kindfake.Docker) {
	fc := &kindfake.Cluster{T: t, Names: []string{"other", ClusterName}, Kubeconfig: testKubeconfig("https://127.0.0.1:40000")}
	d := &kindfake.Docker{Outputs: map[string]kindfake.Result{}}
	for _, name := range nodeNames {
		fc.Nodes = append(fc.Nodes, kindfake.NewNode(name, map[string]kindfake.Result{
			kubeletCmd: {Stdout: "active\n"},
			versionCmd: {Stdout: KubernetesVersion + "\n"},
		}))
		d.Outputs[inspectState(name)] = kindfake.Result{Stdout: "running\n"}
	}
	return fc, d
}

// noLab has no ckalab cluster, and Docker has the default node image.
func noLab(t *testing.T) (*kindfake.Cluster, *kindfake.Docker) {
	fc := &kindfake.Cluster{T: t, Names: []string{"other"}}
	d := &kindfake.Docker{Outputs: map[string]kindfake.Result{inspectImage(DefaultImage): {Stdout: "sha256:abc\n"}}}
	return fc, d
}

func newProvider(t *testing.T, fc *kindfake.Cluster, d *kindfake.Docker) *Provider {
	return &Provider{
		StateDir: filepath.Join(t.TempDir(), "labs", ProviderName),
		Image:    DefaultImage,
		Docker:   d,
		Cache:    images.Cache{Dir: t.TempDir(), Docker: d},
		// kind's provider logs to the lab's progress.
		NewCluster: func(l kindlog.Logger) Cluster {
			if _, ok := l.(*progressLogger); !ok {
				t.Errorf("NewCluster got a %T logger, want *progressLogger", l)
			}
			return fc.NewCluster(l)
		},
		// The baseline's recording has tests of its own (lab/baseline);
		// here: that Up records it, in the lab's folder, with node access.
		RecordBaseline: func(_ context.Context, c *lab.Cluster, exec lab.Execer, path string) error {
			if c == nil || exec == nil || filepath.Base(path) != "baseline.json" {
				t.Errorf("RecordBaseline(%v, %v, %q): want a cluster, node access and the lab's baseline.json", c, exec, path)
			}
			return os.WriteFile(path, []byte("{}"), 0o600)
		},
	}
}

// kindRunError wraps err as kind's exec (LocalCmd.Run) does for a failed
// command: errors.WithStack(&RunError{...}). RunError itself has no Unwrap.
func kindRunError(argv []string, err error) error {
	return kinderrors.WithStack(&kindexec.RunError{Command: argv, Inner: err})
}

func assertNoStateDir(t *testing.T, p *Provider) {
	t.Helper()
	if _, err := os.Stat(p.StateDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("state dir %s: %v, want it gone", p.StateDir, err)
	}
}

func wantErrContains(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

// ---- kind.go ----

func TestNameAndInfo(t *testing.T) {
	if got := New(lab.Dirs{State: "/s", Cache: "/c"}).Name(); got != "kind" {
		t.Errorf("Name = %q", got)
	}
	info := Info()
	if info.Provider != ProviderName || info.Name != ClusterName || info.Version != KubernetesVersion {
		t.Errorf("Info = %+v", info)
	}
	var names []string
	for _, n := range info.Nodes {
		names = append(names, n.Name)
	}
	if !slices.Equal(names, nodeNames) {
		t.Errorf("Info nodes = %q, want %q (kind's names for cluster %q)", names, nodeNames, ClusterName)
	}
	if info.Nodes[0].Role != lab.RoleControlPlane || info.Nodes[1].Role != lab.RoleWorker || info.Nodes[2].Role != lab.RoleWorker {
		t.Errorf("Info roles = %+v", info.Nodes)
	}
	if !slices.Equal(info.Capabilities, lab.AllCapabilities()) {
		t.Errorf("Info capabilities = %v", info.Capabilities)
	}
}

func TestNew(t *testing.T) {
	dirs := lab.Dirs{State: "/state/ckalab", Cache: "/cache/ckalab"}
	p := New(dirs)
	if p.StateDir != filepath.Join("/state/ckalab", "labs", "kind") {
		t.Errorf("StateDir = %q", p.StateDir)
	}
	if p.Image != DefaultImage || DefaultImage != "ckalab/node:"+KubernetesVersion {
		t.Errorf("Image = %q", p.Image)
	}
	if p.Cache.Dir != images.DefaultDir(dirs) {
		t.Errorf("Cache.Dir = %q", p.Cache.Dir)
	}
	if p.Docker == nil || p.Cache.Docker == nil || p.NewCluster == nil {
		t.Errorf("New left a field unset: %+v", p)
	}
	if p.kubeconfigPath() != filepath.Join(p.StateDir, "kubeconfig") {
		t.Errorf("kubeconfigPath = %q", p.kubeconfigPath())
	}
}

func TestConfig(t *testing.T) {
	for _, img := range []string{DefaultImage, "kindest/node:v1.37.0"} {
		t.Run(img, func(t *testing.T) {
			p := &Provider{Image: img}
			cfg := p.Config()
			if cfg.Name != ClusterName {
				t.Errorf("Name = %q, want %q", cfg.Name, ClusterName)
			}
			if cfg.Kind != "Cluster" || cfg.APIVersion != "kind.x-k8s.io/v1alpha4" {
				t.Errorf("TypeMeta = %+v", cfg.TypeMeta)
			}
			var roles []v1alpha4.NodeRole
			for i, n := range cfg.Nodes {
				roles = append(roles, n.Role)
				if n.Image != img {
					t.Errorf("node %d image = %q, want %q", i, n.Image, img)
				}
			}
			if want := []v1alpha4.NodeRole{v1alpha4.ControlPlaneRole, v1alpha4.WorkerRole, v1alpha4.WorkerRole}; !slices.Equal(roles, want) {
				t.Errorf("roles = %v, want %v", roles, want)
			}
			if len(cfg.KubeadmConfigPatches) != 1 {
				t.Fatalf("patches = %q, want one", cfg.KubeadmConfigPatches)
			}
			patch := cfg.KubeadmConfigPatches[0]
			if !strings.Contains(patch, "kind: KubeletConfiguration") || !strings.Contains(patch, "failCgroupV1: false") {
				t.Errorf("patch = %q, want a KubeletConfiguration with failCgroupV1: false", patch)
			}
			// Defaults were applied (kind would otherwise do it itself, but
			// the config ckalab hands over is complete).
			if cfg.Networking.IPFamily == "" || cfg.Networking.PodSubnet == "" {
				t.Errorf("defaults not applied: %+v", cfg.Networking)
			}
		})
	}
}

func TestUpListFails(t *testing.T) {
	fc, d := noLab(t)
	fc.ListErr = errors.New("Cannot connect to the Docker daemon")
	p := newProvider(t, fc, d)

	_, err := p.Up(context.Background(), &recProgress{})
	wantErrContains(t, err, "`ckalab doctor`", "Cannot connect to the Docker daemon")
	if !errors.Is(err, fc.ListErr) {
		t.Errorf("error %v does not wrap kind's", err)
	}
	if fc.Called("Create") || fc.Called("Delete") {
		t.Errorf("calls = %q, want no Create or Delete", fc.Calls())
	}
}

func TestUpDefaultImageMissing(t *testing.T) {
	fc, d := noLab(t)
	delete(d.Outputs, inspectImage(DefaultImage))
	p := newProvider(t, fc, d)
	progress := &recProgress{}

	_, err := p.Up(context.Background(), progress)
	wantErrContains(t, err, "`make kind-image`", DefaultImage)
	if fc.Called("Create") {
		t.Error("Create was called without the node image")
	}
	if fc.Called("Delete") {
		t.Error("Delete was called though nothing was made")
	}
	if !slices.Contains(d.Calls(), inspectImage(DefaultImage)) {
		t.Errorf("docker calls = %q, want an image inspect of %s", d.Calls(), DefaultImage)
	}
	assertNoStateDir(t, p)
	if got := progress.Events(); len(got) != 0 {
		t.Errorf("progress = %q, want none", got)
	}
}

func TestUpOtherImageMissingStillCreates(t *testing.T) {
	fc, d := noLab(t)
	createErr := errors.New("failed to pull image")
	fc.CreateFn = func(kindlog.Logger) error { return createErr }
	p := newProvider(t, fc, d)
	p.Image = "kindest/node:v1.37.0"

	_, err := p.Up(context.Background(), &recProgress{})
	if !errors.Is(err, createErr) {
		t.Fatalf("Up = %v, want kind's error", err)
	}
	if !slices.Contains(d.Calls(), inspectImage(p.Image)) {
		t.Errorf("docker calls = %q, want an image inspect of %s", d.Calls(), p.Image)
	}
	if !fc.Called("Create " + ClusterName) {
		t.Errorf("calls = %q: kind was not asked to create (and pull) the image", fc.Calls())
	}
}

func TestUpCreateFails(t *testing.T) {
	const (
		ensure = "Ensuring node image (ckalab/node:v1.37.2) 🖼"
		prep   = "Preparing nodes 📦 📦 📦"
	)
	fc, d := noLab(t)
	createErr := errors.New("failed to create cluster: command \"docker run\" failed")
	var stateDirDuringCreate bool
	p := newProvider(t, fc, d)
	fc.CreateFn = func(l kindlog.Logger) error {
		_, err := os.Stat(p.StateDir)
		stateDirDuringCreate = err == nil
		// kind writes the kubeconfig early; a failed Up must remove it.
		if err := os.WriteFile(p.kubeconfigPath(), []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
		l.V(0).Infof("Creating cluster %q ...\n", ClusterName)
		kindStart(l, ensure)
		kindOK(l, ensure)
		l.Warn("cgroup v1 is deprecated\n")
		kindStart(l, prep)
		l.V(1).Info("debug noise")
		l.Errorf("ERROR: %s", "no space left on device")
		return createErr
	}
	progress := &recProgress{}

	res, err := p.Up(context.Background(), progress)
	if !errors.Is(err, createErr) {
		t.Fatalf("Up = %v, want it to wrap kind's error", err)
	}
	wantErrContains(t, err, "create the kind cluster", "kind said:", "cgroup v1 is deprecated", "ERROR: no space left on device")
	if strings.Contains(err.Error(), "debug noise") {
		t.Errorf("error %q holds V(1) output", err)
	}
	if res.Kubeconfig != nil || res.AlreadyRunning {
		t.Errorf("result = %+v, want zero", res)
	}
	if !stateDirDuringCreate {
		t.Error("the state dir did not exist when kind wrote the kubeconfig")
	}
	// The open step ends as failed; the clean-up draws no step of its own.
	want := []string{"start " + ensure, "end true", "start " + prep, "end false"}
	if got := progress.Events(); !slices.Equal(got, want) {
		t.Errorf("progress = %q, want %q", got, want)
	}
	// The clean-up is Down: it looks whose cluster it is before deleting.
	wantCalls := []string{"List", "Create " + ClusterName, "List", "Delete " + ClusterName + " " + p.kubeconfigPath()}
	if got := fc.Calls(); !slices.Equal(got, wantCalls) {
		t.Errorf("calls = %q, want %q", got, wantCalls)
	}
	assertNoStateDir(t, p)
}

// Docker refusing privileged containers is explained, as runc's words are
// kept in kind's RunError output, not its message.
func TestUpCreateFailsWithoutCapabilities(t *testing.T) {
	fc, d := noLab(t)
	fc.CreateFn = func(kindlog.Logger) error {
		return kinderrors.WithStack(&kindexec.RunError{
			Command: []string{"docker", "run", "--privileged"},
			Output:  []byte("docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: unable to apply caps: operation not permitted: unknown."),
			Inner:   errors.New("exit status 125"),
		})
	}
	p := newProvider(t, fc, d)
	_, err := p.Up(context.Background(), lab.NoProgress{})
	wantErrContains(t, err, "create the kind cluster", "Docker cannot start privileged containers on this machine", "ckalab doctor", "--provider sim")

	fc.CreateFn = func(kindlog.Logger) error { return errors.New("boom") }
	if _, err := p.Up(context.Background(), lab.NoProgress{}); strings.Contains(err.Error(), "privileged") {
		t.Errorf("another failure blamed on capabilities: %v", err)
	}
}

func TestUpCreateFailsWithoutWarnings(t *testing.T) {
	fc, d := noLab(t)
	fc.CreateFn = func(kindlog.Logger) error { return errors.New("boom") }
	p := newProvider(t, fc, d)

	_, err := p.Up(context.Background(), lab.NoProgress{})
	if err == nil || err.Error() != "create the kind cluster: boom" {
		t.Errorf("Up = %v, want exactly %q", err, "create the kind cluster: boom")
	}
	assertNoStateDir(t, p)
}

func TestUpCreateAndCleanupFail(t *testing.T) {
	fc, d := noLab(t)
	createErr, deleteErr := errors.New("create boom"), errors.New("delete boom")
	fc.CreateFn = func(kindlog.Logger) error { return createErr }
	fc.DeleteErr = deleteErr
	p := newProvider(t, fc, d)

	_, err := p.Up(context.Background(), lab.NoProgress{})
	if !errors.Is(err, createErr) || !errors.Is(err, deleteErr) {
		t.Fatalf("Up = %v, want both the create and the clean-up errors", err)
	}
	wantErrContains(t, err, "clean up the failed lab")
	assertNoStateDir(t, p)
}

func TestUpAlreadyRunning(t *testing.T) {
	fc, d := healthyLab(t)
	p := newProvider(t, fc, d)
	progress := &recProgress{}

	res, err := p.Up(context.Background(), progress)
	if err != nil {
		t.Fatal(err)
	}
	if !res.AlreadyRunning {
		t.Error("AlreadyRunning = false")
	}
	if res.KubeconfigPath != p.kubeconfigPath() || res.ContextName != ContextName {
		t.Errorf("result = %+v", res)
	}
	if res.Kubeconfig == nil || res.Kubeconfig.CurrentContext != ContextName {
		t.Fatalf("Kubeconfig = %+v, want current context %s", res.Kubeconfig, ContextName)
	}
	written, err := clientcmd.LoadFromFile(p.kubeconfigPath())
	if err != nil {
		t.Fatalf("kubeconfig file: %v", err)
	}
	if written.CurrentContext != ContextName || written.Clusters["kind-ckalab"].Server != "https://127.0.0.1:40000" ||
		written.AuthInfos["kind-ckalab"].Token != "secret-token" {
		t.Errorf("written kubeconfig = %+v", written)
	}
	if fi, err := os.Stat(p.kubeconfigPath()); err == nil && fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("kubeconfig mode %v is readable by others", fi.Mode())
	}
	if fc.Called("Create") || fc.Called("Delete") {
		t.Errorf("calls = %q, want neither Create nor Delete", fc.Calls())
	}
	if !fc.Called("KubeConfig " + ClusterName + " false") {
		t.Errorf("calls = %q, want the external kubeconfig", fc.Calls())
	}
	if slices.Contains(d.Calls(), inspectImage(DefaultImage)) {
		t.Error("the node image was checked though the lab already runs")
	}
	if got := progress.Events(); len(got) != 0 {
		t.Errorf("progress = %q, want none", got)
	}
}

func TestUpAlreadyRunningUnhealthy(t *testing.T) {
	fc, d := healthyLab(t)
	d.Outputs[inspectState(worker2Name)] = kindfake.Result{Stdout: "exited\n"}
	d.Outputs["logs --tail 20 "+worker2Name] = kindfake.Result{Stdout: "oops\n"}
	p := newProvider(t, fc, d)

	_, err := p.Up(context.Background(), lab.NoProgress{})
	wantErrContains(t, err, "not healthy", worker2Name+": container exited", "`ckalab lab down --provider kind`", "`ckalab lab up --provider kind`")
	if strings.Contains(err.Error(), cpName) {
		t.Errorf("error %q names a healthy node", err)
	}
	if fc.Called("Create") || fc.Called("Delete") || fc.Called("KubeConfig") {
		t.Errorf("calls = %q, want no Create, Delete or KubeConfig", fc.Calls())
	}
}

func TestUpAlreadyRunningKubeconfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  string
		err  error
	}{
		{"kind fails", "", errors.New("no kubeconfig")},
		{"not a kubeconfig", "clusters: [this is not: yaml", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fc, d := healthyLab(t)
			fc.Kubeconfig, fc.KubeconfigErr = tc.raw, tc.err
			p := newProvider(t, fc, d)
			_, err := p.Up(context.Background(), lab.NoProgress{})
			wantErrContains(t, err, "kind lab kubeconfig")
			if _, serr := os.Stat(p.kubeconfigPath()); serr == nil {
				t.Error("a kubeconfig file was written")
			}
		})
	}
}

func TestUpAlreadyRunningStatusFails(t *testing.T) {
	fc, d := healthyLab(t)
	fc.ListNodesErr = errors.New("docker ps failed")
	p := newProvider(t, fc, d)
	_, err := p.Up(context.Background(), lab.NoProgress{})
	wantErrContains(t, err, "list the lab's nodes", "docker ps failed")
	if fc.Called("Create") {
		t.Error("Create was called")
	}
}

// readyLists are what a ready kind lab answers to the readiness wait: three
// Ready nodes, the default ServiceAccount and a Ready kube-system pod.
var readyLists = map[string]string{
	"/api/v1/nodes": `{"kind":"NodeList","apiVersion":"v1","items":[` +
		`{"metadata":{"name":"ckalab-control-plane"},"status":{"conditions":[{"type":"Ready","status":"True"}]}},` +
		`{"metadata":{"name":"ckalab-worker"},"status":{"conditions":[{"type":"Ready","status":"True"}]}},` +
		`{"metadata":{"name":"ckalab-worker2"},"status":{"conditions":[{"type":"Ready","status":"True"}]}}]}`,
	"/api/v1/namespaces/default/serviceaccounts/default": `{"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"default","namespace":"default"}}`,
	"/api/v1/namespaces/kube-system/pods": `{"kind":"PodList","apiVersion":"v1","items":[` +
		`{"metadata":{"name":"coredns-1"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}]}`,
}

// fakeAPIServer answers the readiness wait with a ready lab and accepts the
// lab marker ConfigMap (echoing it back, as the API server does) or fails
// with status. It records the writes.
func fakeAPIServer(t *testing.T, status int) (*httptest.Server, *[]string) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body, ok := readyLists[r.URL.Path]; ok && r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, body)
			return
		}
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+string(body))
		mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/namespaces/"+lab.MarkerNamespace+"/configmaps" {
			http.NotFound(w, r)
			return
		}
		if status != http.StatusCreated {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"fake failure","code":%d}`, status)
			return
		}
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusCreated)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

// TestUpCreates goes past Create with a fake API server: preloaded images
// that are cached are loaded into every node lacking them, then the marker
// is written.
func TestUpCreates(t *testing.T) {
	const (
		cached   = "docker.io/library/busybox:1.36"
		onCP     = "registry.k8s.io/pause:3.10"
		uncached = "docker.io/library/nginx:latest"
		prep     = "Preparing nodes 📦 📦 📦"
	)
	srv, requests := fakeAPIServer(t, http.StatusCreated)
	fc, d := noLab(t)
	fc.Kubeconfig = testKubeconfig(srv.URL)
	for _, name := range nodeNames {
		list := ""
		if name == cpName {
			list = onCP + "\n" + cached + "\nsha256:0123\n"
		}
		fc.Nodes = append(fc.Nodes, kindfake.NewNode(name, map[string]kindfake.Result{
			ctrList:   {Stdout: list},
			ctrConfig: {Stdout: containerdConfig},
			ctrImport: {},
		}))
	}
	p := newProvider(t, fc, d)
	p.Preload = func() []string { return []string{cached, onCP, uncached} }
	for ref, body := range map[string]string{cached: "busybox archive", onCP: "pause archive"} {
		if err := os.WriteFile(p.Cache.Path(ref), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fc.CreateFn = func(l kindlog.Logger) error {
		kindStart(l, prep)
		kindOK(l, prep)
		return nil
	}
	progress := &recProgress{}

	res, err := p.Up(context.Background(), progress)
	if err != nil {
		t.Fatal(err)
	}
	if res.AlreadyRunning || res.ContextName != ContextName || res.KubeconfigPath != p.kubeconfigPath() || res.Kubeconfig == nil {
		t.Errorf("result = %+v", res)
	}
	if _, err := clientcmd.LoadFromFile(p.kubeconfigPath()); err != nil {
		t.Errorf("kubeconfig file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(p.StateDir, "baseline.json")); err != nil {
		t.Errorf("no baseline recorded: %v", err)
	}
	want := []string{
		"start " + prep, "end true",
		"start Loading 2 image(s) into " + workerName + ", " + worker2Name + " 📦", "end true",
		"start Waiting for the nodes and system pods ⏳", "end true",
		"start Marking the cluster as a ckalab lab 🏷", "end true",
		"start Recording the lab's baseline 📸", "end true",
	}
	if got := progress.Events(); !slices.Equal(got, want) {
		t.Errorf("progress =\n%q\nwant\n%q", got, want)
	}
	for _, name := range nodeNames {
		var imported []string
		for _, r := range fc.Node(name).Ran() {
			if r.Argv == ctrImport {
				imported = append(imported, r.Stdin)
			}
		}
		var wantImported []string
		if name != cpName {
			wantImported = []string{"busybox archive", "pause archive"}
		}
		if !slices.Equal(imported, wantImported) {
			t.Errorf("%s imported %q, want %q", name, imported, wantImported)
		}
	}
	if len(*requests) != 1 {
		t.Fatalf("API requests = %q, want one marker write", *requests)
	}
	// The body is JSON or protobuf, holding the lab Info as a JSON string.
	body := strings.ReplaceAll((*requests)[0], `\"`, `"`)
	for _, part := range []string{lab.MarkerName, `"provider":"kind"`, `"name":"ckalab"`, `"name":"ckalab-worker2","role":"worker"`} {
		if !strings.Contains(body, part) {
			t.Errorf("marker request %q does not contain %q", body, part)
		}
	}
	if fc.Called("Delete") {
		t.Error("a successful Up deleted the cluster")
	}
}

func TestUpMarkerFails(t *testing.T) {
	srv, _ := fakeAPIServer(t, http.StatusForbidden)
	fc, d := noLab(t)
	fc.Kubeconfig = testKubeconfig(srv.URL)
	for _, name := range nodeNames {
		fc.Nodes = append(fc.Nodes, kindfake.NewNode(name, map[string]kindfake.Result{ctrList: {}}))
	}
	fc.CreateFn = func(kindlog.Logger) error { return nil }
	p := newProvider(t, fc, d)
	progress := &recProgress{}

	_, err := p.Up(context.Background(), progress)
	wantErrContains(t, err, "write lab marker", "fake failure")
	want := []string{"start Waiting for the nodes and system pods ⏳", "end true", "start Marking the cluster as a ckalab lab 🏷", "end false"}
	if got := progress.Events(); !slices.Equal(got, want) {
		t.Errorf("progress = %q, want %q", got, want)
	}
	if !fc.Called("Delete " + ClusterName + " " + p.kubeconfigPath()) {
		t.Errorf("calls = %q, want the half-made cluster deleted", fc.Calls())
	}
	assertNoStateDir(t, p)
}

// TestUpAfterInterruptedUp: a cluster whose `lab up` was killed (the lab's
// folder still says it was being created) is deleted, saying so, and a new
// lab is made; the marker of creation is gone once the lab is whole.
func TestUpAfterInterruptedUp(t *testing.T) {
	srv, _ := fakeAPIServer(t, http.StatusCreated)
	fc, d := noLab(t)
	fc.Names = append(fc.Names, ClusterName)
	fc.Kubeconfig = testKubeconfig(srv.URL)
	for _, name := range nodeNames {
		fc.Nodes = append(fc.Nodes, kindfake.NewNode(name, map[string]kindfake.Result{ctrList: {}}))
	}
	p := newProvider(t, fc, d)
	if err := os.MkdirAll(p.StateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	creating := filepath.Join(p.StateDir, creatingFile)
	if err := os.WriteFile(creating, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var markerDuringCreate bool
	fc.CreateFn = func(kindlog.Logger) error {
		_, err := os.Stat(creating)
		markerDuringCreate = err == nil
		return nil
	}
	progress := &recProgress{}

	res, err := p.Up(context.Background(), progress)
	if err != nil {
		t.Fatal(err)
	}
	if res.AlreadyRunning || res.ContextName != ContextName {
		t.Errorf("result = %+v, want a new lab", res)
	}
	wantCalls := []string{"List", "Delete " + ClusterName + " " + p.kubeconfigPath(), "Create " + ClusterName}
	if got := fc.Calls(); len(got) < 3 || !slices.Equal(got[:3], wantCalls) {
		t.Errorf("calls = %q, want them to start with %q", got, wantCalls)
	}
	step := "Deleting the half-made kind lab \"ckalab\" an interrupted `lab up` left 🧹"
	if got := progress.Events(); len(got) < 2 || got[0] != "start "+step || got[1] != "end true" {
		t.Errorf("progress = %q, want it to start with the clean-up step %q", got, step)
	}
	if !markerDuringCreate {
		t.Error("no creation marker in the lab's folder while kind created the cluster")
	}
	if _, err := os.Stat(creating); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("creation marker left after a successful Up: %v", err)
	}

	// The lab is whole now: the next Up finds it running.
	fc.ResetCalls()
	fc.Nodes = nil
	healthy, hd := healthyLab(t)
	fc.Nodes, d.Outputs = healthy.Nodes, hd.Outputs
	res, err = p.Up(context.Background(), lab.NoProgress{})
	if err != nil || !res.AlreadyRunning {
		t.Errorf("second Up = %+v, %v; want AlreadyRunning", res, err)
	}
	if fc.Called("Delete") || fc.Called("Create") {
		t.Errorf("second Up: calls = %q", fc.Calls())
	}
}

// TestUpAfterInterruptedUpDeleteFails says what is left and how to remove it.
func TestUpAfterInterruptedUpDeleteFails(t *testing.T) {
	fc, d := noLab(t)
	fc.Names = append(fc.Names, ClusterName)
	fc.DeleteErr = errors.New("container in use")
	p := newProvider(t, fc, d)
	if err := os.MkdirAll(p.StateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.StateDir, creatingFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := p.Up(context.Background(), lab.NoProgress{})
	wantErrContains(t, err, `delete kind cluster "ckalab"`, "container in use", "`ckalab lab down --provider kind`")
	if fc.Called("Create") {
		t.Error("Create was called")
	}
}

// TestUpWhileAnotherUpRuns: the lock keeps a second Up from taking the first
// one's cluster for a leftover.
func TestUpWhileAnotherUpRuns(t *testing.T) {
	fc, d := noLab(t)
	p := newProvider(t, fc, d)
	unlock, err := lockUp(p.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Up(context.Background(), lab.NoProgress{})
	wantErrContains(t, err, "another `ckalab lab up --provider kind` is working on the kind lab")
	if len(fc.Calls()) != 0 {
		t.Errorf("calls = %q, want none", fc.Calls())
	}
	unlock()
	fc.CreateFn = func(kindlog.Logger) error { return errors.New("boom") }
	if _, err := p.Up(context.Background(), lab.NoProgress{}); err == nil || strings.Contains(err.Error(), "another") {
		t.Errorf("Up after the lock was released: %v, want kind's own failure", err)
	}
}

func TestStatusNoCluster(t *testing.T) {
	fc, d := noLab(t)
	p := newProvider(t, fc, d)
	st, err := p.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (lab.Status{Provider: ProviderName}); fmt.Sprint(st) != fmt.Sprint(want) {
		t.Errorf("Status = %+v, want %+v", st, want)
	}
	if fc.Called("ListNodes") || len(d.Calls()) != 0 {
		t.Errorf("calls = %q / docker %q, want only List", fc.Calls(), d.Calls())
	}
}

func TestStatusListFails(t *testing.T) {
	fc, d := noLab(t)
	fc.ListErr = errors.New("permission denied")
	_, err := newProvider(t, fc, d).Status(context.Background())
	wantErrContains(t, err, "`ckalab doctor`", "permission denied")
}

func TestStatusHealthy(t *testing.T) {
	fc, d := healthyLab(t)
	p := newProvider(t, fc, d)

	st, err := p.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !st.Exists || !st.Healthy || st.Provider != ProviderName || st.ContextName != ContextName {
		t.Errorf("Status = %+v", st)
	}
	if st.KubeconfigPath != "" {
		t.Errorf("KubeconfigPath = %q with no kubeconfig file", st.KubeconfigPath)
	}
	var want []lab.ComponentStatus
	for _, name := range nodeNames {
		want = append(want, lab.ComponentStatus{Name: name, Running: true, Version: KubernetesVersion, Detail: "kubelet active"})
	}
	if !slices.Equal(st.Components, want) {
		t.Errorf("components =\n%+v\nwant\n%+v", st.Components, want)
	}
	for _, n := range fc.Nodes {
		for _, r := range n.Ran() {
			if !r.WithCtx || r.HasStdin {
				t.Errorf("%s ran %+v, want a context and no stdin", n.Name, r)
			}
		}
	}

	// With the lab's kubeconfig present, Status names it.
	if err := os.MkdirAll(p.StateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.kubeconfigPath(), []byte(fc.Kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err = p.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.KubeconfigPath != p.kubeconfigPath() {
		t.Errorf("KubeconfigPath = %q, want %q", st.KubeconfigPath, p.kubeconfigPath())
	}
}

func TestStatusNodeProblems(t *testing.T) {
	for _, tc := range []struct {
		name        string
		setup       func(t *testing.T, fc *kindfake.Cluster, d *kindfake.Docker)
		wantHealthy bool
		want        lab.ComponentStatus // for the worker
		// detailHas, when set, replaces an exact match of want.Detail.
		detailHas []string
	}{
		{
			name: "container exited",
			setup: func(t *testing.T, fc *kindfake.Cluster, d *kindfake.Docker) {
				d.Outputs[inspectState(workerName)] = kindfake.Result{Stdout: "exited\n"}
				d.Outputs["logs --tail 20 "+workerName] = kindfake.Result{Stdout: "INFO: starting\nFATAL: systemd died\n\n"}
			},
			want: lab.ComponentStatus{Name: workerName, Detail: "container exited", LogTail: "INFO: starting\nFATAL: systemd died"},
		},
		{
			name: "container paused, logs unavailable",
			setup: func(t *testing.T, fc *kindfake.Cluster, d *kindfake.Docker) {
				d.Outputs[inspectState(workerName)] = kindfake.Result{Stdout: "paused"}
				d.Outputs["logs --tail 20 "+workerName] = kindfake.Result{Err: errors.New("no logs")}
			},
			want: lab.ComponentStatus{Name: workerName, Detail: "container paused"},
		},
		{
			name: "inspect fails",
			setup: func(t *testing.T, fc *kindfake.Cluster, d *kindfake.Docker) {
				d.Outputs[inspectState(workerName)] = kindfake.Result{Err: errors.New("No such object")}
			},
			want: lab.ComponentStatus{Name: workerName, Detail: "inspect: No such object"},
		},
		{
			name: "no container",
			setup: func(t *testing.T, fc *kindfake.Cluster, d *kindfake.Docker) {
				fc.Nodes = slices.DeleteFunc(fc.Nodes, func(n *kindfake.Node) bool { return n.Name == workerName })
			},
			want: lab.ComponentStatus{Name: workerName, Detail: "no container"},
		},
		{
			// A stopped kubelet is a CKA task, not a broken lab.
			name: "kubelet inactive",
			setup: func(t *testing.T, fc *kindfake.Cluster, d *kindfake.Docker) {
				fc.Node(workerName).Results[kubeletCmd] = kindfake.Result{Stdout: "inactive\n", Err: kindfake.ExitError(t, 3)}
			},
			wantHealthy: true,
			want:        lab.ComponentStatus{Name: workerName, Running: true, Version: KubernetesVersion, Detail: "kubelet inactive"},
		},
		{
			name: "exec fails, no version",
			setup: func(t *testing.T, fc *kindfake.Cluster, d *kindfake.Docker) {
				fc.Node(workerName).Results = map[string]kindfake.Result{}
			},
			wantHealthy: true,
			want:        lab.ComponentStatus{Name: workerName, Running: true},
			detailHas:   []string{"exec: ", "in ckalab-worker", `unscripted command "systemctl is-active kubelet"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fc, d := healthyLab(t)
			tc.setup(t, fc, d)
			st, err := newProvider(t, fc, d).Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !st.Exists || st.Healthy != tc.wantHealthy {
				t.Errorf("Exists %t Healthy %t, want true %t", st.Exists, st.Healthy, tc.wantHealthy)
			}
			if len(st.Components) != 3 {
				t.Fatalf("components = %+v, want 3", st.Components)
			}
			got := st.Components[1]
			if tc.detailHas != nil {
				for _, part := range tc.detailHas {
					if !strings.Contains(got.Detail, part) {
						t.Errorf("worker detail %q does not contain %q", got.Detail, part)
					}
				}
				got.Detail = ""
			}
			if got != tc.want {
				t.Errorf("worker =\n%+v\nwant\n%+v", got, tc.want)
			}
			for _, i := range []int{0, 2} {
				if c := st.Components[i]; !c.Running || c.Detail != "kubelet active" || c.Name != nodeNames[i] {
					t.Errorf("healthy node %d = %+v", i, c)
				}
			}
			if !tc.want.Running && slices.ContainsFunc(fc.Nodes, func(n *kindfake.Node) bool {
				return n.Name == workerName && len(n.Ran()) > 0
			}) {
				t.Error("commands ran in a node whose container is not running")
			}
		})
	}
}

// TestStatusKubeletInactiveKindError: through kind's real node handles,
// `systemctl is-active` exiting 3 reaches Exec wrapped in a RunError; the
// node is still reported as running with its kubelet inactive.
func TestStatusKubeletInactiveKindError(t *testing.T) {
	fc, d := healthyLab(t)
	argv := []string{"docker", "exec", "--privileged", workerName, "systemctl", "is-active", "kubelet"}
	fc.Node(workerName).Results[kubeletCmd] = kindfake.Result{Stdout: "inactive\n", Err: kindRunError(argv, kindfake.ExitError(t, 3))}
	st, err := newProvider(t, fc, d).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := lab.ComponentStatus{Name: workerName, Running: true, Version: KubernetesVersion, Detail: "kubelet inactive"}
	if got := st.Components[1]; got != want || !st.Healthy {
		t.Errorf("worker = %+v, healthy %t; want %+v, healthy", got, st.Healthy, want)
	}
}

func TestDown(t *testing.T) {
	fc, d := healthyLab(t)
	p := newProvider(t, fc, d)
	if err := os.MkdirAll(p.StateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.kubeconfigPath(), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	progress := &recProgress{}

	if err := p.Down(context.Background(), progress); err != nil {
		t.Fatal(err)
	}
	if want := []string{"List", "Delete " + ClusterName + " " + p.kubeconfigPath()}; !slices.Equal(fc.Calls(), want) {
		t.Errorf("calls = %q, want %q", fc.Calls(), want)
	}
	assertNoStateDir(t, p)
	if want := []string{"start Deleting the kind cluster 🧹", "end true"}; !slices.Equal(progress.Events(), want) {
		t.Errorf("progress = %q, want %q", progress.Events(), want)
	}
	// A missing lab is not an error.
	if err := p.Down(context.Background(), lab.NoProgress{}); err != nil {
		t.Errorf("second Down: %v", err)
	}
}

func TestDownDeleteFails(t *testing.T) {
	fc, d := healthyLab(t)
	fc.DeleteErr = errors.New("container in use")
	p := newProvider(t, fc, d)
	if err := os.MkdirAll(p.StateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	progress := &recProgress{}

	err := p.Down(context.Background(), progress)
	if !errors.Is(err, fc.DeleteErr) {
		t.Fatalf("Down = %v, want kind's error", err)
	}
	wantErrContains(t, err, `delete kind cluster "ckalab"`)
	assertNoStateDir(t, p) // removed all the same
	if want := []string{"start Deleting the kind cluster 🧹", "end false"}; !slices.Equal(progress.Events(), want) {
		t.Errorf("progress = %q, want %q", progress.Events(), want)
	}
}

// ---- nodes.go ----

func TestExecUnknownNode(t *testing.T) {
	fc, d := healthyLab(t)
	_, _, code, err := newProvider(t, fc, d).Exec(context.Background(), "ckalab-worker3", []string{"true"}, nil)
	wantErrContains(t, err, `node "ckalab-worker3"`, "nodes: ckalab-control-plane, ckalab-worker, ckalab-worker2")
	if code != 0 {
		t.Errorf("exit code = %d with an error", code)
	}
	for _, n := range fc.Nodes {
		if len(n.Ran()) != 0 {
			t.Errorf("%s ran %q", n.Name, n.RanArgv())
		}
	}
}

func TestExecNoCommand(t *testing.T) {
	fc, d := healthyLab(t)
	_, _, _, err := newProvider(t, fc, d).Exec(context.Background(), cpName, nil, nil)
	wantErrContains(t, err, "no command")
	if fc.Called("ListNodes") {
		t.Error("nodes were listed for an empty command")
	}
}

func TestExecListNodesFails(t *testing.T) {
	fc, d := healthyLab(t)
	fc.ListNodesErr = errors.New("docker gone")
	_, _, _, err := newProvider(t, fc, d).Exec(context.Background(), cpName, []string{"true"}, nil)
	if !errors.Is(err, fc.ListNodesErr) {
		t.Errorf("Exec = %v, want the ListNodes error", err)
	}
}

func TestExecSuccess(t *testing.T) {
	fc, d := healthyLab(t)
	n := fc.Node(workerName)
	n.Results["sh -c cat; echo err >&2"] = kindfake.Result{Stdout: "hello", Stderr: "err\n"}
	p := newProvider(t, fc, d)

	stdout, stderr, code, err := p.Exec(context.Background(), workerName, []string{"sh", "-c", "cat; echo err >&2"}, []byte("hello"))
	if err != nil || code != 0 || string(stdout) != "hello" || string(stderr) != "err\n" {
		t.Errorf("Exec = %q, %q, %d, %v", stdout, stderr, code, err)
	}
	ran := n.Ran()
	if len(ran) != 1 || ran[0] != (kindfake.Ran{Argv: "sh -c cat; echo err >&2", Stdin: "hello", HasStdin: true, WithCtx: true}) {
		t.Errorf("ran %+v", ran)
	}

	// No stdin: none is attached (docker exec -i would wait on it).
	n.Results["hostname"] = kindfake.Result{Stdout: workerName + "\n"}
	stdout, _, code, err = p.Exec(context.Background(), workerName, []string{"hostname"}, nil)
	if err != nil || code != 0 || string(stdout) != workerName+"\n" {
		t.Errorf("Exec hostname = %q, %d, %v", stdout, code, err)
	}
	if last := n.Ran()[1]; last.HasStdin {
		t.Errorf("hostname ran with stdin: %+v", last)
	}
	for _, other := range []string{cpName, worker2Name} {
		if got := fc.Node(other).Ran(); len(got) != 0 {
			t.Errorf("%s ran %+v", other, got)
		}
	}
}

func TestExecFailures(t *testing.T) {
	plain := errors.New("connection reset")
	dockerExec := []string{"docker", "exec", "--privileged", workerName, "run"}
	for _, tc := range []struct {
		name     string
		err      error
		wantCode int
		// wantErr lists what the error holds; none means a nil error.
		wantErr []string
		wantIs  error
	}{
		// The command ran and failed: its code, no error.
		{name: "command exits 3", err: kindfake.ExitError(t, 3), wantCode: 3},
		{name: "command exits 1", err: kindfake.ExitError(t, 1), wantCode: 1},
		{name: "command exits 124", err: kindfake.ExitError(t, 124), wantCode: 124},
		// What kind's node handles really return for a failed command.
		{name: "kind RunError, command exits 1", err: kindRunError(dockerExec, kindfake.ExitError(t, 1)), wantCode: 1},
		{name: "kind RunError, command exits 3", err: kindRunError(dockerExec, kindfake.ExitError(t, 3)), wantCode: 3},
		{name: "bare kind RunError, command exits 2", err: &kindexec.RunError{Command: dockerExec, Inner: kindfake.ExitError(t, 2)}, wantCode: 2},
		// 125-127 are docker's own failures.
		{name: "docker exits 125 (daemon error)", err: kindfake.ExitError(t, 125), wantCode: -1,
			wantErr: []string{"in ckalab-worker", "exit status 125", "OCI runtime exec failed"}},
		{name: "docker exits 126 (not executable)", err: kindfake.ExitError(t, 126), wantCode: -1,
			wantErr: []string{"in ckalab-worker", "exit status 126"}},
		{name: "kind RunError, docker exits 127 (not found)", err: kindRunError(dockerExec, kindfake.ExitError(t, 127)), wantCode: -1,
			wantErr: []string{"in ckalab-worker", "exit status 127", "OCI runtime exec failed"}},
		{name: "kind RunError, docker missing", err: kindRunError([]string{"docker"}, exec.ErrNotFound), wantCode: -1,
			wantErr: []string{"in ckalab-worker", "executable file not found"}, wantIs: exec.ErrNotFound},
		{name: "other error", err: plain, wantCode: -1,
			wantErr: []string{"in ckalab-worker", "connection reset"}, wantIs: plain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fc, d := healthyLab(t)
			fc.Node(workerName).Results["run"] = kindfake.Result{Stdout: "out", Stderr: "OCI runtime exec failed\n", Err: tc.err}
			stdout, stderr, code, err := newProvider(t, fc, d).Exec(context.Background(), workerName, []string{"run"}, nil)
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d", code, tc.wantCode)
			}
			if string(stdout) != "out" || string(stderr) != "OCI runtime exec failed\n" {
				t.Errorf("output = %q, %q, want the command's", stdout, stderr)
			}
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Errorf("err = %v, want nil (the command ran)", err)
				}
				return
			}
			wantErrContains(t, err, tc.wantErr...)
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("err %v does not wrap %v", err, tc.wantIs)
			}
		})
	}
}

func TestShellArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		sio  lab.ShellIO
		want string
	}{
		{"defaults", lab.ShellIO{}, "exec -i -w /root -e TERM=xterm ckalab-worker bash -l"},
		{"terminal", lab.ShellIO{TTY: true, Term: "screen-256color"}, "exec -i -t -w /root -e TERM=screen-256color ckalab-worker bash -l"},
		{"command", lab.ShellIO{Command: []string{"crictl", "ps", "-a"}}, "exec -i -w /root -e TERM=xterm ckalab-worker crictl ps -a"},
		{"terminal and command", lab.ShellIO{TTY: true, Command: []string{"vim", "/etc/kubernetes/manifests/etcd.yaml"}},
			"exec -i -t -w /root -e TERM=xterm ckalab-worker vim /etc/kubernetes/manifests/etcd.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Join(shellArgs(workerName, tc.sio), " "); got != tc.want {
				t.Errorf("shellArgs = %q, want %q", got, tc.want)
			}
		})
	}
	// A command with spaces stays one argument.
	got := shellArgs(cpName, lab.ShellIO{Command: []string{"sh", "-c", "echo a b"}})
	if got[len(got)-1] != "echo a b" || got[len(got)-4] != cpName {
		t.Errorf("shellArgs = %q", got)
	}
}

func TestShell(t *testing.T) {
	fc, d := healthyLab(t)
	p := newProvider(t, fc, d)
	in, out, errOut := strings.NewReader("exit\n"), &bytes.Buffer{}, &bytes.Buffer{}
	sio := lab.ShellIO{TTY: true, Term: "xterm-256color", In: in, Out: out, Err: errOut}

	if err := p.Shell(context.Background(), cpName, sio); err != nil {
		t.Fatal(err)
	}
	if len(d.Runs) != 1 {
		t.Fatalf("docker runs = %+v, want one", d.Runs)
	}
	r := d.Runs[0]
	if !slices.Equal(r.Args, shellArgs(cpName, sio)) {
		t.Errorf("args = %q, want %q", r.Args, shellArgs(cpName, sio))
	}
	if r.Stdin != io.Reader(in) || r.Stdout != io.Writer(out) || r.Stderr != io.Writer(errOut) {
		t.Error("Shell did not hand the user's streams to docker")
	}

	d.RunErr = errors.New("exit status 130")
	if err := p.Shell(context.Background(), cpName, sio); !errors.Is(err, d.RunErr) {
		t.Errorf("Shell = %v, want docker's error", err)
	}
}

func TestShellUnknownNode(t *testing.T) {
	fc, d := healthyLab(t)
	err := newProvider(t, fc, d).Shell(context.Background(), "worker", lab.ShellIO{})
	wantErrContains(t, err, `node "worker"`, "nodes: ckalab-control-plane, ckalab-worker, ckalab-worker2")
	if len(d.Runs) != 0 || len(d.Calls()) != 0 {
		t.Errorf("docker was called: runs %+v, calls %q", d.Runs, d.Calls())
	}

	fc.ListNodesErr = errors.New("docker gone")
	if err := newProvider(t, fc, d).Shell(context.Background(), cpName, lab.ShellIO{}); !errors.Is(err, fc.ListNodesErr) {
		t.Errorf("Shell = %v, want the ListNodes error", err)
	}
	if len(d.Runs) != 0 {
		t.Error("docker was run though the nodes could not be listed")
	}
}

// ---- images.go ----

// imageLab is a healthy lab whose nodes hold the listed images and can
// import archives.
func imageLab(t *testing.T, have map[string][]string) (*kindfake.Cluster, *kindfake.Docker) {
	fc, d := healthyLab(t)
	for _, n := range fc.Nodes {
		n.Results[ctrList] = kindfake.Result{Stdout: strings.Join(have[n.Name], "\n") + "\n"}
		n.Results[ctrConfig] = kindfake.Result{Stdout: containerdConfig}
		n.Results[ctrImport] = kindfake.Result{}
	}
	return fc, d
}

func imported(fc *kindfake.Cluster) map[string][]string {
	out := map[string][]string{}
	for _, n := range fc.Nodes {
		for _, r := range n.Ran() {
			if r.Argv == ctrImport {
				out[n.Name] = append(out[n.Name], r.Stdin)
			}
		}
	}
	return out
}

func TestNodeImages(t *testing.T) {
	fc, d := imageLab(t, map[string][]string{
		cpName:     {"docker.io/library/busybox:1.36", "sha256:0123"},
		workerName: {"registry.k8s.io/pause:3.10"},
	})
	got, err := newProvider(t, fc, d).NodeImages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		cpName:      {"docker.io/library/busybox:1.36", "sha256:0123"},
		workerName:  {"registry.k8s.io/pause:3.10"},
		worker2Name: {},
	}
	if len(got) != len(want) {
		t.Fatalf("NodeImages = %q, want %q", got, want)
	}
	for name, refs := range want {
		if !slices.Equal(got[name], refs) {
			t.Errorf("%s: %q, want %q", name, got[name], refs)
		}
	}
}

func TestNodeImagesErrors(t *testing.T) {
	t.Run("ctr exits non-zero", func(t *testing.T) {
		fc, d := imageLab(t, nil)
		fc.Node(worker2Name).Results[ctrList] = kindfake.Result{Stderr: "ctr: failed to dial containerd\n", Err: kindfake.ExitError(t, 1)}
		_, err := newProvider(t, fc, d).NodeImages(context.Background())
		wantErrContains(t, err, "list images on "+worker2Name, "ctr exited 1", "failed to dial containerd")
	})
	t.Run("exec fails", func(t *testing.T) {
		fc, d := imageLab(t, nil)
		fc.Node(cpName).Results[ctrList] = kindfake.Result{Err: errors.New("daemon gone")}
		_, err := newProvider(t, fc, d).NodeImages(context.Background())
		wantErrContains(t, err, "in "+cpName, "daemon gone")
	})
	t.Run("nodes not listed", func(t *testing.T) {
		fc, d := imageLab(t, nil)
		fc.ListNodesErr = errors.New("docker gone")
		_, err := newProvider(t, fc, d).NodeImages(context.Background())
		wantErrContains(t, err, "list the lab's nodes")
	})
}

func TestLoadImagesPresentEverywhere(t *testing.T) {
	const ref = "docker.io/library/busybox:1.36"
	all := []string{ref, "registry.k8s.io/pause:3.10"}
	fc, d := imageLab(t, map[string][]string{cpName: all, workerName: all, worker2Name: all})
	p := newProvider(t, fc, d)
	progress := &recProgress{}

	// Not even cached: nodes that have it need nothing.
	if err := p.LoadImages(context.Background(), []string{ref}, progress); err != nil {
		t.Fatal(err)
	}
	if got := imported(fc); len(got) != 0 {
		t.Errorf("imported %q, want nothing", got)
	}
	if got := progress.Events(); len(got) != 0 {
		t.Errorf("progress = %q, want none", got)
	}
	if err := p.LoadImages(context.Background(), nil, progress); err != nil {
		t.Errorf("LoadImages(no refs) = %v", err)
	}
}

func TestLoadImagesMissingFromCache(t *testing.T) {
	const (
		cached  = "docker.io/library/busybox:1.36"
		missing = "registry.k8s.io/pause:3.10"
		absent  = "docker.io/library/nginx:latest"
	)
	fc, d := imageLab(t, map[string][]string{
		cpName:      {missing},
		workerName:  {missing},
		worker2Name: {}, // lacks all three
	})
	p := newProvider(t, fc, d)
	if err := os.WriteFile(p.Cache.Path(cached), []byte("busybox"), 0o644); err != nil {
		t.Fatal(err)
	}
	progress := &recProgress{}

	err := p.LoadImages(context.Background(), []string{cached, missing, absent}, progress)
	var me *images.MissingError
	if !errors.As(err, &me) {
		t.Fatalf("LoadImages = %v (%T), want a *images.MissingError", err, err)
	}
	if me.Dir != p.Cache.Dir {
		t.Errorf("MissingError.Dir = %q, want %q", me.Dir, p.Cache.Dir)
	}
	// Both uncached images are named, each once.
	for _, ref := range []string{missing, absent} {
		if n := strings.Count(err.Error(), "`ckalab images pull "+ref+"`"); n != 1 {
			t.Errorf("error names %s %d times, want once: %v", ref, n, err)
		}
	}
	if strings.Contains(err.Error(), "pull "+cached) {
		t.Errorf("error %q names the cached image", err)
	}
	// Nothing is loaded, not even the cached image.
	for _, n := range fc.Nodes {
		for _, argv := range n.RanArgv() {
			if argv != ctrList {
				t.Errorf("%s ran %q, want only the image list", n.Name, argv)
			}
		}
	}
	if got := progress.Events(); len(got) != 0 {
		t.Errorf("progress = %q, want none", got)
	}
}

func TestLoadImagesLoadsWhereMissing(t *testing.T) {
	const ref = "docker.io/library/busybox:1.36"
	fc, d := imageLab(t, map[string][]string{cpName: {ref}, workerName: {"docker.io/library/busybox:1.37"}})
	p := newProvider(t, fc, d)
	if err := os.WriteFile(p.Cache.Path(ref), []byte("busybox archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	progress := &recProgress{}

	if err := p.LoadImages(context.Background(), []string{ref}, progress); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{workerName: {"busybox archive"}, worker2Name: {"busybox archive"}}
	got := imported(fc)
	if len(got) != len(want) || !slices.Equal(got[workerName], want[workerName]) || !slices.Equal(got[worker2Name], want[worker2Name]) {
		t.Errorf("imported %q, want %q", got, want)
	}
	wantEvents := []string{"start Loading 1 image(s) into " + workerName + ", " + worker2Name + " 📦", "end true"}
	if got := progress.Events(); !slices.Equal(got, wantEvents) {
		t.Errorf("progress = %q, want %q", got, wantEvents)
	}
}

func TestLoadImagesImportFails(t *testing.T) {
	const ref = "docker.io/library/busybox:1.36"
	fc, d := imageLab(t, map[string][]string{cpName: {ref}})
	fc.Node(workerName).Results[ctrImport] = kindfake.Result{Err: errors.New("ctr: content digest mismatch")}
	p := newProvider(t, fc, d)
	if err := os.WriteFile(p.Cache.Path(ref), []byte("busybox archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	progress := &recProgress{}

	err := p.LoadImages(context.Background(), []string{ref}, progress)
	wantErrContains(t, err, "load "+ref+" into "+workerName, "content digest mismatch")
	// Nodes load side by side: one node's failure fails the step, and
	// does not stop the other node's loader.
	want := []string{"start Loading 1 image(s) into " + workerName + ", " + worker2Name + " 📦", "end false"}
	if got := progress.Events(); !slices.Equal(got, want) {
		t.Errorf("progress = %q, want %q", got, want)
	}
	if got := imported(fc)[worker2Name]; !slices.Equal(got, []string{"busybox archive"}) {
		t.Errorf("%s imported %q, want the archive", worker2Name, got)
	}
}

func TestLoadImagesNodeImagesFails(t *testing.T) {
	fc, d := imageLab(t, nil)
	fc.Node(cpName).Results[ctrList] = kindfake.Result{Stderr: "boom", Err: kindfake.ExitError(t, 2)}
	p := newProvider(t, fc, d)
	err := p.LoadImages(context.Background(), []string{"docker.io/library/busybox:1.36"}, &recProgress{})
	wantErrContains(t, err, "list images on "+cpName, "ctr exited 2")
}

// TestKindClusterName: a Provider with its own KindCluster uses that name
// for every kind call, its nodes and its context, never "ckalab".
func TestKindClusterName(t *testing.T) {
	const name = "ckalabtest42"
	fc := &kindfake.Cluster{T: t, Names: []string{ClusterName, name}, Kubeconfig: testKubeconfig("https://127.0.0.1:40000")}
	d := &kindfake.Docker{Outputs: map[string]kindfake.Result{}}
	for _, suffix := range []string{"-control-plane", "-worker", "-worker2"} {
		fc.Nodes = append(fc.Nodes, kindfake.NewNode(name+suffix, map[string]kindfake.Result{kubeletCmd: {Stdout: "active\n"}}))
		d.Outputs[inspectState(name+suffix)] = kindfake.Result{Stdout: "running\n"}
	}
	p := newProvider(t, fc, d)
	p.KindCluster = name

	if got := p.Config().Name; got != name {
		t.Errorf("Config().Name = %q, want %q", got, name)
	}
	res, err := p.Up(context.Background(), lab.NoProgress{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.AlreadyRunning || res.ContextName != "kind-"+name {
		t.Errorf("Up = %+v, want already running with context kind-%s", res, name)
	}
	st, err := p.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range st.Components {
		names = append(names, c.Name)
	}
	if want := []string{name + "-control-plane", name + "-worker", name + "-worker2"}; !slices.Equal(names, want) || !st.Healthy {
		t.Errorf("components %q healthy %t, want %q healthy", names, st.Healthy, want)
	}
	if st.ContextName != "kind-"+name {
		t.Errorf("Status context = %q", st.ContextName)
	}
	if err := p.Down(context.Background(), lab.NoProgress{}); err != nil {
		t.Fatal(err)
	}
	for _, call := range fc.Calls() {
		if strings.Contains(call, " "+ClusterName) && !strings.Contains(call, " "+name) {
			t.Errorf("call %q uses the default cluster name", call)
		}
	}
	if !fc.Called("Delete " + name + " " + p.kubeconfigPath()) {
		t.Errorf("calls = %q, want Delete %s", fc.Calls(), name)
	}
}

func inspectLab(node string) string {
	return `inspect --format {{index .Config.Labels "` + LabLabel + `"}} ` + node
}

// The kubeadm lab's nodes are a kind cluster of the same name: the kind
// lab neither reports, nor deletes, nor builds over it, and says whose it is.
func TestAnotherLabsClusterIsLeftAlone(t *testing.T) {
	fc, d := healthyLab(t)
	d.Outputs[inspectLab(cpName)] = kindfake.Result{Stdout: "kubeadm\n"}
	d.Outputs[inspectImage(DefaultImage)] = kindfake.Result{Stdout: "sha256:abc\n"}
	p := newProvider(t, fc, d)
	ctx := context.Background()

	st, err := p.Status(ctx)
	if err != nil || st.Exists {
		t.Errorf("Status = %+v, %v; want no kind lab", st, err)
	}
	if err := p.Down(ctx, &recProgress{}); err != nil {
		t.Errorf("Down: %v", err)
	}
	_, err = p.Up(ctx, &recProgress{})
	var other *OtherLabError
	if !errors.As(err, &other) || other.Lab != "kubeadm" || !strings.Contains(err.Error(), "ckalab lab down --provider kubeadm") {
		t.Errorf("Up error = %v, want the kubeadm lab's, with the command that removes it", err)
	}
	if fc.Called("Delete") || fc.Called("Create") {
		t.Errorf("calls = %q: another lab's cluster was deleted or built over", fc.Calls())
	}

	// The kubeadm lab's provider claims it.
	p.Lab = "kubeadm"
	if ok, err := p.Exists(ctx); !ok || err != nil {
		t.Errorf("Exists with Lab kubeadm = %v, %v; want true", ok, err)
	}
}

func TestCreateBareNodesStopsBeforeKubernetes(t *testing.T) {
	fc, d := noLab(t)
	p := newProvider(t, fc, d)
	fc.CreateFn = func(kindlog.Logger) error {
		if !p.interrupted() {
			t.Error("while the nodes are made, the lab's folder does not say so")
		}
		return nil
	}
	if err := p.CreateBareNodes(&recProgress{}); err != nil {
		t.Fatal(err)
	}
	if !fc.Called("Create " + ClusterName) {
		t.Fatalf("calls = %q, want a Create", fc.Calls())
	}
	if err := p.Created(); err != nil || p.interrupted() {
		t.Errorf("after Created: err %v, interrupted %v", err, p.interrupted())
	}
}
