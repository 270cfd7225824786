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
echo "== modules are in $out; inspect one with: $tessera dump $out/block.tsm"
