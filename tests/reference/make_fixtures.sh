#!/usr/bin/env bash
# Regenerates the committed tiny reference fixtures (dev-time only; needs PyTorch, torchvision,
# timm, transformers, safetensors and lambda-networks -- see tests/reference/README.md). The build
# and ctest only read the files this writes:
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
# TTSR: lte_width 32 (VGG19 has 64) keeps the weights under ~2 MB; see ttsr_ref.py deviation 2.
gen ttsr ttsr_tiny -D batch=1 -D lr_h=8 -D lr_w=8 -D n_feats=16 -D res1=1 -D res2=1 -D res3=1 \
  -D res4=1 -D lte_width=32
gen fpt fpt_tiny -D batch=1 -D C=32 -D in2=16 -D in3=32 -D in4=64 -D in5=128 -D h2=32 -D w2=32
gen lambda lambda_global_tiny -D batch=2 -D dim=32 -D dim_out=32 -D dim_k=16 -D heads=4 -D dim_u=1 \
  -D n=8 -D r=0
gen lambda lambda_local_tiny -D batch=2 -D dim=32 -D dim_out=32 -D dim_k=16 -D heads=4 -D dim_u=4 \
  -D n=8 -D r=5
# lambda_resnet_ref.py's defaults are the full LambdaResNet-50; the tiny config is spelled out here.
gen lambda_resnet lambda_resnet_tiny -D batch=1 -D img_size=64 -D classes=10 -D width=8 \
  -D blocks1=1 -D blocks2=1 -D blocks3=2 -D blocks4=1 -D lambda_k=8 -D lambda_heads=2 \
  -D lambda_u=2 -D lambda_r=5

chmod a+r "$fix"/*_tiny/*
du -sh "$fix"/vit_tiny "$fix"/igpt_tiny "$fix"/detr_tiny "$fix"/ttsr_tiny "$fix"/fpt_tiny "$fix"/lambda_global_tiny \
  "$fix"/lambda_local_tiny "$fix"/lambda_resnet_tiny
