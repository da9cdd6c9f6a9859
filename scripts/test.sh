#!/bin/bash
# Runs kubelet-ts's test tiers in order and prints one final line "N passed, N failed".
#   scripts/test.sh                  # all tiers: typecheck unit deno integration e2e
#   scripts/test.sh unit integration # a subset
# Tiers that need real parts bring them up first (idempotent scripts in scripts/env/) and count as
# failed when a part cannot start: a test never skips because something is missing.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export KTS_ENV=${KTS_ENV:-/tmp/kts}
export KTS_CRI_ENDPOINT=${KTS_CRI_ENDPOINT:-unix://$KTS_ENV/rt/containerd.sock}
export KUBECONFIG=${KUBECONFIG_E2E:-$KTS_ENV/admin.kubeconfig}
export KTS_K8S_BIN=${K8S_BIN:-/var/cache/k8s-1.20.2/bin}
LOGDIR=${KTS_TEST_LOGS:-$ROOT/.cache/test-logs}
mkdir -p "$LOGDIR"
TIERS=${*:-typecheck unit deno integration e2e}
PASSED=0
FAILED=0
UVU="node --import tsx node_modules/uvu/bin.js"

say() { echo "[test $(date +%T)] $*"; }
fail_tier() { say "FAILED: $*"; FAILED=$((FAILED + 1)); }

# count LOG EXIT: adds uvu's Passed to PASSED and (Total - Passed) + Skipped to FAILED;
# a run that crashed before its summary counts as one failure.
count() {
  local log=$1 rc=$2 total passed skipped
  total=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '/^ *Total:/ {s += $2} END {print s + 0}')
  passed=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '/^ *Passed:/ {s += $2} END {print s + 0}')
  skipped=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '/^ *Skipped:/ {s += $2} END {print s + 0}')
  PASSED=$((PASSED + passed))
  FAILED=$((FAILED + total - passed + skipped))
  if [ "$rc" != 0 ] && [ "$total" = "$passed" ]; then FAILED=$((FAILED + 1)); fi
  say "$(basename "$log" .log): $passed passed, $((total - passed + skipped)) failed (exit $rc)"
}

run_uvu() { # name dir [pattern] [timeout-seconds]
  local name=$1 dir=$2 pattern=${3:-} secs=${4:-900}
  say "tier $name: $dir"
  timeout --kill-after=10 "$secs" $UVU "$dir" $pattern -i support 2>&1 | tee "$LOGDIR/$name.log"
  count "$LOGDIR/$name.log" "${PIPESTATUS[0]}"
}

ensure_core() {
  [ -f dist/core.wasm ] && [ -z "$(find core -newer dist/core.wasm -name '*.ts' | head -1)" ] && return 0
  npx tsx build.ts core
}

for tier in $TIERS; do
  case $tier in
    typecheck)
      say "tier typecheck: tsc --noEmit"
      if npx tsc -p tsconfig.json --noEmit; then PASSED=$((PASSED + 1)); else fail_tier "typecheck"; fi ;;
    unit)
      if ensure_core; then run_uvu unit tests/unit; else fail_tier "unit: core.wasm did not build"; fi ;;
    deno)
      if ! ensure_core; then fail_tier "deno: core.wasm did not build"; continue; fi
      if [ ! -x scripts/test-deno.sh ]; then fail_tier "deno: scripts/test-deno.sh missing"; continue; fi
      say "tier deno: the Deno host typechecks (deno check hosts/deno/main.ts)"
      if node_modules/.bin/deno check hosts/deno/main.ts; then PASSED=$((PASSED + 1)); else fail_tier "deno check hosts/deno/main.ts"; fi
      say "tier deno: core tests under Deno"
      timeout --kill-after=10 600 scripts/test-deno.sh 2>&1 | tee "$LOGDIR/deno.log"
      count "$LOGDIR/deno.log" "${PIPESTATUS[0]}" ;;
    integration)
      if ! ensure_core; then fail_tier "integration: core.wasm did not build"; continue; fi
      if ! scripts/env/runtime-up.sh > "$LOGDIR/runtime-up.log" 2>&1; then
        tail -20 "$LOGDIR/runtime-up.log"; fail_tier "integration: the node runtime (containerd) did not start"; continue
      fi
      run_uvu integration tests/integration "" 1800 ;;
    e2e)
      if ! ensure_core; then fail_tier "e2e: core.wasm did not build"; continue; fi
      if ! scripts/env/build-k8s.sh > "$LOGDIR/build-k8s.log" 2>&1; then
        tail -20 "$LOGDIR/build-k8s.log"; fail_tier "e2e: building Kubernetes v1.20.2 failed"; continue
      fi
      if ! scripts/env/runtime-up.sh > "$LOGDIR/runtime-up.log" 2>&1 || ! scripts/env/cluster-up.sh > "$LOGDIR/cluster-up.log" 2>&1; then
        tail -20 "$LOGDIR/cluster-up.log"; fail_tier "e2e: the control plane did not start"; continue
      fi
      export PATH=$KTS_K8S_BIN:$PATH
      run_uvu e2e tests/e2e "" 1800 ;;
    *) echo "test.sh: unknown tier $tier (tiers: typecheck unit deno integration e2e)" >&2; exit 2 ;;
  esac
done

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
