#!/bin/bash
# The core benchmark on both hosts: bench/core/run.ts under Node (tsx) and under Deno, each
# comparing core.wasm with the pure-TS twin in the same process. Extra arguments go to run.ts
# (e.g. --sizes=100,10000 --reps=3). Builds dist/core.wasm when core/ is newer.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
if [ ! -f dist/core.wasm ] || [ -n "$(find core -newer dist/core.wasm -name '*.ts' | head -1)" ]; then
  npx tsx build.ts core
fi
echo "== Node =="
node --expose-gc --import tsx bench/core/run.ts "$@"
echo
echo "== Deno =="
node_modules/.bin/deno run -A --v8-flags=--expose-gc bench/core/run.ts "$@"
