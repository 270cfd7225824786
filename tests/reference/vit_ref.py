#!/usr/bin/python3
"""ViT reference: timm's VisionTransformer (timm.models.vision_transformer), eval mode.

    python3 tests/reference/vit_ref.py --out DIR [-D name=value ...] [--seed N]

Config (names of models/vit.tg):
    img_size, patch, channels, dim, depth, heads, mlp (MLP hidden size = mlp_ratio * dim),
    classes, batch; optional eps (LayerNorm eps, timm 1e-6) and gelu_kind ("none" = erf as timm,
    "tanh"), written to config.txt only when they differ from the defaults.
Input  image  f32[batch, channels, img_size, img_size], uniform in [-1, 1].
Output logits f32[batch, classes], and each block's attention probabilities
attention_blocks.N.attn.qkv f32[batch, heads, tokens, tokens] (what tessera compile
--expose-attention returns as attention:blocks.N.attn.qkv), captured at timm's attn_drop.
Parameters: model.state_dict() with timm's keys (cls_token, pos_embed, patch_embed.proj.*,
blocks.N.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}.*, norm.*, head.*).

Weights are random (seeded): every matrix / conv kernel N(0, 1/sqrt(fan_in)), so attention
scores are O(1) and softmax is far from uniform; biases N(0, 0.05); LayerNorm weights
1 + N(0, 0.1), biases N(0, 0.05); cls_token and pos_embed N(0, 0.1).
"""

import functools
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

from timm.models.vision_transformer import VisionTransformer  # noqa: E402

DEFAULTS = dict(img_size=32, patch=8, channels=3, dim=64, depth=2, heads=4, mlp=128,
                classes=10, batch=2, eps=1e-6, gelu_kind="none")
BASE_KEYS = ["img_size", "patch", "channels", "dim", "depth", "heads", "mlp", "classes", "batch"]
INPUTS = ["image"]
OUTPUTS = ["logits"]


def build(cfg):
    assert cfg["img_size"] % cfg["patch"] == 0, "img_size must be a multiple of patch"
    assert cfg["dim"] % cfg["heads"] == 0, "dim must be a multiple of heads"
    assert cfg["gelu_kind"] in ("none", "tanh")
    model = VisionTransformer(
        img_size=cfg["img_size"], patch_size=cfg["patch"], in_chans=cfg["channels"],
        num_classes=cfg["classes"], embed_dim=cfg["dim"], depth=cfg["depth"],
        num_heads=cfg["heads"], mlp_ratio=cfg["mlp"] / cfg["dim"], qkv_bias=True,
        class_token=True, global_pool="token",
        norm_layer=functools.partial(nn.LayerNorm, eps=cfg["eps"]),
        act_layer=functools.partial(nn.GELU, approximate=cfg["gelu_kind"]))
    assert model.blocks[0].mlp.fc1.out_features == cfg["mlp"], "mlp / dim must give mlp exactly"
    return model.eval()


@torch.no_grad()
def randomize(model):
    for name, p in model.named_parameters():
        if name in ("cls_token", "pos_embed"):
            common.normal_(p, 0.1)
        elif p.dim() >= 2:                      # Linear [out, in], Conv2d [out, in, kh, kw]
            common.fan_in_normal_(p, p[0].numel())
        elif ".norm" in name or name.startswith("norm."):
            if name.endswith(".weight"):
                common.normal_(p, 0.1, mean=1.0)
            else:
                common.normal_(p, 0.05)
        else:                                   # Linear / conv biases
            common.normal_(p, 0.05)


def generate(out_dir, cfg, seed):
    common.seed_all(seed)
    model = build(cfg)
    randomize(model)
    b, c, s = cfg["batch"], cfg["channels"], cfg["img_size"]
    image = torch.rand(b, c, s, s) * 2 - 1
    attention = {}
    for i, block in enumerate(model.blocks):
        block.attn.fused_attn = False   # the explicit softmax path, so attn_drop sees p

        def keep(module, args, output, name=f"attention_blocks.{i}.attn.qkv"):
            attention[name] = common.to_numpy(args[0])
        block.attn.attn_drop.register_forward_hook(keep)
    with torch.no_grad():
        logits = model(image)
    weights = dict(model.state_dict())
    keys = BASE_KEYS + [k for k in ("eps", "gelu_kind") if cfg[k] != DEFAULTS[k]]
    common.write_case(out_dir, cfg, weights, {"image": common.to_numpy(image)},
                      {"logits": common.to_numpy(logits), **attention}, keys)


if __name__ == "__main__":
    common.check_env()
    sys.exit(common.main(__doc__.splitlines()[0], DEFAULTS, generate))
