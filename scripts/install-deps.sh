#!/usr/bin/env bash
# Installs the Debian packages Ringfence builds with, if any are missing. Idempotent: does
# nothing (and needs no root) when everything is present. See docs/dependencies.md for why
# each package is needed.
set -euo pipefail

PACKAGES=(cmake g++ make pkg-config libssl-dev libgrpc++-dev protobuf-compiler-grpc
  libprotobuf-dev protobuf-compiler libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libsqlite3-dev sqlite3 python3 python3-pandas time)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
