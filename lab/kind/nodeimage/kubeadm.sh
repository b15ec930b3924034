# shellcheck shell=bash
# The kubeadm lab's node image, ckalab/node-kubeadm:v1.37.2, sourced by
# build.sh (`build.sh kubeadm`, `make kubeadm-image`). It is the kind node
# image's root filesystem with the Kubernetes parts taken out and offered
# back as Debian packages from an apt repository on the node's own disk, so
# that a learner installs, initialises, joins and upgrades a cluster by hand:
#
#   - /opt/ckalab/apt: kubeadm, kubelet, kubectl at 1.36.3-1.1 and 1.37.2-1.1,
#     cri-tools, kubernetes-cni, containerd and runc, versioned like the
#     upstream packages (pkgs.k8s.io) and built from the binaries build.sh
#     compiles (v1.36.3 from lab/kind/nodeimage/kubernetes-v1.36, with the
#     same version ldflags);
#   - containerd's store holds the images `kubeadm init` and `kubeadm
#     upgrade` ask for at both versions (etcd 3.6.8-0 and CoreDNS v1.14.2
#     for v1.36, built here too), plus the network plugin's and the
#     workloads', so that nothing is pulled;
#   - /opt/ckalab/cni/: the network plugin's manifest (netd and
#     kube-network-policies, as on the kind lab), for `kubectl apply -f`.
#
# Nothing is installed, configured or running: no containerd, no kubelet.

KUBEADM_PREV_VERSION=v1.36.3
KUBEADM_PREV_ETCD_VERSION=v3.6.8       # kubeadm v1.36's constants.DefaultEtcdVersion
KUBEADM_PREV_ETCD_IMAGE_TAG=3.6.8-0
KUBEADM_PREV_COREDNS_VERSION=v1.14.2   # kubeadm v1.36's constants.CoreDNSVersion
KUBEADM_PREV_MODULE=$HERE/kubernetes-v1.36
KUBEADM_IMAGE=${KUBEADM_IMAGE:-ckalab/node-kubeadm:$K8S_VERSION}
KUBEADM_BIN_PREV=$CACHE/bin-$KUBEADM_PREV_VERSION
KUBEADM_IMAGES=$CACHE/images-kubeadm       # the v1.36 images (not in the kind image)
KUBEADM_APT=$CACHE/apt                     # the repository, as the node sees it
KUBEADM_PKG_REV=1.1                        # upstream's package revision ("1.37.2-1.1")
KUBEADM_LABEL=io.ckalab.lab=kubeadm        # how ckalab tells a kubeadm lab's nodes from kind's

mkdir -p "$KUBEADM_BIN_PREV" "$KUBEADM_IMAGES"

build_kubernetes_prev() {
	build_k8s "$KUBEADM_PREV_MODULE" "$KUBEADM_PREV_VERSION" "$KUBEADM_BIN_PREV"
	(cd "$KUBEADM_PREV_MODULE" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$KUBEADM_BIN_PREV/etcd" go.etcd.io/etcd/server/v3)
	[[ $("$KUBEADM_BIN_PREV/kubeadm" version -o short) == "$KUBEADM_PREV_VERSION" ]] || die "kubeadm is not $KUBEADM_PREV_VERSION"
	[[ $("$KUBEADM_BIN_PREV/etcd" --version) == *"etcd Version: ${KUBEADM_PREV_ETCD_VERSION#v}"* ]] || die "etcd is not $KUBEADM_PREV_ETCD_VERSION"
}

build_coredns_prev() {
	local tmp
	tmp=$(mktemp -d "$CACHE/tmp/gobin.XXXX")
	CGO_ENABLED=0 GOBIN=$tmp GOFLAGS="$GOFLAGS -mod=mod" go install -trimpath -ldflags "-s -w" \
		"github.com/coredns/coredns@$KUBEADM_PREV_COREDNS_VERSION"
	mv "$tmp/coredns" "$KUBEADM_BIN_PREV/coredns"
	rmdir "$tmp"
}

# The images kubeadm v1.36.3 asks for, under its names, into their own
# folder: the kind image does not carry them.
images_k8s_prev() {
	local v=$KUBEADM_PREV_VERSION b=$KUBEADM_BIN_PREV
	IMAGES=$KUBEADM_IMAGES simple_image "registry.k8s.io/kube-apiserver:$v" "$IMG_STATIC_BASE" 'ENTRYPOINT ["/usr/local/bin/kube-apiserver"]' "$b/kube-apiserver:/usr/local/bin/kube-apiserver"
	IMAGES=$KUBEADM_IMAGES simple_image "registry.k8s.io/kube-controller-manager:$v" "$IMG_STATIC_BASE" 'ENTRYPOINT ["/usr/local/bin/kube-controller-manager"]' "$b/kube-controller-manager:/usr/local/bin/kube-controller-manager"
	IMAGES=$KUBEADM_IMAGES simple_image "registry.k8s.io/kube-scheduler:$v" "$IMG_STATIC_BASE" 'ENTRYPOINT ["/usr/local/bin/kube-scheduler"]' "$b/kube-scheduler:/usr/local/bin/kube-scheduler"
	IMAGES=$KUBEADM_IMAGES simple_image "registry.k8s.io/kube-proxy:$v" "$IMG_NET_BASE" 'ENTRYPOINT ["/usr/local/bin/kube-proxy"]' "$b/kube-proxy:/usr/local/bin/kube-proxy"
	IMAGES=$KUBEADM_IMAGES simple_image "registry.k8s.io/etcd:$KUBEADM_PREV_ETCD_IMAGE_TAG" "$IMG_STATIC_BASE" 'CMD ["/usr/local/bin/etcd"]' \
		"$b/etcd:/usr/local/bin/etcd" "$BIN/etcdctl:/usr/local/bin/etcdctl" "$BIN/etcdutl:/usr/local/bin/etcdutl"
	IMAGES=$KUBEADM_IMAGES simple_image "registry.k8s.io/coredns/coredns:$KUBEADM_PREV_COREDNS_VERSION" "$IMG_STATIC_BASE" 'ENTRYPOINT ["/coredns"]' "$b/coredns:/coredns"
}

# deb NAME VERSION DEPENDS DESCRIPTION SRC:DEST...: one binary package into
# the repository's pool. Files are installed with mode 0755 when SRC is
# executable, else 0644. Maintainer scripts come from $deb_postinst (if set).
deb() {
	local name=$1 version=$2 depends=$3 description=$4
	shift 4
	local root=$CACHE/tmp/deb-$name-$version pair dest
	rm -rf "$root"
	mkdir -p "$root/DEBIAN"
	for pair in "$@"; do
		dest=$root/${pair#*:}
		mkdir -p "$(dirname "$dest")"
		if [ -x "${pair%%:*}" ]; then install -m 0755 "${pair%%:*}" "$dest"; else install -m 0644 "${pair%%:*}" "$dest"; fi
	done
	{
		echo "Package: $name"
		echo "Version: $version"
		echo "Architecture: amd64"
		echo "Maintainer: ckalab <ckalab@localhost>"
		echo "Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)"
		[ -z "$depends" ] || echo "Depends: $depends"
		echo "Section: admin"
		echo "Priority: optional"
		echo "Homepage: https://kubernetes.io"
		echo "Description: $description"
		echo " Built offline by ckalab from the Go module proxy, packaged like the"
		echo " upstream package of the same name and version."
	} >"$root/DEBIAN/control"
	if [ -n "${deb_postinst:-}" ]; then
		printf '#!/bin/sh\nset -e\n%s\n' "$deb_postinst" >"$root/DEBIAN/postinst"
		chmod 0755 "$root/DEBIAN/postinst"
	fi
	mkdir -p "$KUBEADM_APT/pool"
	dpkg-deb --root-owner-group -Zxz --build "$root" "$KUBEADM_APT/pool/${name}_${version}_amd64.deb" >/dev/null
	rm -rf "$root"
}

# The units and drop-ins the upstream packages ship (kubelet's unit in the
# kubelet package, kubeadm's drop-in in the kubeadm package), and
# containerd's upstream unit.
kubeadm_unit_files() {
	local d=$CACHE/tmp/units
	rm -rf "$d"
	mkdir -p "$d"
	cat >"$d/kubelet.service" <<'EOF'
[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
EOF
	cat >"$d/10-kubeadm.conf" <<'EOF'
# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# This is a file that "kubeadm init" and "kubeadm join" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# This is a file that the user can use for overrides of the kubelet args as a last resort. Preferably, the user should use
# the .NodeRegistration.KubeletExtraArgs object in the configuration files instead. KUBELET_EXTRA_ARGS should be sourced from this file.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
EOF
	cat >"$d/containerd.service" <<'EOF'
[Unit]
Description=containerd container runtime
Documentation=https://containerd.io
After=network.target local-fs.target dbus.service

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/bin/containerd
Type=notify
Delegate=yes
KillMode=process
Restart=always
RestartSec=5
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
OOMScoreAdjust=-999

[Install]
WantedBy=multi-user.target
EOF
}

kubeadm_debs() {
	local r=$KUBEADM_PKG_REV u=$CACHE/tmp/units v b
	rm -rf "$KUBEADM_APT"
	mkdir -p "$KUBEADM_APT/pool"
	kubeadm_unit_files
	deb_postinst='' deb runc "${RUNC_VERSION#v}-$r" "libseccomp2" "Open Container Project - runtime" \
		"$BIN/runc:/usr/sbin/runc"
	# Like Debian's containerd package: enabled and started on install.
	deb_postinst='if [ -d /run/systemd/system ]; then systemctl daemon-reload; systemctl enable --now containerd.service >/dev/null 2>&1 || true; fi' \
		deb containerd "${CONTAINERD_VERSION#v}-$r" "runc (>= 1.1.0)" "An open and reliable container runtime" \
		"$BIN/containerd:/usr/bin/containerd" "$BIN/ctr:/usr/bin/ctr" \
		"$BIN/containerd-shim-runc-v2:/usr/bin/containerd-shim-runc-v2" "$u/containerd.service:/usr/lib/systemd/system/containerd.service"
	deb_postinst='' deb cri-tools "${CRI_TOOLS_VERSION#v}-$r" "" "Command-line utility for interacting with a container runtime" \
		"$BIN/crictl:/usr/bin/crictl"
	local cni=() p
	for p in bridge ptp loopback host-local portmap; do cni+=("$BIN/cni-$p:/opt/cni/bin/$p"); done
	deb_postinst='' deb kubernetes-cni "${CNI_PLUGINS_VERSION#v}-$r" "" "Binaries required to provision kubernetes container networking" "${cni[@]}"
	for v in "$KUBEADM_PREV_VERSION" "$K8S_VERSION"; do
		b=$BIN
		[ "$v" = "$K8S_VERSION" ] || b=$KUBEADM_BIN_PREV
		# Upstream's kubelet is not enabled by its package: the install guide
		# says `systemctl enable --now kubelet`.
		deb_postinst='if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi' \
			deb kubelet "${v#v}-$r" "iptables (>= 1.4.21), kubernetes-cni (>= 1.1.1), iproute2, socat, util-linux, mount, ethtool, conntrack" \
			"Node agent for Kubernetes clusters" "$b/kubelet:/usr/bin/kubelet" "$u/kubelet.service:/usr/lib/systemd/system/kubelet.service"
		deb_postinst='if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi' \
			deb kubeadm "${v#v}-$r" "cri-tools (>= 1.30.0)" "Command-line utility for administering a Kubernetes cluster" \
			"$b/kubeadm:/usr/bin/kubeadm" "$u/10-kubeadm.conf:/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"
		deb_postinst='' deb kubectl "${v#v}-$r" "" "Command-line utility for interacting with a Kubernetes cluster" \
			"$b/kubectl:/usr/bin/kubectl"
	done
	rm -rf "$u"
	# A flat repository: Packages, and a Release with their hashes (apt
	# refuses a source without Release; `[trusted=yes]` skips the signature,
	# there being no key to trust offline).
	(cd "$KUBEADM_APT" && dpkg-scanpackages --multiversion pool /dev/null 2>/dev/null >Packages && gzip -9kf Packages)
	{
		echo "Origin: ckalab"
		echo "Label: ckalab offline Kubernetes packages"
		echo "Suite: stable"
		echo "Architectures: amd64"
		echo "Date: $(date -u -R -d @0)"
		local algo f
		for algo in MD5Sum:md5sum SHA256:sha256sum; do
			echo "${algo%%:*}:"
			for f in Packages Packages.gz; do
				printf ' %s %s %s\n' "$(${algo#*:} "$KUBEADM_APT/$f" | cut -d' ' -f1)" "$(stat -c %s "$KUBEADM_APT/$f")" "$f"
			done
		done
	} >"$KUBEADM_APT/Release"
	grep -c '^Package:' "$KUBEADM_APT/Packages" | awk '{print "apt repository: " $1 " packages"}' >&2
}

# The root filesystem of the kubeadm lab's nodes: the kind node's, without
# what the packages now provide and without kind's kubelet and containerd
# units and configs, with apt pointed at the repository only.
kubeadm_node_rootfs() {
	local r=$CACHE/tmp/kubeadm-root name=ckalab-kubeadm-rootfs-$$
	rm -rf "$r"
	mkdir -p "$r"
	docker rm -f "$name" >/dev/null 2>&1 || true
	docker create --name "$name" "$IMG_NODE_ROOTFS" true >/dev/null
	docker export "$name" | tar -C "$r" -x
	docker rm -f "$name" >/dev/null
	rm -f "$r/usr/bin/kubelet" "$r/usr/bin/kubeadm" "$r/usr/bin/kubectl" \
		"$r/usr/local/bin/containerd" "$r/usr/local/bin/ctr" "$r/usr/local/bin/containerd-shim-runc-v2" \
		"$r/usr/local/bin/crictl" "$r/usr/local/sbin/runc" "$r"/opt/cni/bin/* \
		"$r/etc/systemd/system/kubelet.service" "$r/etc/systemd/system/containerd.service" \
		"$r/etc/systemd/system/multi-user.target.wants/kubelet.service" \
		"$r/etc/systemd/system/multi-user.target.wants/containerd.service" \
		"$r/etc/containerd/config.toml" "$r/etc/containerd/cri-base.json" "$r/etc/crictl.yaml" "$r/etc/default/kubelet" \
		"$r/usr/share/bash-completion/completions/kubectl" "$r/usr/share/bash-completion/completions/crictl"
	rm -rf "$r/etc/systemd/system/kubelet.service.d" "$r/kind/manifests"
	# kind's entrypoint edits containerd's config at boot (snapshotter,
	# restrict_oom_score_adj on nodes without CAP_SYS_RESOURCE); here the
	# learner writes that config, so the node's own setup writes what a
	# container node needs into drop-ins instead (files/kubeadm/node-setup.sh).
	install -m 0755 "$HERE/files/kubeadm/node-setup.sh" "$r/kind/bin/kubeadm-lab-node.sh"
	grep -qx 'configure_containerd' "$r/usr/local/bin/entrypoint" || die "kind's entrypoint no longer calls configure_containerd"
	sed -i 's|^configure_containerd$|/kind/bin/kubeadm-lab-node.sh|' "$r/usr/local/bin/entrypoint"
	mkdir -p "$r/etc/containerd/conf.d" "$r/etc/apt/sources.list.d" "$r/opt/ckalab/cni"
	rm -f "$r/etc/apt/sources.list" "$r"/etc/apt/sources.list.d/*
	echo "deb [trusted=yes] file:/opt/ckalab/apt ./" >"$r/etc/apt/sources.list.d/kubernetes.list"
	cp -a "$KUBEADM_APT" "$r/opt/ckalab/apt"
	# The network plugin, as a vendor's manifest would come: its pod CIDR
	# (netd masquerades traffic leaving it) is 10.244.0.0/16 unless edited.
	# netd reaches the API server through the Service VIP: kubeadm's
	# kube-proxy runs on the host network before any CNI.
	render_manifest "$HERE/manifests/default-cni.yaml" |
		sed -e 's|{{ .PodSubnet }}|10.244.0.0/16|g' -e '/would you kindly/d' >"$r/opt/ckalab/cni/netd.yaml"
	grep -q '{{' "$r/opt/ckalab/cni/netd.yaml" && die "kubeadm CNI manifest: a template marker is left"
	# The profile: kubectl completion and k come with the kubectl package.
	printf '%s\n' 'alias k=kubectl' \
		'if [ -n "$BASH_VERSION" ] && command -v kubectl >/dev/null; then . <(kubectl completion bash); complete -o default -F __start_kubectl k; fi' \
		'if [ -f /etc/kubernetes/admin.conf ] && [ ! -f "$HOME/.kube/config" ]; then export KUBECONFIG=/etc/kubernetes/admin.conf; fi' >"$r/etc/profile.d/ckalab.sh"
	cp "$r/etc/profile.d/ckalab.sh" "$r/root/.bash_aliases"
	echo -n "$K8S_VERSION" >"$r/kind/version"
}

# containerd's store for the kubeadm lab's nodes: every image of the kind
# node's store plus kubeadm v1.36's; what `kubeadm config images list` asks
# for at either version must be in it.
kubeadm_preload() {
	preload_into "$CACHE/containerd-root-kubeadm" "$CACHE/preloaded-images-kubeadm.txt" "$IMAGES" "$KUBEADM_IMAGES"
	# kubeadm v1.37 at both versions (init, upgrade), kubeadm v1.36 at its own
	local pair want
	for pair in "$BIN/kubeadm:$K8S_VERSION" "$BIN/kubeadm:$KUBEADM_PREV_VERSION" "$KUBEADM_BIN_PREV/kubeadm:$KUBEADM_PREV_VERSION"; do
		"${pair%%:*}" config images list --kubernetes-version "${pair#*:}" 2>/dev/null |
			while read -r want; do
				grep -qxF "$want" "$CACHE/preloaded-images-kubeadm.txt" || die "${pair%%:*} at ${pair#*:} wants $want, not preloaded"
			done
	done
}

kubeadm_image() {
	local ctx=$CACHE/tmp/ctx-kubeadm
	rm -rf "$ctx"
	mkdir -p "$ctx"
	kubeadm_node_rootfs
	mv "$CACHE/tmp/kubeadm-root" "$ctx/root"
	cp -al "$CACHE/containerd-root-kubeadm" "$ctx/root/var/lib/containerd-preload" 2>/dev/null ||
		cp -a "$CACHE/containerd-root-kubeadm" "$ctx/root/var/lib/containerd-preload"
	rm -rf "$ctx/root/var/lib/containerd"
	mv "$ctx/root/var/lib/containerd-preload" "$ctx/root/var/lib/containerd"
	cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY root/ /
LABEL $KUBEADM_LABEL
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]
DOCKERFILE
	build_image "$KUBEADM_IMAGE" "$ctx"
	rm -rf "$ctx"
	docker image inspect -f '{{.Size}}' "$KUBEADM_IMAGE" | awk '{printf "kubeadm node image size: %.0f MB\n", $1/1e6}' >&2
}

kubeadm_debs_hash=$( (printf %s "$KUBEADM_PREV_VERSION $K8S_VERSION $CONTAINERD_VERSION $RUNC_VERSION $CRI_TOOLS_VERSION $CNI_PLUGINS_VERSION"; declare -f deb kubeadm_unit_files kubeadm_debs) | sha256sum | cut -c1-12)
kubeadm_root_hash=$( (hash_of files/kubeadm manifests; declare -f kubeadm_node_rootfs kubeadm_image) | sha256sum | cut -c1-12)
kubeadm_steps=(
	"bin-kubernetes-prev:build_kubernetes_prev"
	"bin-coredns-prev:build_coredns_prev"
	"images-k8s-prev:images_k8s_prev"
	"apt-debs-$kubeadm_debs_hash:kubeadm_debs"
	"preload-kubeadm:kubeadm_preload"
	"kubeadm-image-$kubeadm_debs_hash-$kubeadm_root_hash:kubeadm_image"
)
