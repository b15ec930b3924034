//go:build tools

// Package kubernetes136 pins the previous Kubernetes minor release, v1.36.3,
// for the kubeadm lab: the node image's offline apt repository serves its
// kubeadm, kubelet and kubectl packages, and its control-plane images (etcd
// v3.6.8 included: what kubeadm v1.36 deploys) are
// preloaded, so that a learner can build a v1.36 cluster and upgrade it to
// v1.37 (lab/sim/upstream pins v1.37.2). Its own module keeps both pins
// exact. lab/kind/nodeimage/build.sh builds from here.
package kubernetes136

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubeadm"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
