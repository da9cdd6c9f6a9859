#!/bin/bash
# Runs inside the benchmark's private mount namespace (see run.sh and bench-runtime.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
HERE=$ROOT/bench/api-startup
# the upstream kubelet writes /var/log/pods and /var/log/containers (hard-coded in 1.20) and its
# container GC removes log dirs of pods it does not know: keep all of it inside this namespace
mount -t tmpfs -o size=512m,mode=755 kts-bench-varlog /var/log
trap 'bash "$HERE/bench-runtime.sh" down' EXIT
bash "$HERE/bench-runtime.sh" up
node --import tsx "$HERE/main.ts" "$@"
