package main

import (
	"fmt"
	"net/netip"
	"strings"
)

// masqTable is netd's own nftables table; it lives next to whatever
// kube-proxy and kube-network-policies use and never touches their rules.
const masqTable = "ckalab-netd"

// renderMasq returns an nft script that (re)creates netd's table so that
// traffic from pods to anything outside the cluster's pod network is
// masqueraded (like kindnet's ip-masq-agent), while pod-to-pod traffic keeps
// its source address. Families without a cluster CIDR get no table.
func renderMasq(clusterCIDRs []string) (string, error) {
	var v4, v6 []string
	for _, c := range clusterCIDRs {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return "", fmt.Errorf("cluster CIDR %q: %w", c, err)
		}
		if p.Addr().Is4() {
			v4 = append(v4, p.Masked().String())
		} else {
			v6 = append(v6, p.Masked().String())
		}
	}
	var b strings.Builder
	for _, fam := range []struct {
		name, match string
		cidrs       []string
	}{{"ip", "ip", v4}, {"ip6", "ip6", v6}} {
		// add + delete makes the delete safe when the table does not exist yet
		fmt.Fprintf(&b, "add table %s %s\ndelete table %s %s\n", fam.name, masqTable, fam.name, masqTable)
		if len(fam.cidrs) == 0 {
			continue
		}
		set := strings.Join(fam.cidrs, ", ")
		fmt.Fprintf(&b, "table %s %s {\n", fam.name, masqTable)
		b.WriteString("\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat + 10; policy accept;\n")
		fmt.Fprintf(&b, "\t\t%s saddr { %s } %s daddr != { %s } masquerade\n", fam.match, set, fam.match, set)
		b.WriteString("\t}\n}\n")
	}
	return b.String(), nil
}
