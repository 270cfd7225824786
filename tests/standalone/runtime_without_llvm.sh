#!/usr/bin/env bash
# The runtime must build and run without LLVM/MLIR: configure the project with the compiler
# disabled, build tessera-run alone, and check that it links no LLVM or MLIR library and
# answers --help.
set -euo pipefail
src="$1"
out="$2"
cmake -G Ninja -S "$src" -B "$out" -DTESSERA_ENABLE_COMPILER=OFF -DTESSERA_ENABLE_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$out" --target tessera-run >/dev/null
if ldd "$out/bin/tessera-run" | grep -Ei 'libLLVM|libMLIR'; then
  echo "tessera-run links LLVM/MLIR" >&2
  exit 1
fi
"$out/bin/tessera-run" --help >/dev/null
echo "runtime-only build: ok"
