#!/bin/bash
# The benchmark's own containerd: `bench-runtime.sh up|down`. Run it inside the benchmark's mount
# namespace (inner.sh does). Both kubelets of the benchmark use this containerd, one after the other.
#
# Why not the testbed's containerd ($KTS_ENV/rt/containerd.sock): other engineers run kubelet-ts e2e
# tests on that one, and the upstream kubelet 1.20.2 kills every running pod sandbox it does not know
# (HandlePodCleanups -> podKiller), destroys pod cgroups under its /kubepods it does not know and
# removes /var/log/pods/* directories of pods it does not know (container GC). So the benchmark runs:
#   * its own containerd (root, state, socket, runc root under $B/rt), same images from the local
#     registry (127.0.0.1:5000), same CNI network (bridge ktscni0, same host-local IPAM store, so the
#     two containerds never hand out the same pod IP);
#   * in a private mount namespace with a tmpfs on /var/log (the upstream kubelet's hard-coded
#     /var/log/pods and /var/log/containers stay inside the benchmark);
#   * pod cgroups under /kts-bench (kubelet-ts, cgroupRoot) and /kts-bench-up (upstream, --cgroup-root).
#
# Env: KTS_ENV (testbed, default /tmp/kts), KTS_BENCH_ENV (default /tmp/kts-bench).
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
TB=${KTS_ENV:-/tmp/kts}
B=${KTS_BENCH_ENV:-/tmp/kts-bench}
RT=$B/rt
SOCK=$RT/containerd.sock
REG_ADDR=127.0.0.1:5000
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$ROOT/scripts/env/containerd-config.sh"
say() { echo "[bench-runtime $(date +%T)] $*"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
mkdir -p "$RT" "$B/pids" "$B/logs"

up() {
  [ -f "$TB/rt/cni/net.d/10-ktsnet.conflist" ] || { echo "bench-runtime: run scripts/env/runtime-up.sh first" >&2; exit 1; }
  mkdir -p "$RT/cni/net.d" "$RT/certs.d/$REG_ADDR" "$RT/containerd"
  # the testbed's network definition as is: same bridge, same IPAM dataDir (shared lease store)
  cp "$TB/rt/cni/net.d/10-ktsnet.conflist" "$RT/cni/net.d/"
  cp "$TB/rt/certs.d/$REG_ADDR/hosts.toml" "$RT/certs.d/$REG_ADDR/"
  write_containerd_config "$RT/config.toml" "$RT" "$SOCK" "$REG_ADDR" warn
  if alive "$B/pids/containerd.pid"; then
    say "containerd already running (pid $(cat "$B/pids/containerd.pid"))"
  else
    rm -f "$SOCK" "$SOCK.ttrpc"
    setsid sh -c "echo \$\$ > '$B/pids/containerd.pid'; exec /usr/bin/containerd --config '$RT/config.toml'" \
      >> "$B/logs/containerd.log" 2>&1 < /dev/null &
  fi
  for i in $(seq 1 150); do
    if [ -S "$SOCK" ] && ctr --address "$SOCK" version >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  ctr --address "$SOCK" plugins ls | grep -qE 'io.containerd.grpc.v1 +cri +.* ok' \
    || { echo "bench containerd: CRI plugin not ok"; tail -20 "$B/logs/containerd.log"; exit 1; }
  prepull_images "$SOCK" "$REG_ADDR" say
  say "containerd pid $(cat "$B/pids/containerd.pid") on $SOCK"
}

down() {
  # 1. pod sandboxes through CRI (StopPodSandbox runs CNI DEL, releasing the IPs in the shared store)
  if alive "$B/pids/containerd.pid" && [ -S "$SOCK" ]; then
    (cd "$ROOT" && node --import tsx bench/api-startup/criSweep.ts "unix://$SOCK") || true
    for t in $(ctr --address "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do ctr --address "$SOCK" -n k8s.io tasks kill -s SIGKILL "$t" >/dev/null 2>&1; done
  fi
  # 2. containerd, then shims of our socket
  if alive "$B/pids/containerd.pid"; then
    pid=$(cat "$B/pids/containerd.pid"); kill "$pid"
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    say "stopped containerd $pid"
  fi
  rm -f "$B/pids/containerd.pid"
  for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $SOCK" || true); do kill -9 "$p" 2>/dev/null || true; done
  # 3. mounts under $B (snapshots, netns, kubelet volumes), empty pod cgroup trees
  for m in $(awk -v p="$B/" 'index($2, p) == 1 {print $2}' /proc/self/mounts | sort -r); do umount "$m" 2>/dev/null || umount -l "$m" || true; done
  for c in /sys/fs/cgroup/*/; do
    for top in kts-bench kts-bench-up; do
      [ -d "$c$top" ] && find "$c$top" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    done
  done
  return 0
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: bench-runtime.sh up|down" >&2; exit 2 ;;
esac
