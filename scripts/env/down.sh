#!/bin/bash
# Tears the whole testbed down (kubelet -> control plane -> runtime). PURGE=1 also deletes all state
# under $TB (PKI, etcd data, images, containerd root), so the next up.sh starts from scratch.
HERE=$(cd "$(dirname "$0")" && pwd)
export KTS_ENV=${KTS_ENV:-/tmp/kts}; TB=$KTS_ENV
"$HERE/cluster-down.sh"
"$HERE/runtime-down.sh"
if [ "${PURGE:-0}" = 1 ]; then
  if awk -v p="$TB/" 'index($2, p) == 1' /proc/self/mounts | grep -q .; then
    echo "down.sh: mounts remain under $TB, not removing it" >&2; exit 1
  fi
  rm -rf "$TB" && echo "[down] removed $TB"
fi
