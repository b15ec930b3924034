#!/usr/bin/env bash
# Builds the upstream programs the sim lab runs (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl, kwok) from the Go module
# proxy into OUTDIR. Idempotent: a stamp file records a finished build.
# About 12 minutes and 18 CPU-minutes cold on 2 cores; instant when cached.
set -euo pipefail

out=${1:?usage: build.sh OUTDIR}
k8s_version=v1.37.2
kwok_version=v0.8.0
stamp="$out/.built-$k8s_version-kwok-$kwok_version"

if [ -f "$stamp" ]; then
	exit 0
fi
cd "$(dirname "$0")"
mkdir -p "$out"

# Without these the components report v0.0.0-master and kubectl version skew
# warnings become noise. Stripping (-s -w) halves the binaries.
v="k8s.io/component-base/version"
c="k8s.io/client-go/pkg/version"
ldflags="-s -w"
for p in "$v" "$c"; do
	ldflags="$ldflags -X $p.gitVersion=$k8s_version -X $p.gitMajor=1 -X $p.gitMinor=37 -X $p.gitTreeState=clean"
done

echo "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $k8s_version" >&2
go build -trimpath -ldflags "$ldflags" -o "$out/" \
	k8s.io/kubernetes/cmd/kube-apiserver \
	k8s.io/kubernetes/cmd/kube-controller-manager \
	k8s.io/kubernetes/cmd/kube-scheduler \
	k8s.io/kubernetes/cmd/kubectl
echo "building etcd (the version Kubernetes $k8s_version pins)" >&2
go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3
echo "building kwok $kwok_version" >&2
# kwok carries its own go.mod (no replace directives), so go install @version
# builds it against the client libraries it was released with.
GOBIN="$out" GOFLAGS=-mod=mod go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$kwok_version"
touch "$stamp"
