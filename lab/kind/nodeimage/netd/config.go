package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
)

// confName is where netd writes the node's CNI configuration. containerd picks
// the lexically first file in /etc/cni/net.d, so keep the name early.
const confName = "10-ckalab.conflist"

type ipRange struct {
	Subnet string `json:"subnet"`
}

type route struct {
	Dst string `json:"dst"`
}

type ipam struct {
	Type    string      `json:"type"`
	DataDir string      `json:"dataDir"`
	Routes  []route     `json:"routes"`
	Ranges  [][]ipRange `json:"ranges"`
}

type plugin struct {
	Type         string          `json:"type"`
	IPMasq       *bool           `json:"ipMasq,omitempty"`
	MTU          int             `json:"mtu,omitempty"`
	IPAM         *ipam           `json:"ipam,omitempty"`
	Capabilities map[string]bool `json:"capabilities,omitempty"`
}

type conflist struct {
	CNIVersion string   `json:"cniVersion"`
	Name       string   `json:"name"`
	Plugins    []plugin `json:"plugins"`
}

// renderConflist returns the CNI configuration for a node whose pods get
// addresses from podCIDRs (the node's spec.podCIDRs): a ptp veth per pod with
// host-local addresses, no masquerading by the plugin (netd masquerades only
// traffic leaving the cluster, so NetworkPolicy sees real pod source IPs),
// and portmap for hostPort. The loopback interface is set up by containerd
// itself with the loopback plugin binary.
func renderConflist(podCIDRs []string, mtu int) ([]byte, error) {
	if len(podCIDRs) == 0 {
		return nil, fmt.Errorf("node has no podCIDR yet")
	}
	no := false
	ip := &ipam{Type: "host-local", DataDir: "/run/cni-ipam-state"}
	for _, c := range podCIDRs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("podCIDR %q: %w", c, err)
		}
		p = p.Masked()
		ip.Ranges = append(ip.Ranges, []ipRange{{Subnet: p.String()}})
		if p.Addr().Is4() {
			ip.Routes = append(ip.Routes, route{Dst: "0.0.0.0/0"})
		} else {
			ip.Routes = append(ip.Routes, route{Dst: "::/0"})
		}
	}
	c := conflist{
		CNIVersion: "1.0.0",
		Name:       "ckalab",
		Plugins: []plugin{
			{Type: "ptp", IPMasq: &no, MTU: mtu, IPAM: ip},
			{Type: "portmap", Capabilities: map[string]bool{"portMappings": true}},
		},
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
