package cli

import (
	"context"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/ckalab/ckalab/lab/doctor"
	"github.com/ckalab/ckalab/lab/providers"
)

func TestRunVersion(t *testing.T) {
	r := newRunApp(t)
	if err := runVersion(context.Background(), &versionOptions{app: r.app, Output: "text"}); err != nil {
		t.Fatal(err)
	}
	reg := providers.All()
	lines := strings.Split(strings.TrimSuffix(r.out.String(), "\n"), "\n")
	first := "ckalab " + Version + " (" + runtime.Version() + ", "
	if len(lines) != len(reg)+2 || !strings.HasPrefix(lines[0], first) || lines[1] != reg[0].Name+" lab: "+reg[0].Runs || !strings.HasPrefix(lines[len(lines)-1], "scenario format: ") {
		t.Errorf("version: want %q..., a line per provider, the scenario format:\n%s", first, r.out)
	}

	r = newRunApp(t)
	if err := runVersion(context.Background(), &versionOptions{app: r.app, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var v versionInfo
	decodeJSON(t, "version -o json", r.out.Bytes(), &v)
	if v.Version != Version || len(v.Labs) != len(reg) || v.Labs[reg[0].Name] != reg[0].Runs {
		t.Errorf("version -o json: %+v", v)
	}

	wantExit(t, "version -o yaml", runVersion(context.Background(), &versionOptions{app: r.app, Output: "yaml"}), ExitUsage)
}

func TestRunScenarioKinds(t *testing.T) {
	r := newRunApp(t)
	if err := runScenarioKinds(context.Background(), &scenarioKindsOptions{app: r.app}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(r.out.String(), "\n"), "\n")
	if !strings.HasPrefix(lines[0], "KIND ") || len(lines) != len(r.loader().CheckTypes)+1 || !strings.HasPrefix(lines[1], "absent ") {
		t.Errorf("scenario kinds: want a header and a row per kind, absent first:\n%s", r.out)
	}
}

// TestRunScenarioValidateConflicts: the paths given join the catalog; a
// scenario that is in the catalog is listed once.
func TestRunScenarioValidateConflicts(t *testing.T) {
	r := newRunApp(t)
	dir := filepath.Join("..", "..", "..", "scenarios", "builtin", "taint-toleration")
	if err := runScenarioValidate(context.Background(), &scenarioValidateOptions{app: r.app, Paths: []string{dir}, Conflicts: true}); err != nil {
		t.Fatal(err)
	}
	// The table's columns are as wide as their longest cell: compare
	// lines with their spaces squeezed.
	var lines []string
	for _, l := range strings.Split(r.out.String(), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	out := strings.Join(lines, "\n")
	// The scenario given is listed once, and every pair once, in order.
	for _, line := range []string{
		"✓ " + filepath.Join(dir, "scenario.yaml") + ": taint-toleration, 3 checks, 5 points\n",
		"\nSCENARIO CONFLICTS WITH OVER\n",
		"\ndrain-worker taint-toleration node ckalab-worker\n",
		"\nstatic-pod taint-toleration node ckalab-worker\n",
		"\ndaemonset-everywhere taint-toleration node ckalab-worker (daemonset-everywhere uses it)\n",
	} {
		if strings.Count(out, line) != 1 {
			t.Errorf("validate --conflicts %s: %q %d times, want once:\n%s", dir, line, strings.Count(out, line), out)
		}
	}
}

func TestRunImages(t *testing.T) {
	r := newRunApp(t)
	if err := runImagesList(context.Background(), &imagesListOptions{app: r.app, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var list []imageUse
	decodeJSON(t, "images list -o json", r.out.Bytes(), &list)
	if len(list) == 0 {
		t.Fatal("images list -o json: no images")
	}
	for _, u := range list {
		if u.Cached || len(u.Scenarios) == 0 {
			t.Errorf("images list in an empty cache: %+v", u)
		}
	}

	r = newRunApp(t)
	if err := runImagesList(context.Background(), &imagesListOptions{app: r.app, Output: "table"}); err != nil {
		t.Fatal(err)
	}
	cacheDir := filepath.Join(r.vars["XDG_CACHE_HOME"], "ckalab", "images")
	if want := "\nCache: " + cacheDir + "\n" + strconv.Itoa(len(list)) + " missing: "; !strings.HasPrefix(r.errOut.String(), want) {
		t.Errorf("images list: stderr %q, want it to start with %q", r.errOut, want)
	}

	err := runImagesFill(context.Background(), &imagesFillOptions{app: r.app, Verb: "pull", Images: []string{"Busybox"}})
	if wantExit(t, "images pull Busybox", err, ExitUsage); err == nil || !strings.HasSuffix(err.Error(), "(an argument is an image like busybox:1.36 or a scenario id)") {
		t.Errorf("images pull Busybox: %v", err)
	}
}

// TestRunDoctorWithoutKubectl: with nothing on PATH the kubectl check
// fails; the JSON says so and the run ends with errChecksFailed.
func TestRunDoctorWithoutKubectl(t *testing.T) {
	r := newRunApp(t)
	r.vars["PATH"] = t.TempDir()
	err := runDoctor(context.Background(), &doctorOptions{app: r.app, Output: "json"})
	wantExit(t, "doctor -o json", err, ExitChecksFailed)
	var res doctorResult
	decodeJSON(t, "doctor -o json", r.out.Bytes(), &res)
	failed := map[string]bool{}
	for _, c := range res.Checks {
		failed[c.Name] = c.Status == doctor.StatusFail
	}
	if res.OK || !failed["kubectl"] {
		t.Errorf("doctor -o json without kubectl: ok %v, failed %v", res.OK, failed)
	}
}

// TestRunScenarioTestVarErrors: a --var the scenario does not declare, or
// a value it does not list, is a usage error before the lab changes.
func TestRunScenarioTestVarErrors(t *testing.T) {
	r := newRunApp(t)
	open, _ := r.fakeSession(t)
	for _, tc := range []struct{ id, vars, want string }{
		{"taint-toleration", "cause=moved", "taint-toleration: var cause: the scenario declares no vars"},
		{"controlplane-broken", "causes=moved", "controlplane-broken: var causes: not declared (the scenario's vars: cause, component)"},
		{"controlplane-broken", "cause=deleted", `controlplane-broken: var cause: "deleted" is not one of its values (moved, hidden)`},
	} {
		vars, want := tc.vars, tc.want
		name, value, _ := strings.Cut(vars, "=")
		err := runScenarioTest(context.Background(), &scenarioTestOptions{app: r.app, session: open, Scenarios: []string{tc.id}, Vars: map[string]string{name: value}, Output: "text"})
		wantExit(t, "--var "+vars, err, ExitUsage)
		if err == nil || err.Error() != want {
			t.Errorf("--var %s: %v, want %q", vars, err, want)
		}
	}
	if r.errOut.Len() != 0 {
		t.Errorf("a usage error started testing: %s", r.errOut)
	}
}
