#!/usr/bin/env bash
# Regenerates the committed tiny reference fixtures (dev-time only; needs PyTorch, timm,
# transformers and safetensors -- see tests/reference/README.md). The build and ctest only read
# the files this writes:
#   tests/fixtures/<model>_tiny/{weights.safetensors, <input>.npy, expected_<output>.npy, config.txt}
# PYTHON overrides the interpreter (default /usr/bin/python3, where Debian's python3-torch lives).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
py="${PYTHON:-/usr/bin/python3}"
ref="$root/tests/reference"
fix="$root/tests/fixtures"
seed="${SEED:-0}"

gen() {   # gen MODEL DIR -D ...
  local model="$1" dir="$fix/$2"
  shift 2
  rm -rf "$dir"
  "$py" "$ref/${model}_ref.py" --out "$dir" --seed "$seed" "$@"
}

# Tiny configs of shared/MODELS.md (also the scripts' defaults), spelled out here.
gen vit vit_tiny -D img_size=32 -D patch=8 -D channels=3 -D dim=64 -D depth=2 -D heads=4 \
  -D mlp=128 -D classes=10 -D batch=2
gen igpt igpt_tiny -D size=8 -D palette=16 -D dim=64 -D heads=4 -D depth=2 -D batch=2
gen detr detr_tiny -D img_h=128 -D img_w=160 -D batch=1 -D width=8 -D blocks1=1 -D blocks2=1 \
  -D blocks3=1 -D blocks4=1 -D dim=64 -D heads=4 -D enc_layers=2 -D dec_layers=2 -D ffn=128 \
  -D queries=10 -D classes=5

chmod a+r "$fix"/*_tiny/*
du -sh "$fix"/vit_tiny "$fix"/igpt_tiny "$fix"/detr_tiny
