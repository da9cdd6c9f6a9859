#!/bin/bash
# The main job: bring up the node runtime (containerd + CNI + local registry with offline-built
# images), build core.wasm, then run kubelet-ts standalone on the example static pods in
# examples/pods, printing each pod's status as it changes. Ctrl-C stops the kubelet; the pods keep
# running and a restarted kubelet adopts them (remove a file from examples/pods to stop its pod).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export KTS_ENV=${KTS_ENV:-/tmp/kts}
scripts/env/runtime-up.sh
npx tsx build.ts core
echo "[main] kubelet-ts on examples/pods; in another shell: npx tsx hosts/node/main.ts pods --config examples/kubelet-config.yaml"
exec node --import tsx hosts/node/main.ts \
  --config examples/kubelet-config.yaml \
  --container-runtime-endpoint "unix://$KTS_ENV/rt/containerd.sock" \
  --root-dir "$KTS_ENV/kubelet-ts" \
  --v "${KTS_V:-1}" "$@"
