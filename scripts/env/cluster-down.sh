#!/bin/bash
# Stops the control plane started by cluster-up.sh (by PID files only), after stopping the kubelet
# if upstream-kubelet-up.sh started one. Idempotent.
# PURGE=1: also deletes the PKI, kubeconfigs, etcd data and the kubelet root dir, so the next
# cluster-up.sh starts from scratch (runtime state in $TB/rt is left to runtime-down.sh).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
TB=${KTS_ENV:-/tmp/kts}
# kubectl caches discovery under $HOME/.kube/cache, or ./.kube/cache when HOME is unset (env -i)
export KUBECACHEDIR=$TB/kubectl-cache
PIDS=$TB/pids
HERE=$(cd "$(dirname "$0")" && pwd)
say() { echo "[cluster-down $(date +%T)] $*"; }

[ -f "$PIDS/kubelet.pid" ] && KTS_ENV=$TB "$HERE/upstream-kubelet-down.sh"

stop_pid() { # name
  local f=$PIDS/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { say "$1 ($pid) did not exit on TERM, sending KILL"; kill -9 "$pid"; }
    say "stopped $1 pid $pid"
  else
    say "$1 pid $pid not running"
  fi
  rm -f "$f"
}
for c in kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_pid $c; done

if [ "${PURGE:-0}" = 1 ]; then
  # kubelet volume mounts (secret tmpfs) must go before the directory can be removed
  # (includes the kubelet's own bind mount of its root dir onto itself, made for mount propagation)
  for m in $(awk -v p="$TB/kubelet" '$2 == p || index($2, p "/") == 1 {print $2}' /proc/self/mounts | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
  say "PURGE=1: removing PKI, kubeconfigs, etcd data, kubelet dir"
  rm -rf "$TB/pki" "$TB/etcd" "$TB/kubelet" "$TB/manifests" "$TB/volume-plugins" "$TB"/*.kubeconfig \
         "$TB/node-name" "$TB"/*.cmdline "$TB/kubectl-cache"
fi
say done
