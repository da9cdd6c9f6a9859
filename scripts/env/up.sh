#!/bin/bash
# Whole testbed from scratch or idempotently: build/cached k8s binaries -> containerd runtime ->
# control plane -> upstream kubelet (node Ready). Env: KTS_ENV (default /tmp/kts), K8S_BIN, K8S_WORK.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export KTS_ENV=${KTS_ENV:-/tmp/kts}; TB=$KTS_ENV
"$HERE/build-k8s.sh"
"$HERE/runtime-up.sh"
"$HERE/cluster-up.sh"
[ "${NO_KUBELET:-0}" = 1 ] || "$HERE/upstream-kubelet-up.sh"
