#!/usr/bin/env bash
# Builds Ringfence and runs every test: unit, end-to-end (real servers on 127.0.0.1) and
# statistical. This is the command CI runs (.ci/run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure -j"$(nproc 2>/dev/null || echo 2)"
