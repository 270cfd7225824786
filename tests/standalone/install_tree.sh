#!/usr/bin/env bash
# The installed runtime is usable as documented: `cmake --install` into a fresh prefix, then
# docs/examples/run_module.c built with the pkg-config link lines (shared and static) and with
# find_package(TesseraRuntime), each run on a module compiled by the installed compiler.
# Usage: install_tree.sh SOURCE_DIR BUILD_DIR SCRATCH_DIR
set -euo pipefail
src="$1"; build="$2"; scratch="$3"
rm -rf "$scratch"; mkdir -p "$scratch"
prefix="$scratch/prefix"
cmake --install "$build" --prefix "$prefix" > "$scratch/install.log"

for f in include/tessera/runtime.h lib/libtessera_runtime.a lib/libtessera_runtime.so \
         lib/cmake/TesseraRuntime/TesseraRuntimeConfig.cmake lib/pkgconfig/tessera-runtime.pc \
         bin/tessera-run; do
  [ -e "$prefix/$f" ] || { echo "install_tree: $f not installed" >&2; exit 1; }
done
# Only the C API is public: no C++ runtime header in the install tree.
if [ "$(ls "$prefix/include/tessera")" != "runtime.h" ]; then
  echo "install_tree: unexpected headers: $(ls "$prefix/include/tessera")" >&2; exit 1
fi

# A module to run: the installed compiler when there is one (it must start from the install
# tree, i.e. keep its rpath to libMLIR), else the build tree's.
compiler="$prefix/bin/tessera"
[ -x "$compiler" ] || compiler="$build/bin/tessera"
"$compiler" compile "$src/models/mlp.tg" -o "$scratch/mlp.tsm"

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cflags=$(pkg-config --cflags tessera-runtime)
libdir=$(pkg-config --variable=libdir tessera-runtime)
# The shared library, with the documented line.
cc "$src/docs/examples/run_module.c" $cflags $(pkg-config --libs tessera-runtime) \
   -Wl,-rpath,"$libdir" -o "$scratch/run_module"
# The static library, with the documented line.
cc "$src/docs/examples/run_module.c" $cflags "$libdir/libtessera_runtime.a" \
   -lstdc++ -lm -lpthread -ldl -o "$scratch/run_module_static"
if ldd "$scratch/run_module_static" | grep -q tessera_runtime; then
  echo "install_tree: the static example links libtessera_runtime.so" >&2; exit 1
fi
# CMake's find_package, both imported targets.
cmake -G Ninja -S "$src/docs/examples" -B "$scratch/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
      > "$scratch/cmake.log"
cmake --build "$scratch/cmake" > "$scratch/cmake-build.log"

"$scratch/run_module" "$scratch/mlp.tsm" > "$scratch/shared.txt"
for variant in run_module_static cmake/run_module cmake/run_module_static; do
  "$scratch/$variant" "$scratch/mlp.tsm" > "$scratch/out.txt"
  cmp "$scratch/shared.txt" "$scratch/out.txt" || { echo "install_tree: $variant differs" >&2; exit 1; }
done
grep -q '^y: f32\[2, 8\] ' "$scratch/shared.txt" || { cat "$scratch/shared.txt"; exit 1; }
# The same values as the installed tessera-run on the same input.
python3 - "$scratch/x.npy" <<'PY'
import struct, sys
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 16), }"
header += " " * (63 - len(header)) + "\n"
with open(sys.argv[1], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()
            + struct.pack("<32f", *([0.5] * 32)))
PY
"$prefix/bin/tessera-run" "$scratch/mlp.tsm" --input x="$scratch/x.npy" --output y="$scratch/y.npy" \
  --threads 1 > /dev/null
python3 - "$scratch/y.npy" "$scratch/shared.txt" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
values = struct.unpack("<16f", data[-64:])
printed = [float(v) for v in open(sys.argv[2]).read().split("\n")[1].split("]")[1].split()]
assert all(abs(a - b) <= 1e-5 * max(1, abs(a)) for a, b in zip(values[:4], printed)), (values, printed)
PY
cat "$scratch/shared.txt"
echo "install_tree: OK"
