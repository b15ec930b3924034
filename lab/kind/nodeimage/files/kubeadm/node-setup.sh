#!/bin/bash
# ckalab kubeadm lab, at every boot of a node, in place of kind's
# configure_containerd (the entrypoint calls this): kind edits its own
# containerd config, but on this lab's nodes the learner writes that config
# (`containerd config default`), and the kubelet's flags come from kubeadm.
# What a container node needs beyond a real machine goes into drop-ins the
# learner's files leave alone; each task says the lab did this.
set -o errexit -o nounset -o pipefail

mkdir -p /etc/containerd/conf.d

# Nodes that run without CAP_SYS_RESOURCE (Docker without --privileged)
# may not lower a process's oom_score_adj: containerd must not ask runc to.
# containerd 2's default config imports /etc/containerd/conf.d/*.toml.
capeff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
if (( ((0x${capeff} >> 24) & 1) == 0 )); then
  cat >/etc/containerd/conf.d/00-ckalab-node.toml <<'TOML'
# Written at boot by the lab (ckalab): this node container lacks
# CAP_SYS_RESOURCE, so containers may not get a lower oom_score_adj than
# containerd's own. A real machine does not need this.
version = 3
[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = true
TOML
fi

# The kubelet refuses cgroup v1 hosts since v1.35 unless told otherwise;
# on cgroup v2 hosts nothing is written.
if [[ ! -f /sys/fs/cgroup/cgroup.controllers ]] && [[ ! -f /etc/default/kubelet ]]; then
  mkdir -p /etc/default
  cat >/etc/default/kubelet <<'ENV'
# Written at boot by the lab (ckalab): the host runs cgroup v1, which the
# kubelet refuses unless told otherwise. A cgroup v2 machine needs nothing here.
KUBELET_EXTRA_ARGS=--fail-cgroupv1=false
ENV
fi
