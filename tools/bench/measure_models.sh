#!/usr/bin/env bash
# Compile time, module size, run latency and peak memory of the bundled models at full size
# (seeded weights), on this machine. Run by hand; results go to docs/PERFORMANCE.md.
#
#   tools/bench/measure_models.sh [ITERATIONS] [MODEL...]      models: vit igpt detr (default all)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$root/build/bin"
iterations="${1:-5}"
shift || true
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(vit igpt detr)
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
npy() { python3 "$root/tests/lit/Inputs/tsfiles.py" npy "$@"; }

# name | model file | input name | input shape | extra compile flags
declare -A shape flags input
input[vit]=image;  shape[vit]=1,3,224,224;   flags[vit]=""
input[igpt]=pixels; shape[igpt]=1,32,32,3;   flags[igpt]=""
input[detr]=image; shape[detr]=1,3,800,800;  flags[detr]=""

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-6s %12s %10s %14s %14s %12s\n' model compile_s module_MB run_mean_ms run_min_ms peak_rss_MB
for m in "${models[@]}"; do
  npy "$out/$m.npy" '<f4' "${shape[$m]}"
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  "$bin/tessera" compile "$root/models/$m.tg" -o "$out/$m.tsm" ${flags[$m]}
  end=$(date +%s.%N)
  compile=$(echo "$end - $start" | bc)
  size=$(echo "scale=2; $(stat -c %s "$out/$m.tsm") / 1048576" | bc)
  log="$out/$m.log"
  /usr/bin/time -f 'peak_rss_kb %M' "$bin/tessera-run" "$out/$m.tsm" \
    --input "${input[$m]}=$out/$m.npy" --iterations "$iterations" >"$log" 2>&1
  mean=$(sed -n 's/.*mean \([0-9.]*\) ms.*/\1/p' "$log")
  min=$(sed -n 's/.*min \([0-9.]*\) ms.*/\1/p' "$log")
  rss=$(echo "scale=1; $(sed -n 's/peak_rss_kb \([0-9]*\)/\1/p' "$log") / 1024" | bc)
  printf '%-6s %12.1f %10s %14s %14s %12s\n' "$m" "$compile" "$size" "$mean" "$min" "$rss"
done
