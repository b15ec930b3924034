package sim

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"time"

	"github.com/ckalab/ckalab/lab"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const pollInterval = 100 * time.Millisecond

// waitHTTPS polls url with a client certificate until it answers 200, the
// process dies, or the timeout passes.
func waitHTTPS(ctx context.Context, url string, caPEM []byte, client keyPair, timeout time.Duration, proc *process) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cert, err := tls.X509KeyPair(client.Cert, client.Key)
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
	}}
	defer hc.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := "no answer"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if !proc.alive() {
			return fmt.Errorf("%s exited; the end of its log:\n%s", proc.Name, proc.logTail(15))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s (last answer: %s); its log: %s", proc.Name, timeout, last, proc.LogFile)
		case <-time.After(pollInterval):
		}
	}
}

// simNode is the Node object of one simulated node, labelled and tainted
// as kubeadm does on a real cluster.
func simNode(n lab.Node) *corev1.Node {
	labels := map[string]string{
		"kubernetes.io/hostname": n.Name,
		"kubernetes.io/os":       "linux",
		"kubernetes.io/arch":     "amd64",
		// A kubelet sets the deprecated beta labels too; without them the
		// node lifecycle controller adds them a moment later
		// (reconcileNodeLabels), and a baseline recorded before that saw a
		// node that later "changed" (lab reset then removed them).
		"beta.kubernetes.io/os":   "linux",
		"beta.kubernetes.io/arch": "amd64",
		"type":                    "kwok",
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        n.Name,
			Labels:      labels,
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
		},
		Status: corev1.NodeStatus{
			Allocatable: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi"),
				corev1.ResourcePods: resource.MustParse("110"), corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
			},
			NodeInfo: corev1.NodeSystemInfo{KubeletVersion: KubernetesVersion, OperatingSystem: "linux", Architecture: "amd64",
				ContainerRuntimeVersion: "kwok://" + KwokVersion, OSImage: "ckalab sim node"},
		},
	}
	node.Status.Capacity = node.Status.Allocatable.DeepCopy()
	if n.Role == lab.RoleControlPlane {
		labels["node-role.kubernetes.io/control-plane"] = ""
		labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
		node.Spec.Taints = []corev1.Taint{{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule}}
	}
	return node
}

// bootstrap adds the nodes and the objects a fresh kind cluster has (a
// default StorageClass, the default ServiceAccount) and waits until the
// cluster can run pods. alive fails fast when a component died.
func bootstrap(ctx context.Context, c *lab.Cluster, info lab.Info, alive func() error) error {
	for _, n := range info.Nodes {
		if _, err := c.Kube.CoreV1().Nodes().Create(ctx, simNode(n), metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create node %s: %w", n.Name, err)
		}
	}
	// kind ships rancher's local-path provisioner as the default class; the
	// sim has the same default class so that scenarios behave alike.
	sc := &storagev1.StorageClass{
		ObjectMeta:  metav1.ObjectMeta{Name: "standard", Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}},
		Provisioner: "rancher.io/local-path",
	}
	wffc := storagev1.VolumeBindingWaitForFirstConsumer
	sc.VolumeBindingMode = &wffc
	if _, err := c.Kube.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create default StorageClass: %w", err)
	}
	return lab.WaitReady(ctx, c, info, 60*time.Second, pollInterval, alive)
}
