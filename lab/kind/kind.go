// Package kind runs a lab as a kind cluster: one control plane and two
// workers, each a Docker container made by the sigs.k8s.io/kind library.
// It is the lab learners use: real kubelets, containers, pod networking with
// NetworkPolicy, static pods, etcd, and a root shell on every node.
package kind

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/baseline"
	"github.com/ckalab/ckalab/lab/dockercli"
	"github.com/ckalab/ckalab/lab/images"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	kindexec "sigs.k8s.io/kind/pkg/exec"
	kindlog "sigs.k8s.io/kind/pkg/log"
)

const (
	ProviderName = "kind"
	// ClusterName is the kind cluster's name; its nodes are then
	// ckalab-control-plane, ckalab-worker and ckalab-worker2, as in the sim.
	ClusterName = "ckalab"
	// ContextName follows kind's own convention (kind-<cluster>), so that
	// `kind delete cluster --name ckalab` also cleans it up.
	ContextName = "kind-" + ClusterName
	// KubernetesVersion is the version of the node image ckalab builds.
	KubernetesVersion = "v1.37.2"
	// DefaultImage is the node image `make kind-image` builds offline: kind's
	// node layout plus what CKA tasks need on a node (etcdctl, an editor).
	DefaultImage = "ckalab/node:" + KubernetesVersion
	// waitForReady bounds kind's own wait for the control plane; the nodes
	// are then waited for by ckalab, with progress.
	waitForReady = 4 * time.Minute
	// LabLabel is the Docker label by which a node image says which ckalab
	// lab its nodes make: the kind lab's image has none, the kubeadm lab's
	// says "kubeadm". Both labs are kind clusters named ClusterName (the node
	// names tasks use), so a provider claims such a cluster only when its
	// control-plane container carries the provider's own value.
	LabLabel = "io.ckalab.lab"
)

// Cluster is the part of kind's cluster.Provider a lab uses; tests give a
// fake one.
type Cluster interface {
	Create(name string, options ...cluster.CreateOption) error
	Delete(name, explicitKubeconfigPath string) error
	List() ([]string, error)
	KubeConfig(name string, internal bool) (string, error)
	ListNodes(name string) ([]nodes.Node, error)
}

// Provider makes and removes the kind lab.
type Provider struct {
	// KindCluster names the kind cluster; empty means ClusterName. Tests
	// use their own so that they never touch a user's lab.
	KindCluster string
	// StateDir holds the lab's own kubeconfig.
	StateDir string
	// Image is the node image; it must be in the local Docker engine or
	// pullable.
	Image string
	// Docker runs the docker CLI (image checks, node state, shells).
	Docker dockercli.Docker
	// Cache holds image archives; Preload names (normalized) the ones
	// loaded into every node after creation. Preloaded images missing from
	// the cache are skipped: `ckalab start` names them when a scenario
	// needs one.
	Cache images.Cache
	// Preload is called once a lab is made; nil preloads nothing.
	Preload func() []string
	// NewCluster returns kind's provider logging to l.
	NewCluster func(l kindlog.Logger) Cluster
	// Lab is the LabLabel value of the nodes this provider claims: "" for
	// the kind lab (lab/kubeadm sets its own).
	Lab string
	// RecordBaseline records a new lab's baseline at path, reaching into
	// nodes through exec; nil: baseline.RecordFile.
	RecordBaseline func(ctx context.Context, c *lab.Cluster, exec lab.Execer, path string) error
}

func (p *Provider) recordBaseline(ctx context.Context, c *lab.Cluster, path string) error {
	if p.RecordBaseline != nil {
		return p.RecordBaseline(ctx, c, p, path)
	}
	return baseline.RecordFile(ctx, c, path, baseline.RecordOptions{Exec: p})
}

// New returns the kind provider with its state under dirs.
func New(dirs lab.Dirs) *Provider {
	docker := dockercli.CLI{}
	return &Provider{
		Cache:    images.Cache{Dir: images.DefaultDir(dirs), Docker: docker},
		StateDir: dirs.Lab(ProviderName),
		Image:    DefaultImage,
		Docker:   docker,
		NewCluster: func(l kindlog.Logger) Cluster {
			return cluster.NewProvider(cluster.ProviderWithDocker(), cluster.ProviderWithLogger(l))
		},
	}
}

// Name implements lab.Provider.
func (p *Provider) Name() string { return ProviderName }

func (p *Provider) kubeconfigPath() string { return filepath.Join(p.StateDir, "kubeconfig") }

// Info describes every kind lab.
func Info() lab.Info { return infoFor(ClusterName) }

func infoFor(cluster string) lab.Info {
	return lab.Info{
		Provider:     ProviderName,
		Name:         cluster,
		Version:      KubernetesVersion,
		Capabilities: lab.AllCapabilities(),
		Nodes: []lab.Node{
			// kind names nodes <cluster>-control-plane, -worker, -worker2.
			{Name: cluster + "-control-plane", Role: lab.RoleControlPlane},
			{Name: cluster + "-worker", Role: lab.RoleWorker},
			{Name: cluster + "-worker2", Role: lab.RoleWorker},
		},
	}
}

func (p *Provider) cluster() string {
	if p.KindCluster != "" {
		return p.KindCluster
	}
	return ClusterName
}

// quiet is kind's provider for calls whose progress nobody watches.
func (p *Provider) quiet() Cluster { return p.NewCluster(&progressLogger{progress: lab.NoProgress{}}) }

func (p *Provider) contextName() string { return "kind-" + p.cluster() }

// Config is the kind cluster ckalab asks for.
func (p *Provider) Config() *v1alpha4.Cluster {
	node := func(role v1alpha4.NodeRole) v1alpha4.Node { return v1alpha4.Node{Role: role, Image: p.Image} }
	cfg := &v1alpha4.Cluster{
		TypeMeta: v1alpha4.TypeMeta{Kind: "Cluster", APIVersion: "kind.x-k8s.io/v1alpha4"},
		Name:     p.cluster(),
		Nodes: []v1alpha4.Node{
			node(v1alpha4.ControlPlaneRole), node(v1alpha4.WorkerRole), node(v1alpha4.WorkerRole),
		},
		KubeadmConfigPatches: []string{
			// Kubelets since 1.35 refuse cgroup v1 unless told otherwise, and
			// many Docker hosts (WSL2, older distributions, ours) still run
			// it. On cgroup v2 hosts the field changes nothing.
			"kind: KubeletConfiguration\nfailCgroupV1: false\n",
		},
	}
	v1alpha4.SetDefaultsCluster(cfg)
	return cfg
}

// Up implements lab.Provider.
//
// A cluster that an interrupted `lab up` left half-made (the lab's folder
// still says it was being created) is ckalab's own: Up deletes it, saying
// so, and makes a new one. A lock keeps two `lab up` from taking each
// other's cluster for such a leftover.
func (p *Provider) Up(ctx context.Context, progress lab.Progress) (lab.UpResult, error) {
	unlock, err := lockUp(p.StateDir)
	if err != nil {
		return lab.UpResult{}, err
	}
	defer unlock()
	exists, err := p.Existing(ctx, progress, ProviderName, p.Status)
	if err != nil {
		return lab.UpResult{}, err
	}
	if exists {
		cfg, err := p.kubeconfig()
		if err != nil {
			return lab.UpResult{}, err
		}
		return lab.UpResult{AlreadyRunning: true, Info: infoFor(p.cluster()), Kubeconfig: cfg, KubeconfigPath: p.kubeconfigPath(), ContextName: p.contextName()}, nil
	}
	if err := p.checkImage(ctx); err != nil {
		return lab.UpResult{}, err
	}
	// kind removes its own containers when Create fails; the cluster and
	// the files ckalab added after it must go too.
	return lab.CreateOrCleanUp(ctx, p, func() (lab.UpResult, error) { return p.create(ctx, progress) })
}

// Existing says whether the lab's cluster exists, once a cluster that an
// interrupted `lab up` left half-made is deleted (saying so). One that
// exists but is not healthy, by status (the provider's own: the kubeadm
// lab has its own view of its nodes), is an error that names the fix.
func (p *Provider) Existing(ctx context.Context, progress lab.Progress, provider string, status func(context.Context) (lab.Status, error)) (bool, error) {
	exists, err := p.Exists(ctx)
	if err != nil || !exists {
		return false, err
	}
	if p.interrupted() {
		step := fmt.Sprintf("Deleting the half-made %s lab %q an interrupted `lab up` left 🧹", provider, p.cluster())
		if err := lab.Step(progress, step, p.remove); err != nil {
			return false, fmt.Errorf("%w\nRemove it with `ckalab lab down --provider %s`", err, provider)
		}
		return false, nil
	}
	st, err := status(ctx)
	if err != nil {
		return false, err
	}
	if !st.Healthy {
		return false, fmt.Errorf("a %s lab %q exists but is not healthy (%s); remove it with `ckalab lab down --provider %s`, then run `ckalab lab up --provider %s` again", provider, p.cluster(), st.Faults(), provider, provider)
	}
	return true, nil
}

// creatingFile, in the lab's folder, exists while Up makes the lab: found
// by a later Up (which holds the lock, so the Up that wrote it is gone), it
// says that the cluster is a half-made one.
const creatingFile = "creating"

func (p *Provider) interrupted() bool {
	_, err := os.Stat(filepath.Join(p.StateDir, creatingFile))
	return err == nil
}

// lockUp takes the lock that `lab up` holds while it works on the lab.
func lockUp(dir string) (unlock func(), err error) { return lab.LockUp(dir, ProviderName) }

// Exists says whether the lab's cluster exists. A cluster of that name
// whose nodes belong to another ckalab lab is an *OtherLabError.
func (p *Provider) Exists(ctx context.Context) (bool, error) {
	names, err := p.quiet().List()
	if err != nil {
		return false, fmt.Errorf("list kind clusters (is Docker running? `ckalab doctor` checks): %w", err)
	}
	if !slices.Contains(names, p.cluster()) {
		return false, nil
	}
	if owner := p.labOf(ctx); owner != p.Lab {
		return false, &OtherLabError{Cluster: p.cluster(), Lab: owner}
	}
	return true, nil
}

// labOf is the LabLabel of the cluster's control-plane container. A
// container that cannot be inspected (a half-made cluster) counts as the
// kind lab's, whose image has no label.
func (p *Provider) labOf(ctx context.Context) string {
	out, err := p.Docker.Output(ctx, "inspect", "--format", `{{index .Config.Labels "`+LabLabel+`"}}`, p.cluster()+"-control-plane")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// OtherLabError is a kind cluster with the lab's name that another ckalab
// lab made (the kind and kubeadm labs share the node names).
type OtherLabError struct {
	Cluster string
	// Lab is the other lab's LabLabel value ("" for the kind lab).
	Lab string
}

func (e *OtherLabError) Error() string {
	other := e.Lab
	if other == "" {
		other = ProviderName
	}
	return fmt.Sprintf("the kind cluster %q is the %s lab's (both use its node names): remove it first with `ckalab lab down --provider %s`", e.Cluster, other, other)
}

// checkImage fails early, naming the fix, when the node image is neither
// local nor something kind could pull.
func (p *Provider) checkImage(ctx context.Context) error {
	if _, err := p.Docker.Output(ctx, "image", "inspect", "--format", "{{.Id}}", p.Image); err == nil {
		return nil
	}
	if p.Image == DefaultImage {
		return fmt.Errorf("node image %s is not in Docker: build it once with `make kind-image` (offline, from Go modules and Debian packages), or use kind's published image with --image kindest/node:v1.37.0 (needs a registry; its nodes have no etcdctl or editor)", p.Image)
	}
	// Any other image is kind's to pull ("Ensuring node image" step); on a
	// machine without a registry kind's own error then says why.
	return nil
}

func (p *Provider) create(ctx context.Context, progress lab.Progress) (lab.UpResult, error) {
	if err := os.MkdirAll(p.StateDir, 0o700); err != nil {
		return lab.UpResult{}, fmt.Errorf("kind lab state: %w", err)
	}
	if err := os.WriteFile(filepath.Join(p.StateDir, creatingFile), nil, 0o600); err != nil {
		return lab.UpResult{}, fmt.Errorf("kind lab state: %w", err)
	}
	if err := p.createCluster(progress, cluster.CreateWithWaitForReady(waitForReady)); err != nil {
		return lab.UpResult{}, err
	}
	cfg, err := p.kubeconfig()
	if err != nil {
		return lab.UpResult{}, err
	}
	var cached []string
	var preload []string
	if p.Preload != nil {
		preload = p.Preload()
	}
	for _, ref := range preload {
		if p.Cache.Size(ref) >= 0 {
			cached = append(cached, ref)
		}
	}
	if err := p.LoadImages(ctx, cached, progress); err != nil {
		return lab.UpResult{}, err
	}
	c, err := lab.AdminCluster(cfg)
	if err != nil {
		return lab.UpResult{}, err
	}
	info := infoFor(p.cluster())
	// kind waits for the control plane only; scenarios need every node,
	// DNS, the network plugin and the storage provisioner.
	err = lab.Step(progress, "Waiting for the nodes and system pods ⏳", func() error {
		return lab.WaitReady(ctx, c, info, waitForReady, 2*time.Second, func() error { return nil })
	})
	if err != nil {
		return lab.UpResult{}, err
	}
	err = lab.Step(progress, "Marking the cluster as a ckalab lab 🏷", func() error {
		return lab.WriteMarker(ctx, c.Kube, info)
	})
	if err != nil {
		return lab.UpResult{}, err
	}
	// What a fresh lab looks like, node files included: `start` and `lab
	// reset` bring the lab back to it.
	err = lab.Step(progress, "Recording the lab's baseline 📸", func() error {
		return p.recordBaseline(ctx, c, filepath.Join(p.StateDir, baseline.FileName))
	})
	if err != nil {
		return lab.UpResult{}, err
	}
	if err := p.Created(); err != nil {
		return lab.UpResult{}, err
	}
	return lab.UpResult{Info: infoFor(p.cluster()), Kubeconfig: cfg, KubeconfigPath: p.kubeconfigPath(), ContextName: p.contextName()}, nil
}

// createCluster has kind's library make the cluster's node containers
// and, unless told to stop before, Kubernetes in them.
func (p *Provider) createCluster(progress lab.Progress, extra ...cluster.CreateOption) error {
	logger := &progressLogger{progress: progress}
	options := append([]cluster.CreateOption{
		cluster.CreateWithV1Alpha4Config(p.Config()),
		cluster.CreateWithKubeconfigPath(p.kubeconfigPath()),
		cluster.CreateWithDisplayUsage(false),
		cluster.CreateWithDisplaySalutation(false),
	}, extra...)
	err := p.NewCluster(logger).Create(p.cluster(), options...)
	logger.close(err == nil)
	if err != nil {
		if w := logger.Warnings(); len(w) > 0 {
			err = fmt.Errorf("%w\nkind said:\n  %s", err, strings.Join(w, "\n  "))
		}
		if strings.Contains(runErrorOutput(err), "unable to apply caps") {
			// The one failure users cannot read out of runc's words.
			err = fmt.Errorf("%w\nDocker cannot start privileged containers on this machine (its capability bounding set is incomplete), and kind's nodes are privileged: `ckalab doctor` says which capability is missing; the sim lab (--provider sim) works here", err)
		}
		return fmt.Errorf("create the kind cluster: %w", err)
	}
	return nil
}

// CreateBareNodes makes the lab's node containers with nothing set up in
// them: kind's library stops before `kubeadm init` (the kubeadm lab, whose
// learner sets Kubernetes up). The caller holds the `lab up` lock; while it
// works, the lab's folder says the cluster is being made (see Existing).
func (p *Provider) CreateBareNodes(progress lab.Progress) error {
	if err := os.MkdirAll(p.StateDir, 0o700); err != nil {
		return fmt.Errorf("lab state: %w", err)
	}
	if err := os.WriteFile(filepath.Join(p.StateDir, creatingFile), nil, 0o600); err != nil {
		return fmt.Errorf("lab state: %w", err)
	}
	return p.createCluster(progress, cluster.CreateWithStopBeforeSettingUpKubernetes(true))
}

// Created marks the lab as complete: a later `lab up` no longer takes it
// for a half-made one.
func (p *Provider) Created() error {
	if err := os.Remove(filepath.Join(p.StateDir, creatingFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("lab state: %w", err)
	}
	return nil
}

// Remove deletes the lab's cluster and its folder.
func (p *Provider) Remove() error { return p.remove() }

// CheckImage fails, saying fix, when the node image is not in Docker.
func (p *Provider) CheckImage(ctx context.Context, fix string) error {
	if _, err := p.Docker.Output(ctx, "image", "inspect", "--format", "{{.Id}}", p.Image); err != nil {
		return fmt.Errorf("node image %s is not in Docker: %s", p.Image, fix)
	}
	return nil
}

// runErrorOutput is the error's text plus, for kind's RunError, the output
// of the command that failed (kind keeps it out of Error()).
func runErrorOutput(err error) string {
	text := err.Error()
	var runErr *kindexec.RunError
	if errors.As(err, &runErr) {
		text += "\n" + string(runErr.Output)
	}
	return text
}

// kubeconfig returns the lab's admin kubeconfig, rewriting the lab's own
// file from kind when it went missing.
func (p *Provider) kubeconfig() (*clientcmdapi.Config, error) {
	raw, err := p.quiet().KubeConfig(p.cluster(), false)
	if err != nil {
		return nil, fmt.Errorf("kind lab kubeconfig: %w", err)
	}
	cfg, err := clientcmd.Load([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("kind lab kubeconfig: %w", err)
	}
	if err := os.MkdirAll(p.StateDir, 0o700); err != nil {
		return nil, err
	}
	if err := clientcmd.WriteToFile(*cfg, p.kubeconfigPath()); err != nil {
		return nil, fmt.Errorf("write the lab's kubeconfig: %w", err)
	}
	return cfg, nil
}

// Down implements lab.Provider.
// Another lab's cluster of the same name is left alone.
func (p *Provider) Down(ctx context.Context, progress lab.Progress) error {
	if _, err := p.Exists(ctx); errors.As(err, new(*OtherLabError)) {
		return nil
	}
	return lab.Step(progress, "Deleting the kind cluster 🧹", p.remove)
}

// remove deletes the cluster and the lab's folder.
func (p *Provider) remove() error {
	var errs []error
	if err := p.quiet().Delete(p.cluster(), p.kubeconfigPath()); err != nil {
		errs = append(errs, fmt.Errorf("delete kind cluster %q: %w", p.cluster(), err))
	}
	if err := os.RemoveAll(p.StateDir); err != nil {
		errs = append(errs, fmt.Errorf("remove %s: %w", p.StateDir, err))
	}
	return errors.Join(errs...)
}

// Status implements lab.Provider: one component per node container, with
// its kubelet's state; the lab is healthy when every node container runs.
func (p *Provider) Status(ctx context.Context) (lab.Status, error) {
	st := lab.Status{Provider: ProviderName}
	exists, err := p.Exists(ctx)
	if errors.As(err, new(*OtherLabError)) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if !exists {
		return st, nil
	}
	st.Exists, st.Healthy = true, true
	st.ContextName = p.contextName()
	if _, err := os.Stat(p.kubeconfigPath()); err == nil {
		st.KubeconfigPath = p.kubeconfigPath()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return st, err
	}
	ns, err := p.nodes()
	if err != nil {
		return st, err
	}
	for _, want := range infoFor(p.cluster()).Nodes {
		cs := p.nodeStatus(ctx, want.Name, ns)
		st.Healthy = st.Healthy && cs.Running
		st.Components = append(st.Components, cs)
	}
	return st, nil
}

func (p *Provider) nodeStatus(ctx context.Context, name string, ns map[string]nodes.Node) lab.ComponentStatus {
	cs := lab.ComponentStatus{Name: name}
	if _, ok := ns[name]; !ok {
		cs.Detail = "no container"
		return cs
	}
	state, err := p.Docker.Output(ctx, "inspect", "--format", "{{.State.Status}}", name)
	if err != nil {
		cs.Detail = "inspect: " + err.Error()
		return cs
	}
	if state = strings.TrimSpace(state); state != "running" {
		cs.Detail = "container " + state
		cs.LogTail = p.logTail(ctx, name)
		return cs
	}
	// The container is the node: it runs. A stopped kubelet is a CKA task,
	// not a broken lab, so it is reported, not counted against health.
	cs.Running = true
	out, _, _, err := p.Exec(ctx, name, []string{"systemctl", "is-active", "kubelet"}, nil)
	if err != nil {
		cs.Detail = "exec: " + err.Error()
	} else {
		cs.Detail = "kubelet " + strings.TrimSpace(string(out))
	}
	if v, _, _, err := p.Exec(ctx, name, []string{"cat", "/kind/version"}, nil); err == nil {
		cs.Version = strings.TrimSpace(string(v))
	}
	return cs
}

func (p *Provider) logTail(ctx context.Context, name string) string {
	out, err := p.Docker.Output(ctx, "logs", "--tail", "20", name)
	if err != nil {
		return ""
	}
	return strings.TrimRight(out, "\n")
}

func (p *Provider) nodes() (map[string]nodes.Node, error) {
	list, err := p.quiet().ListNodes(p.cluster())
	if err != nil {
		return nil, fmt.Errorf("list the lab's nodes: %w", err)
	}
	out := make(map[string]nodes.Node, len(list))
	for _, n := range list {
		out[n.String()] = n
	}
	return out, nil
}
