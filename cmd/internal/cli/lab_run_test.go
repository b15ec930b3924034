package cli

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/lab"
)

// TestRunLabCommandsWithoutASimLab: the sim provider, named, has no lab in
// a fresh state folder; each lab command says so in its own way.
func TestRunLabCommandsWithoutASimLab(t *testing.T) {
	ctx := context.Background()

	r := newRunApp(t)
	err := runLabStatus(ctx, &labStatusOptions{app: r.app, Provider: new("sim"), Output: "json"})
	wantExit(t, "lab status --provider sim", err, ExitNoLab)
	var st lab.Status
	decodeJSON(t, "lab status -o json", r.out.Bytes(), &st)
	if st.Provider != "sim" || st.Exists || st.Healthy {
		t.Errorf("lab status --provider sim -o json: %+v", st)
	}

	r = newRunApp(t)
	err = runLabStatus(ctx, &labStatusOptions{app: r.app, Provider: new("sim"), Output: "table"})
	wantExit(t, "lab status --provider sim", err, ExitNoLab)
	if want := "No sim lab. Start one with: ckalab lab up --provider sim\n"; r.errOut.String() != want || r.out.Len() != 0 {
		t.Errorf("lab status --provider sim: stdout %q, stderr %q; want stderr %q", r.out, r.errOut, want)
	}

	r = newRunApp(t)
	if err := runLabDown(ctx, &labDownOptions{app: r.app, Provider: new("sim")}); err != nil {
		t.Fatal(err)
	}
	if want := "No sim lab is running; nothing to do.\n"; r.errOut.String() != want {
		t.Errorf("lab down --provider sim: stderr %q, want %q", r.errOut, want)
	}

	err = runLabKubeconfig(ctx, &labKubeconfigOptions{app: r.app, Provider: new("sim")})
	if wantExit(t, "lab kubeconfig --provider sim", err, ExitNoLab); err == nil || err.Error() != "no sim lab is running" {
		t.Errorf("lab kubeconfig --provider sim: %v", err)
	}

	err = runLabUp(ctx, &labUpOptions{app: r.app, Provider: new("sim"), Image: "x:1"})
	if wantExit(t, "lab up --provider sim --image x:1", err, ExitUsage); err == nil || !strings.Contains(err.Error(), "the sim provider's nodes do not boot from an image") {
		t.Errorf("lab up --provider sim --image: %v", err)
	}
}

// TestRunLabProviderChoice: a provider named on the command line wins over
// $CKALAB_PROVIDER, which wins over the default; each error names where
// the name came from.
func TestRunLabProviderChoice(t *testing.T) {
	ctx := context.Background()
	r := newRunApp(t)
	r.vars["CKALAB_PROVIDER"] = "nope"
	err := runLabStatus(ctx, &labStatusOptions{app: r.app, Output: "json"})
	if wantExit(t, "CKALAB_PROVIDER=nope lab status", err, ExitUsage); err == nil || !strings.HasPrefix(err.Error(), `$CKALAB_PROVIDER "nope": `) {
		t.Errorf("CKALAB_PROVIDER=nope lab status: %v", err)
	}
	err = runLabStatus(ctx, &labStatusOptions{app: r.app, Provider: new(""), Output: "json"})
	if wantExit(t, `lab status --provider ""`, err, ExitUsage); err == nil || !strings.HasPrefix(err.Error(), `--provider "": `) {
		t.Errorf(`lab status --provider "": %v`, err)
	}
	wantExit(t, "lab status --provider sim", runLabStatus(ctx, &labStatusOptions{app: r.app, Provider: new("sim"), Output: "json"}), ExitNoLab)
}

func TestRunSSHWithoutALab(t *testing.T) {
	r := newRunApp(t)
	err := runSSH(context.Background(), &sshOptions{app: r.app, Node: "ckalab-worker"})
	if wantExit(t, "ssh", err, ExitNoLab); err == nil || !strings.Contains(err.Error(), "no lab with nodes to log into is running") {
		t.Errorf("ssh without a lab: %v", err)
	}
	if r.errOut.Len() != 0 {
		t.Errorf("ssh without a lab opened a shell: %q", r.errOut)
	}
}

// nodesOnlyProvider makes a lab with nodes and no cluster (as the kubeadm
// lab's is until the learner runs kubeadm init).
type nodesOnlyProvider struct{ running bool }

func (nodesOnlyProvider) Name() string { return "kubeadm" }
func (p nodesOnlyProvider) Info() lab.Info {
	return lab.Info{Provider: "kubeadm", Nodes: []lab.Node{{Name: "n-cp", Role: lab.RoleControlPlane}, {Name: "n-w"}}}
}
func (p nodesOnlyProvider) Up(context.Context, lab.Progress) (lab.UpResult, error) {
	return lab.UpResult{AlreadyRunning: p.running, Info: p.Info()}, nil
}
func (nodesOnlyProvider) Down(context.Context, lab.Progress) error { return nil }
func (p nodesOnlyProvider) Status(context.Context) (lab.Status, error) {
	return lab.Status{Provider: "kubeadm", Exists: p.running}, nil
}

// A lab without a cluster yet adds no context: lab up says where to go
// instead, and leaves the kubeconfig alone.
func TestRunLabUpWithNodesOnly(t *testing.T) {
	r := newRunApp(t)
	if err := r.app.labUp(context.Background(), nodesOnlyProvider{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"The kubeadm lab's nodes are ready, with no cluster on them yet", "Nodes: n-cp, n-w", "Next: ckalab ssh n-cp"} {
		if !strings.Contains(r.errOut.String(), want) {
			t.Errorf("stderr %q lacks %q", r.errOut, want)
		}
	}
	if _, err := os.Stat(r.vars["KUBECONFIG"]); !os.IsNotExist(err) {
		t.Errorf("the kubeconfig was written (%v): there is no cluster to reach", err)
	}
	r = newRunApp(t)
	if err := r.app.labUp(context.Background(), nodesOnlyProvider{running: true}); err != nil || !strings.Contains(r.errOut.String(), "already running; nothing changed") {
		t.Errorf("second lab up: %v, stderr %q", err, r.errOut)
	}
}
