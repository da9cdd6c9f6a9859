#!/bin/bash
# restart-test.sh [N_PODS=10]
# Kubelet crash/restart behaviour with N running pods (namespace "restart"):
#  A) SIGKILL the kubelet (by PID) and start it again at once. Reports: container IDs / restartCount /
#     containerd task PIDs before vs after; from the new process start: kubelet /healthz ok, first node
#     Lease renewal, and the node Ready condition as posted by the new kubelet (watch, ms timestamps).
#  B) SIGKILL it again, wait until the node controller sets Ready=Unknown (pods get Ready=False),
#     start it again: time until node Ready=True and until every pod is Ready=True again.
# Watches (ms timestamps): $TB/logs/restart-node-watch.log, $TB/logs/restart-pod-watch.log.
# Summary lines start with "RESULT".
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
TB=${KTS_ENV:-/tmp/kts}
# kubectl caches discovery under $HOME/.kube/cache, or ./.kube/cache when HOME is unset (env -i)
export KUBECACHEDIR=$TB/kubectl-cache
HERE=$(cd "$(dirname "$0")" && pwd)
N=${1:-10}
NS=restart
SOCK=$TB/rt/containerd.sock
export KUBECONFIG=$TB/admin.kubeconfig
NODE=$(cat "$TB/node-name")
W=$TB/restart-work; rm -rf "$W"; mkdir -p "$W"
ms() { echo $(( $(date +%s%N) / 1000000 )); }
log() { echo "[restart-test $(date +%T.%3N)] $*"; }

snapshot() { # prefix
  kubectl -n $NS get pods -o jsonpath='{range .items[*]}{.metadata.name} {.status.containerStatuses[0].containerID} restarts={.status.containerStatuses[0].restartCount} startedAt={.status.containerStatuses[0].state.running.startedAt}{"\n"}{end}' | sort > "$1.pods"
  ctr --address "$SOCK" -n k8s.io tasks ls 2>/dev/null | awk 'NR>1 {print $1, $2, $3}' | sort > "$1.tasks"
  ctr --address "$SOCK" -n k8s.io containers ls -q 2>/dev/null | sort > "$1.containers"
}
compare() { # before after label
  if diff -q "$1.pods" "$2.pods" >/dev/null && diff -q "$1.tasks" "$2.tasks" >/dev/null && diff -q "$1.containers" "$2.containers" >/dev/null; then
    log "RESULT $3: containerID+restartCount+startedAt of all $(wc -l < "$2.pods") pods, all $(wc -l < "$2.tasks") containerd tasks (id, pid, status) and the container list are IDENTICAL"
  else
    log "RESULT $3: DIFFERENCES:"; diff "$1.pods" "$2.pods"; diff "$1.tasks" "$2.tasks"; diff "$1.containers" "$2.containers"
  fi
}
lease() { kubectl -n kube-node-lease get lease "$NODE" -o jsonpath='{.spec.renewTime}' 2>/dev/null; }
to_ms() { date -d "$1" +%s%3N; }
ready_status() { kubectl get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null; }
start_kubelet() { "$HERE/upstream-kubelet-up.sh" >> "$TB/logs/restart-up.log" 2>&1 & }
kill_kubelet() { local p; p=$(cat "$TB/pids/kubelet.pid"); kill -9 "$p"; while kill -0 "$p" 2>/dev/null; do sleep 0.01; done; log "SIGKILLed kubelet pid $p"; }
WPIDS=()
watch_to() { # logfile kubectl-args...   lines prefixed with epoch ms at receipt
  local f=$1; shift
  local fifo; fifo=$(mktemp -u "$W/fifo.XXXX"); mkfifo "$fifo"
  kubectl "$@" > "$fifo" 2>&1 &
  WPIDS+=($!)
  while IFS= read -r l; do echo "$(ms) $l"; done < "$fifo" > "$f" &
}
# first watch line at/after T (ms) matching awk regex RE -> prints "ms rest-of-line"
first_after() { awk -v t="$2" -v re="$3" '$1 >= t && $0 ~ re {print; exit}' "$1"; }

# ---------------------------------------------------------------- setup
kubectl get ns $NS >/dev/null 2>&1 || kubectl create ns $NS >/dev/null
node "$HERE/podbench.js" create --n "$N" --ns $NS --prefix rs | grep -E '^batch'
sleep 3
NW=$TB/logs/restart-node-watch.log; PW=$TB/logs/restart-pod-watch.log
watch_to "$NW" get node "$NODE" -w --no-headers -o 'custom-columns=READY:.status.conditions[?(@.type=="Ready")].status,HB:.status.conditions[?(@.type=="Ready")].lastHeartbeatTime,MSG:.status.conditions[?(@.type=="Ready")].message'
watch_to "$PW" -n $NS get pods -w --no-headers -o 'custom-columns=NAME:.metadata.name,PHASE:.status.phase,PODREADY:.status.conditions[?(@.type=="Ready")].status,RESTARTS:.status.containerStatuses[0].restartCount'
sleep 1
snapshot "$W/s0"

# ---------------------------------------------------------------- A: immediate restart
log "A: SIGKILL + immediate restart"
lease0=$(lease)
kill_kubelet
tS=$(ms); start_kubelet
hz=""; le=""
for i in $(seq 1 600); do
  [ -z "$hz" ] && curl -sf http://127.0.0.1:10248/healthz >/dev/null 2>&1 && hz=$(ms)
  if [ -z "$le" ]; then l=$(lease); [ -n "$l" ] && [ "$l" != "$lease0" ] && le=$(to_ms "$l"); fi
  [ -n "$hz" ] && [ -n "$le" ] && break
  sleep 0.1
done
rem=$(( 30 - ( $(ms) - tS ) / 1000 )); [ "$rem" -gt 0 ] && sleep "$rem"
nf=$(first_after "$NW" "$tS" ' (False|Unknown) ')
nt=$(first_after "$NW" "$tS" ' True ')
log "RESULT A: new kubelet start = t0; /healthz ok t0+$(( ${hz:-0} - tS )) ms; Lease renewTime written by new kubelet t0+$(( ${le:-0} - tS )) ms (server clock)"
if [ -n "$nf" ]; then
  log "RESULT A: node Ready went False at t0+$(( ${nf%% *} - tS )) ms (posted by the new kubelet: '${nf#* }')"
else
  log "RESULT A: node Ready never went False/Unknown after the restart"
fi
[ -n "$nt" ] && log "RESULT A: node Ready=True (re)posted at t0+$(( ${nt%% *} - tS )) ms"
snapshot "$W/s1"
compare "$W/s0" "$W/s1" "A (30 s after restart)"

# ---------------------------------------------------------------- B: restart after node went NotReady
log "B: SIGKILL, wait for the node controller to mark the node not Ready"
kill_kubelet
tK=$(ms)
until [ "$(ready_status)" != True ]; do sleep 0.5; done
tN=$(ms)
log "RESULT B: node Ready=$(ready_status) $(( tN - tK )) ms after the kill"
# pods are marked Ready=False by the node lifecycle controller right after that
for i in $(seq 1 100); do
  [ "$(kubectl -n $NS get pods -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c False)" = "$N" ] && break
  sleep 0.2
done
sleep 2
tS=$(ms); start_kubelet
until [ "$(ready_status)" = True ]; do sleep 0.1; done
tR=$(ms)
sleep 15
# per pod: first Ready=True line after tS; all-ready = the latest of those
last=0; missing=0
for p in $(awk '{print $1}' "$W/s0.pods"); do
  l=$(first_after "$PW" "$tS" "^[0-9]+ $p +[A-Za-z]+ +True ")
  if [ -n "$l" ]; then [ "${l%% *}" -gt "$last" ] && last=${l%% *}; else missing=$((missing+1)); fi
done
first=$(awk -v t="$tS" '$1 >= t && $4 == "True" {print $1; exit}' "$PW")
log "RESULT B: node Ready=True (polled) t0+$(( tR - tS )) ms after the new kubelet start"
log "RESULT B: first pod Ready=True t0+$(( ${first:-0} - tS )) ms, all $N pods Ready=True t0+$(( last - tS )) ms (pods never seen Ready: $missing)"
snapshot "$W/s2"
compare "$W/s1" "$W/s2" "B (15 s after node Ready)"

for p in "${WPIDS[@]}"; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
rm -f "$W"/fifo.*
log "watch logs: $NW $PW; snapshots: $W"
