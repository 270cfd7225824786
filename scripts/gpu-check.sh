#!/usr/bin/env bash
# The prepared GPU check of the CUDA target (issue 10), in two halves:
#
#   scripts/gpu-check.sh prepare [DIR]   here, after a build: compiles every tiny fixture (with
#                                        its weights) and the benchmark models for
#                                        --target cpu,cuda into DIR (default build/gpu-check),
#                                        copies tessera-run beside them, and checks the CPU
#                                        half of each fixture module against its reference
#   scripts/gpu-check.sh run [DIR]       on the GPU machine (repository root, DIR carried):
#                                        every fixture on the GPU against its PyTorch
#                                        reference (expected_*.npy, relative L2 <= 1e-4),
#                                        then ViT-B/16 at batch 1 and 64, iGPT-S and the
#                                        4096-token iGPT timed against PyTorch eager and SDPA
#                                        in fp32 on the same GPU (and ViT-B/16 batch 64
#                                        and vit_tiny built with --precision tf32 / bf16
#                                        against TF32 PyTorch / the fp32 reference within
#                                        2e-3 / 1.6e-2); everything goes to
#                                        DIR/gpu-check.log, and the exit status is non-zero
#                                        when a fixture disagrees or a step fails
#
# Both halves run scripts/gpu_check.py with ${PYTHON:-python3}, which needs numpy (the run
# half also torch, timm and transformers, all on the GPU machine's image); the run half stays
# under 8 minutes: each step has its own time limit.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
dir=${2:-build/gpu-check}
case $mode in
prepare|run) ;;
*) echo "usage: scripts/gpu-check.sh prepare|run [DIR]" >&2; exit 2 ;;
esac

fixtures=(vit_tiny:vit igpt_tiny:igpt detr_tiny:detr lambda_global_tiny:lambda_layer
          lambda_local_tiny:lambda_layer lambda_resnet_tiny:lambda_resnet ttsr_tiny:ttsr
          fpt_tiny:fpt)
# name:model:flags of the benchmark models (seeded weights: timings only).
benchmarks=("vit_b1:vit:-D batch=1"
            "vit_b64:vit:-D batch=64"
            "igpt_s:igpt:-D size=32 -D dim=512 -D depth=24 -D heads=8 -D batch=1"
            "igpt_4096:igpt:-D size=64 -D dim=128 -D depth=4 -D heads=2 -D batch=1"
            "vit_b64@tf32:vit:-D batch=64 --precision tf32")
# Fixtures also built with tensor-core matrix products, checked with the looser bounds.
precision_fixtures=(vit_tiny:vit detr_tiny:detr)

if [ "$mode" = prepare ]; then
  set -e
  bin=build/bin
  mkdir -p "$dir"
  cp "$bin/tessera-run" "$dir/"
  for f in "${fixtures[@]}"; do
    name=${f%%:*} model=${f#*:}
    read -r -a flags <<<"$(tr '\n' ' ' <"tests/fixtures/$name/config.txt")"
    "$bin/tessera" compile "models/$model.tg" "${flags[@]}" \
      --weights "tests/fixtures/$name/weights.safetensors" --target cpu,cuda -o "$dir/$name.tsm"
    echo "prepared $name"
  done
  for f in "${precision_fixtures[@]}"; do
    name=${f%%:*} model=${f#*:}
    read -r -a flags <<<"$(tr '\n' ' ' <"tests/fixtures/$name/config.txt")"
    for p in tf32 bf16; do
      "$bin/tessera" compile "models/$model.tg" "${flags[@]}" --precision $p \
        --weights "tests/fixtures/$name/weights.safetensors" --target cuda -o "$dir/$name@$p.tsm"
      echo "prepared $name@$p"
    done
  done
  for b in "${benchmarks[@]}"; do
    IFS=: read -r name model flagtext <<<"$b"
    read -r -a flags <<<"$flagtext"
    "$bin/tessera" compile "models/$model.tg" "${flags[@]}" --target cuda -o "$dir/$name.tsm"
    echo "prepared $name"
  done
  # The CPU half of each fixture module must already agree with the reference here.
  "${PYTHON:-python3}" scripts/gpu_check.py fixtures --dir "$dir" --device cpu
  du -sh "$dir"
  exit 0
fi

log=$dir/gpu-check.log
: >"$log"
# cuBLASLt for the matrix products: the toolkit's, else the one PyTorch's wheels carry.
if [ -z "${TESSERA_CUBLASLT:-}" ]; then
  for c in /usr/local/cuda/lib64/libcublasLt.so.13 /usr/local/cuda/lib64/libcublasLt.so.12 \
      $("${PYTHON:-python3}" -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib", "libcublasLt.so.13"))' 2>/dev/null); do
    if [ -e "$c" ]; then export TESSERA_CUBLASLT=$c; break; fi
  done
fi
echo "# cuBLASLt: ${TESSERA_CUBLASLT:-(default search)}" >>"$log"
status=0
step() { # step SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2
  shift 2
  echo "== $what" | tee -a "$log"
  timeout "$limit" "$@" >>"$log" 2>&1
  local rc=$?
  [ $rc -eq 0 ] || { echo "   FAILED (exit $rc)" | tee -a "$log"; status=1; }
}
{
  echo "# scripts/gpu-check.sh run $dir, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "# commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
} >>"$log"
step 180 "fixtures on the GPU against PyTorch (expected_*.npy)" \
  "${PYTHON:-python3}" scripts/gpu_check.py fixtures --dir "$dir" --device cuda
step 270 "ViT-B/16, iGPT-S, iGPT 4096 tokens (fp32; ViT-B/16 b64 also TF32): Tessera against PyTorch eager and SDPA" \
  "${PYTHON:-python3}" scripts/gpu_check.py timings --dir "$dir"
echo "== done, status $status; log: $log" | tee -a "$log"
exit $status
