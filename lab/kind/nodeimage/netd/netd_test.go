package main

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestRenderConflist(t *testing.T) {
	b, err := renderConflist([]string{"10.244.1.0/24"}, 1450)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	plugins := c["plugins"].([]any)
	if len(plugins) != 2 {
		t.Fatalf("want ptp + portmap, got %d plugins", len(plugins))
	}
	ptp := plugins[0].(map[string]any)
	if ptp["type"] != "ptp" || ptp["ipMasq"] != false || ptp["mtu"] != float64(1450) {
		t.Errorf("ptp plugin: %v", ptp)
	}
	ipam := ptp["ipam"].(map[string]any)
	if ipam["type"] != "host-local" {
		t.Errorf("ipam: %v", ipam)
	}
	if got := ipam["ranges"].([]any)[0].([]any)[0].(map[string]any)["subnet"]; got != "10.244.1.0/24" {
		t.Errorf("subnet = %v", got)
	}
	if got := ipam["routes"].([]any)[0].(map[string]any)["dst"]; got != "0.0.0.0/0" {
		t.Errorf("route = %v", got)
	}
	pm := plugins[1].(map[string]any)
	if pm["type"] != "portmap" || pm["capabilities"].(map[string]any)["portMappings"] != true {
		t.Errorf("portmap: %v", pm)
	}
	if c["cniVersion"] != "1.0.0" {
		t.Errorf("cniVersion %v", c["cniVersion"])
	}
}

func TestRenderConflistDualStackAndErrors(t *testing.T) {
	b, err := renderConflist([]string{"10.244.1.7/24", "fd00:10:244:1::/64"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"10.244.1.0/24"`, `"fd00:10:244:1::/64"`, `"::/0"`, `"0.0.0.0/0"`} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %s in\n%s", want, s)
		}
	}
	if strings.Contains(s, `"mtu"`) {
		t.Errorf("mtu 0 should be omitted:\n%s", s)
	}
	if _, err := renderConflist(nil, 1500); err == nil {
		t.Error("no podCIDR: want error")
	}
	if _, err := renderConflist([]string{"bogus"}, 1500); err == nil {
		t.Error("bad podCIDR: want error")
	}
}

func node(name string, cidrs []string, ips ...string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	n.Spec.PodCIDRs = cidrs
	if len(cidrs) > 0 {
		n.Spec.PodCIDR = cidrs[0]
	}
	n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeHostName, Address: name})
	for _, ip := range ips {
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip})
	}
	return n
}

func pr(dst, via string) podRoute {
	return podRoute{Dst: netip.MustParsePrefix(dst), Via: netip.MustParseAddr(via)}
}

func TestDesiredRoutes(t *testing.T) {
	nodes := []*corev1.Node{
		node("cp", []string{"10.244.0.0/24"}, "172.18.0.2"),
		node("w1", []string{"10.244.1.0/24"}, "172.18.0.3"),
		node("w2", []string{"10.244.2.0/24", "fd00:10:244:2::/64"}, "172.18.0.4", "fc00:f853:ccd:e793::4"),
		node("w3", nil, "172.18.0.5"),                            // no podCIDR yet
		node("w4", []string{"10.244.4.0/24"}),                    // no InternalIP yet
		node("w5", []string{"fd00:10:244:5::/64"}, "172.18.0.6"), // no IPv6 address
	}
	got := desiredRoutes("w1", nodes)
	want := []podRoute{
		pr("10.244.0.0/24", "172.18.0.2"),
		pr("10.244.2.0/24", "172.18.0.4"),
		pr("fd00:10:244:2::/64", "fc00:f853:ccd:e793::4"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("desiredRoutes:\n got %v\nwant %v", got, want)
	}
	// a node with only the legacy singular field
	legacy := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "old"}}
	legacy.Spec.PodCIDR = "10.244.9.0/24"
	legacy.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "172.18.0.9"}}
	if got := desiredRoutes("cp", []*corev1.Node{legacy}); !reflect.DeepEqual(got, []podRoute{pr("10.244.9.0/24", "172.18.0.9")}) {
		t.Errorf("legacy podCIDR: %v", got)
	}
}

func TestDiffRoutes(t *testing.T) {
	current := []podRoute{pr("10.244.0.0/24", "172.18.0.2"), pr("10.244.2.0/24", "172.18.0.9"), pr("10.244.3.0/24", "172.18.0.5")}
	desired := []podRoute{pr("10.244.0.0/24", "172.18.0.2"), pr("10.244.2.0/24", "172.18.0.4"), pr("10.244.1.0/24", "172.18.0.3")}
	replace, remove := diffRoutes(current, desired)
	if want := []podRoute{pr("10.244.2.0/24", "172.18.0.4"), pr("10.244.1.0/24", "172.18.0.3")}; !reflect.DeepEqual(replace, want) {
		t.Errorf("replace %v, want %v", replace, want)
	}
	if want := []podRoute{pr("10.244.3.0/24", "172.18.0.5")}; !reflect.DeepEqual(remove, want) {
		t.Errorf("remove %v, want %v", remove, want)
	}
	if r, d := diffRoutes(desired, desired); len(r)+len(d) != 0 {
		t.Errorf("no change expected, got %v %v", r, d)
	}
}

func TestRenderMasq(t *testing.T) {
	s, err := renderMasq([]string{"10.244.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"add table ip ckalab-netd\ndelete table ip ckalab-netd\n",
		"type nat hook postrouting",
		"ip saddr { 10.244.0.0/16 } ip daddr != { 10.244.0.0/16 } masquerade",
		"add table ip6 ckalab-netd\ndelete table ip6 ckalab-netd\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in\n%s", want, s)
		}
	}
	if strings.Contains(s, "table ip6 ckalab-netd {") {
		t.Errorf("no IPv6 CIDR, no ip6 chain expected:\n%s", s)
	}
	s, err = renderMasq(splitList("10.244.0.0/16, fd00:10:244::/56"))
	if err != nil || !strings.Contains(s, "ip6 saddr { fd00:10:244::/56 } ip6 daddr != { fd00:10:244::/56 } masquerade") {
		t.Errorf("dual stack: %v\n%s", err, s)
	}
	if _, err := renderMasq([]string{"10.244.0.0"}); err == nil {
		t.Error("bad CIDR: want error")
	}
}
