#!/bin/bash
# Probe test images, built offline (called by runtime-up.sh once the registry and containerd run):
#   127.0.0.1:5000/kts-grpc-health:1 — busybox + the host's node binary and its shared libraries
#   (ldd) + an esbuild bundle of scripts/env/images/grpc-health-server.ts (grpc.health.v1.Health
#   with SERVING/NOT_SERVING toggled by /tmp/fail, see the source). HTTP and TCP probe tests use
#   the busybox image itself (httpd with CGI scripts the test pod writes, nc).
# Idempotent: the image is rebuilt only when the server source or the node binary changed
# (marker $RT/images/.grpc-health.ok holds their digest), pushed when the registry lacks it or it was
# rebuilt, and pre-pulled into containerd's k8s.io namespace.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TB=${KTS_ENV:-/tmp/kts}
RT=$TB/rt
IMG=$RT/images
REG_ADDR=127.0.0.1:5000
SOCK=$RT/containerd.sock
NAME=kts-grpc-health
TAG=1
REF=$REG_ADDR/$NAME:$TAG
SRC=$ROOT/scripts/env/images/grpc-health-server.ts
log() { echo "[probe-images $(date +%T)] $*"; }

[ -d "$IMG/oci" ] || { echo "probe-images.sh: $IMG/oci missing; run runtime-up.sh" >&2; exit 1; }
NODE_BIN=$(readlink -f "${KTS_NODE_BIN:-$(command -v node)}")
ESBUILD=$ROOT/node_modules/.bin/esbuild
[ -x "$ESBUILD" ] || { echo "probe-images.sh: $ESBUILD missing; run npm ci in $ROOT" >&2; exit 1; }
want=$(cat "$SRC" "$NODE_BIN" | sha256sum | cut -c1-16)
fresh=0

if [ "$(cat "$IMG/.grpc-health.ok" 2>/dev/null)" != "$want" ]; then
  log "building $NAME:$TAG (node $("$NODE_BIN" --version) from $NODE_BIN)"
  work=$IMG/grpc-health-bundle
  rm -rf "$work" "$IMG/.grpc-health.ok"
  umoci unpack --image "$IMG/oci:busybox" "$work" >/dev/null
  mkdir -p "$work/rootfs/srv" "$work/rootfs/usr/bin" "$work/rootfs/tmp"
  cp "$NODE_BIN" "$work/rootfs/usr/bin/node"
  # the loader and every library node links, at the same paths
  for lib in $(ldd "$NODE_BIN" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    mkdir -p "$work/rootfs$(dirname "$lib")"
    cp -L "$lib" "$work/rootfs$lib"
  done
  "$ESBUILD" "$SRC" --bundle --platform=node --format=cjs --target=node20 --log-level=warning \
    --outfile="$work/rootfs/srv/grpc-health-server.cjs"
  chroot "$work/rootfs" /usr/bin/node --version >/dev/null \
    || { echo "probe-images.sh: node does not run inside the image rootfs" >&2; exit 1; }
  umoci repack --image "$IMG/oci:$NAME" "$work" >/dev/null
  umoci config --image "$IMG/oci:$NAME" \
    --config.entrypoint /usr/bin/node --config.cmd /srv/grpc-health-server.cjs \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.env PORT=9090 --config.exposedports 9090/tcp \
    --config.workingdir / --os linux --architecture amd64 >/dev/null
  rm -rf "$work"
  echo "$want" > "$IMG/.grpc-health.ok"
  fresh=1
fi

if [ $fresh = 1 ] || ! curl -sf "http://$REG_ADDR/v2/$NAME/manifests/$TAG" \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' >/dev/null; then
  log "pushing $REF"
  skopeo copy -q --dest-tls-verify=false "oci:$IMG/oci:$NAME" "docker://$REF"
fi
if [ $fresh = 1 ] || ! ctr --address "$SOCK" -n k8s.io images ls -q | grep -qx "$REF"; then
  log "pulling $REF into namespace k8s.io"
  ctr --address "$SOCK" -n k8s.io images pull --plain-http "$REF" >/dev/null
fi
log "$REF ready"
