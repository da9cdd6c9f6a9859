#!/bin/bash
# Stops what runtime-up.sh started (by PID files only) and removes runtime leftovers:
# pod sandboxes/containers (via CRI-less ctr: tasks are killed, shims exit), mounts under $TB,
# the CNI bridge, runc-created cgroups. Idempotent. Stop the kubelet first (cluster scripts do).
# With PURGE=1 also deletes $TB/rt (images, registry storage, containerd root) so the next
# runtime-up.sh starts from scratch.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
TB=${KTS_ENV:-/tmp/kts}
RT=$TB/rt
SOCK=$RT/containerd.sock
BRIDGE=ktscni0
say() { echo "[runtime-down $(date +%T)] $*"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pid() { # name pidfile [signal]
  local pid
  [ -f "$2" ] || return 0
  pid=$(cat "$2")
  if kill -0 "$pid" 2>/dev/null; then
    kill "-${3:-TERM}" "$pid"
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then say "$1 ($pid) did not exit on TERM, sending KILL"; kill -9 "$pid"; fi
    say "stopped $1 pid $pid"
  else
    say "$1 pid $pid not running"
  fi
  rm -f "$2"
}

# 1. kill every task containerd still runs (k8s.io namespace), remove containers, then the
#    pod network namespaces are released by containerd when it tears the sandboxes down.
if alive "$TB/pids/containerd.pid" && [ -S "$SOCK" ]; then
  for ns in $(ctr --address "$SOCK" namespaces ls -q 2>/dev/null); do
    for t in $(ctr --address "$SOCK" -n "$ns" tasks ls -q 2>/dev/null); do
      ctr --address "$SOCK" -n "$ns" tasks kill -s SIGKILL "$t" >/dev/null 2>&1
    done
    sleep 0.5
    for t in $(ctr --address "$SOCK" -n "$ns" tasks ls -q 2>/dev/null); do
      ctr --address "$SOCK" -n "$ns" tasks delete -f "$t" >/dev/null 2>&1
    done
    n=0
    for c in $(ctr --address "$SOCK" -n "$ns" containers ls -q 2>/dev/null); do
      ctr --address "$SOCK" -n "$ns" containers delete "$c" >/dev/null 2>&1 && n=$((n+1))
    done
    [ $n = 0 ] || say "namespace $ns: removed $n container(s)"
  done
fi

stop_pid containerd "$TB/pids/containerd.pid"
stop_pid registry "$TB/pids/registry.pid"
stop_pid registry-auth "$TB/pids/registry-auth.pid"

# 2. shims started by our containerd (re-parented to init); identified by our socket path in argv.
for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $SOCK" || true); do
  say "killing leftover shim pid $p"; kill "$p" 2>/dev/null
done
sleep 0.3
for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $SOCK" || true); do
  kill -9 "$p" 2>/dev/null
done

# 3. processes still inside cgroups created for pods (kubelet's /kubepods tree or containerd's k8s.io)
for top in kubepods k8s.io; do
  d=/sys/fs/cgroup/pids/$top
  [ -d "$d" ] || continue
  pids=$(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
  for p in $pids; do say "killing leftover pod process $p ($(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | cut -c1-60))"; kill -9 "$p" 2>/dev/null; done
done

# 4. unmount anything left under $TB (snapshots, netns bind mounts, shm, kubelet volumes)
for m in $(awk -v p="$TB/" 'index($2, p) == 1 {print $2}' /proc/self/mounts | sort -r); do
  say "umount $m"; umount "$m" 2>/dev/null || umount -l "$m"
done

# 5. bridge created by the CNI bridge plugin, plus its iptables masquerade chains
if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE" && say "deleted bridge $BRIDGE"; fi
for ch in $(iptables -t nat -S POSTROUTING 2>/dev/null | awk '/CNI-[0-9a-f]+/ && /ktsnet/ {for(i=1;i<=NF;i++) if ($i ~ /^CNI-/) print $i}' | sort -u); do
  iptables -t nat -S POSTROUTING | grep -- "-j $ch " | sed 's/^-A/-D/' | while read -r rule; do iptables -t nat $rule 2>/dev/null; done
  iptables -t nat -F "$ch" 2>/dev/null; iptables -t nat -X "$ch" 2>/dev/null
done

# 6. empty cgroup dirs created by runc / the kubelet
for c in /sys/fs/cgroup/*/; do
  for top in k8s.io kubepods; do
    [ -d "$c$top" ] || continue
    find "$c$top" -depth -type d -exec rmdir {} \; 2>/dev/null
    [ -d "$c$top" ] && say "could not remove $c$top"
  done
done

# 7. CNI host-local IPAM leases (the netns are gone now)
rm -rf "$RT/cni/ipam"
if [ "${PURGE:-0}" = 1 ]; then
  say "PURGE=1: removing $RT"
  rm -rf "$RT"
fi
say done
