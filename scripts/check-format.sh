#!/usr/bin/env bash
# Checks that every C and C++ file git tracks is formatted by clang-format-19 with the
# repository's .clang-format; prints the offending lines and exits 1 when one is not.
# Exit 77 (a skipped ctest) without clang-format-19 or outside a git checkout.
# To fix: git ls-files '*.cpp' '*.h' '*.c' | xargs clang-format-19 -i
set -uo pipefail
cd "$(dirname "$0")/.."
format=${CLANG_FORMAT:-clang-format-19}
if ! command -v "$format" >/dev/null || ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "skipped: needs $format and a git checkout"
  exit 77
fi
git ls-files -z '*.cpp' '*.h' '*.c' | xargs -0 "$format" --dry-run --Werror
