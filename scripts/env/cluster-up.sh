#!/bin/bash
# Single-machine Kubernetes v1.20.2 control plane on loopback:
#   PKI (openssl) -> etcd -> kube-apiserver (127.0.0.1:6443) -> kube-controller-manager -> kube-scheduler.
# Writes $TB/admin.kubeconfig (O=system:masters) and $TB/node.kubeconfig (CN=system:node:$NODE_NAME,
# O=system:nodes) for a kubelet. Idempotent: keeps existing certs/data and running components.
#
# Env: KTS_ENV (default /tmp/kts), K8S_BIN (default /var/cache/k8s-1.20.2/bin, see build-k8s.sh),
#      NODE_NAME (default: this host's name if it resolves to a loopback address, else "localhost").
# The apiserver reaches kubelets (logs, exec) at their InternalIP first, then their Hostname address:
# test kubelets run with --hostname-override names that do not resolve.
# PIDs: $TB/pids/*.pid, logs: $TB/logs/*.log. Stop with cluster-down.sh.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
TB=${KTS_ENV:-/tmp/kts}
# kubectl caches discovery under $HOME/.kube/cache, or ./.kube/cache when HOME is unset (env -i)
export KUBECACHEDIR=$TB/kubectl-cache
K8S_BIN=${K8S_BIN:-/var/cache/k8s-1.20.2/bin}
PKI=$TB/pki
LOGS=$TB/logs
PIDS=$TB/pids
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP=10.96.0.1
API=https://127.0.0.1:6443
# The node lifecycle controller marks a node NotReady (Unknown) after this long without a Lease
# renewal or status update (upstream default 40s, checked every 5s); shorter keeps e2e tests fast.
NODE_MONITOR_GRACE_PERIOD=${NODE_MONITOR_GRACE_PERIOD:-20s}
NODE_MONITOR_PERIOD=${NODE_MONITOR_PERIOD:-2s}
log() { echo "[cluster-up $(date +%T)] $*"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
mkdir -p "$PKI" "$LOGS" "$PIDS" "$TB/etcd"
chmod 700 "$PKI" "$TB/etcd"

for b in kube-apiserver kube-controller-manager kube-scheduler; do
  [ -x "$K8S_BIN/$b" ] || { echo "cluster-up.sh: $K8S_BIN/$b missing; run build-k8s.sh first" >&2; exit 1; }
done
# kubectl: the one built with the control plane (build-k8s.sh) comes first, so a fresh machine needs none.
export PATH=$K8S_BIN:$PATH
need=""
for p in etcd-server openssl curl iproute2; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need="$need $p"
done
if [ -n "$need" ]; then
  [ "$(id -u)" = 0 ] || { echo "cluster-up.sh: must run as root to install$need" >&2; exit 1; }
  log "apt-get install$need"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need > "$LOGS/apt-cluster.log" 2>&1 \
    || { tail -20 "$LOGS/apt-cluster.log"; exit 1; }
fi
for t in etcd kubectl openssl curl; do
  command -v $t >/dev/null || { echo "cluster-up.sh: $t not found (kubectl: run build-k8s.sh)" >&2; exit 1; }
done

if [ -z "${NODE_NAME:-}" ]; then
  h=$(hostname | tr 'A-Z' 'a-z')
  if getent ahostsv4 "$h" 2>/dev/null | awk '{print $1}' | grep -q '^127\.'; then NODE_NAME=$h; else NODE_NAME=localhost; fi
fi
echo "$NODE_NAME" > "$TB/node-name"
log "node name: $NODE_NAME"

# ---------------------------------------------------------------- PKI
# gen_cert NAME SUBJECT KIND(server|client) [SAN]
gen_cert() {
  local name=$1 subj=$2 kind=$3 san=${4:-}
  [ -f "$PKI/$name.crt" ] && [ -f "$PKI/$name.key" ] && return 0
  local ext="$PKI/$name.ext"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [ "$kind" = server ]; then echo "extendedKeyUsage=serverAuth"; else echo "extendedKeyUsage=clientAuth"; fi
    [ -z "$san" ] || echo "subjectAltName=$san"
  } > "$ext"
  openssl genrsa -out "$PKI/$name.key" 2048 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$ext"
  log "issued $name.crt ($subj)"
}
if [ ! -f "$PKI/ca.crt" ]; then
  openssl genrsa -out "$PKI/ca.key" 2048 2>/dev/null
  openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=testbed-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/ca.crt" 2>/dev/null
  log "created CA"
fi
# front-proxy CA + client (aggregation layer request-header auth; without a requestheader CA the
# controller-manager and scheduler log "missing content for CA bundle ... requestheader-client-ca-file")
if [ ! -f "$PKI/front-proxy-ca.crt" ]; then
  openssl genrsa -out "$PKI/front-proxy-ca.key" 2048 2>/dev/null
  openssl req -x509 -new -key "$PKI/front-proxy-ca.key" -subj "/CN=testbed-front-proxy-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/front-proxy-ca.crt" 2>/dev/null
fi
if [ ! -f "$PKI/front-proxy-client.crt" ]; then
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > "$PKI/fp.ext"
  openssl genrsa -out "$PKI/front-proxy-client.key" 2048 2>/dev/null
  openssl req -new -key "$PKI/front-proxy-client.key" -subj "/CN=front-proxy-client" -out "$PKI/fp.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/fp.csr" -CA "$PKI/front-proxy-ca.crt" -CAkey "$PKI/front-proxy-ca.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$PKI/fp.ext" -out "$PKI/front-proxy-client.crt" 2>/dev/null
  rm -f "$PKI/fp.csr" "$PKI/fp.ext"
  log "issued front-proxy-client.crt"
fi
gen_cert apiserver "/CN=kube-apiserver" server \
  "IP:127.0.0.1,DNS:localhost,IP:$SERVICE_IP,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
gen_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" client
gen_cert admin "/O=system:masters/CN=admin" client
gen_cert controller-manager "/CN=system:kube-controller-manager" client
gen_cert scheduler "/CN=system:kube-scheduler" client
gen_cert "node-$NODE_NAME" "/O=system:nodes/CN=system:node:$NODE_NAME" client
if [ ! -f "$PKI/sa.key" ]; then
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  log "created service-account key pair"
fi

# kubeconfig FILE CERTNAME USER   (written directly: kubectl 1.20 built with Go >= 1.18 crashes in
# `kubectl config set-credentials` (reflect2), while its other commands work)
mk_kubeconfig() {
  local f=$1 cert=$2 user=$3
  [ -f "$f" ] && return 0
  (umask 077; cat > "$f.tmp" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: testbed
  cluster:
    server: $API
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
contexts:
- name: default
  context:
    cluster: testbed
    user: $user
current-context: default
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 "$PKI/$cert.crt")
    client-key-data: $(base64 -w0 "$PKI/$cert.key")
KUBECONFIG
  )
  mv "$f.tmp" "$f"
  chmod 600 "$f"
}
mk_kubeconfig "$TB/admin.kubeconfig" admin admin
mk_kubeconfig "$TB/controller-manager.kubeconfig" controller-manager system:kube-controller-manager
mk_kubeconfig "$TB/scheduler.kubeconfig" scheduler system:kube-scheduler
mk_kubeconfig "$TB/node.kubeconfig" "node-$NODE_NAME" "system:node:$NODE_NAME"

# start NAME PIDFILE-NAME CMD...   (setsid, own log, PID written by the child before exec)
start() {
  local name=$1; shift
  if alive "$PIDS/$name.pid"; then log "$name already running (pid $(cat "$PIDS/$name.pid"))"; return 0; fi
  log "starting $name"
  printf '%q ' "$@" > "$TB/$name.cmdline"
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$PIDS/$name.pid" "$@" >> "$LOGS/$name.log" 2>&1 < /dev/null &
  for i in $(seq 1 50); do [ -s "$PIDS/$name.pid" ] && break; sleep 0.05; done
}
wait_for() { # desc seconds cmd...
  local desc=$1 secs=$2; shift 2
  local end=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$end" ]; then echo "cluster-up.sh: timed out waiting for $desc" >&2; return 1; fi
    sleep 0.2
  done
  log "$desc ok"
}

# ---------------------------------------------------------------- etcd
start etcd /usr/bin/etcd --name testbed --data-dir "$TB/etcd" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster testbed=http://127.0.0.1:2380 --listen-metrics-urls http://127.0.0.1:2381
wait_for "etcd /health" 30 sh -c 'curl -sf http://127.0.0.1:2379/health | grep -q true' \
  || { tail -20 "$LOGS/etcd.log"; exit 1; }

# ---------------------------------------------------------------- kube-apiserver
# Advertise a non-loopback host address (the apiserver rejects loopback advertise addresses for the
# 'kubernetes' endpoints); the endpoint reconciler is off anyway, nothing in pods talks to the API.
ADV=$(ip -o -4 addr show scope global 2>/dev/null | awk '{sub(/\/.*/, "", $4); print $4; exit}')
start kube-apiserver "$K8S_BIN/kube-apiserver" \
  --bind-address=127.0.0.1 --secure-port=6443 --insecure-port=0 ${ADV:+--advertise-address=$ADV} \
  --etcd-servers=http://127.0.0.1:2379 \
  --service-cluster-ip-range=$SERVICE_CIDR --endpoint-reconciler-type=none \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
  --client-ca-file="$PKI/ca.crt" \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types=InternalIP,Hostname \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$PKI/front-proxy-client.crt" --proxy-client-key-file="$PKI/front-proxy-client.key" \
  --enable-bootstrap-token-auth=true \
  --allow-privileged=true --v=1
export KUBECONFIG=$TB/admin.kubeconfig
wait_for "kube-apiserver /healthz" 90 sh -c 'kubectl get --raw /healthz | grep -qx ok' \
  || { tail -30 "$LOGS/kube-apiserver.log"; exit 1; }

# ---------------------------------------------------------------- controller-manager, scheduler
start kube-controller-manager "$K8S_BIN/kube-controller-manager" \
  --kubeconfig="$TB/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$TB/controller-manager.kubeconfig" --authorization-kubeconfig="$TB/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=10257 --port=0 --leader-elect=false \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --root-ca-file="$PKI/ca.crt" --service-account-private-key-file="$PKI/sa.key" \
  --use-service-account-credentials=true --service-cluster-ip-range=$SERVICE_CIDR \
  --allocate-node-cidrs=false \
  --node-monitor-period="$NODE_MONITOR_PERIOD" --node-monitor-grace-period="$NODE_MONITOR_GRACE_PERIOD" --v=1
start kube-scheduler "$K8S_BIN/kube-scheduler" \
  --kubeconfig="$TB/scheduler.kubeconfig" \
  --authentication-kubeconfig="$TB/scheduler.kubeconfig" --authorization-kubeconfig="$TB/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=10259 --port=0 --leader-elect=false --v=1
wait_for "kube-controller-manager /healthz" 60 sh -c "curl -sk https://127.0.0.1:10257/healthz | grep -qx ok" \
  || { tail -30 "$LOGS/kube-controller-manager.log"; exit 1; }
wait_for "kube-scheduler /healthz" 60 sh -c "curl -sk https://127.0.0.1:10259/healthz | grep -qx ok" \
  || { tail -30 "$LOGS/kube-scheduler.log"; exit 1; }
# the ServiceAccount admission plugin needs default/default before any pod can be created
wait_for "serviceaccount default/default" 60 kubectl -n default get serviceaccount default \
  || { tail -30 "$LOGS/kube-controller-manager.log"; exit 1; }
# TLS bootstrap (as kubeadm sets it up): bootstrap-token users (group system:bootstrappers) may
# create node client CSRs, which the controller-manager's csrapproving controller auto-approves;
# nodes may renew their own client certificates. Bootstrap token secrets are made by whoever needs one.
kubectl apply -f - > /dev/null <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: kts-bootstrappers-node-bootstrapper}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:node-bootstrapper"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:bootstrappers"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: kts-bootstrappers-auto-approve}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:certificates.k8s.io:certificatesigningrequests:nodeclient"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:bootstrappers"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: kts-nodes-auto-renew}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:nodes"}]
YAML
log "bootstrap RBAC ok"
for c in healthz livez readyz; do printf '%s: ' "/$c"; kubectl get --raw "/$c" 2>&1 | head -1; echo; done
log "control plane up: KUBECONFIG=$TB/admin.kubeconfig (node kubeconfig: $TB/node.kubeconfig)"
