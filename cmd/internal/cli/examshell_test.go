package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckalab/ckalab/exam"
	"k8s.io/client-go/tools/clientcmd"
)

// examContextName is the lab context of the exams of these tests.
const examContextName = "ckalab-sim"

// writeUserKubeconfig writes the user's kubeconfig at path: the exam's
// lab, whose cluster and user refer to certificate files beside it (by
// relative paths, as kubeadm's and minikube's do), and another cluster.
func writeUserKubeconfig(t testing.TB, path, current string) {
	t.Helper()
	dir := filepath.Dir(path)
	for name, data := range map[string]string{"ca.crt": "CA DATA", "client.crt": "CLIENT CERT", "client.key": "CLIENT KEY"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := `apiVersion: v1
kind: Config
current-context: ` + current + `
clusters:
- name: ckalab-sim
  cluster: {server: "https://127.0.0.1:6443", certificate-authority: ca.crt}
- name: other
  cluster: {server: "https://10.0.0.1:6443"}
users:
- name: ckalab-sim
  user: {client-certificate: client.crt, client-key: client.key}
- name: other
  user: {token: other-token}
contexts:
- name: ckalab-sim
  context: {cluster: ckalab-sim, user: ckalab-sim, namespace: exam}
- name: other
  context: {cluster: other, user: other}
`
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// saveExam saves an exam on the lab of examContextName with 1:23:45 left
// at a's clock, changed by change (nil: as it is).
func saveExam(t testing.TB, a *app, change func(st *exam.State)) exam.Store {
	t.Helper()
	store, err := a.examStore(examContextName)
	if err != nil {
		t.Fatal(err)
	}
	deadline := a.env.Now().Add(time.Hour + 23*time.Minute + 45*time.Second)
	st := &exam.State{
		Version: exam.StateVersion, ID: "cka-mock-1-20260314-144315", Set: "cka-mock-1",
		Context: examContextName, Provider: "sim",
		Started: deadline.Add(-2 * time.Hour), Deadline: deadline, Duration: 2 * time.Hour, PassMark: 66,
	}
	for i, id := range []string{"rbac-deployer", "taint-toleration", "service-no-endpoints", "local-storage"} {
		st.Tasks = append(st.Tasks, exam.Task{N: i + 1, Scenario: id, Title: "Task " + id, Domain: "troubleshooting", Weight: 25})
	}
	if change != nil {
		change(st)
	}
	if err := store.Save(st); err != nil {
		t.Fatal(err)
	}
	return store
}

func TestExamPrompt(t *testing.T) {
	later := func(d time.Duration) func(st *exam.State) {
		return func(st *exam.State) { st.Deadline, st.Started = st.Deadline.Add(d), st.Started.Add(d) }
	}
	tests := []struct {
		name string
		// exam: nil saves none; corrupt writes a broken state file.
		exam    func(st *exam.State)
		noExam  bool
		corrupt string
		want    string
	}{
		{name: "running", exam: func(*exam.State) {}, want: "exam 1:23:45\n"},
		{name: "rounded to the second", exam: later(-400 * time.Millisecond), want: "exam 1:23:45\n"},
		{name: "under a minute", exam: later(-time.Hour - 23*time.Minute), want: "exam 0:00:45\n"},
		{name: "flagged", exam: func(st *exam.State) { st.Tasks[1].Flagged, st.Tasks[3].Flagged = true, true },
			want: "exam 1:23:45, 2 flagged\n"},
		{name: "deadline passed", exam: later(-2 * time.Hour), want: "exam over\n"},
		{name: "at the deadline", exam: later(-time.Hour - 23*time.Minute - 45*time.Second), want: "exam over\n"},
		{name: "submitted", exam: func(st *exam.State) { at := st.Started.Add(time.Hour); st.Submitted = &at }, want: "exam over\n"},
		{name: "graded", exam: func(st *exam.State) { at := st.Started.Add(time.Hour); st.Submitted, st.Graded = &at, &at },
			want: "exam over\n"},
		{name: "no exam", noExam: true, want: ""},
		{name: "corrupt", corrupt: "{\"version\": 1, \"deadline\": ", want: "exam ?\n"},
		{name: "of another version", corrupt: `{"version": 99}`, want: "exam ?\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRunApp(t)
			writeUserKubeconfig(t, r.vars["KUBECONFIG"], examContextName)
			switch {
			case tt.corrupt != "":
				store, _ := r.examStore(examContextName)
				if err := os.MkdirAll(filepath.Dir(store.Path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(store.Path, []byte(tt.corrupt), 0o600); err != nil {
					t.Fatal(err)
				}
			case !tt.noExam:
				saveExam(t, r.app, tt.exam)
			}
			if err := runExamPrompt(context.Background(), &examPromptOptions{app: r.app}); err != nil {
				t.Fatalf("exam prompt: %v", err)
			}
			if got := r.out.String(); got != tt.want {
				t.Errorf("exam prompt printed %q, want %q", got, tt.want)
			}
			if r.errOut.Len() != 0 {
				t.Errorf("exam prompt wrote to stderr: %q", r.errOut)
			}
		})
	}
}

// A prompt must stay quiet whatever is wrong, and --context (which the
// exam shell passes) finds the exam without reading the kubeconfig.
func TestExamPromptQuiet(t *testing.T) {
	t.Run("no kubeconfig", func(t *testing.T) {
		r := newRunApp(t)
		if err := runExamPrompt(context.Background(), &examPromptOptions{app: r.app}); err != nil || r.out.Len()+r.errOut.Len() != 0 {
			t.Errorf("exam prompt: %v, stdout %q, stderr %q; want nothing", err, r.out, r.errOut)
		}
	})
	t.Run("a kubeconfig without a current context", func(t *testing.T) {
		r := newRunApp(t)
		writeUserKubeconfig(t, r.vars["KUBECONFIG"], `""`)
		saveExam(t, r.app, nil)
		if err := runExamPrompt(context.Background(), &examPromptOptions{app: r.app}); err != nil || r.out.Len()+r.errOut.Len() != 0 {
			t.Errorf("exam prompt: %v, stdout %q, stderr %q; want nothing", err, r.out, r.errOut)
		}
	})
	t.Run("--context with a broken kubeconfig", func(t *testing.T) {
		r := newRunApp(t)
		if err := os.WriteFile(r.vars["KUBECONFIG"], []byte("{not: [yaml"), 0o600); err != nil {
			t.Fatal(err)
		}
		saveExam(t, r.app, nil)
		r.context = examContextName
		if err := runExamPrompt(context.Background(), &examPromptOptions{app: r.app}); err != nil || r.out.String() != "exam 1:23:45\n" {
			t.Errorf("exam prompt --context: %v, stdout %q, stderr %q; want the clock", err, r.out, r.errOut)
		}
	})
	t.Run("another context's exam", func(t *testing.T) {
		r := newRunApp(t)
		writeUserKubeconfig(t, r.vars["KUBECONFIG"], "other")
		saveExam(t, r.app, nil)
		if err := runExamPrompt(context.Background(), &examPromptOptions{app: r.app}); err != nil || r.out.Len() != 0 {
			t.Errorf("exam prompt on context other: %v, stdout %q; want nothing", err, r.out)
		}
	})
}

// BenchmarkExamPrompt is one run of `exam prompt`'s run function, which a
// shell runs before every prompt: as the exam shell calls it (--context,
// no kubeconfig read) and as a PS1 of the learner's own does (context from
// the kubeconfig).
func BenchmarkExamPrompt(b *testing.B) {
	dir := b.TempDir()
	vars := map[string]string{
		"HOME":           filepath.Join(dir, "home"),
		"XDG_STATE_HOME": filepath.Join(dir, "state"),
		"KUBECONFIG":     filepath.Join(dir, "kubeconfig"),
	}
	b.Setenv("KUBECONFIG", vars["KUBECONFIG"])
	b.Setenv("HOME", vars["HOME"])
	writeUserKubeconfig(b, vars["KUBECONFIG"], examContextName)
	var out bytes.Buffer
	now := time.Date(2026, time.March, 14, 15, 9, 26, 0, time.UTC)
	env := Env{IO: TestIO(strings.NewReader(""), &out, &out), Getenv: func(k string) string { return vars[k] }, Now: func() time.Time { return now }}
	saveExam(b, &app{env: env}, func(st *exam.State) {
		// An exam's worth of tasks (the CKA has 15 to 20), with variables.
		for n := len(st.Tasks) + 1; n <= 17; n++ {
			st.Tasks = append(st.Tasks, exam.Task{N: n, Scenario: "drain-worker", Title: "Drain a worker", Domain: "cluster-architecture",
				Weight: 5, Vars: map[string]string{"node": "ckalab-worker", "namespace": "team-a"}})
		}
	})
	for _, bc := range []struct{ name, context string }{{"context", examContextName}, {"kubeconfig", ""}} {
		b.Run(bc.name, func(b *testing.B) {
			opts := &examPromptOptions{app: &app{env: env, context: bc.context}}
			for b.Loop() {
				out.Reset()
				if err := runExamPrompt(context.Background(), opts); err != nil || out.String() != "exam 1:23:45\n" {
					b.Fatalf("exam prompt: %v, %q", err, out.String())
				}
			}
		})
	}
}

// shellApp is a runApp set up for the exam shell: the user's kubeconfig,
// a running exam, a PATH with the machine's bash and kubectl, and a
// fake ckalab for the prompt that records its arguments in calls.
type shellApp struct {
	runApp
	opts         *examShellOptions
	home, calls  string
	hasKubectl   bool
	userKubeconf []byte
}

func newShellApp(t *testing.T) shellApp {
	t.Helper()
	r := newRunApp(t)
	writeUserKubeconfig(t, r.vars["KUBECONFIG"], examContextName)
	userKubeconf, err := os.ReadFile(r.vars["KUBECONFIG"])
	if err != nil {
		t.Fatal(err)
	}
	saveExam(t, r.app, nil)
	bin := t.TempDir()
	calls := filepath.Join(bin, "calls")
	fake := filepath.Join(bin, "ckalab 'fake'") // a path the rcfile must quote
	script := "#!/bin/sh\necho \"$@\" >> " + shellQuote(calls) + "\necho 'exam 1:23:45'\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r.vars["PATH"] = os.Getenv("PATH")
	_, kubectlErr := lookPath(r.vars["PATH"], "kubectl")
	home := r.vars["HOME"]
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	opts := &examShellOptions{app: r.app,
		executable: func() (string, error) { return fake, nil },
		environ: func() []string {
			return []string{"PATH=" + r.vars["PATH"], "HOME=" + home, "TERM=dumb", "KUBECONFIG=/users/own/kubeconfig"}
		},
	}
	return shellApp{runApp: r, opts: opts, home: home, calls: calls, hasKubectl: kubectlErr == nil, userKubeconf: userKubeconf}
}

func TestExamShell(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash on PATH")
	}
	s := newShellApp(t)
	// A ~/.bashrc that sets what the exam's terminal must override, and a
	// prompt framework's PROMPT_COMMAND that rebuilds PS1 at every prompt.
	// It stands in for the bash-completion package too, which kubectl's
	// completion needs (and which this machine may lack).
	bashrc := `export KUBECONFIG=/from/bashrc
alias k=ls
FROM_BASHRC=yes
PROMPT_COMMAND='PS1="plain\$ "'
_get_comp_words_by_ref() { :; }
`
	if err := os.WriteFile(filepath.Join(s.home, ".bashrc"), []byte(bashrc), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `echo "KUBECONFIG=$KUBECONFIG"
echo "FROM_BASHRC=$FROM_BASHRC"
type k
`
	if s.hasKubectl {
		script += `kubectl config current-context
kubectl config get-contexts -o name
complete -p k
`
	}
	script += "exit 7\n"
	s.app.env.IO.In = strings.NewReader(script)

	err := runExamShell(context.Background(), s.opts)
	wantExit(t, "the shell's exit 7", err, 7)
	if err != nil && err.Error() != "" {
		t.Errorf("the shell's exit status came with a message: %q", err)
	}

	store, _ := s.examStore(examContextName)
	kubeconfig, rcfile := examShellFiles(store)
	if filepath.Dir(kubeconfig) != filepath.Dir(store.Path) || filepath.Dir(rcfile) != filepath.Dir(store.Path) {
		t.Errorf("the shell's files %s and %s are not beside the state %s", kubeconfig, rcfile, store.Path)
	}
	stdout, stderr := s.out.String(), s.errOut.String()
	wantIn(t, "the shell's stdout", stdout,
		"KUBECONFIG="+kubeconfig+"\n",
		"FROM_BASHRC=yes\n",
		"k is aliased to `kubectl'")
	if s.hasKubectl {
		wantIn(t, "the shell's stdout", stdout,
			"\n"+examContextName+"\n"+examContextName+"\n", // current-context, then the only context
			"complete -o default -F __start_kubectl k\n")
	} else {
		t.Log("no kubectl on PATH: kubectl's view of the kubeconfig and the completion are not checked")
	}
	if !strings.HasPrefix(stderr, "Exam cka-mock-1-20260314-144315: 1:23:45 left; kubectl and k work on context ckalab-sim. `exit` leaves this shell (the clock goes on).\n") {
		t.Errorf("the banner is not the first line of stderr:\n%s", stderr)
	}
	// The clock is in the prompt, before the PS1 that the bashrc's
	// PROMPT_COMMAND rebuilt.
	wantIn(t, "the shell's stderr (its prompts)", stderr, "[exam 1:23:45] plain$ ")
	calls, err := os.ReadFile(s.calls)
	if err != nil {
		t.Fatalf("the prompt never ran ckalab: %v", err)
	}
	if first, _, _ := strings.Cut(string(calls), "\n"); first != "--context ckalab-sim exam prompt" {
		t.Errorf("the prompt ran ckalab %q, want --context ckalab-sim exam prompt", first)
	}

	t.Run("kubeconfig", func(t *testing.T) {
		fi, err := os.Stat(kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v, want 0600: it holds the lab's key", kubeconfig, fi.Mode().Perm())
		}
		cfg, err := clientcmd.LoadFromFile(kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.CurrentContext != examContextName || len(cfg.Contexts) != 1 || len(cfg.Clusters) != 1 || len(cfg.AuthInfos) != 1 {
			t.Errorf("current context %q with %d contexts, %d clusters, %d users; want %s alone",
				cfg.CurrentContext, len(cfg.Contexts), len(cfg.Clusters), len(cfg.AuthInfos), examContextName)
		}
		if c := cfg.Contexts[examContextName]; c == nil || c.Namespace != "exam" || c.Cluster != "ckalab-sim" || c.AuthInfo != "ckalab-sim" {
			t.Errorf("context %s = %+v, want the user's", examContextName, c)
		}
		cl, u := cfg.Clusters["ckalab-sim"], cfg.AuthInfos["ckalab-sim"]
		if cl == nil || u == nil {
			t.Fatalf("cluster %v, user %v", cl, u)
		}
		if string(cl.CertificateAuthorityData) != "CA DATA" || cl.CertificateAuthority != "" || cl.Server != "https://127.0.0.1:6443" {
			t.Errorf("cluster not flattened: %+v", cl)
		}
		if string(u.ClientCertificateData) != "CLIENT CERT" || string(u.ClientKeyData) != "CLIENT KEY" || u.ClientCertificate != "" || u.ClientKey != "" {
			t.Errorf("user not flattened: certificate %q (%s), key %q (%s)", u.ClientCertificateData, u.ClientCertificate, u.ClientKeyData, u.ClientKey)
		}
		if got, _ := os.ReadFile(s.vars["KUBECONFIG"]); !bytes.Equal(got, s.userKubeconf) {
			t.Errorf("the user's kubeconfig changed:\n%s", got)
		}
	})

	t.Run("rcfile", func(t *testing.T) {
		fi, err := os.Stat(rcfile)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v, want 0600", rcfile, fi.Mode().Perm())
		}
		data, _ := os.ReadFile(rcfile)
		rc := string(data)
		self, _ := s.opts.executable()
		// In this order: the user's settings first, so that the exam's win.
		wantInOrder(t, "the rcfile", rc,
			"if [ -f ~/.bashrc ]; then\n  . ~/.bashrc\nfi\n",
			"export KUBECONFIG="+shellQuote(kubeconfig)+"\n",
			"alias k=kubectl\n",
			"if command -v kubectl >/dev/null 2>&1; then\n  if declare -F _get_comp_words_by_ref >/dev/null; then\n"+
				"    eval \"$(kubectl completion bash)\"\n    complete -o default -F __start_kubectl k\n",
			"line=$('"+strings.ReplaceAll(self, "'", `'\''`)+"' --context 'ckalab-sim' exam prompt 2>/dev/null)\n",
			"PS1='$(__ckalab_exam_ps1)'\"$PS1\"",
		)
	})
}

// wantIn fails the test unless s holds every one of subs.
func wantIn(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %q:\n%s", what, sub, s)
		}
	}
}

// wantInOrder fails the test unless s holds every one of subs, in this order.
func wantInOrder(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	rest := s
	for _, sub := range subs {
		i := strings.Index(rest, sub)
		if i < 0 {
			t.Errorf("%s lacks %q (after the previous expected part):\n%s", what, sub, s)
			return
		}
		rest = rest[i+len(sub):]
	}
}

// The rcfile does what it says in a plain, non-interactive bash too, and
// without a ~/.bashrc.
func TestExamShellRCNonInteractive(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash on PATH")
	}
	s := newShellApp(t)
	st, store, err := s.currentExam()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, rcfile := examShellFiles(store)
	if err := s.writeExamKubeconfig(st.Context, kubeconfig); err != nil {
		t.Fatal(err)
	}
	self, _ := s.opts.executable()
	if err := os.WriteFile(rcfile, []byte(examShellRC(st, self, kubeconfig)), 0o600); err != nil {
		t.Fatal(err)
	}
	// Aliases are not expanded (nor shown by type) in a non-interactive
	// shell: alias shows the definition.
	script := `. "$1" && alias k && echo "KUBECONFIG=$KUBECONFIG" && echo "PS1=$PS1" && __ckalab_exam_ps1`
	if s.hasKubectl {
		script += ` && kubectl config current-context && { complete -p k 2>/dev/null || true; }`
	}
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script, "bash", rcfile)
	cmd.Env = s.opts.environ()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bash: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	want := "alias k='kubectl'\nKUBECONFIG=" + kubeconfig + "\nPS1=$(__ckalab_exam_ps1)\n[exam 1:23:45] "
	wantErr := ""
	if s.hasKubectl {
		want += examContextName + "\n"
		// Without a ~/.bashrc, the rcfile loads bash-completion itself
		// when the machine has it, and says it is missing otherwise.
		hasBashCompletion := false
		for _, f := range []string{"/usr/share/bash-completion/bash_completion", "/etc/bash_completion",
			"/opt/homebrew/etc/profile.d/bash_completion.sh", "/usr/local/etc/profile.d/bash_completion.sh"} {
			if _, err := os.Stat(f); err == nil {
				hasBashCompletion = true
			}
		}
		if hasBashCompletion {
			want += "complete -o default -F __start_kubectl k\n"
		} else {
			t.Log("no bash-completion on this machine: checking the note that says so")
			wantErr = "(No completion for kubectl and k: it needs the bash-completion package.)\n"
		}
	}
	if stdout.String() != want || stderr.String() != wantErr {
		t.Errorf("bash printed:\n%s\nand on stderr:\n%s\nwant:\n%s\nand on stderr:\n%s", stdout.String(), stderr.String(), want, wantErr)
	}
}

func TestExamShellRefuses(t *testing.T) {
	t.Run("no exam", func(t *testing.T) {
		s := newShellApp(t)
		store, _ := s.examStore(examContextName)
		if err := store.Remove(); err != nil {
			t.Fatal(err)
		}
		err := runExamShell(context.Background(), s.opts)
		if !errors.Is(err, errNoExam) {
			t.Errorf("exam shell without an exam: %v, want errNoExam", err)
		}
	})
	t.Run("exam over", func(t *testing.T) {
		s := newShellApp(t)
		saveExam(t, s.app, func(st *exam.State) { st.Deadline = s.env.Now().Add(-time.Second) })
		err := runExamShell(context.Background(), s.opts)
		if err == nil || !strings.Contains(err.Error(), "exam cka-mock-1-20260314-144315 is over") {
			t.Errorf("exam shell after the deadline: %v, want it over", err)
		}
		wantExit(t, "exam over", err, ExitError)
	})
	t.Run("no bash", func(t *testing.T) {
		s := newShellApp(t)
		s.vars["PATH"] = t.TempDir() + string(filepath.ListSeparator) + "relative/bin"
		err := runExamShell(context.Background(), s.opts)
		store, _ := s.examStore(examContextName)
		kubeconfig, _ := examShellFiles(store)
		if err == nil || !strings.Contains(err.Error(), "there is no bash on PATH") || !strings.Contains(err.Error(), "export KUBECONFIG="+kubeconfig) {
			t.Errorf("exam shell without bash: %v", err)
		}
		if _, err := os.Stat(kubeconfig); err != nil {
			t.Errorf("no %s: the error names it", kubeconfig)
		}
		if s.errOut.Len() != 0 {
			t.Errorf("a banner although no shell started: %q", s.errOut)
		}
	})
	t.Run("the lab's context is gone", func(t *testing.T) {
		s := newShellApp(t)
		saveExam(t, s.app, func(st *exam.State) { st.Context = "ckalab-gone" })
		err := runExamShell(context.Background(), s.opts)
		wantExit(t, "exam shell without the exam's context", err, ExitNoLab)
		if err == nil || !strings.Contains(err.Error(), `no context "ckalab-gone"`) {
			t.Errorf("exam shell without the exam's context: %v", err)
		}
	})
}

// A shell killed by a signal exits as a shell reports it: 128 + the signal.
func TestShellExit(t *testing.T) {
	if err := shellExit(nil); err != nil {
		t.Errorf("shellExit(nil) = %v", err)
	}
	err := shellExit(exec.Command("sh", "-c", "kill -TERM $$").Run())
	wantExit(t, "a shell killed by SIGTERM", err, 143)
	err = shellExit(exec.Command("sh", "-c", "exit 3").Run())
	wantExit(t, "a shell's exit 3", err, 3)
}
