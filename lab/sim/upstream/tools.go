//go:build tools

// Package upstream pins the upstream Kubernetes and etcd programs that the sim
// lab runs. It is a Go module of its own so that ckalab's go.mod stays small;
// build.sh builds the programs from here into a cache directory.
package upstream

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
