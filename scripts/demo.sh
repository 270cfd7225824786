#!/usr/bin/env bash
# The main job on a fresh machine: install dependencies, build, compile the bundled models and
# run them on the bundled inputs, printing a summary of each output.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
out="$root/build/demo"
mkdir -p "$out"
tessera="$root/build/bin/tessera"

run() { # NAME FILE INPUT_NAME INPUT [compile flags...]
  local name=$1 file=$2 input=$3 npy=$4
  shift 4
  echo "== $name: tessera compile $file $* && tessera run"
  "$tessera" compile "$root/$file" -o "$out/$name.tsm" "$@"
  "$tessera" run "$out/$name.tsm" --input "$input=$root/$npy"
}

run mlp models/mlp.tg x models/inputs/mlp_x.npy
run block models/block.tg x models/inputs/block_x.npy
# A tiny ViT with the random timm weights of its test fixture (tests/reference/vit_ref.py).
vit=tests/fixtures/vit_tiny
# shellcheck disable=SC2046
run vit models/vit.tg image "$vit/image.npy" $(cat "$root/$vit/config.txt") \
  --weights "$root/$vit/weights.safetensors"
# The same tiny ViT from Python, on a generated PNG (docs/examples/classify.py, as in the README).
python="$(sed -n 's/^Python_EXECUTABLE:FILEPATH=//p' "$root/build/CMakeCache.txt")"
if [ -n "$python" ] && [ -d "$root/build/python/tessera" ]; then
  echo "== Python: docs/examples/classify.py"
  ln -sfn "$root/models" "$out/models"
  ln -sfn "$root/tests" "$out/tests"
  (cd "$out" && PYTHONPATH="$root/build/python" "$python" "$root/docs/examples/classify.py")
  echo "== the same with the CLI: tessera run vit1.tsm --input image=photo.png --preset inception --topk 5"
  "$tessera" compile "$root/models/vit.tg" -o "$out/vit1.tsm" -D img_size=32 -D patch=8 -D dim=64 \
    -D depth=2 -D heads=4 -D mlp=128 -D classes=10 --weights "$root/$vit/weights.safetensors"
  "$tessera" run "$out/vit1.tsm" --input image="$out/photo.png" --preset inception --topk 5
  echo "== what it attends to: compile --expose-attention, run --attention-maps (PNG heat maps)"
  "$tessera" compile "$root/models/vit.tg" -o "$out/vit1-attn.tsm" -D img_size=32 -D patch=8 \
    -D dim=64 -D depth=2 -D heads=4 -D mlp=128 -D classes=10 --expose-attention \
    --weights "$root/$vit/weights.safetensors"
  "$tessera" run "$out/vit1-attn.tsm" --input image="$out/photo.png" --attention-maps "$out/attention"
fi
echo "== modules are in $out; inspect one with: $tessera dump $out/block.tsm"
