#!/usr/bin/python3
"""iGPT reference: Hugging Face ImageGPTForCausalImageModeling (transformers), eval mode, plus
the palette quantization of ImageGPTImageProcessor redone in torch.

    python3 tests/reference/igpt_ref.py --out DIR [-D name=value ...] [--seed N]

Config (names of models/igpt.tg): size, palette (number of color clusters; `-D clusters=N` is
accepted as an alias), dim, depth, heads, batch. MLP hidden = 4 * dim (HF n_inner=None).
    ImageGPTConfig(vocab_size=palette + 1, n_positions=size*size, n_embd=dim, n_layer=depth,
                   n_head=heads), all other fields HF defaults (activation "quick_gelu",
                   layer_norm_epsilon 1e-5, scale_attn_weights, untied lm_head).
Input  pixels   f32[batch, size, size, 3], integer values in [0, 255] stored as floats (HWC).
Outputs logits   f32[batch, L, palette]  (L = size*size; lm_head, vocab_size - 1 classes)
        features f32[batch, dim]         mean over the L positions of the final hidden states
                                         (after ln_f, i.e. ImageGPTModel's last_hidden_state)
Parameters: `clusters` [palette, 3] (the processor's color centers, in [-1, 1]) plus
model.named_parameters() (transformer.wte.weight [palette+1, dim], transformer.wpe.weight,
transformer.h.N.{ln_1.weight, attn.c_attn.{weight,bias}, attn.c_proj.*, ln_2.weight,
mlp.c_fc.*, mlp.c_proj.*}, transformer.ln_f.weight, lm_head.weight [palette, dim]).
The non-persistent buffers attn.bias (causal mask) and attn.masked_bias are not written.

Computation (what the graph must match):
  x = pixels / 127.5 - 1, reshaped row-major to [batch, L, 3]
  d = |x|^2 - 2 x.c + |c|^2 (ImageGPTImageProcessor's squared_euclidean_distance), token = argmin
  ids = [palette (SOS, = wte row `palette`), t_0, ..., t_{L-2}]   (shift right)
  h = wte[ids] + wpe[0..L-1]; per block (pre-norm):
      h += c_proj(causal_attn(ln_1(h))); h += mlp.c_proj(quick_gelu(mlp.c_fc(ln_2(h))))
  ln_x(h) = h / sqrt(mean(h^2, -1) + 1e-5) * weight   (RMS norm: no mean subtraction, no bias)
  Conv1D (GPT-2): y = x @ weight + bias with weight stored [in, out]
  attention: scores = q k^T / sqrt(head_dim); masked (j > i) entries set to
             torch.finfo(float32).min (not -inf, not -1e4) before softmax
  quick_gelu(x) = x * sigmoid(1.702 x)
  logits = lm_head(ln_f(h)) (no bias); features = mean(ln_f(h), axis=1)

Inputs are drawn so that every pixel's nearest cluster wins by a clear margin (>= 1e-3 in
squared distance), so float32 rounding in the graph cannot flip a token.

Weights are random (seeded): Conv1D weights N(0, 1/sqrt(in)), biases N(0, 0.05), RMS-norm
weights 1 + N(0, 0.1), wte N(0, 0.5), wpe N(0, 0.2), lm_head N(0, 1/sqrt(dim)), clusters U(-1, 1).
"""

import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

from transformers import ImageGPTConfig, ImageGPTForCausalImageModeling  # noqa: E402
from transformers.models.imagegpt import modeling_imagegpt  # noqa: E402


def _fix_attention_scale():
    """Some transformers releases divide ImageGPT's scores by torch_int(head_dim ** 0.5), i.e.
    by int(sqrt(head_dim)): wrong for every head size that is not a perfect square (iGPT-M's 64
    is, iGPT-L's 96 and most test configurations are not). The model is defined by 1/sqrt(d);
    where the installed release truncates, its attention methods are recompiled with a float."""
    import inspect
    import textwrap
    cls = modeling_imagegpt.ImageGPTAttention
    for name in ("_attn", "_upcast_and_reordered_attn"):
        method = getattr(cls, name, None)
        if method is None:
            continue
        source = textwrap.dedent(inspect.getsource(method))
        if "torch_int(" not in source:
            continue
        scope = {}
        exec(compile(source.replace("torch_int(", "float("), modeling_imagegpt.__file__, "exec"),
             modeling_imagegpt.__dict__, scope)
        setattr(cls, name, scope[name])


_fix_attention_scale()

DEFAULTS = dict(size=8, palette=16, dim=64, depth=2, heads=4, batch=2)
ALIASES = {"clusters": "palette"}
INPUTS = ["pixels"]
OUTPUTS = ["logits", "features"]
MARGIN = 1e-3


def build(cfg):
    assert cfg["dim"] % cfg["heads"] == 0
    L = cfg["size"] * cfg["size"]
    conf = ImageGPTConfig(vocab_size=cfg["palette"] + 1, n_positions=L, n_embd=cfg["dim"],
                          n_layer=cfg["depth"], n_head=cfg["heads"])
    assert conf.activation_function == "quick_gelu" and conf.layer_norm_epsilon == 1e-5
    assert conf.scale_attn_weights and not conf.scale_attn_by_inverse_layer_idx
    assert not conf.tie_word_embeddings
    return ImageGPTForCausalImageModeling(conf).eval()


@torch.no_grad()
def randomize(model, cfg):
    for name, p in model.named_parameters():
        if name == "transformer.wte.weight":
            common.normal_(p, 0.5)
        elif name == "transformer.wpe.weight":
            common.normal_(p, 0.2)
        elif name == "lm_head.weight":                      # nn.Linear [out, in]
            common.fan_in_normal_(p, p.shape[1])
        elif ".ln_" in name:                                # ln_1, ln_2, ln_f: weight only
            common.normal_(p, 0.1, mean=1.0)
        elif p.dim() == 2:                                  # GPT-2 Conv1D [in, out]
            common.fan_in_normal_(p, p.shape[0])
        else:
            common.normal_(p, 0.05)


def quantize(pixels, clusters):
    """ImageGPTImageProcessor: normalize to [-1, 1], then argmin squared distance (float32)."""
    x = pixels / 127.5 - 1
    x = x.reshape(pixels.shape[0], -1, 3)
    d = (x * x).sum(-1, keepdim=True) - 2 * x @ clusters.T + (clusters * clusters).sum(-1)
    return torch.argmin(d, dim=-1)


def make_pixels(gen, cfg, clusters):
    """Random integer pixels whose nearest cluster is unambiguous (margin in float64)."""
    b, s = cfg["batch"], cfg["size"]
    c64 = clusters.double()
    pix = torch.randint(0, 256, (b, s, s, 3), generator=gen).double()
    for _ in range(1000):
        x = (pix / 127.5 - 1).reshape(-1, 3)
        d = ((x[:, None, :] - c64[None, :, :]) ** 2).sum(-1)
        if d.shape[1] == 1:
            break
        top2 = torch.topk(d, 2, dim=1, largest=False).values
        bad = (top2[:, 1] - top2[:, 0]) < MARGIN
        if not bad.any():
            break
        flat = pix.reshape(-1, 3)
        flat[bad] = torch.randint(0, 256, (int(bad.sum()), 3), generator=gen).double()
        pix = flat.reshape(b, s, s, 3)
    else:
        raise RuntimeError("could not draw unambiguous pixels")
    return pix.float()


class Pipeline(nn.Module):
    """pixels [B, S, S, 3] -> (logits [B, L, P], features [B, dim]), as models/igpt.tg:
    quantize to the palette, shift right by one behind the SOS token, run the transformer."""

    def __init__(self, model, clusters):
        super().__init__()
        self.model = model
        self.register_buffer("clusters", clusters)
        self.sos = clusters.shape[0]

    def input_ids(self, pixels):
        tokens = quantize(pixels, self.clusters)
        sos = torch.full((pixels.shape[0], 1), self.sos, dtype=torch.long)
        return torch.cat([sos, tokens[:, :-1]], dim=1)

    def forward(self, pixels):
        h = self.model.transformer(input_ids=self.input_ids(pixels), use_cache=False,
                                   return_dict=True).last_hidden_state      # after ln_f
        return self.model.lm_head(h), h.mean(dim=1)


def generate(out_dir, cfg, seed):
    common.seed_all(seed)
    model = build(cfg)
    randomize(model, cfg)
    gen = torch.Generator().manual_seed(seed + 1)
    P = cfg["palette"]
    clusters = torch.rand(P, 3, generator=gen) * 2 - 1
    pixels = make_pixels(gen, cfg, clusters)

    with torch.no_grad():
        # Same tokens in float64 (the margin guarantees it).
        assert torch.equal(quantize(pixels, clusters),
                           quantize(pixels.double(), clusters.double()))
        pipeline = Pipeline(model, clusters)
        logits, features = pipeline(pixels)                               # [B, L, P], [B, dim]
        # The pipeline's logits are the model's own.
        assert torch.equal(model(input_ids=pipeline.input_ids(pixels)).logits, logits)
    assert logits.shape == (cfg["batch"], cfg["size"] ** 2, P)

    weights = {"clusters": clusters}
    weights.update({n: p for n, p in model.named_parameters()})
    common.write_case(out_dir, cfg, weights, {"pixels": common.to_numpy(pixels)},
                      {"logits": common.to_numpy(logits), "features": common.to_numpy(features)},
                      ["size", "palette", "dim", "depth", "heads", "batch"])


if __name__ == "__main__":
    common.check_env()
    sys.exit(common.main(__doc__.splitlines()[0], DEFAULTS, generate, ALIASES))
