#!/bin/bash
# Builds embed/c/main.c against core.wasm translated to C by wasm2c (wabt), linked with wabt's
# runtime. Output: $OUT/core-embed (default dist/embed-c). Needs scripts/env/tools-up.sh.
#   embed/c/build.sh [core.wasm] [outdir]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WASM=${1:-$ROOT/dist/core.wasm}
OUT=${2:-$ROOT/dist/embed-c}
RT=""
for dir in /usr/share/wabt/wasm2c /usr/src/wasm2c; do
  [ -f "$dir/wasm-rt-impl.c" ] && { RT=$dir; break; }
done
[ -n "$RT" ] || { echo "build.sh: wasm-rt-impl.c not found; run scripts/env/tools-up.sh" >&2; exit 2; }
command -v wasm2c >/dev/null || { echo "build.sh: wasm2c not found; run scripts/env/tools-up.sh" >&2; exit 2; }
mkdir -p "$OUT"
wasm2c "$WASM" -n core -o "$OUT/core.c"
gcc -std=gnu11 -O1 -w -I"$OUT" -I"$RT" -o "$OUT/core-embed" "$ROOT/embed/c/main.c" "$OUT/core.c" "$RT/wasm-rt-impl.c" -lm
echo "$OUT/core-embed"
