#!/bin/bash
# The probe benchmark in one command: builds core.wasm when core/ is newer, brings the testbed
# runtime up (for the real-runtime part), then runs bench/probes/run.ts. Extra arguments go to
# run.ts (e.g. --seconds=30 --pods=50 --only=sim).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
if [ ! -f dist/core.wasm ] || [ -n "$(find core -newer dist/core.wasm -name '*.ts' | head -1)" ]; then
  npx tsx build.ts core
fi
if [[ " $* " != *" --only=sim "* ]]; then
  mkdir -p .cache
  scripts/env/runtime-up.sh > .cache/bench-probes-runtime-up.log 2>&1 || { tail -20 .cache/bench-probes-runtime-up.log; exit 1; }
fi
exec node --import tsx bench/probes/run.ts "$@"
