#!/bin/bash
# Container runtime for the testbed (adapted from an earlier ci-setup.sh):
#   * Debian packages: containerd (with its CRI plugin), runc, CNI plugins, docker-registry, skopeo, umoci, ...
#   * two local OCI images built without network (busybox from busybox-static, a static C "pause"),
#     served by a local registry on 127.0.0.1:5000 as 127.0.0.1:5000/busybox:latest and 127.0.0.1:5000/pause:latest
#   * containerd with CRI on $TB/rt/containerd.sock, CNI bridge "ktscni0" 10.88.0.0/16
#   * both images pre-pulled into containerd's k8s.io namespace
#   * probe test images (probe-images.sh): 127.0.0.1:5000/kts-grpc-health:1, pre-pulled
#   * the same registry storage, read-only, behind htpasswd auth on 127.0.0.1:5001 (user kts, password kts-secret)
# Idempotent: re-running with everything up only re-checks. State: $TB/rt (default KTS_ENV=/tmp/kts).
# PIDs: $TB/pids/{registry,registry-auth,containerd}.pid (see runtime-down.sh).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/containerd-config.sh"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
TB=${KTS_ENV:-/tmp/kts}
RT=$TB/rt
REG_ADDR=127.0.0.1:5000
SOCK=$RT/containerd.sock
BRIDGE=ktscni0
SUBNET=10.88.0.0/16
mkdir -p "$RT" "$TB/pids" "$TB/logs"
log() { echo "[runtime-up $(date +%T)] $*"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

[ "$(id -u)" = 0 ] || { echo "runtime-up.sh: must run as root" >&2; exit 1; }

# ---------------------------------------------------------------- 1. packages
PKGS="containerd runc containernetworking-plugins docker-registry skopeo umoci busybox-static iptables gcc libc6-dev curl"
need=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need="$need $p"
done
if [ -n "$need" ]; then
  log "apt-get install$need"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need > "$TB/logs/apt-runtime.log" 2>&1 \
    || { tail -20 "$TB/logs/apt-runtime.log"; exit 1; }
fi
# The Debian containerd package enables a systemd unit; this VM has no systemd, but make sure we never
# talk to a foreign containerd: we only ever use our own socket below.

# ---------------------------------------------------------------- 2. images (no network)
IMG=$RT/images
if [ ! -f "$IMG/.ok" ]; then
  log "building OCI images with umoci in $IMG"
  rm -rf "$IMG" && mkdir -p "$IMG" && cd "$IMG"
  umoci init --layout oci
  umoci new --image oci:busybox
  umoci unpack --image oci:busybox bb-bundle
  mkdir -p bb-bundle/rootfs/{bin,tmp,etc,proc,sys,dev}
  cp /bin/busybox bb-bundle/rootfs/bin/busybox
  chroot bb-bundle/rootfs /bin/busybox --install -s /bin
  umoci repack --image oci:busybox bb-bundle
  umoci config --image oci:busybox --config.cmd sh \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.workingdir / --os linux --architecture amd64
  cat > pause.c <<'EOF'
/* minimal pause: sleeps forever, exits 0 on SIGINT/SIGTERM, reaps zombies */
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
static void on_term(int s) { (void)s; _exit(0); }
static void on_chld(int s) { (void)s; while (waitpid(-1, 0, WNOHANG) > 0) {} }
int main(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_term;
  sigaction(SIGINT, &sa, 0);
  sigaction(SIGTERM, &sa, 0);
  sa.sa_handler = on_chld;
  sa.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, 0);
  for (;;) pause();
  return 1;
}
EOF
  gcc -static -Os -s -o pause pause.c
  umoci new --image oci:pause
  umoci unpack --image oci:pause pause-bundle
  cp pause pause-bundle/rootfs/pause
  umoci repack --image oci:pause pause-bundle
  umoci config --image oci:pause --config.entrypoint /pause --config.workingdir / --os linux --architecture amd64
  rm -rf bb-bundle pause-bundle
  umoci ls --layout oci
  touch "$IMG/.ok"
  cd "$TB"
fi

# ---------------------------------------------------------------- 3. local registry
mkdir -p "$RT/registry"
cat > "$RT/registry-config.yml" <<EOF
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $RT/registry
  delete:
    enabled: true
http:
  addr: $REG_ADDR
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: false
EOF
if alive "$TB/pids/registry.pid"; then
  log "registry already running (pid $(cat "$TB/pids/registry.pid"))"
else
  if curl -sf "http://$REG_ADDR/v2/" >/dev/null 2>&1; then
    echo "runtime-up.sh: something else already listens on $REG_ADDR; stop it first" >&2; exit 1
  fi
  log "starting registry on $REG_ADDR"
  setsid sh -c "echo \$\$ > '$TB/pids/registry.pid'; exec /usr/bin/docker-registry serve '$RT/registry-config.yml'" \
    >> "$TB/logs/registry.log" 2>&1 < /dev/null &
  for i in $(seq 1 100); do curl -sf "http://$REG_ADDR/v2/" >/dev/null && break; sleep 0.1; done
  curl -sf "http://$REG_ADDR/v2/" >/dev/null || { echo "registry did not start"; tail -20 "$TB/logs/registry.log"; exit 1; }
fi
for name in busybox pause; do
  if ! curl -sf "http://$REG_ADDR/v2/$name/manifests/latest" \
      -H 'Accept: application/vnd.oci.image.manifest.v1+json' >/dev/null; then
    log "pushing $name"
    skopeo copy -q --dest-tls-verify=false "oci:$IMG/oci:$name" "docker://$REG_ADDR/$name:latest"
  fi
done
log "registry catalog: $(curl -s "http://$REG_ADDR/v2/_catalog")"

# ---------------------------------------------------------------- 3b. authenticated registry (pull secrets)
# A second registry on 127.0.0.1:5001 serving the same storage read-only behind htpasswd (bcrypt) auth:
# user kts, password kts-secret. Pulls from it need credentials (imagePullSecrets, node config.json).
AUTH_ADDR=127.0.0.1:5001
AUTH_USER=kts
AUTH_PASS=kts-secret
mkdir -p "$RT/registry-auth"
if [ ! -s "$RT/registry-auth/htpasswd" ]; then
  log "writing $RT/registry-auth/htpasswd (user $AUTH_USER)"
  hash=$(python3 -W ignore -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))' "$AUTH_PASS")
  case "$hash" in '$2'*) ;; *) echo "runtime-up.sh: could not make a bcrypt hash (python3 crypt)" >&2; exit 1;; esac
  echo "$AUTH_USER:$hash" > "$RT/registry-auth/htpasswd.tmp" && mv "$RT/registry-auth/htpasswd.tmp" "$RT/registry-auth/htpasswd"
fi
cat > "$RT/registry-auth/config.yml" <<EOF
version: 0.1
log:
  level: info
  fields:
    service: registry-auth
storage:
  filesystem:
    rootdirectory: $RT/registry
  maintenance:
    readonly:
      enabled: true
http:
  addr: $AUTH_ADDR
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: kts-registry
    path: $RT/registry-auth/htpasswd
health:
  storagedriver:
    enabled: false
EOF
auth_code() { curl -s -o /dev/null -w '%{http_code}' "$@" "http://$AUTH_ADDR/v2/" 2>/dev/null || true; }
if alive "$TB/pids/registry-auth.pid"; then
  log "authenticated registry already running (pid $(cat "$TB/pids/registry-auth.pid"))"
else
  if [ "$(auth_code)" != 000 ]; then
    echo "runtime-up.sh: something else already listens on $AUTH_ADDR; stop it first" >&2; exit 1
  fi
  log "starting authenticated registry on $AUTH_ADDR"
  setsid sh -c "echo \$\$ > '$TB/pids/registry-auth.pid'; exec /usr/bin/docker-registry serve '$RT/registry-auth/config.yml'" \
    >> "$TB/logs/registry-auth.log" 2>&1 < /dev/null &
  for i in $(seq 1 100); do [ "$(auth_code)" = 401 ] && break; sleep 0.1; done
fi
[ "$(auth_code)" = 401 ] || { echo "authenticated registry does not ask for credentials"; tail -20 "$TB/logs/registry-auth.log"; exit 1; }
[ "$(auth_code -u "$AUTH_USER:$AUTH_PASS")" = 200 ] || { echo "authenticated registry refuses $AUTH_USER"; tail -20 "$TB/logs/registry-auth.log"; exit 1; }
curl -sf -o /dev/null -u "$AUTH_USER:$AUTH_PASS" "http://$AUTH_ADDR/v2/busybox/manifests/latest" \
  -H 'Accept: application/vnd.oci.image.manifest.v1+json' || { echo "authenticated registry does not serve busybox:latest"; exit 1; }

# ---------------------------------------------------------------- 4. containerd config + CNI
mkdir -p "$RT/cni/net.d" "$RT/cni/ipam" "$RT/certs.d/$REG_ADDR" "$RT/containerd"
write_containerd_config "$RT/config.toml" "$RT" "$SOCK" "$REG_ADDR" info
cat > "$RT/certs.d/$REG_ADDR/hosts.toml" <<EOF
server = "http://$REG_ADDR"

[host."http://$REG_ADDR"]
  capabilities = ["pull", "resolve", "push"]
  skip_verify = true
EOF
mkdir -p "$RT/certs.d/$AUTH_ADDR"
cat > "$RT/certs.d/$AUTH_ADDR/hosts.toml" <<EOF
server = "http://$AUTH_ADDR"

[host."http://$AUTH_ADDR"]
  capabilities = ["pull", "resolve"]
  skip_verify = true
EOF
cat > "$RT/cni/net.d/10-ktsnet.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "ktsnet",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$SUBNET" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$RT/cni/ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "loopback" }
  ]
}
EOF
# another bridge holding the same subnet (e.g. an earlier setup's rtcni0) would break pod routing
other=$(ip -o -4 addr show | awk -v b=$BRIDGE '$4 ~ /^10\.88\./ && $2 != b {print $2}' | head -1)
[ -z "$other" ] || { echo "runtime-up.sh: interface $other already holds an address in $SUBNET; tear that setup down first" >&2; exit 1; }

# ---------------------------------------------------------------- 5. containerd
if alive "$TB/pids/containerd.pid"; then
  log "containerd already running (pid $(cat "$TB/pids/containerd.pid"))"
else
  rm -f "$SOCK" "$SOCK.ttrpc"
  log "starting containerd ($SOCK)"
  setsid sh -c "echo \$\$ > '$TB/pids/containerd.pid'; exec /usr/bin/containerd --config '$RT/config.toml'" \
    >> "$TB/logs/containerd.log" 2>&1 < /dev/null &
fi
ok=0
for i in $(seq 1 150); do
  if [ -S "$SOCK" ] && ctr --address "$SOCK" version >/dev/null 2>&1; then ok=1; break; fi
  sleep 0.1
done
[ $ok = 1 ] || { echo "containerd did not start"; tail -20 "$TB/logs/containerd.log"; exit 1; }
ctr --address "$SOCK" plugins ls | grep -E 'io.containerd.grpc.v1 +cri +.* ok' >/dev/null \
  || { echo "containerd CRI plugin not ok"; ctr --address "$SOCK" plugins ls | grep cri; exit 1; }

# ---------------------------------------------------------------- 6. pre-pull images for CRI
prepull_images "$SOCK" "$REG_ADDR" log
log "containerd pid $(cat "$TB/pids/containerd.pid") socket $SOCK; k8s.io images: $(ctr --address "$SOCK" -n k8s.io images ls -q | grep -v '^sha256' | tr '\n' ' ')"

# ---------------------------------------------------------------- 7. probe test images (gRPC health server)
"$HERE/probe-images.sh"
