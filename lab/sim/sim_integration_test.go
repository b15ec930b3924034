package sim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/simtest"
	"github.com/ckalab/ckalab/lab"
	"github.com/ckalab/ckalab/lab/sim"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
)

// provider returns a sim provider in a temporary folder, or skips (fails
// under CI=true) without binaries.
func provider(tb testing.TB) *sim.Provider {
	tb.Helper()
	p := &sim.Provider{StateDir: filepath.Join(tb.TempDir(), "state"), BinDir: simtest.BinDir(), Now: time.Now}
	if missing := p.MissingBinaries(); len(missing) > 0 {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("sim binaries %v missing in %s under CI=true", missing, p.BinDir)
		}
		tb.Skipf("sim binaries %v missing (run `make sim`)", missing)
	}
	if testing.Short() {
		tb.Skip("integration test: skipped with -short")
	}
	return p
}

func connect(tb testing.TB, res lab.UpResult) *lab.Cluster {
	tb.Helper()
	rc, err := clientcmd.NewDefaultClientConfig(*res.Kubeconfig, nil).ClientConfig()
	if err != nil {
		tb.Fatal(err)
	}
	lab.ConfigureClient(rc)
	c, err := lab.NewCluster(rc)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestLabLifecycle: up makes a lab whose nodes are Ready, labelled and
// tainted as kubeadm does, whose versions are true, where RBAC and
// admission are real and pods run; a second up changes nothing; status
// reports a dead component with its log; down leaves no process or file.
func TestLabLifecycle(t *testing.T) {
	p := provider(t)
	ctx := context.Background()
	res, err := p.Up(ctx, lab.NoProgress{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Down(context.Background(), lab.NoProgress{}) })
	c := connect(t, res)

	info, err := lab.ReadMarker(ctx, c.Kube)
	if err != nil {
		t.Fatal(err)
	}
	if info.Provider != "sim" || !info.Can(lab.CapAPI) || info.Can(lab.CapKubelet) {
		t.Errorf("marker %+v: want provider sim with api only", info)
	}
	ver, err := c.Kube.Discovery().ServerVersion()
	if err != nil || ver.GitVersion != sim.KubernetesVersion {
		t.Errorf("server version %v (%v), want %s", ver, err, sim.KubernetesVersion)
	}

	nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) != 3 {
		t.Fatalf("%d nodes, want 3", len(nodes.Items))
	}
	for _, n := range nodes.Items {
		ready := false
		for _, cond := range n.Status.Conditions {
			ready = ready || (cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue)
		}
		if !ready {
			t.Errorf("node %s not Ready", n.Name)
		}
		_, isCP := n.Labels["node-role.kubernetes.io/control-plane"]
		if isCP != (n.Name == "ckalab-control-plane") {
			t.Errorf("node %s control-plane label: %v", n.Name, isCP)
		}
		tainted := len(n.Spec.Taints) == 1 && n.Spec.Taints[0].Key == "node-role.kubernetes.io/control-plane" && n.Spec.Taints[0].Effect == corev1.TaintEffectNoSchedule
		if tainted != isCP {
			t.Errorf("node %s taints %v", n.Name, n.Spec.Taints)
		}
	}

	// Admission and RBAC are real: an unprivileged service account is refused.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "lifecycle", Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}
	if _, err := c.Kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	priv := true
	bad := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "privileged", Namespace: "lifecycle"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1.36", SecurityContext: &corev1.SecurityContext{Privileged: &priv}}}}}
	if _, err := c.Kube.CoreV1().Pods("lifecycle").Create(ctx, bad, metav1.CreateOptions{}); err == nil || !strings.Contains(err.Error(), "violates PodSecurity") {
		t.Errorf("privileged pod in a restricted namespace: %v, want a PodSecurity refusal", err)
	}
	// A scheduled pod becomes Running and Ready on a worker.
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27"}}}}
	if _, err := c.Kube.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := c.Kube.CoreV1().Pods("default").Get(ctx, "web", metav1.GetOptions{})
		if err == nil && got.Status.Phase == corev1.PodRunning && got.Spec.NodeName != "" && got.Spec.NodeName != "ckalab-control-plane" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pod web not Running on a worker: %+v %v", got.Status, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// busybox with no command crash-loops, as on a real node.
	crash := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "crash", Namespace: "default"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1.36"}}}}
	if _, err := c.Kube.CoreV1().Pods("default").Create(ctx, crash, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for {
		got, err := c.Kube.CoreV1().Pods("default").Get(ctx, "crash", metav1.GetOptions{})
		if err == nil && len(got.Status.ContainerStatuses) == 1 {
			cs := got.Status.ContainerStatuses[0]
			if cs.State.Waiting == nil || cs.State.Waiting.Reason != "CrashLoopBackOff" || cs.Ready {
				t.Fatalf("busybox without a command: %+v, want CrashLoopBackOff and not ready", cs)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pod crash has no container status: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Deletion completes.
	if err := c.Kube.CoreV1().Pods("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for {
		_, err := c.Kube.CoreV1().Pods("default").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("pod web not deleted")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A second up changes nothing.
	again, err := p.Up(ctx, lab.NoProgress{})
	if err != nil || !again.AlreadyRunning {
		t.Fatalf("second up: %+v %v, want AlreadyRunning", again, err)
	}

	// Status sees a dead component and shows its log.
	st, err := p.Status(ctx)
	if err != nil || !st.Healthy || len(st.Components) != 5 {
		t.Fatalf("status %+v %v: want 5 healthy components", st, err)
	}
	var sched lab.ComponentStatus
	pids := map[int]bool{}
	for _, cs := range st.Components {
		pids[cs.PID] = true
		if cs.Name == "kube-scheduler" {
			sched = cs
		}
	}
	if err := syscall.Kill(sched.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, sched.PID)
	st, err = p.Status(ctx)
	if err != nil || st.Healthy {
		t.Fatalf("status after killing the scheduler: healthy=%v %v", st.Healthy, err)
	}
	for _, cs := range st.Components {
		if cs.Name == "kube-scheduler" && (cs.Running || cs.LogTail == "") {
			t.Errorf("dead scheduler reported as %+v", cs)
		}
	}
	if _, err := p.Up(ctx, lab.NoProgress{}); err == nil || !strings.Contains(err.Error(), "kube-scheduler is not running") {
		t.Errorf("up on an unhealthy lab: %v, want it to name the dead scheduler", err)
	}

	// Down leaves no process and no file.
	if err := p.Down(ctx, lab.NoProgress{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p.StateDir); !os.IsNotExist(err) {
		t.Errorf("state folder still there after down: %v", err)
	}
	for pid := range pids {
		if processAlive(pid) {
			t.Errorf("process %d still alive after down", pid)
		}
	}
	if err := p.Down(ctx, lab.NoProgress{}); err != nil {
		t.Errorf("second down: %v", err)
	}
}

func processAlive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || (stat[i+2] != 'Z' && stat[i+2] != 'X')
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for i := 0; i < 100 && processAlive(pid); i++ {
		time.Sleep(20 * time.Millisecond)
	}
}

// TestUpWithoutBinaries fails with the command that fixes it, and leaves nothing.
func TestUpWithoutBinaries(t *testing.T) {
	p := &sim.Provider{StateDir: filepath.Join(t.TempDir(), "state"), BinDir: t.TempDir(), Now: time.Now}
	_, err := p.Up(context.Background(), lab.NoProgress{})
	if err == nil || !strings.Contains(err.Error(), "make sim") {
		t.Fatalf("up without binaries: %v, want a hint to run make sim", err)
	}
	if _, err := os.Stat(p.StateDir); !os.IsNotExist(err) {
		t.Errorf("state folder created: %v", err)
	}
}

// BenchmarkLabUp measures `lab up` until all nodes are Ready, with the
// binaries built (target: 15 s or less on 2 cores).
func BenchmarkLabUp(b *testing.B) {
	p := provider(b)
	for i := 0; i < b.N; i++ {
		b.StartTimer()
		if _, err := p.Up(context.Background(), lab.NoProgress{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := p.Down(context.Background(), lab.NoProgress{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLabIdleMemory reports the lab's total resident memory after 20 s
// idle (target: 800 MB or less).
func BenchmarkLabIdleMemory(b *testing.B) {
	p := provider(b)
	var total float64
	for i := 0; i < b.N; i++ {
		if _, err := p.Up(context.Background(), lab.NoProgress{}); err != nil {
			b.Fatal(err)
		}
		time.Sleep(20 * time.Second)
		st, err := p.Status(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		var sum float64
		for _, cs := range st.Components {
			mb, err := rssMB(cs.PID)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(mb, cs.Name+"-MB")
			sum += mb
		}
		total += sum
		if err := p.Down(context.Background(), lab.NoProgress{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(total/float64(b.N), "MB-rss-total")
}

func rssMB(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// stepRecorder records the steps a provider reports.
type stepRecorder struct{ steps []string }

func (r *stepRecorder) Start(step string) { r.steps = append(r.steps, step) }
func (r *stepRecorder) End(bool)          {}

// TestHelperKilledUp is not a test: TestUpAfterKilledUp runs it in a child
// process as the `lab up` that it kills.
func TestHelperKilledUp(t *testing.T) {
	dir := os.Getenv("CKALAB_TEST_KILLED_UP_STATE")
	if dir == "" {
		t.Skip("helper of TestUpAfterKilledUp")
	}
	p := &sim.Provider{StateDir: dir, BinDir: simtest.BinDir(), Now: time.Now}
	_, _ = p.Up(context.Background(), lab.NoProgress{})
	time.Sleep(time.Minute) // killed before
}

// TestUpAfterKilledUp: `lab up` killed once the apiserver runs leaves a
// half-made lab whose processes outlive it; the next up stops them, removes
// the lab's folder, says so, and makes a whole lab.
func TestUpAfterKilledUp(t *testing.T) {
	p := provider(t)
	child := exec.Command(os.Args[0], "-test.run=^TestHelperKilledUp$", "-test.count=1")
	child.Env = append(os.Environ(), "CKALAB_TEST_KILLED_UP_STATE="+p.StateDir, "CKALAB_SIM_BIN="+p.BinDir)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Down(context.Background(), lab.NoProgress{}) })
	var half struct {
		Creating  bool
		Processes []struct {
			Name string
			PID  int
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		data, err := os.ReadFile(filepath.Join(p.StateDir, "lab.json"))
		if err == nil && json.Unmarshal(data, &half) == nil && len(half.Processes) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			_ = child.Process.Kill()
			t.Fatalf("the child's lab up did not start the apiserver: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	if !half.Creating {
		t.Errorf("state of a lab being made: creating = false")
	}
	for _, proc := range half.Processes {
		if !processAlive(proc.PID) {
			t.Fatalf("%s (pid %d) did not outlive the killed lab up", proc.Name, proc.PID)
		}
	}
	st, err := p.Status(context.Background())
	if err != nil || !st.Exists || st.Healthy {
		t.Errorf("status of the half-made lab: %+v, %v; want it to exist, unhealthy", st, err)
	}

	rec := &stepRecorder{}
	res, err := p.Up(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if res.AlreadyRunning {
		t.Error("Up took the half-made lab for a running one")
	}
	if len(rec.steps) == 0 || !strings.HasPrefix(rec.steps[0], "Removing what an interrupted `lab up` left: etcd (pid "+strconv.Itoa(half.Processes[0].PID)+"), kube-apiserver (pid "+strconv.Itoa(half.Processes[1].PID)+")") ||
		!strings.Contains(rec.steps[0], "folder "+p.StateDir) {
		t.Errorf("steps = %q, want the clean-up first, naming the processes and the folder", rec.steps)
	}
	for _, proc := range half.Processes {
		if processAlive(proc.PID) {
			t.Errorf("%s (pid %d) of the half-made lab still runs", proc.Name, proc.PID)
		}
	}
	st, err = p.Status(context.Background())
	if err != nil || !st.Healthy || len(st.Components) != 5 {
		t.Errorf("status of the new lab: %+v, %v; want 5 healthy components", st, err)
	}
	c := connect(t, res)
	if _, err := lab.ReadMarker(context.Background(), c.Kube); err != nil {
		t.Errorf("new lab: %v", err)
	}
	again, err := p.Up(context.Background(), lab.NoProgress{})
	if err != nil || !again.AlreadyRunning {
		t.Errorf("Up on the new lab: %+v, %v; want AlreadyRunning", again, err)
	}
}
