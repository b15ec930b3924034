#!/usr/bin/env bash
# Smoke test of the node image: a 3-node kind cluster, then pod networking
# across nodes, a Service, NetworkPolicy enforcement, a PVC on `standard`,
# kubectl logs/exec. Needs kind on PATH (or $KIND) and a kubectl >= 1.36 ($KUBECTL).
# On machines where `docker run --privileged` fails, run with
#   PATH=$REPO/hack/docker-unprivileged:$PATH
# Keeps the cluster unless KEEP=0.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
KIND=${KIND:-kind}
KUBECTL=${KUBECTL:-${XDG_CACHE_HOME:-$HOME/.cache}/ckalab/sim/v1.37.2/bin/kubectl}
name=${CLUSTER:-ckalab-try}
kcfg=$(mktemp)
k() { "$KUBECTL" --kubeconfig "$kcfg" "$@"; }
log() { echo "[smoke $(date +%T)] $*" >&2; }

t0=$(date +%s)
if ! "$KIND" get clusters 2>/dev/null | grep -qx "$name"; then
	"$KIND" create cluster --name "$name" --config "$here/kind-config.yaml" --retain --wait 0s
fi
"$KIND" get kubeconfig --name "$name" >"$kcfg"
log "kind create returned after $(($(date +%s) - t0))s"
k wait --for=condition=Ready node --all --timeout=300s
log "all nodes Ready after $(($(date +%s) - t0))s"
k get nodes -o wide
for sel in k8s-app=kube-dns k8s-app=kube-proxy app=netd app=kube-network-policies; do
	k -n kube-system rollout status "$(k -n kube-system get ds,deploy -l "$sel" -o name | head -1)" --timeout=300s
done
k -n local-path-storage rollout status deploy/local-path-provisioner --timeout=300s
log "system pods Running after $(($(date +%s) - t0))s"
k get pods -A -o wide

w1=$name-worker w2=$name-worker2
k delete ns smoke --ignore-not-found --wait
k create ns smoke
k -n smoke run web --image=nginx:1.27 --port=80 --overrides='{"spec":{"nodeName":"'"$w2"'"}}'
k -n smoke expose pod web --port=80
k -n smoke run client --image=busybox:1.36 --overrides='{"spec":{"nodeName":"'"$w1"'"}}' -- sleep 3600
k -n smoke run db --image=redis:7 --overrides='{"spec":{"nodeName":"'"$w1"'"}}'
k -n smoke wait --for=condition=Ready pod/web pod/client pod/db --timeout=180s
k -n smoke get pods -o wide

log "busybox on $w1 -> nginx Service (pod on $w2)"
k -n smoke exec client -- wget -q -T 5 -O- http://web.smoke.svc.cluster.local/ | grep -i 'welcome to nginx'
log "busybox -> redis on port 6379 (nc)"
dbip=$(k -n smoke get pod db -o jsonpath='{.status.podIP}')
k -n smoke exec client -- sh -c "printf 'PING\r\n' | nc -w 3 $dbip 6379" | grep -q PONG
log "busybox nc -zv -> Service"
k -n smoke exec client -- nc -zv -w 2 web 80
log "nft list ruleset on a node (kube-proxy, netd and kube-network-policies tables)"
docker exec "$w2" nft list ruleset >/dev/null
log "kubectl logs"
k -n smoke logs web | tail -2
log "deny-all NetworkPolicy"
k -n smoke apply -f - <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
spec:
  podSelector: {}
  policyTypes: [Ingress]
YAML
sleep 5
if k -n smoke exec client -- wget -q -T 5 -O- http://web.smoke.svc.cluster.local/ >/dev/null 2>&1 ||
	k -n smoke exec client -- nc -z -w 3 web 80; then
	log "FAIL: traffic still allowed under deny-all"
	exit 1
fi
log "blocked as expected; removing the policy"
k -n smoke delete networkpolicy deny-all
sleep 3
k -n smoke exec client -- wget -q -T 5 -O- http://web/ | grep -qi 'welcome to nginx'

log "PVC on standard"
k -n smoke apply -f - <<'YAML'
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: standard
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: Pod
metadata:
  name: writer
spec:
  containers:
    - name: w
      image: busybox:1.36
      command: ["sh", "-c", "echo hello > /data/f && cat /data/f && sleep 3600"]
      volumeMounts:
        - name: d
          mountPath: /data
  volumes:
    - name: d
      persistentVolumeClaim:
        claimName: data
YAML
k -n smoke wait --for=jsonpath='{.status.phase}'=Bound pvc/data --timeout=180s
k -n smoke wait --for=condition=Ready pod/writer --timeout=180s
k -n smoke logs writer | grep -q hello
log "ALL CHECKS PASSED in $(($(date +%s) - t0))s"
# shellcheck disable=SC2046 # one argument per node name
docker stats --no-stream --format 'table {{.Name}}\t{{.MemUsage}}\t{{.CPUPerc}}' $("$KIND" get nodes --name "$name")
if [ "${KEEP:-1}" = 0 ]; then
	"$KIND" delete cluster --name "$name"
fi
rm -f "$kcfg"
