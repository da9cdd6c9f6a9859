#!/bin/bash
# Sourced, not run: write_containerd_config FILE RT SOCK REG_ADDR LOG_LEVEL writes the containerd
# config both the testbed (runtime-up.sh) and the api-startup benchmark's own containerd
# (bench/api-startup/bench-runtime.sh) run with: CRI plugin, cgroupfs runc, overlayfs, CNI from
# $RT/cni/net.d, registry host configs from $RT/certs.d, everything else under $RT.
# prepull_images SOCK REG_ADDR LOGFN pulls the pause and busybox images the CRI tests and
# benchmarks start pods from into the k8s.io namespace, unless present.
write_containerd_config() {
  local file=$1 rt=$2 sock=$3 reg=$4 level=$5
  cat > "$file" <<CONFIG
version = 2
root = "$rt/containerd/root"
state = "$rt/containerd/state"
disabled_plugins = []
required_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$sock"

[ttrpc]
  address = "$sock.ttrpc"

[debug]
  level = "$level"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "$reg/pause:latest"
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    enable_selinux = false
    # CAP_SYS_RESOURCE is missing from the capability bounding set on this VM, so runc cannot
    # write a negative oom_score_adj (-998 for the sandbox). This clamps it to containerd's own (0).
    restrict_oom_score_adj = true
    # keep pod netns bind-mounts under the state dir instead of /var/run/netns
    netns_mounts_under_state_dir = true
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
          Root = "$rt/containerd/runc"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$rt/cni/net.d"
      max_conf_num = 1
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "$rt/certs.d"

  [plugins."io.containerd.internal.v1.opt"]
    path = "$rt/containerd/opt"
CONFIG
}

prepull_images() {
  local sock=$1 reg=$2 say=$3 name ref
  for name in pause busybox; do
    ref=$reg/$name:latest
    if ! ctr --address "$sock" -n k8s.io images ls -q | grep -qx "$ref"; then
      "$say" "pulling $ref into namespace k8s.io"
      ctr --address "$sock" -n k8s.io images pull --plain-http "$ref" >/dev/null
    fi
  done
}
