#!/usr/bin/env bash
# Builds and runs the whole test suite (GoogleTest units, lit/FileCheck, end-to-end numerics).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/build.sh"
ctest --test-dir "$root/build" --output-on-failure -j "${JOBS:-$(nproc)}"
