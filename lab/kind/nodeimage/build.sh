#!/usr/bin/env bash
# Builds the kind node image ckalab/node:v1.37.2 without any registry: every
# program comes from the Go module proxy (built here), the root filesystems
# from Debian bookworm (debootstrap / apt), and every image kubeadm, the
# default CNI / storage manifests and the scenarios name is built locally and
# preloaded into the node's containerd under its exact name.
#
# Usage: build.sh [STEP...]   (no STEP: everything, in order; see `steps` below)
#        build.sh kubeadm      the kubeadm lab's image too (kubeadm.sh; after
#                              the kind image's steps, which it builds on)
#
# Idempotent: each step leaves a stamp file under $CACHE/stamps; steps whose
# inputs live in this repository (netd, manifests, node files) put a content
# hash in the stamp name, so editing them rebuilds just what depends on them.
# Remove $CACHE/stamps (or one stamp) to force a rebuild.
set -euo pipefail

K8S_VERSION=v1.37.2
ETCD_VERSION=v3.7.0         # what k8s v1.37.2 pins (lab/sim/upstream/go.mod)
ETCD_IMAGE_TAG=3.7.0-0      # kubeadm's constants.DefaultEtcdVersion
COREDNS_VERSION=v1.14.6     # kubeadm's constants.CoreDNSVersion (image tag must match)
PAUSE_VERSION=3.10.2        # kubeadm's constants.PauseVersion
CONTAINERD_VERSION=v2.4.2
RUNC_VERSION=v1.5.2
CNI_PLUGINS_VERSION=v1.10.0
CRI_TOOLS_VERSION=v1.37.0
KNP_VERSION=v0.8.0          # sigs.k8s.io/kube-network-policies
LPP_VERSION=v0.0.30         # github.com/rancher/local-path-provisioner
METRICS_SERVER_VERSION=v0.9.0 # sigs.k8s.io/metrics-server (v0.9.1 needs go >= 1.26.10)
KIND_VERSION=v0.33.0        # source of the node's base files (images/base/files)
NETD_VERSION=v0.1.0
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
UPSTREAM=$REPO/lab/sim/upstream
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/ckalab/kind-node/$K8S_VERSION
NODE_IMAGE=${NODE_IMAGE:-ckalab/node:$K8S_VERSION}
BIN=$CACHE/bin
STAMPS=$CACHE/stamps
IMAGES=$CACHE/images           # docker-save tarballs of every preloaded image
WORKLOAD=$CACHE/images/workload # the scenario workload images (also in $IMAGES)
export DOCKER_BUILDKIT=0       # the legacy builder works offline with local bases
export GOFLAGS=${GOFLAGS:--buildvcs=false}

# Image names exactly as kubeadm v1.37.2 and the manifests spell them.
IMG_APISERVER=registry.k8s.io/kube-apiserver:$K8S_VERSION
IMG_KCM=registry.k8s.io/kube-controller-manager:$K8S_VERSION
IMG_SCHEDULER=registry.k8s.io/kube-scheduler:$K8S_VERSION
IMG_PROXY=registry.k8s.io/kube-proxy:$K8S_VERSION
IMG_ETCD=registry.k8s.io/etcd:$ETCD_IMAGE_TAG
IMG_COREDNS=registry.k8s.io/coredns/coredns:$COREDNS_VERSION
IMG_PAUSE=registry.k8s.io/pause:$PAUSE_VERSION
IMG_KNP=registry.k8s.io/networking/kube-network-policies:$KNP_VERSION
IMG_LPP=docker.io/rancher/local-path-provisioner:$LPP_VERSION
IMG_METRICS_SERVER=registry.k8s.io/metrics-server/metrics-server:$METRICS_SERVER_VERSION
IMG_NETD=docker.io/ckalab/netd:$NETD_VERSION
IMG_BUSYBOX=docker.io/library/busybox:1.36
IMG_NGINX=docker.io/library/nginx:1.27
IMG_REDIS=docker.io/library/redis:7
# local-only helper images (never preloaded into nodes)
IMG_STATIC_BASE=ckalab/static-base:$K8S_VERSION
IMG_NET_BASE=ckalab/debian-net-base:$K8S_VERSION
IMG_NODE_ROOTFS=ckalab/node-rootfs:$K8S_VERSION

STD_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

mkdir -p "$BIN" "$STAMPS" "$IMAGES" "$WORKLOAD" "$CACHE/tmp"

log() { echo "[kind-image $(date +%T)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# step NAME FUNC: run FUNC unless $STAMPS/NAME exists; time it.
step() {
	local name=$1 fn=$2 t0
	if [ -f "$STAMPS/$name" ]; then
		log "$fn: up to date ($name)"
		return 0
	fi
	log "$fn: start"
	t0=$(date +%s)
	"$fn"
	local dt=$(($(date +%s) - t0))
	touch "$STAMPS/$name"
	echo "$(date -Is) $fn ${dt}s" >>"$CACHE/timings.log"
	log "$fn: done in ${dt}s"
}

# hash of files/directories (for stamp names of steps with in-repo inputs)
hash_of() {
	(cd "$HERE" && find "$@" -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12
}

kind_src() { echo "$(go env GOMODCACHE)/sigs.k8s.io/kind@$KIND_VERSION"; }

# ---------------------------------------------------------------- binaries --

# k8s_ldflags_for VERSION: the version ldflags, as the sim sets them
k8s_ldflags_for() {
	local version=$1 minor l="-s -w" p
	minor=${version#v1.}
	minor=${minor%%.*}
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		l="$l -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
	done
	echo "$l"
}

# build_k8s MODULE VERSION OUTDIR: the Kubernetes programs a node and its
# images need, from a module that pins k8s.io/kubernetes at VERSION
build_k8s() {
	(cd "$1" && CGO_ENABLED=0 go build -trimpath -ldflags "$(k8s_ldflags_for "$2")" -o "$3/" \
		k8s.io/kubernetes/cmd/kubelet \
		k8s.io/kubernetes/cmd/kubeadm \
		k8s.io/kubernetes/cmd/kube-proxy \
		k8s.io/kubernetes/cmd/kubectl \
		k8s.io/kubernetes/cmd/kube-apiserver \
		k8s.io/kubernetes/cmd/kube-controller-manager \
		k8s.io/kubernetes/cmd/kube-scheduler)
}

# Kubernetes and etcd, from the sim's pinned module (lab/sim/upstream): same
# module, same build cache, same version ldflags as lab/sim/upstream/build.sh.
build_kubernetes() { build_k8s "$UPSTREAM" "$K8S_VERSION" "$BIN"; }

# etcd as the sim builds it; etcdctl/etcdutl are required by lab/sim/upstream's
# go.mod (their own go.mod files have replace directives, so no go install)
build_etcd() {
	(cd "$UPSTREAM" &&
		CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3 &&
		CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/etcdctl" go.etcd.io/etcd/etcdctl/v3 &&
		CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/etcdutl" go.etcd.io/etcd/etcdutl/v3)
	# Not `| grep -q`: grep would exit at the first match, the writer would
	# die of SIGPIPE, and pipefail would call the check failed (seen here).
	[[ $("$BIN/etcd" --version) == *"etcd Version: ${ETCD_VERSION#v}"* ]] || die "etcd is not $ETCD_VERSION"
}

# go_install BIN_NAME PKG@VERSION [extra go flags...]: GOBIN into a scratch dir
go_install() {
	local out=$1 pkg=$2
	shift 2
	local tmp
	tmp=$(mktemp -d "$CACHE/tmp/gobin.XXXX")
	GOBIN=$tmp GOFLAGS="$GOFLAGS -mod=mod" go install -trimpath "$@" "$pkg"
	mv "$tmp"/* "$BIN/$out"
	rmdir "$tmp"
}

build_containerd() {
	local m=github.com/containerd/containerd/v2 tags="no_aufs no_zfs no_btrfs no_devmapper"
	local lf="-s -w -X $m/version.Version=$CONTAINERD_VERSION -X $m/version.Revision=$CONTAINERD_VERSION"
	local c
	for c in containerd ctr containerd-shim-runc-v2; do
		CGO_ENABLED=0 go_install "$c" "$m/cmd/$c@$CONTAINERD_VERSION" -tags "$tags" -ldflags "$lf"
	done
}

build_runc() {
	# cgo + libseccomp (Debian's libseccomp-dev; the node has libseccomp2)
	[ -f /usr/include/seccomp.h ] || die "runc needs libseccomp-dev (apt-get install -y libseccomp-dev)"
	CGO_ENABLED=1 go_install runc "github.com/opencontainers/runc@$RUNC_VERSION" -tags seccomp \
		-ldflags "-s -w -X main.version=${RUNC_VERSION#v}"
	[[ $("$BIN/runc" --version) == *seccomp* ]] || die "runc built without seccomp"
}

build_cni() {
	local p
	for p in main/bridge main/ptp main/loopback ipam/host-local meta/portmap; do
		CGO_ENABLED=0 go_install "cni-${p#*/}" "github.com/containernetworking/plugins/plugins/$p@$CNI_PLUGINS_VERSION" \
			-ldflags "-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$CNI_PLUGINS_VERSION"
	done
}

build_crictl() {
	CGO_ENABLED=0 go_install crictl "sigs.k8s.io/cri-tools/cmd/crictl@$CRI_TOOLS_VERSION" \
		-ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRI_TOOLS_VERSION"
}

build_coredns() {
	CGO_ENABLED=0 go_install coredns "github.com/coredns/coredns@$COREDNS_VERSION" -ldflags "-s -w"
}

build_lpp() {
	CGO_ENABLED=0 go_install local-path-provisioner "github.com/rancher/local-path-provisioner@$LPP_VERSION" \
		-ldflags "-s -w -X main.VERSION=$LPP_VERSION"
}

# metrics-server, which the metrics-server scenario installs (it is not a
# cluster default): version ldflags as upstream's Makefile sets them.
build_metrics_server() {
	CGO_ENABLED=0 go_install metrics-server "sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION" \
		-ldflags "-s -w -X k8s.io/client-go/pkg/version.gitVersion=$METRICS_SERVER_VERSION"
	[[ $("$BIN/metrics-server" --version) == "$METRICS_SERVER_VERSION" ]] || die "metrics-server is not $METRICS_SERVER_VERSION"
}

# kube-network-policies queues new pod connections to userspace with the
# nftables `queue` expression, which needs CONFIG_NFT_QUEUE; some kernels
# (ours) lack it but have xt_NFQUEUE. patches/ swaps the expression for the
# xtables NFQUEUE target (nft_compat), which needs ip/ip6 tables, not inet.
build_knp() {
	local src
	src=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/kube-network-policies@$KNP_VERSION" | jq -r .Dir)
	rm -rf "$CACHE/src/knp"
	mkdir -p "$CACHE/src"
	cp -r "$src" "$CACHE/src/knp"
	chmod -R u+w "$CACHE/src/knp"
	patch -d "$CACHE/src/knp" -p1 <"$HERE/patches/kube-network-policies-xt-nfqueue.patch"
	(cd "$CACHE/src/knp" && CGO_ENABLED=0 GOFLAGS="$GOFLAGS -mod=mod" go build -trimpath -ldflags "-s -w" -o "$BIN/netpol" ./cmd)
}

build_netd() {
	(cd "$HERE/netd" && go test -count=1 ./... >&2 &&
		CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/netd" .)
}

build_pause() {
	gcc -Os -static -Wall -o "$BIN/pause" "$HERE/pause/pause.c"
	strip "$BIN/pause"
}

# ------------------------------------------------------------- root trees --

# debootstrap SUITE-DIR INCLUDES
debootstrap_into() {
	local dir=$1 include=$2
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$(dirname "$dir")"
	debootstrap --variant=minbase --include="$include" "$DEBIAN_SUITE" "$dir.tmp" "$DEBIAN_MIRROR" >"$dir.log" 2>&1 ||
		{ tail -20 "$dir.log" >&2; die "debootstrap $dir failed (log: $dir.log)"; }
	# trim what no container needs
	chroot "$dir.tmp" apt-get clean
	rm -rf "$dir.tmp"/var/lib/apt/lists/* "$dir.tmp"/usr/share/doc/* "$dir.tmp"/usr/share/man/* \
		"$dir.tmp"/usr/share/info/* "$dir.tmp"/var/log/* "$dir.tmp"/var/cache/debconf/*-old
	find "$dir.tmp"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +
	mv "$dir.tmp" "$dir"
}

NODE_PACKAGES=systemd,systemd-sysv,dbus,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,e2fsprogs,bash,ca-certificates,curl,jq,procps,vim,nano,less,socat,iputils-ping,netbase,bash-completion,psmisc,lsof
NET_PACKAGES=iptables,nftables,conntrack,iproute2,netbase,ca-certificates

rootfs_node() { debootstrap_into "$CACHE/rootfs/node" "$NODE_PACKAGES"; }
rootfs_net() { debootstrap_into "$CACHE/rootfs/net" "$NET_PACKAGES"; }

# ------------------------------------------------------------------ images --

# build_image TAG CONTEXT_DIR: docker build (legacy) a generated context
build_image() {
	# (the legacy builder's deprecation notice is noise here)
	docker build -q -t "$1" "$2" 2>&1 >/dev/null | { grep -v -e DEPRECATED -e BuildKit -e 'environment-variable' -e '^$' >&2 || true; }
}

# save_image TAG FILE
save_image() {
	docker save -o "$2.tmp" "$1"
	mv "$2.tmp" "$2"
}

img_file() { echo "$IMAGES/$(echo "$1" | tr '/:' '__').tar"; }

image_bases() {
	local ctx=$CACHE/tmp/ctx-static
	rm -rf "$ctx"
	mkdir -p "$ctx/root/etc/ssl/certs" "$ctx/root/tmp" "$ctx/root/var/run"
	chmod 1777 "$ctx/root/tmp"
	printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$ctx/root/etc/passwd"
	printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$ctx/root/etc/group"
	printf 'hosts: files dns\n' >"$ctx/root/etc/nsswitch.conf"
	cp /etc/ssl/certs/ca-certificates.crt "$ctx/root/etc/ssl/certs/"
	printf 'FROM scratch\nCOPY root/ /\nENV PATH=%s\n' "$STD_PATH" >"$ctx/Dockerfile"
	build_image "$IMG_STATIC_BASE" "$ctx"
	rm -rf "$ctx"

	# Debian with iptables/nftables, for kube-proxy, kube-network-policies, netd.
	# iptables-wrapper (like upstream's) picks legacy or nft to match the node.
	install -m 0755 "$HERE/files/iptables-wrapper" "$CACHE/rootfs/net/usr/sbin/iptables-wrapper"
	local t
	for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
		ln -sf iptables-wrapper "$CACHE/rootfs/net/usr/sbin/$t"
	done
	tar -C "$CACHE/rootfs/net" -c . | docker import --change "ENV PATH=$STD_PATH" - "$IMG_NET_BASE" >/dev/null
}

# simple_image TAG FROM INSTRUCTION [SRC:DEST...]: a base plus static files;
# INSTRUCTION is the image's ENTRYPOINT or CMD line (as upstream's image has it)
simple_image() {
	local tag=$1 from=$2 ep=$3 ctx=$CACHE/tmp/ctx-img
	shift 3
	rm -rf "$ctx"
	mkdir -p "$ctx"
	{
		echo "FROM $from"
		local i=0 pair
		for pair in "$@"; do
			cp "${pair%%:*}" "$ctx/f$i"
			echo "COPY f$i ${pair#*:}"
			i=$((i + 1))
		done
		echo "$ep"
	} >"$ctx/Dockerfile"
	build_image "$tag" "$ctx"
	rm -rf "$ctx"
	save_image "$tag" "$(img_file "$tag")"
}

images_k8s() {
	# kubeadm's static pods and DaemonSet give full commands (kube-apiserver,
	# etcd, /usr/local/bin/kube-proxy), like the upstream images expect
	simple_image "$IMG_APISERVER" "$IMG_STATIC_BASE" 'ENTRYPOINT ["/usr/local/bin/kube-apiserver"]' "$BIN/kube-apiserver:/usr/local/bin/kube-apiserver"
	simple_image "$IMG_KCM" "$IMG_STATIC_BASE" 'ENTRYPOINT ["/usr/local/bin/kube-controller-manager"]' "$BIN/kube-controller-manager:/usr/local/bin/kube-controller-manager"
	simple_image "$IMG_SCHEDULER" "$IMG_STATIC_BASE" 'ENTRYPOINT ["/usr/local/bin/kube-scheduler"]' "$BIN/kube-scheduler:/usr/local/bin/kube-scheduler"
	simple_image "$IMG_ETCD" "$IMG_STATIC_BASE" 'CMD ["/usr/local/bin/etcd"]' \
		"$BIN/etcd:/usr/local/bin/etcd" "$BIN/etcdctl:/usr/local/bin/etcdctl" "$BIN/etcdutl:/usr/local/bin/etcdutl"
	simple_image "$IMG_PROXY" "$IMG_NET_BASE" 'ENTRYPOINT ["/usr/local/bin/kube-proxy"]' "$BIN/kube-proxy:/usr/local/bin/kube-proxy"
	simple_image "$IMG_COREDNS" "$IMG_STATIC_BASE" 'ENTRYPOINT ["/coredns"]' "$BIN/coredns:/coredns"
	simple_image "$IMG_PAUSE" scratch 'ENTRYPOINT ["/pause"]' "$BIN/pause:/pause"
}

images_addons() {
	# kube-network-policies' manifest passes /bin/netpol as first arg: CMD, not ENTRYPOINT
	simple_image "$IMG_KNP" "$IMG_NET_BASE" 'CMD ["/bin/netpol"]' "$BIN/netpol:/bin/netpol"
	simple_image "$IMG_NETD" "$IMG_NET_BASE" 'ENTRYPOINT ["/usr/local/bin/netd"]' "$BIN/netd:/usr/local/bin/netd"
	simple_image "$IMG_LPP" "$IMG_STATIC_BASE" 'CMD ["local-path-provisioner"]' \
		"$BIN/local-path-provisioner:/usr/bin/local-path-provisioner"
	# upstream's image is distroless/static with the binary at /; its
	# manifest runs it as uid 1000 (runAsNonRoot) with an emptyDir on /tmp
	simple_image "$IMG_METRICS_SERVER" "$IMG_STATIC_BASE" 'ENTRYPOINT ["/metrics-server"]' "$BIN/metrics-server:/metrics-server"
}

# Debian packages for a workload image: apt on this machine resolves what the
# net base rootfs lacks, the packages are installed with dpkg in a throwaway
# container and committed as one layer.
debian_app_image() {
	local tag=$1 cmd=$2 ports=$3 pkgs=$4 post=$5
	local debs=$CACHE/tmp/debs-$$
	rm -rf "$debs"
	mkdir -p "$debs/partial"
	# shellcheck disable=SC2086
	apt-get install -y -q --download-only --no-install-recommends -o APT::Sandbox::User=root \
		-o Dir::State::status="$CACHE/rootfs/net/var/lib/dpkg/status" \
		-o Dir::Cache::archives="$debs" -o Debug::NoLocking=1 $pkgs >/dev/null
	local name=ckalab-build-$$
	docker rm -f "$name" >/dev/null 2>&1 || true
	docker run --name "$name" --network none -v "$debs:/debs:ro" "$IMG_NET_BASE" \
		sh -ec "printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
			DEBIAN_FRONTEND=noninteractive dpkg -i /debs/*.deb >/dev/null
			rm -f /usr/sbin/policy-rc.d; $post
			rm -rf /var/log/*.log /var/log/apt /usr/share/doc/* /usr/share/man/*"
	docker commit --change "CMD $cmd" --change "EXPOSE $ports" --change 'ENTRYPOINT []' "$name" "$tag" >/dev/null
	docker rm -f "$name" >/dev/null
	rm -rf "$debs"
	save_image "$tag" "$(img_file "$tag")"
	ln -f "$(img_file "$tag")" "$WORKLOAD/" 2>/dev/null || cp "$(img_file "$tag")" "$WORKLOAD/"
}

images_workload() {
	# busybox: Debian's static busybox plus a symlink per applet
	local ctx=$CACHE/tmp/ctx-busybox
	rm -rf "$ctx"
	mkdir -p "$ctx/root/bin" "$ctx/root/etc" "$ctx/root/tmp" "$ctx/root/root" "$ctx/root/var/www"
	chmod 1777 "$ctx/root/tmp"
	(cd "$ctx" && apt-get download -q -o APT::Sandbox::User=root busybox-static >/dev/null && dpkg-deb -x busybox-static_*.deb deb)
	cp "$ctx/deb/bin/busybox" "$ctx/root/bin/busybox"
	local a
	for a in $("$ctx/root/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$ctx/root/bin/$a"
	done
	# Debian's build lacks wget's timeout and nc's -z/-v: small shell wrappers
	install -m 0755 "$HERE/files/busybox/wget" "$HERE/files/busybox/nc" "$ctx/root/bin/"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\nwww-data:x:33:33:www-data:/var/www:/bin/false\n' >"$ctx/root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\nwww-data:x:33:\n' >"$ctx/root/etc/group"
	printf 'FROM scratch\nCOPY root/ /\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nCMD ["sh"]\n' >"$ctx/Dockerfile"
	rm -rf "$ctx/deb" "$ctx"/*.deb
	build_image "$IMG_BUSYBOX" "$ctx"
	rm -rf "$ctx"
	save_image "$IMG_BUSYBOX" "$(img_file "$IMG_BUSYBOX")"
	ln -f "$(img_file "$IMG_BUSYBOX")" "$WORKLOAD/" 2>/dev/null || cp "$(img_file "$IMG_BUSYBOX")" "$WORKLOAD/"

	debian_app_image "$IMG_NGINX" '["nginx", "-g", "daemon off;"]' 80/tcp nginx-light \
		'ln -sf /dev/stdout /var/log/nginx/access.log; ln -sf /dev/stderr /var/log/nginx/error.log; mkdir -p /usr/share/nginx/html; cp /var/www/html/index.nginx-debian.html /usr/share/nginx/html/index.html'
	debian_app_image "$IMG_REDIS" '["redis-server", "--protected-mode", "no", "--bind", "0.0.0.0", "--dir", "/data"]' 6379/tcp \
		redis-server 'mkdir -p /data && chown redis:redis /data'
}

# ------------------------------------------------------------- node image --

node_rootfs() {
	local r=$CACHE/tmp/node-root kind
	kind=$(kind_src)
	[ -d "$kind/images/base/files" ] || (cd /tmp && GOFLAGS=-mod=mod go mod download "sigs.k8s.io/kind@$KIND_VERSION")
	rm -rf "$r"
	cp -a "$CACHE/rootfs/node" "$r"

	# kind's base files, adapted below (entrypoint patch, sandbox image)
	cp -r "$kind/images/base/files/." "$r/"
	chmod -R u+w "$r/kind" "$r/etc" "$r/usr/local" "$r/LICENSES"
	chmod 0755 "$r/usr/local/bin/"* "$r/kind/bin/"* "$r/kind"
	find "$r/etc/systemd/system" "$r/etc/containerd" "$r/etc/sysctl.d" "$r/etc/default" -type f -exec chmod 0644 {} +

	# what kind's base Dockerfile does after installing packages
	find "$r/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
	rm -f "$r"/lib/systemd/system/multi-user.target.wants/* "$r"/etc/systemd/system/*.wants/* \
		"$r"/lib/systemd/system/local-fs.target.wants/* "$r"/lib/systemd/system/sockets.target.wants/*udev* \
		"$r"/lib/systemd/system/sockets.target.wants/*initctl* "$r"/lib/systemd/system/basic.target.wants/*
	echo "ReadKMsg=no" >>"$r/etc/systemd/journald.conf"
	ln -sf /usr/lib/systemd/systemd "$r/sbin/init"
	mkdir -p "$r/etc/systemd/system/multi-user.target.wants"
	local u
	for u in kubelet containerd undo-mount-hacks; do
		ln -sf "/etc/systemd/system/$u.service" "$r/etc/systemd/system/multi-user.target.wants/$u.service"
	done
	ln -sf /dev/null "$r/etc/systemd/system/systemd-binfmt.service"
	mkdir -p "$r/etc/kubernetes/manifests" "$r/opt/cni/bin" "$r/etc/cni/net.d" "$r/var/lib/containerd"

	# binaries: kubelet/kubeadm/kubectl where kind's units expect them
	install -m 0755 "$BIN/kubelet" "$BIN/kubeadm" "$BIN/kubectl" "$r/usr/bin/"
	install -m 0755 "$BIN/containerd" "$BIN/ctr" "$BIN/containerd-shim-runc-v2" "$BIN/crictl" \
		"$BIN/etcdctl" "$BIN/etcdutl" "$r/usr/local/bin/"
	install -m 0755 "$BIN/runc" "$r/usr/local/sbin/runc"
	local p
	for p in bridge ptp loopback host-local portmap; do
		install -m 0755 "$BIN/cni-$p" "$r/opt/cni/bin/$p"
	done
	# containerd's base OCI spec, as kind derives it (createContainer hook + no rlimits)
	"$BIN/ctr" oci spec |
		jq '.hooks.createContainer[.hooks.createContainer| length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' |
		jq 'del(.process.rlimits)' >"$r/etc/containerd/cri-base.json"
	sed -i "s|sandbox_image = .*|sandbox_image = \"$IMG_PAUSE\"|" "$r/etc/containerd/config.toml"
	grep -qF "sandbox_image = \"$IMG_PAUSE\"" "$r/etc/containerd/config.toml" || die "containerd config: sandbox_image not set"
	patch -d "$r" -p1 <"$HERE/patches/kind-entrypoint.patch"

	# kind metadata and default manifests
	echo -n "$K8S_VERSION" >"$r/kind/version"
	mkdir -p "$r/kind/manifests"
	render_manifest "$HERE/manifests/default-cni.yaml" >"$r/kind/manifests/default-cni.yaml"
	render_manifest "$HERE/manifests/default-storage.yaml" >"$r/kind/manifests/default-storage.yaml"
	# completion for the exam user
	"$BIN/kubectl" completion bash >"$r/usr/share/bash-completion/completions/kubectl"
	"$BIN/crictl" completion bash >"$r/usr/share/bash-completion/completions/crictl" 2>/dev/null || true
	# kubectl as on the exam's control plane: the k alias with completion
	# (bash-completion loads kubectl's lazily, on the first `kubectl <TAB>`:
	# k needs the function before that), and admin.conf where there is one
	# (a worker has none: KUBECONFIG naming a missing file only makes
	# kubectl's errors odd). profile.d is read by every login sh, dash too.
	printf '%s\n' 'alias k=kubectl' \
		'if [ -n "$BASH_VERSION" ]; then . /usr/share/bash-completion/completions/kubectl; complete -o default -F __start_kubectl k; fi' \
		'if [ -f /etc/kubernetes/admin.conf ]; then export KUBECONFIG=/etc/kubernetes/admin.conf; fi' >"$r/etc/profile.d/ckalab.sh"
	cp "$r/etc/profile.d/ckalab.sh" "$r/root/.bash_aliases" 2>/dev/null || true
	grep -q bash_aliases "$r/root/.bashrc" 2>/dev/null || echo '[ -f ~/.bash_aliases ] && . ~/.bash_aliases' >>"$r/root/.bashrc"
	rm -f "$r/etc/machine-id" && : >"$r/etc/machine-id"

	tar -C "$r" -c . | docker import - "$IMG_NODE_ROOTFS" >/dev/null
	rm -rf "$r"
}

render_manifest() {
	sed -e "s|@IMG_NETD@|$IMG_NETD|g" -e "s|@IMG_KNP@|$IMG_KNP|g" -e "s|@IMG_LPP@|$IMG_LPP|g" \
		-e "s|@IMG_BUSYBOX@|$IMG_BUSYBOX|g" "$1"
}

# preload_into ROOT LIST DIR...: a containerd (the node's own binaries and
# config) in a throwaway container imports every image tarball of the DIRs
# into ROOT, a host directory that becomes a node's /var/lib/containerd;
# like kind: namespace k8s.io, pinned, not unpacked. LIST gets the names.
preload_into() {
	local root=$1 list=$2 name=ckalab-preload-$$ mounts=() i=0 d
	shift 2
	for d in "$@"; do
		mounts+=(-v "$d:/images/$i:ro")
		i=$((i + 1))
	done
	rm -rf "$root"
	mkdir -p "$root"
	docker rm -f "$name" >/dev/null 2>&1 || true
	docker run -d --name "$name" --network none --entrypoint sleep \
		-v "$root:/var/lib/containerd" "${mounts[@]}" "$IMG_NODE_ROOTFS" infinity >/dev/null
	trap 'docker rm -f '"$name"' >/dev/null 2>&1 || true' EXIT
	docker exec "$name" bash -c 'nohup containerd >/var/log/containerd-preload.log 2>&1 &'
	docker exec "$name" bash -ec 'for i in $(seq 1 30); do [ -S /run/containerd/containerd.sock ] && ctr version >/dev/null 2>&1 && exit 0; sleep 1; done; cat /var/log/containerd-preload.log; exit 1'
	docker exec "$name" bash -ec 'for f in /images/*/*.tar; do
		ctr --namespace=k8s.io images import --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests "$f" \
			>/dev/null 2> >(grep -v "DEPRECATION: The support for cgroup v1" >&2 || true)
	done
	ctr --namespace=k8s.io images list -q | grep -v -e "@sha256" -e "^sha256:" | sort
	pkill containerd; for i in $(seq 1 20); do pgrep containerd >/dev/null || exit 0; sleep 0.5; done' >"$list"
	docker rm -f "$name" >/dev/null
	trap - EXIT
	cat "$list" >&2
}

preload_images() {
	# Unlike kind's own node image, the scenarios' workload images (nginx,
	# redis, busybox) are preloaded too: loading them into three nodes one
	# after another took about 30 s of every `lab up`. ckalab still loads
	# from its image cache what a node lacks (an image a newer scenario
	# names), at lab up and start.
	preload_into "$CACHE/containerd-root" "$CACHE/preloaded-images.txt" "$IMAGES"
	local want
	for want in "$IMG_APISERVER" "$IMG_KCM" "$IMG_SCHEDULER" "$IMG_PROXY" "$IMG_ETCD" "$IMG_COREDNS" "$IMG_PAUSE" \
		"$IMG_KNP" "$IMG_NETD" "$IMG_LPP" "$IMG_BUSYBOX" "$IMG_NGINX" "$IMG_REDIS" "$IMG_METRICS_SERVER"; do
		grep -qxF "$want" "$CACHE/preloaded-images.txt" || die "image $want missing after import"
	done
	# every image kubeadm will ask for must be there
	docker run --rm --network none --entrypoint kubeadm "$IMG_NODE_ROOTFS" config images list --kubernetes-version "$K8S_VERSION" |
		while read -r want; do
			grep -qxF "$want" "$CACHE/preloaded-images.txt" || die "kubeadm wants $want, not preloaded"
		done
}

node_image() {
	local ctx=$CACHE/tmp/ctx-node
	rm -rf "$ctx"
	mkdir -p "$ctx"
	cat >"$ctx/Dockerfile" <<EOF
FROM $IMG_NODE_ROOTFS
COPY containerd/ /var/lib/containerd/
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]
EOF
	# hard links keep the context copy cheap
	cp -al "$CACHE/containerd-root" "$ctx/containerd" 2>/dev/null || cp -a "$CACHE/containerd-root" "$ctx/containerd"
	build_image "$NODE_IMAGE" "$ctx"
	rm -rf "$ctx"
	docker image inspect -f '{{.Size}}' "$NODE_IMAGE" | awk '{printf "node image size: %.0f MB\n", $1/1e6}' >&2
}

# ------------------------------------------------------------------- main --

netd_hash=$(hash_of netd)
files_hash=$(hash_of files/iptables-wrapper manifests patches/kind-entrypoint.patch)
bb_hash=$(hash_of files/busybox)
knp_hash=$(hash_of patches/kube-network-policies-xt-nfqueue.patch)
pause_hash=$(hash_of pause)
# Steps whose inputs are in this script: their stamp names carry a hash of
# what they use (the package list, the function's own text), so that an
# edit here rebuilds them and what is made from them.
pkgs_hash=$(printf %s "$NODE_PACKAGES" | sha256sum | cut -c1-12)
rootfs_hash=$( (printf %s "$pkgs_hash"; declare -f node_rootfs render_manifest) | sha256sum | cut -c1-12)
# metrics-server's binary and the add-on images (it is one of them), and so
# the preload and the node image, follow its version and these steps' code.
ms_hash=$( (printf %s "$METRICS_SERVER_VERSION"; declare -f build_metrics_server) | sha256sum | cut -c1-12)
addons_hash=$( (printf %s "$ms_hash"; declare -f images_addons) | sha256sum | cut -c1-12)
steps=(
	"bin-kubernetes:build_kubernetes"
	"bin-etcd:build_etcd"
	"bin-containerd:build_containerd"
	"bin-runc:build_runc"
	"bin-cni:build_cni"
	"bin-crictl:build_crictl"
	"bin-coredns:build_coredns"
	"bin-local-path:build_lpp"
	"bin-metrics-server-$ms_hash:build_metrics_server"
	"bin-knp-$knp_hash:build_knp"
	"bin-netd-$netd_hash:build_netd"
	"bin-pause-$pause_hash:build_pause"
	"rootfs-node-$pkgs_hash:rootfs_node"
	"rootfs-net:rootfs_net"
	"images-bases-$files_hash:image_bases"
	"images-k8s-$pause_hash-$files_hash:images_k8s"
	"images-addons-$netd_hash-$knp_hash-$files_hash-$addons_hash:images_addons"
	"images-workload-$bb_hash:images_workload"
	"node-rootfs-$files_hash-$rootfs_hash:node_rootfs"
	"preload-all-$netd_hash-$knp_hash-$files_hash-$pause_hash-$bb_hash-$rootfs_hash-$addons_hash:preload_images"
	"node-image-lean-$netd_hash-$knp_hash-$files_hash-$pause_hash-$bb_hash-$rootfs_hash-$addons_hash:node_image"
)

# The kubeadm lab's image (kubeadm.sh): `build.sh kubeadm` runs the kind
# image's steps first, then these.
. "$HERE/kubeadm.sh"
kubeadm_mode=
if [ "${1:-}" = kubeadm ]; then
	kubeadm_mode=1
	shift
	steps+=("${kubeadm_steps[@]}")
fi

# preflight: tools, and a Docker daemon
for tool in go docker debootstrap gcc jq patch apt-get dpkg-deb; do
	command -v "$tool" >/dev/null || die "$tool not found (Debian: apt-get install -y debootstrap gcc jq patch libseccomp-dev dpkg-dev)"
done
[ -z "$kubeadm_mode" ] || command -v dpkg-scanpackages >/dev/null || die "dpkg-scanpackages not found (Debian: apt-get install -y dpkg-dev)"
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || [ -n "$(find /usr/lib -name libc.a -print -quit 2>/dev/null)" ] ||
	die "static libc missing for pause (apt-get install -y libc6-dev)"
docker info >/dev/null 2>&1 || die "cannot talk to the Docker daemon"
[ "$(id -u)" = 0 ] || die "debootstrap needs root: run as root"

# a stamp only counts while the docker image it made still exists
unstamp_if_missing() { docker image inspect "$1" >/dev/null 2>&1 || rm -f "$STAMPS/$2"*; }
unstamp_if_missing "$IMG_STATIC_BASE" images-bases-
unstamp_if_missing "$IMG_NET_BASE" images-bases-
unstamp_if_missing "$IMG_NODE_ROOTFS" node-rootfs-
unstamp_if_missing "$NODE_IMAGE" node-image-
unstamp_if_missing "$KUBEADM_IMAGE" kubeadm-image-
for i in "$IMG_BUSYBOX" "$IMG_NGINX" "$IMG_REDIS"; do unstamp_if_missing "$i" images-workload-; done

want=("$@")
t_all=$(date +%s)
for s in "${steps[@]}"; do
	name=${s%%:*} fn=${s#*:}
	if [ ${#want[@]} -gt 0 ]; then
		match=
		for w in "${want[@]}"; do [ "$w" = "$fn" ] || [ "$w" = "${name%%-*}" ] && match=1; done
		[ -n "$match" ] || continue
		rm -f "$STAMPS/$name" # an explicitly named step always runs
	fi
	step "$name" "$fn"
done
log "all done in $(($(date +%s) - t_all))s: $NODE_IMAGE${kubeadm_mode:+ $KUBEADM_IMAGE}"
