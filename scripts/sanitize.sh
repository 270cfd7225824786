#!/usr/bin/env bash
# The test suite under sanitizers (CI runs both):
#
#   scripts/sanitize.sh address,undefined   the whole tree instrumented (build-asan/), every
#                                           test except the three that build programs of their
#                                           own (uninstrumented, so they cannot link the
#                                           instrumented runtime); any ASan or UBSan report
#                                           fails its test
#   scripts/sanitize.sh thread              the runtime alone under TSan (build-tsan/): the
#                                           concurrency tests (C API threads x runs, the pool)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs="${JOBS:-$(nproc)}"
# Reports abort (a signal), so `not tool ...` in lit cannot mistake one for an expected error.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:second_deadlock_stack=1}"
case "${1:-}" in
  address,undefined)
    build="$root/build-asan"
    cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
      -DTESSERA_SANITIZE=address,undefined >/dev/null
    cmake --build "$build" -j "$jobs"
    ctest --test-dir "$build" --output-on-failure -j "$jobs" \
      -E '^(runtime-builds-without-llvm|ptxas-models|install-tree)$'
    ;;
  thread)
    build="$root/build-tsan"
    cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
      -DTESSERA_ENABLE_COMPILER=OFF -DTESSERA_SANITIZE=thread >/dev/null
    cmake --build "$build" -j "$jobs" --target TesseraRuntimeTests TesseraRuntimeCApiTest
    ctest --test-dir "$build" --output-on-failure -j "$jobs" \
      -R '^(CApi\.|ThreadPool\.|Session\.ReferenceModuleOnSeveralThreadCounts)'
    ;;
  *)
    echo "usage: scripts/sanitize.sh address,undefined | thread" >&2
    exit 2
    ;;
esac
