#!/bin/bash
# Pod startup benchmark in one command: brings up containerd (scripts/env/runtime-up.sh, idempotent),
# builds core.wasm, then runs bench/pod-startup/main.ts (raw CRI vs kubelet-ts, same containerd,
# same pre-pulled image). Extra arguments go to main.ts (e.g. --n=20 --burst=30).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
export KTS_ENV=${KTS_ENV:-/tmp/kts}
export KTS_CRI_ENDPOINT=${KTS_CRI_ENDPOINT:-unix://$KTS_ENV/rt/containerd.sock}
scripts/env/runtime-up.sh > "${TMPDIR:-/tmp}/kts-bench-runtime-up.log" 2>&1 \
  || { tail -20 "${TMPDIR:-/tmp}/kts-bench-runtime-up.log"; echo "runtime-up.sh failed" >&2; exit 1; }
npx tsx build.ts core > /dev/null
node --import tsx bench/pod-startup/main.ts "$@"
