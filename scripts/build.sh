#!/usr/bin/env bash
# Configures and builds Ringfence into build/ (binaries in build/bin, tests in build/tests).
# Usage: scripts/build.sh [extra cmake -D options]
# RINGFENCE_BUILD_DIR picks another build tree (scripts/test.sh uses it for the sanitizer build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${RINGFENCE_BUILD_DIR:-$root/build}
"$root/scripts/install-deps.sh"
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build_dir" -j"$jobs"
