#!/bin/bash
# Baseline measurements of whatever kubelet is running on the testbed node (written for the upstream
# Go kubelet started by upstream-kubelet-up.sh). Results: $TB/results/<stamp>/ (JSON + summary.txt).
#   1. seq:     10 x one pod at a time (create -> Ready -> delete(grace 1 s) -> gone)
#   1b. seq-nosa: the same with automountServiceAccountToken=false
#   2. batch:   BATCH_TRIALS (default 3) x 30 pods created at once, then deleted at once
#   3. kubelet RSS/CPU: idle (0 pods), then with 30 running pods: RSS_WINDOWS (default 3) consecutive
#      60 s windows each, starting 20 s after the pods were deleted / all Ready
#   4. raw CRI floor: probe.js (RunPodSandbox+CreateContainer+StartContainer) x 10, if available
#   5. kubectl logs / exec through the apiserver
#   6. restart test (restart-test.sh) with 10 pods
# Env: TB, PROBE_JS (default /tmp/rt/cri/probe.js), SKIP="list of step numbers to skip".
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
TB=${KTS_ENV:-/tmp/kts}
# kubectl caches discovery under $HOME/.kube/cache, or ./.kube/cache when HOME is unset (env -i)
export KUBECACHEDIR=$TB/kubectl-cache
HERE=$(cd "$(dirname "$0")" && pwd)
export KUBECONFIG=$TB/admin.kubeconfig
PROBE_JS=${PROBE_JS:-$(cd "$(dirname "$0")" && pwd)/cri/probe.js}
SKIP=" ${SKIP:-} "
R=$TB/results/$(date +%Y%m%d-%H%M%S); mkdir -p "$R"
S=$R/summary.txt
say() { echo "$*" | tee -a "$S"; }
skip() { [[ "$SKIP" == *" $1 "* ]]; }
KPID=$(cat "$TB/pids/kubelet.pid")
NODE=$(cat "$TB/node-name")
say "# bench $(date -Is) node=$NODE kubelet pid=$KPID ($(tr '\0' ' ' < /proc/$KPID/cmdline | cut -c1-80)...)"
say "# kubelet version: $("$(readlink -f /proc/$KPID/exe)" --version 2>/dev/null)"
say "# host: $(nproc) cpus, $(awk '/MemTotal/ {print $2" kB"}' /proc/meminfo), load: $(cut -d' ' -f1-3 /proc/loadavg)"

if ! skip 1; then
  say "## 1. sequential single pods (automountServiceAccountToken default = true)"
  node "$HERE/podbench.js" seq --reps 10 --json "$R/seq.json" 2>&1 | tee -a "$S"
  say "## 1b. sequential single pods, automountServiceAccountToken=false"
  node "$HERE/podbench.js" seq --reps 10 --no-sa --prefix nosa --json "$R/seq-nosa.json" 2>&1 | tee -a "$S"
fi
if ! skip 2; then
  for t in $(seq 1 "${BATCH_TRIALS:-3}"); do
    say "## 2. batch of 30, trial $t"
    node "$HERE/podbench.js" batch --n 30 --prefix b$t --json "$R/batch$t.json" 2>&1 | tee -a "$S"
    sleep 5
  done
fi
if ! skip 3; then
  say "## 3. kubelet RSS/CPU"
  node "$HERE/podbench.js" clean >/dev/null
  sleep 20
  for w in $(seq 1 "${RSS_WINDOWS:-3}"); do
    say "idle (0 pods), window $w: $("$HERE/procstat.sh" "$KPID" 60)"
  done
  node "$HERE/podbench.js" create --n 30 --prefix load --json "$R/load30.json" 2>&1 | tee -a "$S"
  sleep 20
  for w in $(seq 1 "${RSS_WINDOWS:-3}"); do
    say "30 running pods, window $w: $("$HERE/procstat.sh" "$KPID" 60)"
  done
  node "$HERE/podbench.js" clean 2>&1 | tee -a "$S"
fi
if ! skip 4; then
  if [ -f "$PROBE_JS" ] && [ -d "$(dirname "$PROBE_JS")/node_modules" ]; then
    say "## 4. raw CRI floor (probe.js, no kubelet involvement, kubelet idle with 0 pods)"
    node "$PROBE_JS" --reps 10 --sock "$TB/rt/containerd.sock" --json "$R/cri-probe.json" > "$R/cri-probe.log" 2>&1
    grep -E '^(RESULT|Version|PullImage|[A-Za-z(]+.*  +[0-9.]+  \[)' "$R/cri-probe.log" | tee -a "$S"
  else
    say "## 4. skipped: $PROBE_JS (with node_modules) not present"
  fi
fi
if ! skip 5; then
  say "## 5. kubectl logs / exec through the apiserver"
  kubectl -n bench run lx --image=127.0.0.1:5000/busybox:latest --image-pull-policy=IfNotPresent \
    --overrides="{\"spec\":{\"nodeName\":\"$NODE\"}}" --restart=Never -- sh -c 'echo log-line-1; echo log-line-2; sleep 3600' >/dev/null
  kubectl -n bench wait --for=condition=Ready pod/lx --timeout=60s >/dev/null
  say "kubectl logs lx: $(kubectl -n bench logs lx 2>&1 | tr '\n' '|')"
  t0=$(date +%s%N); out=$(kubectl -n bench exec lx -- echo hi 2>&1); rc=$?; t1=$(date +%s%N)
  say "kubectl exec lx -- echo hi: rc=$rc out='$out' ($(( (t1 - t0) / 1000000 )) ms incl. kubectl startup)"
  say "kubectl exec -i (stdin): $(echo from-stdin | kubectl -n bench exec -i lx -- cat 2>&1)"
  say "kubectl logs -f (2 s): $(timeout 2 kubectl -n bench logs -f lx 2>&1 | tr '\n' '|')"
  kubectl -n bench delete pod lx --grace-period=1 >/dev/null
fi
if ! skip 6; then
  say "## 6. kubelet restart with 10 pods"
  "$HERE/restart-test.sh" 10 2>&1 | tee -a "$S"
  cp "$TB/logs/restart-node-watch.log" "$TB/logs/restart-pod-watch.log" "$R/" 2>/dev/null
  node "$HERE/podbench.js" clean --ns restart 2>&1 | tee -a "$S"
fi
say "# results in $R"
