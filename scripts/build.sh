#!/usr/bin/env bash
# Configures (once) and builds everything into build/; binaries land in build/bin.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs="${JOBS:-$(nproc)}"
# TESSERA_WERROR=ON (CI sets it) turns compiler warnings into errors.
if [ ! -f "$root/build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release \
    -DTESSERA_WERROR="${TESSERA_WERROR:-OFF}"
fi
cmake --build "$root/build" -j "$jobs"
