#!/usr/bin/env bash
# Compile time, module size, arena, run latency and peak memory of the seed models at full size
# (seeded weights), on this machine. Run by hand; results go to docs/PERFORMANCE.md.
#
#   tools/bench/measure_models.sh [ITERATIONS] [MODEL...]
#   models: vit igpt detr lambda_resnet ttsr fpt (default: all)
# Extra compile flags for every model: TESSERA_FLAGS="--disable-pass tessera-fuse-attention".
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$root/build/bin"
iterations="${1:-3}"
shift || true
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(vit igpt detr lambda_resnet ttsr fpt)
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
npy() { python3 "$root/tests/lit/Inputs/tsfiles.py" npy "$@"; }

# model -> "input:shape ..." (random f32 inputs in [-1, 1]; iGPT pixels are fine there too)
declare -A inputs
inputs[vit]="image:1,3,224,224"
inputs[igpt]="pixels:1,32,32,3"
inputs[detr]="image:1,3,800,800"
inputs[lambda_resnet]="image:1,3,224,224"
inputs[ttsr]="lr:1,3,40,40 lrsr:1,3,160,160 ref:1,3,160,160 refsr:1,3,160,160"
inputs[fpt]="c2:1,256,128,128 c3:1,512,64,64 c4:1,1024,32,32 c5:1,2048,16,16"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "commit: $(git -C "$root" rev-parse --short HEAD), flags: ${TESSERA_FLAGS:-none}"
printf '%-14s %10s %10s %10s %12s %12s %12s\n' model compile_s module_MB arena_MB \
  run_mean_ms run_min_ms peak_rss_MB
for m in "${models[@]}"; do
  args=()
  for spec in ${inputs[$m]}; do
    name=${spec%%:*}
    npy "$out/$m.$name.npy" '<f4' "${spec#*:}"
    args+=(--input "$name=$out/$m.$name.npy")
  done
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  "$bin/tessera" compile "$root/models/$m.tg" -o "$out/$m.tsm" ${TESSERA_FLAGS:-}
  end=$(date +%s.%N)
  compile=$(echo "$end - $start" | bc)
  size=$(echo "scale=2; $(stat -c %s "$out/$m.tsm") / 1048576" | bc)
  arena=$("$bin/tessera" dump "$out/$m.tsm" | sed -n 's/^arena: \([0-9]*\) bytes/\1/p')
  arena=$(echo "scale=1; $arena / 1048576" | bc)
  log="$out/$m.log"
  /usr/bin/time -f 'peak_rss_kb %M' "$bin/tessera-run" "$out/$m.tsm" "${args[@]}" \
    --iterations "$iterations" >"$log" 2>&1
  mean=$(sed -n 's/.*mean \([0-9.]*\) ms.*/\1/p' "$log")
  min=$(sed -n 's/.*min \([0-9.]*\) ms.*/\1/p' "$log")
  rss=$(echo "scale=1; $(sed -n 's/peak_rss_kb \([0-9]*\)/\1/p' "$log") / 1024" | bc)
  printf '%-14s %10.1f %10s %10s %12s %12s %12s\n' "$m" "$compile" "$size" "$arena" "$mean" \
    "$min" "$rss"
done
