#!/usr/bin/env bash
# A libFuzzer campaign against one input surface:
#
#   scripts/fuzz.sh TARGET SECONDS [extra libFuzzer flags...]
#   TARGET: npy | safetensors | module | dsl
#
# Builds build-fuzz/ once (clang-19, ASan + UBSan, libFuzzer coverage on every library), copies
# the committed seeds (tests/fuzz/corpus/fuzz-TARGET) into the working corpus
# build-fuzz/corpus/TARGET, and fuzzes for SECONDS. A crash, leak, timeout (10 s) or OOM
# (2 GiB) leaves its input in build-fuzz/findings/TARGET/; minimize it with
#   build-fuzz/bin/fuzz-TARGET -minimize_crash=1 INPUT
# and commit it to tests/fuzz/regressions/fuzz-TARGET/ with the fix, where it replays in ctest.
# The last lines are libFuzzer's final statistics (executions, coverage).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${1:-}"
seconds="${2:-}"
case "$target" in npy|safetensors|module|dsl) ;; *)
  echo "usage: scripts/fuzz.sh npy|safetensors|module|dsl SECONDS [libFuzzer flags]" >&2; exit 2;;
esac
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a number" >&2; exit 2; }
shift 2

build="$root/build-fuzz"
if [ ! -f "$build/build.ninja" ]; then
  CC=clang-19 CXX=clang++-19 cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTESSERA_FUZZ=ON -DTESSERA_SANITIZE=address,undefined
fi
ninja -C "$build" "fuzz-$target"

corpus="$build/corpus/$target"
findings="$build/findings/$target"
mkdir -p "$corpus" "$findings"
cp -n "$root/tests/fuzz/corpus/fuzz-$target/"* "$corpus/" 2>/dev/null || true

flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
       -artifact_prefix="$findings/")
case "$target" in
  dsl) flags+=(-dict="$root/tests/fuzz/dsl.dict" -max_len=16384) ;;
  module) flags+=(-max_len=65536) ;;
  *) flags+=(-max_len=8192) ;;
esac
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
exec "$build/bin/fuzz-$target" "${flags[@]}" "$@" "$corpus"
