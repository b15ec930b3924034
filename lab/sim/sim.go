// Package sim runs a Docker-free lab: the real upstream etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler on loopback,
// with nodes simulated by kwok. Every API-level behaviour (RBAC, admission,
// controllers, scheduling, eviction) is real; containers are not.
package sim

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/baseline"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Versions the sim is built from (lab/sim/upstream/build.sh).
const (
	KubernetesVersion = "v1.37.2"
	KwokVersion       = "v0.8.0"
	ContextName       = "ckalab-sim"
	providerName      = "sim"
	stateFileName     = "lab.json"
)

// The programs a sim lab runs, in start order.
var binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}

//go:embed stages/*.yaml
var stageFiles embed.FS

// Provider runs sim labs.
type Provider struct {
	// StateDir holds the lab's PKI, data, logs and state file; Down removes it.
	StateDir string
	// BinDir holds the upstream binaries (make sim builds them).
	BinDir string
	// Now is the clock (certificates' validity).
	Now func() time.Time

	// defaultBinDir is where `make sim` puts the binaries (doctor's fix
	// names BinDir when it differs).
	defaultBinDir string
}

// New returns a provider using ckalab's standard directories.
func New(dirs lab.Dirs, now func() time.Time) *Provider {
	return &Provider{
		StateDir: dirs.Lab(providerName),
		BinDir:   DefaultBinDir(dirs),
		Now:      now,
	}
}

// DefaultBinDir is where `make sim` puts the upstream binaries.
func DefaultBinDir(dirs lab.Dirs) string {
	return filepath.Join(dirs.Cache, "sim", KubernetesVersion, "bin")
}

// Name implements lab.Provider.
func (p *Provider) Name() string { return providerName }

// state is what a running lab records about itself.
type state struct {
	Created    time.Time  `json:"created"`
	APIServer  string     `json:"apiServer"`
	Processes  []*process `json:"processes"`
	Kubeconfig string     `json:"kubeconfig"`
	// Creating is true until Up has made the whole lab: a state that still
	// says so once Up is gone is what a killed `lab up` left.
	Creating bool `json:"creating,omitempty"`
}

func (p *Provider) statePath() string      { return filepath.Join(p.StateDir, stateFileName) }
func (p *Provider) kubeconfigPath() string { return filepath.Join(p.StateDir, "kubeconfig") }

// errStateUnreadable marks a state file that is not JSON (an older ckalab
// killed while writing it).
var errStateUnreadable = errors.New("unreadable")

func (p *Provider) readState() (*state, error) {
	data, err := os.ReadFile(p.statePath())
	if err != nil {
		return nil, err
	}
	var s state
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("sim lab state %s: %w: %w", p.statePath(), errStateUnreadable, err)
	}
	return &s, nil
}

// writeState replaces the state file at once (a temporary file renamed), so
// that a killed ckalab never leaves half of it.
func (p *Provider) writeState(s *state) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := p.statePath() + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p.statePath())
}

// MissingBinaries lists the upstream programs not found in BinDir.
func (p *Provider) MissingBinaries() []string {
	var missing []string
	for _, b := range binaries {
		if _, err := os.Stat(filepath.Join(p.BinDir, b)); err != nil {
			missing = append(missing, b)
		}
	}
	return missing
}

// Up implements lab.Provider.
//
// A lab that an interrupted `lab up` left half-made (its state says it was
// still being created, or names fewer components than a lab has, or cannot
// be read, or the lab's folder has no state at all) is ckalab's own, in
// ckalab's own folder: Up removes it, naming what it stops, and makes a new
// one. A lock keeps two `lab up` from taking each other's lab for such a
// leftover.
func (p *Provider) Up(ctx context.Context, progress lab.Progress) (lab.UpResult, error) {
	unlock, err := lockUp(p.StateDir)
	if err != nil {
		return lab.UpResult{}, err
	}
	defer unlock()
	s, err := p.readState()
	switch {
	case err == nil && !p.halfMade(s):
		st := p.statusOf(s)
		if !st.Healthy {
			return lab.UpResult{}, fmt.Errorf("a sim lab exists in %s but is not healthy (%s); remove it with `ckalab lab down --provider sim`, then run `ckalab lab up --provider sim` again", p.StateDir, deadNames(st))
		}
		cfg, err := clientcmd.LoadFromFile(s.Kubeconfig)
		if err != nil {
			return lab.UpResult{}, fmt.Errorf("sim lab kubeconfig: %w", err)
		}
		return lab.UpResult{AlreadyRunning: true, Info: Info(), Kubeconfig: cfg, KubeconfigPath: s.Kubeconfig, ContextName: ContextName}, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errStateUnreadable):
		return lab.UpResult{}, err
	}
	if missing := p.MissingBinaries(); len(missing) > 0 {
		return lab.UpResult{}, fmt.Errorf("sim binaries missing in %s: %s; build them with `make sim` (about 12 minutes once)", p.BinDir, strings.Join(missing, ", "))
	}
	if left := p.leftovers(s); left != "" {
		step := "Removing what an interrupted `lab up` left: " + left + " 🧹"
		if err := lab.Step(progress, step, func() error { return p.remove(s) }); err != nil {
			return lab.UpResult{}, fmt.Errorf("could not remove what an interrupted `lab up` left (%s): %w\nRemove it with `ckalab lab down --provider sim`", p.leftovers(s), err)
		}
	}
	return lab.CreateOrCleanUp(ctx, p, func() (lab.UpResult, error) { return p.create(ctx, progress) })
}

// halfMade reports whether a readable state is that of a lab whose `lab
// up` did not finish.
func (p *Provider) halfMade(s *state) bool {
	return s.Creating || len(s.Processes) < len(binaries)
}

// leftovers describes what is left of a lab that is not whole (s is nil
// when the state is missing or unreadable): its running components and its
// folder; "" when there is nothing.
func (p *Provider) leftovers(s *state) string {
	var parts []string
	for _, proc := range p.processes(s) {
		parts = append(parts, proc.String())
	}
	if _, err := os.Stat(p.StateDir); err == nil {
		parts = append(parts, "folder "+p.StateDir)
	}
	return strings.Join(parts, ", ")
}

func deadNames(st lab.Status) string {
	var dead []string
	for _, c := range st.Components {
		if !c.Running {
			dead = append(dead, c.Name+" is not running")
		}
	}
	if len(dead) == 0 {
		return "its `lab up` did not finish"
	}
	return strings.Join(dead, ", ")
}

// lockUp takes the lock that `lab up` holds while it works on the lab.
func lockUp(dir string) (unlock func(), err error) { return lab.LockUp(dir, providerName) }

// freePorts reserves n distinct loopback ports. They are released before the
// components bind them; a race with another program is possible but rare,
// and Up fails cleanly if it happens.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// layout names the files of one lab.
type layout struct{ root string }

func (l layout) pki(name string) string { return filepath.Join(l.root, "pki", name) }
func (l layout) kubeconfig(name string) string {
	return filepath.Join(l.root, "kubeconfigs", name+".conf")
}
func (l layout) logs() string       { return filepath.Join(l.root, "logs") }
func (l layout) etcdData() string   { return filepath.Join(l.root, "etcd") }
func (l layout) kwokConfig() string { return filepath.Join(l.root, "kwok.yaml") }

func (p *Provider) create(ctx context.Context, progress lab.Progress) (lab.UpResult, error) {
	l := layout{root: p.StateDir}
	s := &state{Created: p.Now()}
	var creds *pki
	var ports []int
	err := lab.Step(progress, "Generating certificates 🔐", func() error {
		for _, d := range []string{l.root, l.logs(), l.etcdData(), filepath.Dir(l.kubeconfig("x"))} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return err
			}
		}
		var err error
		if creds, err = newPKI(p.Now()); err != nil {
			return err
		}
		if err := creds.write(filepath.Join(l.root, "pki")); err != nil {
			return err
		}
		ports, err = freePorts(6)
		return err
	})
	if err != nil {
		return lab.UpResult{}, err
	}
	s.Creating = true
	if err := p.writeState(s); err != nil {
		return lab.UpResult{}, fmt.Errorf("write the sim lab's state: %w", err)
	}
	etcdPort, etcdPeer, apiPort, kcmPort, schedPort, kwokPort := ports[0], ports[1], ports[2], ports[3], ports[4], ports[5]
	server := "https://127.0.0.1:" + strconv.Itoa(apiPort)
	s.APIServer = server
	s.Kubeconfig = p.kubeconfigPath()

	kubeconfigs := map[string]keyPair{"admin": creds.Admin, "controller-manager": creds.KCM, "scheduler": creds.Scheduler, "kwok": creds.Kwok}
	for name, kp := range kubeconfigs {
		if err := clientcmd.WriteToFile(*kubeconfigFor(server, creds.CA, kp, name), l.kubeconfig(name)); err != nil {
			return lab.UpResult{}, fmt.Errorf("write %s kubeconfig: %w", name, err)
		}
	}
	adminCfg := kubeconfigFor(server, creds.CA, creds.Admin, "kubernetes-admin")
	if err := clientcmd.WriteToFile(*adminCfg, s.Kubeconfig); err != nil {
		return lab.UpResult{}, fmt.Errorf("write lab kubeconfig: %w", err)
	}
	if err := p.writeKwokConfig(l); err != nil {
		return lab.UpResult{}, err
	}

	launch := func(name string, args []string) error {
		proc, err := start(name, filepath.Join(p.BinDir, name), args, l.logs())
		if err != nil {
			return err
		}
		s.Processes = append(s.Processes, proc)
		return p.writeState(s)
	}
	etcdURL := "https://127.0.0.1:" + strconv.Itoa(etcdPort)
	err = lab.Step(progress, "Starting etcd 🗄", func() error {
		peer := "http://127.0.0.1:" + strconv.Itoa(etcdPeer)
		if err := launch("etcd", []string{
			"--name=ckalab", "--data-dir=" + l.etcdData(),
			"--listen-client-urls=" + etcdURL, "--advertise-client-urls=" + etcdURL,
			"--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
			"--initial-cluster=ckalab=" + peer,
			"--cert-file=" + l.pki("etcd/server.crt"), "--key-file=" + l.pki("etcd/server.key"),
			"--trusted-ca-file=" + l.pki("etcd/ca.crt"), "--client-cert-auth=true",
			// A practice lab trades durability for speed.
			"--unsafe-no-fsync=true", "--snapshot-count=10000",
		}); err != nil {
			return err
		}
		return waitHTTPS(ctx, etcdURL+"/health", creds.EtcdCA, creds.EtcdCli, 30*time.Second, s.Processes[0])
	})
	if err != nil {
		return lab.UpResult{}, err
	}
	err = lab.Step(progress, "Starting kube-apiserver 🛂", func() error {
		if err := launch("kube-apiserver", []string{
			"--etcd-servers=" + etcdURL,
			"--etcd-cafile=" + l.pki("etcd/ca.crt"),
			"--etcd-certfile=" + l.pki("apiserver-etcd-client.crt"), "--etcd-keyfile=" + l.pki("apiserver-etcd-client.key"),
			"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + strconv.Itoa(apiPort),
			// The apiserver refuses to advertise loopback in the kubernetes
			// Service endpoints; nothing in the sim needs them.
			"--endpoint-reconciler-type=none",
			"--tls-cert-file=" + l.pki("apiserver.crt"), "--tls-private-key-file=" + l.pki("apiserver.key"),
			"--client-ca-file=" + l.pki("ca.crt"),
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file=" + l.pki("sa.pub"), "--service-account-signing-key-file=" + l.pki("sa.key"),
			"--service-cluster-ip-range=10.96.0.0/16",
			"--authorization-mode=Node,RBAC",
			// In addition to the default-on plugins, as kubeadm does; listed
			// so that the exam-relevant ones are explicit.
			"--enable-admission-plugins=NodeRestriction,LimitRanger,ResourceQuota,PodSecurity,Priority,DefaultStorageClass",
			"--allow-privileged=true", "--profiling=false",
		}); err != nil {
			return err
		}
		return waitHTTPS(ctx, server+"/readyz", creds.CA, creds.Admin, 60*time.Second, s.Processes[1])
	})
	if err != nil {
		return lab.UpResult{}, err
	}
	err = lab.Step(progress, "Starting controller manager, scheduler and kwok ⚙", func() error {
		kcm := l.kubeconfig("controller-manager")
		if err := launch("kube-controller-manager", []string{
			"--kubeconfig=" + kcm, "--authentication-kubeconfig=" + kcm, "--authorization-kubeconfig=" + kcm,
			"--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(kcmPort),
			"--cluster-signing-cert-file=" + l.pki("ca.crt"), "--cluster-signing-key-file=" + l.pki("ca.key"),
			"--root-ca-file=" + l.pki("ca.crt"), "--service-account-private-key-file=" + l.pki("sa.key"),
			"--use-service-account-credentials=true", "--leader-elect=false",
			"--controllers=*,bootstrapsigner,tokencleaner",
			// Namespace deletion walks every resource type; at the default
			// 20 requests/s a reset waits seconds for nothing.
			"--kube-api-qps=200", "--kube-api-burst=400",
			"--allocate-node-cidrs=true", "--cluster-cidr=10.244.0.0/16", "--service-cluster-ip-range=10.96.0.0/16",
			"--profiling=false",
		}); err != nil {
			return err
		}
		sched := l.kubeconfig("scheduler")
		if err := launch("kube-scheduler", []string{
			"--kubeconfig=" + sched, "--authentication-kubeconfig=" + sched, "--authorization-kubeconfig=" + sched,
			"--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(schedPort), "--leader-elect=false",
			"--profiling=false",
		}); err != nil {
			return err
		}
		return launch("kwok", []string{
			"--kubeconfig=" + l.kubeconfig("kwok"), "--config=" + l.kwokConfig(),
			"--manage-all-nodes=true", "--cidr=10.244.0.0/16", "--node-ip=10.89.0.1",
			"--node-lease-duration-seconds=40",
			"--server-address=127.0.0.1:" + strconv.Itoa(kwokPort),
		})
	})
	if err != nil {
		return lab.UpResult{}, err
	}
	info := Info()
	err = lab.Step(progress, "Adding nodes and waiting for Ready 🖥", func() error {
		c, err := lab.AdminCluster(adminCfg)
		if err != nil {
			return err
		}
		if err := bootstrap(ctx, c, info, p.healthCheck(s)); err != nil {
			return err
		}
		if err := lab.WriteMarker(ctx, c.Kube, info); err != nil {
			return err
		}
		// What a fresh lab looks like: `start` and `lab reset` bring the
		// lab back to it.
		return baseline.RecordFile(ctx, c, filepath.Join(p.StateDir, baseline.FileName), baseline.RecordOptions{Now: p.Now})
	})
	if err != nil {
		return lab.UpResult{}, err
	}
	s.Creating = false
	if err := p.writeState(s); err != nil {
		return lab.UpResult{}, fmt.Errorf("write the sim lab's state: %w", err)
	}
	return lab.UpResult{Info: info, Kubeconfig: adminCfg, KubeconfigPath: s.Kubeconfig, ContextName: ContextName}, nil
}

// Info describes every sim lab.
func Info() lab.Info {
	return lab.Info{
		Provider:     providerName,
		Name:         "ckalab",
		Version:      KubernetesVersion,
		Capabilities: []lab.Capability{lab.CapAPI},
		Nodes: []lab.Node{
			{Name: "ckalab-control-plane", Role: lab.RoleControlPlane},
			{Name: "ckalab-worker", Role: lab.RoleWorker},
			{Name: "ckalab-worker2", Role: lab.RoleWorker},
		},
	}
}

// healthCheck fails fast when a component died while Up waits on it.
func (p *Provider) healthCheck(s *state) func() error {
	return func() error {
		for _, proc := range s.Processes {
			if !proc.alive() {
				return fmt.Errorf("%s exited; the end of its log:\n%s", proc.Name, proc.logTail(15))
			}
		}
		return nil
	}
}

func (p *Provider) writeKwokConfig(l layout) error {
	entries, err := fs.ReadDir(stageFiles, "stages")
	if err != nil {
		return err
	}
	var docs []string
	for _, e := range entries {
		data, err := fs.ReadFile(stageFiles, "stages/"+e.Name())
		if err != nil {
			return err
		}
		docs = append(docs, strings.TrimSpace(string(data)))
	}
	return os.WriteFile(l.kwokConfig(), []byte(strings.Join(docs, "\n---\n")+"\n"), 0o600)
}

func kubeconfigFor(server string, ca []byte, kp keyPair, user string) *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["ckalab-sim"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: kp.Cert, ClientKeyData: kp.Key}
	cfg.Contexts[ContextName] = &clientcmdapi.Context{Cluster: "ckalab-sim", AuthInfo: user}
	cfg.CurrentContext = ContextName
	return cfg
}

// Down implements lab.Provider.
func (p *Provider) Down(ctx context.Context, progress lab.Progress) error {
	s, err := p.readState()
	if err != nil {
		// An unreadable state file must not keep the user from cleaning up;
		// the processes are then found by their command lines.
		s = nil
	}
	procs := p.processes(s)
	if _, statErr := os.Stat(p.StateDir); errors.Is(statErr, fs.ErrNotExist) && len(procs) == 0 {
		return nil
	}
	return lab.Step(progress, "Stopping the sim lab 🧹", func() error { return p.remove(s) })
}

// remove stops the lab's processes (those s records and any other that runs
// from the lab's folder) and removes the folder.
func (p *Provider) remove(s *state) error {
	var errs []error
	procs := p.processes(s)
	// Reverse start order: kwok and the controllers before the apiserver, etcd last.
	for i := len(procs) - 1; i >= 0; i-- {
		if err := procs[i].stop(10 * time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		if err := os.RemoveAll(p.StateDir); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", p.StateDir, err))
		}
	}
	return errors.Join(errs...)
}

// namesFileIn reports whether an argument (or the value of a --flag=value)
// is a path under dir (which ends with a separator).
func namesFileIn(args []string, dir string) bool {
	for _, a := range args {
		_, value, _ := strings.Cut(a, "=")
		if strings.HasPrefix(a, dir) || strings.HasPrefix(value, dir) {
			return true
		}
	}
	return false
}

// processes are the lab's running components in start order: those the
// state records (s may be nil), then those it does not (a ckalab killed
// between starting one and recording it, or a state file lost): a sim
// program whose command line names a file in the lab's folder.
func (p *Provider) processes(s *state) []*process {
	var out []*process
	seen := map[int]bool{}
	if s != nil {
		for _, proc := range s.Processes {
			if proc.alive() {
				out = append(out, proc)
				seen[proc.PID] = true
			}
		}
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	var strays []*process
	inLab := filepath.Clean(p.StateDir) + string(filepath.Separator)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || seen[pid] || pid == os.Getpid() {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil {
			continue
		}
		exe = strings.TrimSuffix(exe, " (deleted)")
		if !slices.Contains(binaries, filepath.Base(exe)) {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !namesFileIn(strings.Split(string(cmdline), "\x00"), inLab) {
			continue
		}
		proc := &process{Name: filepath.Base(exe), Binary: exe, PID: pid}
		if proc.alive() {
			strays = append(strays, proc)
		}
	}
	slices.SortFunc(strays, func(a, b *process) int {
		return slices.Index(binaries, a.Name) - slices.Index(binaries, b.Name)
	})
	return append(out, strays...)
}

// Status implements lab.Provider.
func (p *Provider) Status(ctx context.Context) (lab.Status, error) {
	s, err := p.readState()
	if errors.Is(err, fs.ErrNotExist) {
		// No state, but the lab's folder or processes: what a `lab up`
		// killed before it wrote its state left (`lab down` removes it).
		_, dirErr := os.Stat(p.StateDir)
		procs := p.processes(nil)
		if dirErr != nil && len(procs) == 0 {
			return lab.Status{Provider: providerName}, nil
		}
		st := lab.Status{Provider: providerName, Exists: true, ContextName: ContextName}
		for _, proc := range procs {
			st.Components = append(st.Components, lab.ComponentStatus{Name: proc.Name, PID: proc.PID, Running: true, Detail: "not in the lab's state"})
		}
		return st, nil
	}
	if err != nil {
		// Its context may be in the user's kubeconfig: `lab down` removes it.
		return lab.Status{Provider: providerName, Exists: true, ContextName: ContextName}, err
	}
	st := p.statusOf(s)
	for i := range st.Components {
		st.Components[i].Version = binaryVersion(ctx, filepath.Join(p.BinDir, st.Components[i].Name))
	}
	return st, nil
}

// versionPattern finds "v1.37.2", "3.7.0" or "v0.8.0" in --version output.
var versionPattern = regexp.MustCompile(`v?\d+\.\d+\.\d+`)

// binaryVersion asks a program for its version, so that status reports what
// really runs rather than what ckalab was built to expect.
func binaryVersion(ctx context.Context, binary string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, "--version").Output()
	if err != nil {
		return "unknown"
	}
	v := versionPattern.FindString(string(out))
	if v != "" && v[0] != 'v' {
		v = "v" + v
	}
	return v
}

func (p *Provider) statusOf(s *state) lab.Status {
	st := lab.Status{Provider: providerName, Exists: true, Healthy: true, KubeconfigPath: s.Kubeconfig, ContextName: ContextName}
	for _, proc := range s.Processes {
		cs := lab.ComponentStatus{Name: proc.Name, PID: proc.PID, Running: proc.alive()}
		if !cs.Running {
			st.Healthy = false
			cs.LogTail = proc.logTail(20)
		}
		st.Components = append(st.Components, cs)
	}
	if p.halfMade(s) {
		st.Healthy = false
	}
	return st
}
