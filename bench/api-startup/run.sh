#!/bin/bash
# API pod startup benchmark, kubelet-ts vs the upstream kubelet 1.20.2, in one command:
#   bash bench/api-startup/run.sh
# 1. testbed runtime + control plane (scripts/env/runtime-up.sh, cluster-up.sh; idempotent);
# 2. builds the kubelet-ts single executable (npx tsx build.ts core bundle sea) and copies it to
#    $KTS_BENCH_ENV/bin (KTS_BENCH_BIN=tsx runs from source instead, KTS_BENCH_BIN=/path a given binary);
# 3. in a private mount namespace (tmpfs on /var/log): the benchmark's own containerd
#    (bench-runtime.sh, see there why), then main.ts measures both kubelets one after the other.
# Results: printed table + JSON in bench/api-startup/results/ (RESULTS_DIR). Knobs: see main.ts.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export KTS_ENV=${KTS_ENV:-/tmp/kts}
export KTS_BENCH_ENV=${KTS_BENCH_ENV:-/tmp/kts-bench}
B=$KTS_BENCH_ENV
mkdir -p "$B/logs" "$B/bin" "$B/pids"
step() { echo "[api-startup $(date +%T)] $*"; }

step "runtime + control plane (logs in $B/logs)"
scripts/env/runtime-up.sh > "$B/logs/runtime-up.log" 2>&1 || { tail -20 "$B/logs/runtime-up.log"; exit 1; }
# the control plane is shared and some tests stop kube-apiserver for a while on purpose: wait for it
# (up to 3 min) rather than start it again under their feet; cluster-up.sh then only checks
if [ -f "$KTS_ENV/admin.kubeconfig" ] && [ -f "$KTS_ENV/pids/kube-apiserver.pid" ]; then
  for i in $(seq 1 180); do
    curl -sf --max-time 2 --cacert "$KTS_ENV/pki/ca.crt" --cert "$KTS_ENV/pki/admin.crt" --key "$KTS_ENV/pki/admin.key" https://127.0.0.1:6443/healthz >/dev/null 2>&1 && break
    [ "$i" = 1 ] && step "kube-apiserver not answering; waiting up to 3 min (another test may have stopped it)"
    sleep 1
  done
fi
scripts/env/cluster-up.sh > "$B/logs/cluster-up.log" 2>&1 || { tail -20 "$B/logs/cluster-up.log"; exit 1; }

if [ "${KTS_BENCH_BIN:-}" = trace ]; then
  # profiling: bench/api-startup/tracedMain.ts bundled like the single executable, run by node;
  # every CRI/API/fs/cgroup/mount call is timed into $B/logs/trace.jsonl (see analyzeTrace.ts)
  step "building the traced kubelet-ts bundle (profiling)"
  npx tsx build.ts core > "$B/logs/build.log" 2>&1 || { tail -20 "$B/logs/build.log"; exit 1; }
  node_modules/.bin/esbuild bench/api-startup/tracedMain.ts --bundle --platform=node --format=cjs --target=node20 \
    --outfile="$B/bin/kubelet-ts-traced.cjs" "--define:KTS_EMBEDDED_CORE=\"$(base64 -w0 dist/core.wasm)\"" --log-level=warning \
    '--define:import.meta.url="file:///kubelet-ts.cjs"'
  rm -f "$B/logs/trace.jsonl"
  export KTS_BENCH_BIN=node:$B/bin/kubelet-ts-traced.cjs
elif [ -z "${KTS_BENCH_BIN:-}" ]; then
  step "building the kubelet-ts single executable"
  npx tsx build.ts core bundle sea > "$B/logs/build.log" 2>&1 || { tail -20 "$B/logs/build.log"; exit 1; }
  cp dist/kubelet-ts "$B/bin/kubelet-ts.new" && mv "$B/bin/kubelet-ts.new" "$B/bin/kubelet-ts"
  export KTS_BENCH_BIN=$B/bin/kubelet-ts
fi

# what the upstream kubelet scripts expect in their KTS_ENV (a copy of the testbed's, no runtime)
cp "$KTS_ENV/node-name" "$KTS_ENV/node.kubeconfig" "$KTS_ENV/admin.kubeconfig" "$B/"
ln -sfn "$KTS_ENV/pki" "$B/pki"

step "entering a private mount namespace"
exec unshare --mount --propagation private bash "$ROOT/bench/api-startup/inner.sh" "$@"
