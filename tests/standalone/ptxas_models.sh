#!/usr/bin/env bash
# Every model's tiny configuration (the e2e fixtures) and every example compiles with
# --target cuda, and ptxas from the CUDA toolkit assembles the PTX for sm_90 and sm_80.
# Exits 77 (ctest: skipped) when the toolkit is not installed.
#   ptxas_models.sh SOURCE_DIR BIN_DIR WORK_DIR
set -euo pipefail
src=$1 bin=$2 work=$3
cuda=${CUDA_PATH:-/usr/local/cuda}
ptxas=$cuda/bin/ptxas
if [ ! -x "$ptxas" ] || [ ! -f "$cuda/nvvm/libdevice/libdevice.10.bc" ]; then
  echo "ptxas_models: no CUDA toolkit at $cuda (ptxas, libdevice): skipped"
  exit 77
fi
mkdir -p "$work"
cases=()
for f in "$src"/tests/fixtures/*/config.txt; do
  name=$(basename "$(dirname "$f")")
  model=${name%_tiny}
  case $model in lambda_global|lambda_local) model=lambda_layer ;; esac
  cases+=("$name:$model:$f")
done
for example in mlp block; do
  cases+=("$example:$example:")
done
failed=0
for c in "${cases[@]}"; do
  IFS=: read -r name model config <<<"$c"
  flags=()
  [ -n "$config" ] && read -r -a flags <<<"$(tr '\n' ' ' <"$config")"
  for arch in sm_90 sm_80; do
    tsm=$work/$name.$arch.tsm ptx=$work/$name.$arch.ptx
    if ! "$bin/tessera" compile "$src/models/$model.tg" "${flags[@]}" --target cuda \
        --cuda-arch "$arch" -o "$tsm"; then
      echo "FAIL $name $arch: tessera compile --target cuda"; failed=1; continue
    fi
    "$bin/tessera" dump "$tsm" --extract-executable 0 -o "$ptx"
    if ! "$ptxas" -arch="$arch" "$ptx" -o "$work/$name.$arch.cubin"; then
      echo "FAIL $name $arch: ptxas rejected $ptx"; failed=1; continue
    fi
    kernels=$(grep -c '^\.visible \.entry' "$ptx" || true)
    echo "ok   $name $arch: $kernels kernels, $(wc -c <"$ptx") bytes of PTX"
  done
done
exit $failed
