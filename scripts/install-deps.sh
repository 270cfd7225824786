#!/usr/bin/env bash
# Installs the build and test dependencies from Debian 12's archive: LLVM/MLIR 19 (compiler),
# FlatBuffers, GoogleTest, CMake, Ninja, Python 3 (lit). Idempotent; skips apt when all are there.
set -euo pipefail

packages=(build-essential cmake ninja-build python3 ccache
          llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools lld-19 clang-19 libclang-rt-19-dev
          libflatbuffers-dev flatbuffers-compiler libgtest-dev
          libpng-dev libjpeg62-turbo-dev
          python3-dev pybind11-dev python3-numpy python3-pytest pkgconf clang-format-19)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
