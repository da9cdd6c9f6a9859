#!/bin/bash
# Installs the native tools the core's embedding test needs: wabt (wasm2c and its C runtime) and gcc.
# Idempotent: asks dpkg first and runs apt-get only for what is missing. Needs root (or sudo).
set -euo pipefail
want=()
for pkg in wabt gcc libc6-dev; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    want+=("$pkg")
  fi
done
if [ ${#want[@]} -eq 0 ]; then
  echo "tools-up: wabt and gcc already installed ($(wasm2c --version 2>/dev/null || echo '?'))"
  exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
echo "tools-up: installing ${want[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${want[@]}"
echo "tools-up: wasm2c $(wasm2c --version)"
