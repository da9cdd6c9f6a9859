#!/bin/bash
# Runs the real upstream Go kubelet v1.20.2 against the testbed's containerd (CRI) and waits until the
# node is Ready. Needs runtime-up.sh and cluster-up.sh first. Idempotent (keeps a running kubelet).
#
# Env: KTS_ENV (default /tmp/kts), K8S_BIN (default /var/cache/k8s-1.20.2/bin), KUBELET_V (log verbosity, default 2),
#      KUBELET_EXTRA_ARGS (appended to the command line).
# PID: $TB/pids/kubelet.pid, log: $TB/logs/kubelet.log, root dir: $TB/kubelet. Stop: upstream-kubelet-down.sh.
#
# Side effects outside $TB that the upstream kubelet has by design (undone by upstream-kubelet-down.sh):
#  * it sets vm.overcommit_memory=1, vm.panic_on_oom=0, kernel.panic=10, kernel.panic_on_oops=1,
#    kernel.keys.root_maxkeys, kernel.keys.root_maxbytes (protectKernelDefaults=false); the previous
#    values are saved to $TB/sysctl-saved and restored on down;
#  * it creates the cgroup tree /kubepods under every v1 controller;
#  * container logs go to /var/log/pods and symlinks to /var/log/containers, and the device-plugin
#    socket to /var/lib/kubelet/device-plugins (paths hard-coded in 1.20); removed on down unless they
#    existed before.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
TB=${KTS_ENV:-/tmp/kts}
# kubectl caches discovery under $HOME/.kube/cache, or ./.kube/cache when HOME is unset (env -i)
export KUBECACHEDIR=$TB/kubectl-cache
K8S_BIN=${K8S_BIN:-/var/cache/k8s-1.20.2/bin}
SOCK=$TB/rt/containerd.sock
KDIR=$TB/kubelet
PIDS=$TB/pids
LOGS=$TB/logs
export KUBECONFIG=$TB/admin.kubeconfig
log() { echo "[kubelet-up $(date +%T)] $*"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

[ -x "$K8S_BIN/kubelet" ] || { echo "kubelet-up: $K8S_BIN/kubelet missing; run build-k8s.sh" >&2; exit 1; }
[ -S "$SOCK" ] || { echo "kubelet-up: $SOCK missing; run runtime-up.sh" >&2; exit 1; }
[ -f "$TB/node.kubeconfig" ] && [ -f "$TB/node-name" ] || { echo "kubelet-up: run cluster-up.sh first" >&2; exit 1; }
NODE_NAME=$(cat "$TB/node-name")
mkdir -p "$KDIR" "$TB/manifests" "$TB/volume-plugins" "$PIDS" "$LOGS"

# save kernel tunables the kubelet will overwrite (only once per testbed lifetime)
if [ ! -f "$TB/sysctl-saved" ]; then
  for k in vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops kernel/keys/root_maxkeys kernel/keys/root_maxbytes; do
    [ -f /proc/sys/$k ] && echo "$k $(cat /proc/sys/$k)"
  done > "$TB/sysctl-saved"
fi
# remember whether /var/log/pods and /var/log/containers existed before us
[ -f "$TB/varlog-preexisting" ] || { for d in /var/log/pods /var/log/containers /var/lib/kubelet; do [ -e $d ] && echo $d; done; true; } > "$TB/varlog-preexisting"

cat > "$KDIR/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# kube-apiserver reaches kubelets at their InternalIP first (cluster-up.sh): listen on it too
address: 0.0.0.0
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $TB/pki/ca.crt
authorization:
  mode: Webhook
cgroupDriver: cgroupfs
failSwapOn: false
staticPodPath: $TB/manifests
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
# no kube-proxy here: do not add KUBE-* chains to the host's iptables
makeIPTablesUtilChains: false
EOF

# a node object can still say Ready=True from a kubelet that just stopped (until the node controller
# notices, ~40 s): after (re)starting, only accept a Ready heartbeat written by the new process.
HB_MIN=0
if alive "$PIDS/kubelet.pid"; then
  log "kubelet already running (pid $(cat "$PIDS/kubelet.pid"))"
else
  HB_MIN=$(( $(date +%s) - 1 ))
  # shellcheck disable=SC2206
  extra=(${KUBELET_EXTRA_ARGS:-})
  cmd=("$K8S_BIN/kubelet"
    --config="$KDIR/config.yaml"
    --kubeconfig="$TB/node.kubeconfig"
    --hostname-override="$NODE_NAME"
    --container-runtime=remote
    --container-runtime-endpoint="unix://$SOCK"
    --image-service-endpoint="unix://$SOCK"
    --pod-infra-container-image=127.0.0.1:5000/pause:latest
    --root-dir="$KDIR"
    --cert-dir="$KDIR/pki"
    --volume-plugin-dir="$TB/volume-plugins"
    --v="${KUBELET_V:-2}"
    "${extra[@]}")
  printf '%q ' "${cmd[@]}" > "$TB/kubelet.cmdline"
  log "starting kubelet: ${cmd[*]}"
  echo "===== kubelet start $(date -Is)" >> "$LOGS/kubelet.log"
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$PIDS/kubelet.pid" "${cmd[@]}" >> "$LOGS/kubelet.log" 2>&1 < /dev/null &
  for i in $(seq 1 50); do [ -s "$PIDS/kubelet.pid" ] && break; sleep 0.05; done
fi
T0=$(date +%s%N)
end=$(( $(date +%s) + ${READY_TIMEOUT:-120} ))
ready_fresh() {
  local st hb
  read -r st hb < <(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].lastHeartbeatTime}{"\n"}' 2>/dev/null)
  [ "$st" = True ] && [ -n "$hb" ] && [ "$(date -d "$hb" +%s)" -ge "$HB_MIN" ]
}
until ready_fresh; do
  if ! alive "$PIDS/kubelet.pid"; then echo "kubelet-up: kubelet exited" >&2; tail -40 "$LOGS/kubelet.log"; exit 1; fi
  if [ "$(date +%s)" -ge "$end" ]; then
    echo "kubelet-up: node $NODE_NAME not Ready in time" >&2
    kubectl get node "$NODE_NAME" -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}' >&2 || true
    exit 1
  fi
  sleep 0.2
done
log "node $NODE_NAME Ready ($(( ($(date +%s%N) - T0) / 1000000 )) ms after start/check), kubelet pid $(cat "$PIDS/kubelet.pid")"
kubectl get nodes -o wide
