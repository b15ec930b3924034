package main

import (
	"net/netip"
	"sort"

	corev1 "k8s.io/api/core/v1"
)

// podRoute says: pods in Dst live on the node reachable at Via.
type podRoute struct {
	Dst netip.Prefix
	Via netip.Addr
}

// desiredRoutes returns a route to every other node's pod CIDRs via that
// node's InternalIP of the same address family. Nodes without a podCIDR or
// without a matching InternalIP are skipped (they get routes once they have
// both). The result is sorted by destination.
func desiredRoutes(self string, nodes []*corev1.Node) []podRoute {
	var out []podRoute
	for _, n := range nodes {
		if n.Name == self {
			continue
		}
		var v4, v6 netip.Addr
		for _, a := range n.Status.Addresses {
			if a.Type != corev1.NodeInternalIP {
				continue
			}
			ip, err := netip.ParseAddr(a.Address)
			if err != nil {
				continue
			}
			if ip.Is4() && !v4.IsValid() {
				v4 = ip
			} else if ip.Is6() && !v6.IsValid() {
				v6 = ip
			}
		}
		cidrs := n.Spec.PodCIDRs
		if len(cidrs) == 0 && n.Spec.PodCIDR != "" {
			cidrs = []string{n.Spec.PodCIDR}
		}
		for _, c := range cidrs {
			p, err := netip.ParsePrefix(c)
			if err != nil {
				continue
			}
			via := v4
			if p.Addr().Is6() {
				via = v6
			}
			if !via.IsValid() {
				continue
			}
			out = append(out, podRoute{Dst: p.Masked(), Via: via})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dst.String() < out[j].Dst.String() })
	return out
}

// diffRoutes compares the routes netd installed earlier (current) with the
// desired ones and returns what to add or replace and what to delete.
func diffRoutes(current, desired []podRoute) (replace, remove []podRoute) {
	have := map[netip.Prefix]netip.Addr{}
	for _, r := range current {
		have[r.Dst] = r.Via
	}
	want := map[netip.Prefix]bool{}
	for _, r := range desired {
		want[r.Dst] = true
		if via, ok := have[r.Dst]; !ok || via != r.Via {
			replace = append(replace, r)
		}
	}
	for _, r := range current {
		if !want[r.Dst] {
			remove = append(remove, r)
		}
	}
	return replace, remove
}
