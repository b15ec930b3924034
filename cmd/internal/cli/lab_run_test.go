package cli

import (
	"context"
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
