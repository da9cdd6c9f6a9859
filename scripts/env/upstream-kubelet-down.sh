#!/bin/bash
# Stops the kubelet started by upstream-kubelet-up.sh (by PID file) and undoes its host side effects.
# DRAIN=1 (default): first deletes every pod bound to this node (grace 1 s) and waits up to 60 s
# for the kubelet to tear them down through CRI (StopPodSandbox -> CNI DEL). DRAIN=0: just stop.
# The kubelet's containers keep running after it stops; runtime-down.sh removes leftovers.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
TB=${KTS_ENV:-/tmp/kts}
# kubectl caches discovery under $HOME/.kube/cache, or ./.kube/cache when HOME is unset (env -i)
export KUBECACHEDIR=$TB/kubectl-cache
PIDS=$TB/pids
export KUBECONFIG=$TB/admin.kubeconfig
say() { echo "[kubelet-down $(date +%T)] $*"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
NODE_NAME=$(cat "$TB/node-name" 2>/dev/null || echo localhost)

if alive "$PIDS/kubelet.pid" && [ "${DRAIN:-1}" = 1 ] && kubectl get --raw /healthz >/dev/null 2>&1; then
  n=$(kubectl get pods -A --field-selector spec.nodeName="$NODE_NAME" --no-headers 2>/dev/null | wc -l)
  if [ "$n" -gt 0 ]; then
    say "deleting $n pod(s) on $NODE_NAME (grace 1 s)"
    kubectl get pods -A --field-selector spec.nodeName="$NODE_NAME" -o jsonpath='{range .items[*]}{.metadata.namespace} {.metadata.name}{"\n"}{end}' |
      while read -r ns name; do kubectl -n "$ns" delete pod "$name" --grace-period=1 --wait=false >/dev/null 2>&1; done
    for i in $(seq 1 300); do
      [ "$(kubectl get pods -A --field-selector spec.nodeName="$NODE_NAME" --no-headers 2>/dev/null | wc -l)" = 0 ] && break
      sleep 0.2
    done
    say "pods left: $(kubectl get pods -A --field-selector spec.nodeName="$NODE_NAME" --no-headers 2>/dev/null | wc -l)"
  fi
fi

if [ -f "$PIDS/kubelet.pid" ]; then
  pid=$(cat "$PIDS/kubelet.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { say "kubelet $pid did not exit on TERM, sending KILL"; kill -9 "$pid"; }
    say "stopped kubelet pid $pid"
  else
    say "kubelet pid $pid not running"
  fi
  rm -f "$PIDS/kubelet.pid"
fi

# restore the kernel tunables the kubelet changed
if [ -f "$TB/sysctl-saved" ]; then
  while read -r k v; do
    cur=$(cat "/proc/sys/$k" 2>/dev/null)
    if [ -n "$cur" ] && [ "$cur" != "$v" ]; then echo "$v" > "/proc/sys/$k" && say "restored $k=$v (was $cur)"; fi
  done < "$TB/sysctl-saved"
  rm -f "$TB/sysctl-saved"
fi
# /var/log/pods, /var/log/containers, /var/lib/kubelet (device-plugin socket dir, hard-coded in 1.20):
# remove them only if they did not exist before the testbed
if [ -f "$TB/varlog-preexisting" ]; then
  for d in /var/log/pods /var/log/containers /var/lib/kubelet; do
    grep -qx "$d" "$TB/varlog-preexisting" || { [ -e "$d" ] && rm -rf "$d" && say "removed $d"; }
  done
  rm -f "$TB/varlog-preexisting"
fi
say done
