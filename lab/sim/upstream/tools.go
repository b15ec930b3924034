//go:build tools

// Package upstream pins the upstream Kubernetes and etcd programs that the sim
// lab runs. It is a Go module of its own so that ckalab's go.mod stays small;
// build.sh builds the programs from here into a cache directory.
// lab/kind/nodeimage/build.sh builds the node-side programs (kubelet, kubeadm,
// kube-proxy, etcdctl, etcdutl) from this module too, with the same pins.
package upstream

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/etcdutl/v3"
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubeadm"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
