// netd is the ckalab node image's CNI daemon, run as a DaemonSet on every
// node (hostNetwork, privileged). It replaces kind's kindnet, which cannot be
// built from the Go module proxy:
//
//   - it writes /etc/cni/net.d/10-ckalab.conflist (ptp + host-local with the
//     node's spec.podCIDRs, portmap) once the node has a podCIDR;
//   - it keeps a route to every other node's pod CIDRs via that node's
//     InternalIP (watching nodes), and removes routes of deleted nodes;
//   - it masquerades pod traffic that leaves the cluster's pod network.
//
// NetworkPolicy is enforced by kube-network-policies, not here.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// routeProtocol marks the routes netd owns (an unassigned rtnetlink protocol
// number), so it can find and remove its stale routes after a restart.
const routeProtocol = netlink.RouteProtocol(163)

func main() {
	var (
		nodeName    = flag.String("node-name", os.Getenv("NODE_NAME"), "this node's name")
		cniDir      = flag.String("cni-conf-dir", "/etc/cni/net.d", "where to write the CNI configuration")
		clusterCIDR = flag.String("cluster-cidr", os.Getenv("POD_SUBNET"), "the cluster's pod network, comma-separated (for masquerading); empty disables masquerading")
		resync      = flag.Duration("resync", 30*time.Second, "full resync period")
	)
	klog.InitFlags(nil)
	flag.Parse()
	if *nodeName == "" {
		klog.Fatal("--node-name (or NODE_NAME) is required")
	}

	// kind patches CONTROL_PLANE_ENDPOINT (host:port) into the DaemonSet so the
	// CNI does not depend on kube-proxy having programmed the service VIP.
	if ep := os.Getenv("CONTROL_PLANE_ENDPOINT"); ep != "" {
		if host, port, err := net.SplitHostPort(ep); err == nil {
			os.Setenv("KUBERNETES_SERVICE_HOST", host)
			os.Setenv("KUBERNETES_SERVICE_PORT", port)
		}
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		klog.Fatalf("in-cluster config: %v", err)
	}
	client := kubernetes.NewForConfigOrDie(cfg)

	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()

	for _, s := range []string{"/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding"} {
		if err := os.WriteFile(s, []byte("1"), 0o644); err != nil {
			klog.Warningf("enabling forwarding (%s): %v", s, err)
		}
	}

	factory := informers.NewSharedInformerFactory(client, *resync)
	nodes := factory.Core().V1().Nodes()
	kick := make(chan struct{}, 1)
	poke := func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	_, _ = nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { poke() },
		UpdateFunc: func(any, any) { poke() },
		DeleteFunc: func(any) { poke() },
	})
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), nodes.Informer().HasSynced) {
		klog.Fatal("node informer did not sync")
	}
	klog.Infof("netd %s: node %s, cluster CIDR %q", version, *nodeName, *clusterCIDR)

	s := &syncer{node: *nodeName, cniDir: *cniDir, clusterCIDRs: splitList(*clusterCIDR)}
	tick := time.NewTicker(*resync)
	defer tick.Stop()
	for {
		list, err := nodes.Lister().List(labels.Everything())
		if err != nil {
			klog.Errorf("listing nodes: %v", err)
		} else if err := s.sync(list); err != nil {
			klog.Errorf("sync: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-kick:
		case <-tick.C:
		}
	}
}

const version = "v0.1.0"

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

type syncer struct {
	node         string
	cniDir       string
	clusterCIDRs []string
	lastMasq     string
}

func (s *syncer) sync(nodes []*corev1.Node) error {
	var errs []error
	var self *corev1.Node
	for _, n := range nodes {
		if n.Name == s.node {
			self = n
		}
	}
	if self == nil {
		return fmt.Errorf("node %s not found", s.node)
	}
	if err := s.writeConf(self); err != nil {
		errs = append(errs, err)
	}
	if err := s.syncRoutes(nodes); err != nil {
		errs = append(errs, err)
	}
	if err := s.syncMasq(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (s *syncer) writeConf(self *corev1.Node) error {
	cidrs := self.Spec.PodCIDRs
	if len(cidrs) == 0 && self.Spec.PodCIDR != "" {
		cidrs = []string{self.Spec.PodCIDR}
	}
	if len(cidrs) == 0 {
		klog.Infof("node %s has no podCIDR yet", s.node)
		return nil
	}
	conf, err := renderConflist(cidrs, defaultRouteMTU())
	if err != nil {
		return err
	}
	path := filepath.Join(s.cniDir, confName)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, conf) {
		return nil
	}
	if err := os.MkdirAll(s.cniDir, 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, conf, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	klog.Infof("wrote %s for pod CIDRs %v", path, cidrs)
	return nil
}

// defaultRouteMTU is the MTU of the interface holding the IPv4 default route
// (the node's docker network interface), 1500 if unknown.
func defaultRouteMTU() int {
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err == nil {
		for _, r := range routes {
			if r.Dst == nil || r.Dst.String() == "0.0.0.0/0" {
				if l, err := netlink.LinkByIndex(r.LinkIndex); err == nil && l.Attrs().MTU > 0 {
					return l.Attrs().MTU
				}
			}
		}
	}
	return 1500
}

func (s *syncer) syncRoutes(nodes []*corev1.Node) error {
	desired := desiredRoutes(s.node, nodes)
	var current []podRoute
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		rs, err := netlink.RouteListFiltered(fam, &netlink.Route{Protocol: routeProtocol}, netlink.RT_FILTER_PROTOCOL)
		if err != nil {
			return fmt.Errorf("listing routes: %w", err)
		}
		for _, r := range rs {
			if r.Dst == nil {
				continue
			}
			dst, ok := netipPrefix(r.Dst)
			via, ok2 := netip.AddrFromSlice(r.Gw)
			if ok && ok2 {
				current = append(current, podRoute{Dst: dst, Via: via.Unmap()})
			}
		}
	}
	replace, remove := diffRoutes(current, desired)
	var errs []error
	for _, r := range replace {
		nr := &netlink.Route{
			Dst:      &net.IPNet{IP: r.Dst.Addr().AsSlice(), Mask: net.CIDRMask(r.Dst.Bits(), r.Dst.Addr().BitLen())},
			Gw:       r.Via.AsSlice(),
			Protocol: routeProtocol,
		}
		if err := netlink.RouteReplace(nr); err != nil {
			errs = append(errs, fmt.Errorf("route %s via %s: %w", r.Dst, r.Via, err))
			continue
		}
		klog.Infof("route %s via %s", r.Dst, r.Via)
	}
	for _, r := range remove {
		nr := &netlink.Route{
			Dst:      &net.IPNet{IP: r.Dst.Addr().AsSlice(), Mask: net.CIDRMask(r.Dst.Bits(), r.Dst.Addr().BitLen())},
			Gw:       r.Via.AsSlice(),
			Protocol: routeProtocol,
		}
		if err := netlink.RouteDel(nr); err != nil {
			errs = append(errs, fmt.Errorf("deleting route %s: %w", r.Dst, err))
			continue
		}
		klog.Infof("removed route %s via %s", r.Dst, r.Via)
	}
	return errors.Join(errs...)
}

func netipPrefix(n *net.IPNet) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones).Masked(), true
}

func (s *syncer) syncMasq() error {
	if len(s.clusterCIDRs) == 0 {
		return nil
	}
	script, err := renderMasq(s.clusterCIDRs)
	if err != nil {
		return err
	}
	// re-apply on every resync: cheap, and repairs a flushed ruleset
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft: %v: %s", err, out)
	}
	if script != s.lastMasq {
		klog.Infof("masquerading traffic from %v leaving the pod network", s.clusterCIDRs)
		s.lastMasq = script
	}
	return nil
}
