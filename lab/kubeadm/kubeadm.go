// Package kubeadm runs the kubeadm lab: the kind lab's three node
// containers (same names, same library, same shell), booted from a node
// image in which nothing of Kubernetes is installed, configured or running.
// The learner installs containerd, kubeadm, kubelet and kubectl from the
// apt repository on each node's disk, initialises the control plane, joins
// the workers and upgrades, as on real machines.
package kubeadm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/kind"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const (
	ProviderName = "kubeadm"
	// LabValue is the kind.LabLabel of the kubeadm node image: the kind
	// lab and this one share the kind cluster's name and node names.
	LabValue = "kubeadm"
	// DefaultImage is the node image `make kubeadm-image` builds offline.
	DefaultImage = "ckalab/node-kubeadm:" + kind.KubernetesVersion
	// Versions are the Kubernetes versions the nodes' apt repository
	// offers (kubeadm, kubelet, kubectl as 1.36.3-1.1 and 1.37.2-1.1).
	Versions = "v1.36.3, " + kind.KubernetesVersion
	// ContextName is the kubeconfig context of the cluster the learner
	// built, once `lab up` has found it.
	ContextName = "kubeadm-ckalab"
	// apiServerName is a name every kubeadm API server certificate holds:
	// the host reaches the server through a port Docker publishes on
	// 127.0.0.1, which the certificate need not name.
	apiServerName = "kubernetes"
)

// Provider makes and removes the kubeadm lab.
type Provider struct {
	// Nodes are the lab's node containers: a kind lab that claims only
	// clusters whose nodes carry LabValue, and is never set up.
	Nodes *kind.Provider
}

// New returns the kubeadm provider with its state under dirs.
func New(dirs lab.Dirs) *Provider {
	n := kind.New(dirs)
	n.StateDir = dirs.Lab(ProviderName)
	n.Image = DefaultImage
	n.Lab = LabValue
	return &Provider{Nodes: n}
}

// Registration is the kubeadm lab in the provider registry (lab/providers).
func Registration() lab.Registration {
	return lab.Registration{
		Name: ProviderName,
		Summary: `three bare nodes (Docker containers, the kind lab's names) on which you build the
cluster yourself: install containerd and kubeadm, kubelet and kubectl from each node's
offline apt repository (` + Versions + `), 'kubeadm init', join the workers, upgrade.
Node image: ` + DefaultImage + `, built offline by 'make kubeadm-image'.`,
		Runs: "nodes without Kubernetes; apt packages of Kubernetes " + Versions + ", node image " + DefaultImage,
		New: func(s lab.Settings) (lab.Provider, error) {
			p := New(s.Dirs)
			if s.Getenv != nil {
				if img := s.Getenv("CKALAB_KUBEADM_IMAGE"); img != "" {
					p.Nodes.Image = img
				}
			}
			return p, nil
		},
	}
}

// Name implements lab.Provider.
func (p *Provider) Name() string { return ProviderName }

// Info implements lab.Provider: the kind lab's nodes, with a root shell on
// each and nothing else until the learner builds a cluster.
func (p *Provider) Info() lab.Info {
	info := p.Nodes.Info()
	info.Provider = ProviderName
	info.Version = ""
	info.Capabilities = []lab.Capability{lab.CapNode}
	return info
}

// SetNodeImage implements lab.NodeImageSetter.
func (p *Provider) SetNodeImage(ref string) { p.Nodes.Image = ref }

// Exec implements lab.Execer.
func (p *Provider) Exec(ctx context.Context, node string, argv []string, stdin []byte) ([]byte, []byte, int, error) {
	return p.Nodes.Exec(ctx, node, argv, stdin)
}

// Shell implements lab.Shell.
func (p *Provider) Shell(ctx context.Context, node string, sio lab.ShellIO) error {
	return p.Nodes.Shell(ctx, node, sio)
}

var (
	_ lab.Execer          = (*Provider)(nil)
	_ lab.Shell           = (*Provider)(nil)
	_ lab.NodeImageSetter = (*Provider)(nil)
)

// Up implements lab.Provider. It makes the node containers and stops:
// there is no cluster, so the result has no kubeconfig.
func (p *Provider) Up(ctx context.Context, progress lab.Progress) (lab.UpResult, error) {
	unlock, err := lab.LockUp(p.Nodes.StateDir, ProviderName)
	if err != nil {
		return lab.UpResult{}, err
	}
	defer unlock()
	exists, err := p.Nodes.Existing(ctx, progress, ProviderName, p.Status)
	if err != nil {
		return lab.UpResult{}, err
	}
	if exists {
		// Once the learner's `kubeadm init` made admin.conf, the cluster
		// becomes reachable from the host: the CLI adds its context and
		// marks it as a lab.
		// A cluster the lab has not reached before (the first, or one made
		// anew after `kubeadm reset`: other keys) is found: its context
		// replaces whatever the user's kubeconfig held under that name.
		before, _ := os.ReadFile(p.kubeconfigPath())
		cfg, err := p.adopt(ctx)
		if err != nil || cfg == nil {
			return lab.UpResult{AlreadyRunning: true, Info: p.Info()}, err
		}
		after, err := os.ReadFile(p.kubeconfigPath())
		if err != nil {
			return lab.UpResult{}, err
		}
		return lab.UpResult{AlreadyRunning: true, Info: p.clusterInfo(), Kubeconfig: cfg, KubeconfigPath: p.kubeconfigPath(), ContextName: ContextName,
			Found: !bytes.Equal(before, after)}, nil
	}
	if err := p.Nodes.CheckImage(ctx, "build it once with `make kubeadm-image` (offline: the kind node image's files plus an apt repository of Kubernetes "+Versions+")"); err != nil {
		return lab.UpResult{}, err
	}
	return lab.CreateOrCleanUp(ctx, p, func() (lab.UpResult, error) {
		if err := p.Nodes.CreateBareNodes(progress); err != nil {
			return lab.UpResult{}, err
		}
		err := lab.Step(progress, "Clearing kind's kubeadm config from the nodes 🧽", func() error {
			return p.eachNode(func(node string) error { return p.clearKindConfig(ctx, node) })
		})
		if err != nil {
			return lab.UpResult{}, err
		}
		if err := p.Nodes.Created(); err != nil {
			return lab.UpResult{}, err
		}
		return lab.UpResult{Info: p.Info()}, nil
	})
}

func (p *Provider) kubeconfigPath() string { return filepath.Join(p.Nodes.StateDir, "kubeconfig") }

// clusterInfo is the lab once the learner's cluster runs: everything a
// kind lab can do.
func (p *Provider) clusterInfo() lab.Info {
	info := p.Info()
	info.Capabilities = lab.AllCapabilities()
	return info
}

// adopt reads the admin.conf that `kubeadm init` wrote on the control
// plane and makes it reach the API server from the host; it is nil while
// there is none. The lab's own copy is written to its folder.
func (p *Provider) adopt(ctx context.Context) (*clientcmdapi.Config, error) {
	cp := p.Info().Nodes[0].Name
	raw, _, code, err := p.Exec(ctx, cp, []string{"cat", "/etc/kubernetes/admin.conf"}, nil)
	if err != nil || code != 0 {
		return nil, err
	}
	ports, err := p.Nodes.Docker.Output(ctx, "port", cp, "6443/tcp")
	if err != nil {
		return nil, fmt.Errorf("the API server's port on the host: %w", err)
	}
	cfg, err := hostKubeconfig(raw, ports)
	if err != nil {
		return nil, fmt.Errorf("%s:/etc/kubernetes/admin.conf: %w", cp, err)
	}
	if err := os.MkdirAll(p.Nodes.StateDir, 0o700); err != nil {
		return nil, err
	}
	if err := clientcmd.WriteToFile(*cfg, p.kubeconfigPath()); err != nil {
		return nil, fmt.Errorf("write the lab's kubeconfig: %w", err)
	}
	return cfg, nil
}

// hostKubeconfig turns the control plane's admin.conf into a kubeconfig
// for the host: one context, ContextName, whose server is the port Docker
// publishes (`docker port` output: "127.0.0.1:41234", maybe an IPv6 line
// too), checked against the certificate's name "kubernetes".
func hostKubeconfig(adminConf []byte, dockerPorts string) (*clientcmdapi.Config, error) {
	src, err := clientcmd.Load(adminConf)
	if err != nil {
		return nil, err
	}
	cur, ok := src.Contexts[src.CurrentContext]
	if !ok {
		return nil, fmt.Errorf("no current context")
	}
	cluster, user := src.Clusters[cur.Cluster], src.AuthInfos[cur.AuthInfo]
	if cluster == nil || user == nil {
		return nil, fmt.Errorf("context %q: its cluster or user is missing", src.CurrentContext)
	}
	var hostPort string
	for line := range strings.Lines(dockerPorts) {
		hp := strings.TrimSpace(line)
		if hp != "" && (hostPort == "" || strings.HasPrefix(hp, "127.0.0.1:")) {
			hostPort = hp
		}
	}
	if hostPort == "" {
		return nil, fmt.Errorf("the control plane publishes no API server port")
	}
	cluster.Server = "https://" + strings.Replace(hostPort, "0.0.0.0:", "127.0.0.1:", 1)
	cluster.TLSServerName = apiServerName
	out := clientcmdapi.NewConfig()
	out.Clusters[ContextName] = cluster
	out.AuthInfos[ContextName] = user
	out.Contexts[ContextName] = &clientcmdapi.Context{Cluster: ContextName, AuthInfo: ContextName}
	out.CurrentContext = ContextName
	return out, nil
}

// clearKindConfig removes the kubeadm config kind's library writes into
// every node before it would run `kubeadm init`: here the learner writes
// their own, and kind's holds a ready-made join token.
func (p *Provider) clearKindConfig(ctx context.Context, node string) error {
	_, stderr, code, err := p.Exec(ctx, node, []string{"rm", "-f", "/kind/kubeadm.conf"}, nil)
	if err == nil && code != 0 {
		err = fmt.Errorf("rm /kind/kubeadm.conf in %s: exit %d: %s", node, code, strings.TrimSpace(string(stderr)))
	}
	return err
}

// eachNode runs fn on every node side by side and joins the failures.
func (p *Provider) eachNode(fn func(node string) error) error {
	nodes := p.Info().Nodes
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() { errs[i] = fn(n.Name) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Down implements lab.Provider.
func (p *Provider) Down(ctx context.Context, progress lab.Progress) error {
	exists, err := p.Nodes.Exists(ctx)
	if errors.As(err, new(*kind.OtherLabError)) {
		return nil // the kind lab's: not ours to delete
	}
	if err != nil {
		return err
	}
	if !exists {
		// Its folder may still be there (an interrupted lab up).
		return p.Nodes.Remove()
	}
	return lab.Step(progress, "Deleting the kubeadm lab's nodes 🧹", p.Nodes.Remove)
}

// Status implements lab.Provider: one component per node, with what the
// learner has built on it. The lab is healthy when every node container
// runs; a node without Kubernetes is the starting point, not a fault.
func (p *Provider) Status(ctx context.Context) (lab.Status, error) {
	st := lab.Status{Provider: ProviderName}
	// The node containers' view (kind's Status claims only nodes carrying
	// LabValue, and reports another lab's as no lab).
	kst, err := p.Nodes.Status(ctx)
	if err != nil || !kst.Exists {
		return st, err
	}
	st.Exists, st.Healthy = true, kst.Healthy
	if _, err := os.Stat(p.kubeconfigPath()); err == nil {
		st.KubeconfigPath, st.ContextName = p.kubeconfigPath(), ContextName
	}
	st.Components = make([]lab.ComponentStatus, len(kst.Components))
	var wg sync.WaitGroup
	for i, c := range kst.Components {
		wg.Go(func() {
			if c.Running {
				c.Version, c.Detail = p.nodeState(ctx, c.Name)
			}
			st.Components[i] = c
		})
	}
	wg.Wait()
	return st, nil
}

// stateScript prints what is installed and running on a node, one
// key=value per line; every probe tolerates a missing program.
const stateScript = `for u in containerd kubelet; do
  if command -v $u >/dev/null; then echo $u=$(systemctl is-active $u 2>/dev/null); else echo $u=none; fi
done
echo kubeadm=$(kubeadm version -o short 2>/dev/null)
if [ -f /etc/kubernetes/admin.conf ]; then echo cluster=initialised; elif [ -f /etc/kubernetes/kubelet.conf ]; then echo cluster=joined; fi`

func (p *Provider) nodeState(ctx context.Context, node string) (version, detail string) {
	out, _, _, err := p.Exec(ctx, node, []string{"sh", "-c", stateScript}, nil)
	if err != nil {
		return "", "exec: " + err.Error()
	}
	return describeNode(string(out))
}

// describeNode turns stateScript's output into the node's kubeadm version
// and a one-line summary ("containerd active, kubelet activating, joined").
func describeNode(out string) (version, detail string) {
	kv := map[string]string{}
	for line := range strings.Lines(out) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			kv[k] = v
		}
	}
	unit := func(name string) string {
		switch s := kv[name]; s {
		case "none", "":
			return "no " + name
		case "inactive", "unknown":
			return name + " not running"
		default:
			return name + " " + s
		}
	}
	parts := []string{unit("containerd"), unit("kubelet")}
	version = kv["kubeadm"]
	if version == "" {
		parts = append(parts, "no kubeadm")
	}
	switch kv["cluster"] {
	case "initialised":
		parts = append(parts, "control plane initialised")
	case "joined":
		parts = append(parts, "joined")
	default:
		parts = append(parts, "not in a cluster")
	}
	return version, strings.Join(parts, ", ")
}
