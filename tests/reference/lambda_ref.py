#!/usr/bin/python3
"""Lambda layer reference: lucidrains' LambdaLayer (PyPI lambda-networks 0.4.0), eval mode.

    python3 tests/reference/lambda_ref.py --out DIR [-D name=value ...] [--seed N]
    python3 tests/reference/lambda_ref.py --selftest    # explicit formulas vs the library

Config (names of models/lambda_layer.tg):
    batch, dim (input channels), dim_out (output channels, multiple of heads), dim_k, heads,
    dim_u, n (input is n x n), r (0 = global position lambdas with a relative embedding
    [2n-1, 2n-1, dim_k, dim_u]; odd r = local position lambdas, Conv3d kernel (1, r, r)).
    Tiny global: dim 32, dim_out 32, dim_k 16, heads 4, dim_u 1, n 8, r 0 (the defaults);
    tiny local: the same with dim_u 4, r 5.
Input  x  f32[batch, dim, n, n], uniform in [-1, 1].
Output y  f32[batch, dim_out, n, n].
Parameters: the LambdaLayer's state_dict keys: to_q.weight [k*heads, dim, 1, 1],
to_k.weight [k*u, dim, 1, 1], to_v.weight [v*u, dim, 1, 1] (v = dim_out / heads),
norm_q.{weight,bias,running_mean,running_var} [k*heads], norm_v.* [v*u], and either
rel_pos_emb [2n-1, 2n-1, k, u] (r = 0) or pos_conv.weight [k, u, 1, r, r], pos_conv.bias [k].
Integer buffers are NOT saved: norm_*.num_batches_tracked (unused in eval) and the relative
index table rel_pos (a plain tensor attribute of the module, not even in its state_dict); the
graph computes the relative indices itself (formula in README.md / selftest below).

Weights are random (seeded): to_q, to_v N(0, 1/sqrt(dim)); to_k N(0, 2/sqrt(dim)) (sharper key
softmax); BatchNorm weight 1 + N(0, 0.1), bias N(0, 0.05), running_mean N(0, 0.1),
running_var U(0.5, 1.5); rel_pos_emb N(0, 1/sqrt(n*n*u)); pos_conv.weight N(0, 1/sqrt(u*r*r)),
pos_conv.bias N(0, 0.05). So the content and position terms have comparable size.
"""

import os
import sys
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

# calc_rel_pos calls torch.meshgrid without indexing= (torch 1.13 warns; the default is 'ij').
warnings.filterwarnings("ignore", message=".*torch.meshgrid.*")
from lambda_networks import LambdaLayer  # noqa: E402

DEFAULTS = dict(batch=2, dim=32, dim_out=32, dim_k=16, heads=4, dim_u=1, n=8, r=0)
INPUTS = ["x"]
OUTPUTS = ["y"]


def make_layer(dim, dim_out, dim_k, heads, dim_u, n, r):
    """LambdaLayer with our r convention (0 = global, needs n; odd r = local)."""
    assert dim_out % heads == 0, f"dim_out {dim_out} must be a multiple of heads {heads}"
    assert r == 0 or r % 2 == 1, f"r must be 0 (global) or odd (local), got {r}"
    if r == 0:
        return LambdaLayer(dim, dim_out=dim_out, dim_k=dim_k, heads=heads, dim_u=dim_u, n=n)
    return LambdaLayer(dim, dim_out=dim_out, dim_k=dim_k, heads=heads, dim_u=dim_u, r=r)


def build(cfg):
    return make_layer(cfg["dim"], cfg["dim_out"], cfg["dim_k"], cfg["heads"], cfg["dim_u"],
                      cfg["n"], cfg["r"]).eval()


@torch.no_grad()
def randomize_bn(bn, weight_mean=1.0, weight_std=0.1):
    bn.weight.normal_(weight_mean, weight_std)
    bn.bias.normal_(0.0, 0.05)
    bn.running_mean.normal_(0.0, 0.1)
    bn.running_var.uniform_(0.5, 1.5)


@torch.no_grad()
def randomize_layer(layer):
    """Random weights of one LambdaLayer (see the module docstring)."""
    dim = layer.to_q.in_channels
    common.fan_in_normal_(layer.to_q.weight, dim)
    common.fan_in_normal_(layer.to_k.weight, dim, gain=2.0)
    common.fan_in_normal_(layer.to_v.weight, dim)
    randomize_bn(layer.norm_q)
    randomize_bn(layer.norm_v)
    if layer.local_contexts:
        common.fan_in_normal_(layer.pos_conv.weight, layer.pos_conv.weight[0].numel())
        layer.pos_conv.bias.normal_(0.0, 0.05)
    else:
        m2 = layer.rel_pos.shape[0]            # n * n
        common.fan_in_normal_(layer.rel_pos_emb, m2 * layer.u)


def state_dict_floats(module):
    """state_dict without integer buffers (num_batches_tracked; rel_pos is not in it anyway)."""
    return {k: v for k, v in module.state_dict().items() if v.is_floating_point()}


def generate(out_dir, cfg, seed):
    common.seed_all(seed)
    layer = build(cfg)
    randomize_layer(layer)
    b, c, n = cfg["batch"], cfg["dim"], cfg["n"]
    x = torch.rand(b, c, n, n) * 2 - 1
    with torch.no_grad():
        y = layer(x)
    assert y.shape == (b, cfg["dim_out"], n, n), y.shape
    common.write_case(out_dir, cfg, state_dict_floats(layer), {"x": common.to_numpy(x)},
                      {"y": common.to_numpy(y)}, list(DEFAULTS))


# ----------------------------------------------------------------------------- selftest

def explicit_lambda(sd, x, heads, dim_u, r, eps=1e-5):
    """The LambdaLayer forward written out with the formulas of README.md (float64)."""
    x = x.double()
    sd = {k: v.double() for k, v in sd.items()}
    b, _, hh, ww = x.shape
    N = hh * ww
    xf = x.reshape(b, -1, N)                                     # [b, dim, N]

    def bn(t, p):
        s = sd[p + ".weight"] / torch.sqrt(sd[p + ".running_var"] + eps)
        return t * s[None, :, None] + (sd[p + ".bias"] - sd[p + ".running_mean"] * s)[None, :, None]

    q = bn(torch.einsum("oc,bcn->bon", sd["to_q.weight"][:, :, 0, 0], xf), "norm_q")
    k = torch.einsum("oc,bcn->bon", sd["to_k.weight"][:, :, 0, 0], xf)
    v = bn(torch.einsum("oc,bcn->bon", sd["to_v.weight"][:, :, 0, 0], xf), "norm_v")
    dk = k.shape[1] // dim_u
    dv = v.shape[1] // dim_u
    q = q.reshape(b, heads, dk, N)           # channel = h * dk + kk
    k = k.reshape(b, dim_u, dk, N)           # channel = uu * dk + kk
    v = v.reshape(b, dim_u, dv, N)           # channel = uu * dv + vv
    k = torch.softmax(k, dim=-1)             # over positions m
    lam_c = torch.einsum("bukm,buvm->bkv", k, v)
    yc = torch.einsum("bhkn,bkv->bhvn", q, lam_c)
    if r == 0:
        n = hh
        ii, jj = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
        pi, pj = ii.reshape(-1), jj.reshape(-1)                  # position p = i * n + j
        ri = pi[None, :] - pi[:, None] + n - 1                   # [query a, context b]
        rj = pj[None, :] - pj[:, None] + n - 1
        E = sd["rel_pos_emb"][ri, rj]                            # [N, N, k, u]
        lam_p = torch.einsum("nmku,buvm->bnkv", E, v)
        yp = torch.einsum("bhkn,bnkv->bhvn", q, lam_p)
    else:
        w = sd["pos_conv.weight"][:, :, 0]                       # [k, u, r, r]
        vv = v.reshape(b, dim_u, dv, hh, ww).permute(0, 2, 1, 3, 4).reshape(b * dv, dim_u, hh, ww)
        lp = torch.nn.functional.conv2d(vv, w, sd["pos_conv.bias"], padding=r // 2)
        lam_p = lp.reshape(b, dv, dk, N).permute(0, 2, 1, 3)     # [b, k, v, N]
        yp = torch.einsum("bhkn,bkvn->bhvn", q, lam_p)
    return (yc + yp).reshape(b, heads * dv, hh, ww), yc, yp


def selftest():
    ok = True
    configs = [dict(DEFAULTS), dict(DEFAULTS, dim_u=4, r=5),
               dict(DEFAULTS, batch=1, dim=24, dim_out=48, dim_k=8, heads=3, dim_u=2, n=5, r=0),
               dict(DEFAULTS, batch=1, dim=24, dim_out=48, dim_k=8, heads=3, dim_u=2, n=6, r=3)]
    for cfg in configs:
        common.seed_all(1)
        layer = build(cfg)
        randomize_layer(layer)
        x = torch.rand(cfg["batch"], cfg["dim"], cfg["n"], cfg["n"]) * 2 - 1
        with torch.no_grad():
            y = layer(x)
            y64 = layer.double()(x.double())
        ye, yc, yp = explicit_lambda(state_dict_floats(layer), x, cfg["heads"], cfg["dim_u"],
                                     cfg["r"])
        e1 = common.rel_l2(y.numpy(), ye.numpy())
        e2 = common.rel_l2(y.numpy(), y64.numpy())
        rc, rp = yc.norm().item(), yp.norm().item()
        print(f"{cfg}: library vs explicit {e1:.1e}, f32 vs f64 {e2:.1e}, "
              f"|Yc| {rc:.1f} |Yp| {rp:.1f}")
        ok &= e1 < 1e-6 and e2 < 1e-6
    print("selftest", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    common.check_env()
    if "--selftest" in sys.argv[1:]:
        sys.exit(selftest())
    sys.exit(common.main(__doc__.splitlines()[0], DEFAULTS, generate))
