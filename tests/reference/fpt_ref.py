#!/usr/bin/python3
"""FPT reference: a PyTorch port of the Feature Pyramid Transformer (Zhang et al., ECCV 2020).

    python3 tests/reference/fpt_ref.py --out DIR [-D name=value ...] [--seed N]
    python3 tests/reference/fpt_ref.py --selftest     # conditioning, names, shape checks

Source: the paper (arXiv 2007.09451, Sec. 3) and the released code, read from
https://github.com/dongzhang89/FPT (the former ZHANGDONG-NJUST/FPT; MIT):
    lib/modeling/FPT.py              FPT (with_norm='none'): laterals, the 4 x 5-way concat, convs
    lib/modeling/self_trans.py       SelfTrans + MixtureOfSoftMax (n_head 1, n_mix 2, d_k = d_v = C)
    lib/modeling/grounding_trans.py  GroundTrans (non-local style, mode 'dot', bn_layer=True)
    lib/modeling/rendering_trans.py  RenderTrans (upsample=False path, str_conv3x3)
as summarized in shared/MODELS.md (FPT section), which this port follows.

Deviations from the released code (numbered; 3, 4 and 5 change the computation):
  1. Weights are random (see randomize); no training code, no DropBlock (commented out in the
     release's forward anyway), dropout of MixtureOfSoftMax is the identity (eval).
  2. Lateral input channels are configurable (in2..in5; the release hard-codes 256/512/1024/2048)
     and the inputs are the backbone features c2..c5 directly (no ResNet here).
  3. Grounding Transformer: the release cannot run (grounding_trans.py reshapes with an undefined
     `x`) and its 'dot' mode uses f / N (unnormalized dot product, no softmax). We follow the
     paper: s_ij = -||q_i - k_j||^2 (squared Euclidean distance, no scale), softmax over the
     coarse positions j. Projections and output as in the release: q = theta(fine),
     k = phi(coarse), v = g(coarse) (1x1 convs C -> C/2 with bias); out = W_z(attn v) with
     W_z = 1x1 conv C/2 -> C (bias) + BatchNorm; no residual (the release returns W_z(y) only).
  4. Rendering Transformer: the release has one stride-2 conv (str_conv3x3 + bn_reduction) and so
     fails whenever the finer map is more than 2x larger (rt_p5_p3, rt_p5_p2, rt_p4_p2). We apply
     one stride-2 3x3 conv + BN per halving: str_conv3x3 / bn_reduction (release names) first,
     then str_conv3x3_2 / bn_reduction_2, str_conv3x3_3 / bn_reduction_3; no ReLU in between.
     The release's unused conv_reduction (1x1) and conv_cat are not created.
  5. Self-Transformer: as released (pooled keys/values, mixture of 2 softmaxes, temperature
     sqrt(C)). Its conv_ks is the same module as conv_qs; released state dicts hold the same
     tensors twice (conv_qs.* and conv_ks.*); only conv_qs.* is written here.

Config (names for models/fpt.tg): batch, C, in2, in3, in4, in5, h2, w2 (size of the finest
level; level k has h2 / 2^(k-2) x w2 / 2^(k-2); h2, w2 must be divisible by 16 so that the
self-transformer's 3x3/2 pooling halves every level exactly). Full: C 256, in 256/512/1024/2048,
h2 = w2 = 128 (512 x 512 image). Tiny: C 32, in 16/32/64/128, h2 = w2 = 32, batch 1.
Inputs  c2 f32[batch, in2, h2, w2], c3 [batch, in3, h2/2, w2/2], c4 [.., h2/4, ..],
        c5 [.., h2/8, ..]; N(0, 1).
Outputs p2 f32[batch, C, h2, w2], p3, p4, p5 (the released fpt_p2..fpt_p5).

Parameters (state_dict names; the release's where they exist):
  fpn_p{2,3,4,5}_1x1.{weight,bias}     lateral 1x1 conv inN -> C
  st_p{2,3,4,5}.conv_qs.{weight,bias}   1x1 C -> C (q and k)
  st_pN.conv_vs.{weight,bias}           1x1 C -> C (v)
  st_pN.attention.weight                [2, C]  mixture weights
  st_pN.conv.weight                     1x1 C -> C, no bias
  st_pN.norm_layer.{weight,bias,running_mean,running_var}   BatchNorm2d(C)
  gt_{p4_p5,p3_p4,p3_p5,p2_p3,p2_p4,p2_p5}.{theta,phi,g}.{weight,bias}   1x1 C -> C/2
  gt_*.W_z.0.{weight,bias}              1x1 C/2 -> C;  gt_*.W_z.1.*  BatchNorm2d(C)
  rt_{p5_p4,p5_p3,p5_p2,p4_p3,p4_p2,p3_p2}.conv3x3.weight   3x3 pad 1 C -> C, no bias
  rt_*.bn_high.*                        BN after conv3x3 (on Q)
  rt_*.conv1x1.weight                   1x1 C -> C, no bias; rt_*.bn_low.*  BN after it (on GAP(K))
  rt_*.str_conv3x3.weight, rt_*.bn_reduction.*            first stride-2 3x3 pad 1 conv + BN
  rt_*.str_conv3x3_{2,3}.weight, rt_*.bn_reduction_{2,3}.* further halvings (deviation 4)
  fpt_p{2,3,4,5}.{weight,bias}          3x3 pad 1 conv 5C -> C
All BatchNorm2d: eval, eps 1e-5: y = (x - running_mean) / sqrt(running_var + 1e-5) * weight + bias.

Semantics a graph author needs (N = h w positions, row-major; [B, C, h, w] -> [B, C, N]):
  * p_k = fpn_pk_1x1(c_k).
  * ST(x) (x [B, C, h, w]):
      q  = conv_qs(x)                     [B, C, N]
      xp = avgpool(x, 3, stride 2, pad 1, count_include_pad=False)   [B, C, h/2, w/2]
           (border windows divide by the number of in-image taps: 4 at corners, 6 at edges)
      k  = conv_qs(xp) [B, C, N2], v = conv_vs(xp) [B, C, N2], N2 = N / 4
      pi = softmax over m of (attention.weight [2, C] @ mean_over_N(q) [B, C]) -> [B, 2]
      for m in 0, 1: q_m = q[:, m*C/2:(m+1)*C/2], k_m likewise (channel halves);
          A_m = softmax over N2 (keys, last axis) of (q_m^T k_m / sqrt(C))   [B, N, N2]
          (temperature sqrt(C) with the full C, not C/2)
      A  = pi_0 A_0 + pi_1 A_1;  y = A v^T -> [B, N, C] -> [B, C, h, w] (v is not split)
      out = BN(conv(y)) + x
  * GT(f, c) (f finer [B, C, hf, wf], c coarser [B, C, hc, wc]; output at f's size):
      q = theta(f) [B, C/2, Nf], k = phi(c) [B, C/2, Nc], v = g(c) [B, C/2, Nc]
      s_ij = -sum_ch (q_i - k_j)^2 = 2 q_i.k_j - |k_j|^2 - |q_i|^2 (the |q_i|^2 term cancels in
      the softmax); A = softmax over j (coarse positions, last axis) [B, Nf, Nc]
      y = A v^T -> [B, Nf, C/2] -> [B, C/2, hf, wf]; out = BN(W_z.0(y))  (W_z.1 = the BN)
  * RT(Q, K) (Q coarser [B, C, hq, wq], K = V finer, hk = 2^n hq):
      w  = relu(bn_low(conv1x1(mean over (h, w) of K)))        [B, C, 1, 1]
      qa = bn_high(conv3x3(Q)) * w                              [B, C, hq, wq]
      vd = bn_reduction(str_conv3x3(K)); then bn_reduction_i(str_conv3x3_i(vd)), i = 2..n
      out = relu(qa + vd)
  * Outputs (concat on channels in this order, then fpt_pk = 3x3 conv 5C -> C with bias):
      p5: ST(p5), RT(p5, p4), RT(p5, p3), RT(p5, p2), p5
      p4: ST(p4), RT(p4, p3), RT(p4, p2), GT(p4, p5), p4
      p3: ST(p3), RT(p3, p2), GT(p3, p4), GT(p3, p5), p3
      p2: ST(p2), GT(p2, p3), GT(p2, p4), GT(p2, p5), p2
"""

import math
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

# The tiny config (= tests/fixtures/fpt_tiny). Full: C 256, in 256/512/1024/2048, h2 = w2 = 128.
DEFAULTS = dict(batch=1, C=32, in2=16, in3=32, in4=64, in5=128, h2=32, w2=32)
INPUTS = ["c2", "c3", "c4", "c5"]
OUTPUTS = ["p2", "p3", "p4", "p5"]
LEVELS = (2, 3, 4, 5)


# ============================================================ self_trans.py

class MixtureOfSoftMax(nn.Module):
    """Mixture of n_mix softmaxes over channel groups of q/k, mixed by pi = softmax(W mean(q))."""

    def __init__(self, n_mix, d_k):
        super().__init__()
        self.temperature = math.sqrt(d_k)
        self.n_mix = n_mix
        self.d_k = d_k
        self.weight = nn.Parameter(torch.empty(n_mix, d_k))

    def forward(self, qt, kt, vt):
        B, d_k, N = qt.shape                                        # qt [B, d_k, N]
        m = self.n_mix
        d = d_k // m
        bar_qt = qt.mean(dim=2, keepdim=True)                       # [B, d_k, 1]
        pi = F.softmax(torch.matmul(self.weight, bar_qt), dim=1)    # [B, m, 1]
        pi = pi.view(B * m, 1, 1)
        q = qt.view(B * m, d, N).transpose(1, 2)                    # [B m, N, d]
        N2 = kt.shape[2]
        k = kt.view(B * m, d, N2)                                   # [B m, d, N2]
        v = vt.transpose(1, 2)                                      # [B, N2, d_v]
        attn = torch.bmm(q, k) / self.temperature
        attn = F.softmax(attn, dim=2)
        attn = (attn * pi).view(B, m, N, N2).sum(1)                 # [B, N, N2]
        return torch.bmm(attn, v)                                   # [B, N, d_v]


class SelfTrans(nn.Module):
    """n_head 1, kq_transform 'conv', value_transform 'conv', pooling True, concat False."""

    def __init__(self, d_model, n_mix=2):
        super().__init__()
        self.d_model = d_model
        self.pool = nn.AvgPool2d(3, 2, 1, count_include_pad=False)
        self.conv_qs = nn.Conv2d(d_model, d_model, 1)               # also conv_ks in the release
        self.conv_vs = nn.Conv2d(d_model, d_model, 1)
        self.attention = MixtureOfSoftMax(n_mix, d_model)
        self.conv = nn.Conv2d(d_model, d_model, 1, bias=False)
        self.norm_layer = nn.BatchNorm2d(d_model)

    def forward(self, x):
        residual = x
        b, c, h, w = x.shape
        xp = self.pool(x)
        assert xp.shape[2] * xp.shape[3] * 4 == h * w, "ST needs even h, w"
        qt = self.conv_qs(x).view(b, c, h * w)
        kt = self.conv_qs(xp).view(b, c, h * w // 4)
        vt = self.conv_vs(xp).view(b, c, h * w // 4)
        out = self.attention(qt, kt, vt)                            # [B, N, C]
        out = out.transpose(1, 2).contiguous().view(b, c, h, w)
        return self.norm_layer(self.conv(out)) + residual


# ============================================================ grounding_trans.py (paper form)

def neg_sq_dist(q, k):
    """s[b, i, j] = -||q[b, i] - k[b, j]||^2 for q [B, Nq, d], k [B, Nk, d] -> [B, Nq, Nk].

    Evaluated as -(|q_i|^2 - 2 q_i.k_j + |k_j|^2) in float64 (fast at the full size, where the
    literal difference tensor would be 16384 x 4096 x 128; float64 avoids the cancellation of the
    expanded form), then cast back. --selftest compares it with the literal form."""
    q64, k64 = q.double(), k.double()
    s = (2.0 * torch.bmm(q64, k64.transpose(1, 2)) - (q64 * q64).sum(-1, keepdim=True)
         - (k64 * k64).sum(-1).unsqueeze(1))
    return s.to(q.dtype)


class GroundTrans(nn.Module):
    """Top-down: queries from the finer map, keys/values from the coarser map."""

    def __init__(self, in_channels):
        super().__init__()
        self.in_channels = in_channels
        self.inter_channels = in_channels // 2
        self.g = nn.Conv2d(in_channels, self.inter_channels, 1)
        self.W_z = nn.Sequential(nn.Conv2d(self.inter_channels, in_channels, 1),
                                 nn.BatchNorm2d(in_channels))
        self.theta = nn.Conv2d(in_channels, self.inter_channels, 1)
        self.phi = nn.Conv2d(in_channels, self.inter_channels, 1)

    def forward(self, x_low, x_high):
        """x_low: the finer map (queries), x_high: the coarser map (keys, values)."""
        b = x_low.shape[0]
        ci = self.inter_channels
        g_x = self.g(x_high).view(b, ci, -1).permute(0, 2, 1)            # [B, Nc, C/2]
        theta_x = self.theta(x_low).view(b, ci, -1).permute(0, 2, 1)     # [B, Nf, C/2]
        phi_x = self.phi(x_high).view(b, ci, -1).permute(0, 2, 1)       # [B, Nc, C/2]
        f = neg_sq_dist(theta_x, phi_x)                                  # [B, Nf, Nc]
        f_div_C = F.softmax(f, dim=-1)
        y = torch.matmul(f_div_C, g_x)                                   # [B, Nf, C/2]
        y = y.permute(0, 2, 1).contiguous().view(b, ci, *x_low.shape[2:])
        return self.W_z(y)


# ============================================================ rendering_trans.py

class RenderTrans(nn.Module):
    """Bottom-up: Q = x_high (the coarser map), K = V = x_low (the finer map, 2^halvings x)."""

    def __init__(self, channels, halvings):
        super().__init__()
        self.halvings = halvings
        self.conv3x3 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn_low = nn.BatchNorm2d(channels)
        self.conv1x1 = nn.Conv2d(channels, channels, 1, bias=False)
        self.bn_high = nn.BatchNorm2d(channels)
        for i in range(1, halvings + 1):
            sfx = "" if i == 1 else f"_{i}"
            setattr(self, "str_conv3x3" + sfx,
                    nn.Conv2d(channels, channels, 3, stride=2, padding=1, bias=False))
            setattr(self, "bn_reduction" + sfx, nn.BatchNorm2d(channels))

    def forward(self, x_high, x_low):
        assert x_low.shape[2] == x_high.shape[2] << self.halvings
        x_low_gp = x_low.mean(dim=(2, 3), keepdim=True)       # = AvgPool2d(x_low.shape[2:])
        x_low_gp = F.relu(self.bn_low(self.conv1x1(x_low_gp)))
        x_high_mask = self.bn_high(self.conv3x3(x_high))
        x_att = x_high_mask * x_low_gp
        v = x_low
        for i in range(1, self.halvings + 1):
            sfx = "" if i == 1 else f"_{i}"
            v = getattr(self, "bn_reduction" + sfx)(getattr(self, "str_conv3x3" + sfx)(v))
        return F.relu(v + x_att)


# ============================================================ FPT.py

class FPT(nn.Module):
    def __init__(self, C, in_channels):
        super().__init__()
        for lvl in LEVELS:
            setattr(self, f"st_p{lvl}", SelfTrans(C, n_mix=2))
        for fine, coarse in ((4, 5), (3, 4), (3, 5), (2, 3), (2, 4), (2, 5)):
            setattr(self, f"gt_p{fine}_p{coarse}", GroundTrans(C))
        for coarse, fine in ((5, 4), (5, 3), (5, 2), (4, 3), (4, 2), (3, 2)):
            setattr(self, f"rt_p{coarse}_p{fine}", RenderTrans(C, coarse - fine))
        for lvl, cin in zip(LEVELS, in_channels):
            setattr(self, f"fpn_p{lvl}_1x1", nn.Conv2d(cin, C, 1))
        for lvl in LEVELS:
            setattr(self, f"fpt_p{lvl}", nn.Conv2d(C * 5, C, 3, padding=1))

    def forward(self, res2, res3, res4, res5):
        p5 = self.fpn_p5_1x1(res5)
        p4 = self.fpn_p4_1x1(res4)
        p3 = self.fpn_p3_1x1(res3)
        p2 = self.fpn_p2_1x1(res2)
        p5_cat = torch.cat((self.st_p5(p5), self.rt_p5_p4(p5, p4), self.rt_p5_p3(p5, p3),
                            self.rt_p5_p2(p5, p2), p5), 1)
        p4_cat = torch.cat((self.st_p4(p4), self.rt_p4_p3(p4, p3), self.rt_p4_p2(p4, p2),
                            self.gt_p4_p5(p4, p5), p4), 1)
        p3_cat = torch.cat((self.st_p3(p3), self.rt_p3_p2(p3, p2), self.gt_p3_p4(p3, p4),
                            self.gt_p3_p5(p3, p5), p3), 1)
        p2_cat = torch.cat((self.st_p2(p2), self.gt_p2_p3(p2, p3), self.gt_p2_p4(p2, p4),
                            self.gt_p2_p5(p2, p5), p2), 1)
        return (self.fpt_p2(p2_cat), self.fpt_p3(p3_cat), self.fpt_p4(p4_cat),
                self.fpt_p5(p5_cat))


# ============================================================ building, random weights

def build(cfg):
    assert cfg["C"] % 2 == 0, "C must be even (C/2 grounding channels, 2 mixture groups)"
    assert cfg["h2"] % 16 == 0 and cfg["w2"] % 16 == 0, "h2, w2 must be divisible by 16"
    return FPT(cfg["C"], [cfg[f"in{lvl}"] for lvl in LEVELS]).eval()


@torch.no_grad()
def randomize(model):
    """Convs N(0, 1/sqrt(fan_in)), biases N(0, 0.05); ST conv_qs x1.5 (sharper softmax);
    GT theta/phi x0.45 (the squared distance has no temperature: this keeps the logits' spread
    at a few units, neither uniform nor one-hot); mixture weights N(0, 2/sqrt(C));
    BatchNorm weight 1 + N(0, 0.1), bias N(0, 0.05), running_mean N(0, 0.1),
    running_var U(0.5, 1.5)."""
    for name, m in model.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.normal_(1.0, 0.1)
            m.bias.normal_(0.0, 0.05)
            m.running_mean.normal_(0.0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
        elif isinstance(m, nn.Conv2d):
            gain = 1.0
            if name.endswith(".conv_qs"):
                gain = 1.5
            elif name.endswith(".theta") or name.endswith(".phi"):
                gain = 0.45
            common.fan_in_normal_(m.weight, m.weight[0].numel(), gain)
            if m.bias is not None:
                m.bias.normal_(0.0, 0.05)
        elif isinstance(m, MixtureOfSoftMax):
            common.fan_in_normal_(m.weight, m.d_k, 2.0)


def make_inputs(cfg):
    b, h, w = cfg["batch"], cfg["h2"], cfg["w2"]
    return {f"c{lvl}": torch.randn(b, cfg[f"in{lvl}"], h >> (lvl - 2), w >> (lvl - 2))
            for lvl in LEVELS}


def run(model, inputs):
    with torch.no_grad():
        outs = model(inputs["c2"], inputs["c3"], inputs["c4"], inputs["c5"])
    return dict(zip(OUTPUTS, outs))


def generate(out_dir, cfg, seed):
    common.seed_all(seed)
    model = build(cfg)
    randomize(model)
    inputs = make_inputs(cfg)
    outs = run(model, inputs)
    sd = model.state_dict()
    sd = {k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")}
    common.write_case(out_dir, cfg, sd, {k: common.to_numpy(v) for k, v in inputs.items()},
                      {k: common.to_numpy(v) for k, v in outs.items()}, list(DEFAULTS))


# ============================================================ self-test

def attention_stats(model, inputs):
    """Mean over queries of the largest attention weight, per ST / GT module."""
    stats = {}
    hooks = []

    def st_hook(name):
        def fn(mod, args, out):
            qt, kt, vt = args
            B, d_k, N = qt.shape
            d = d_k // mod.n_mix
            a = F.softmax(torch.bmm(qt.view(B * mod.n_mix, d, N).transpose(1, 2),
                                    kt.view(B * mod.n_mix, d, -1)) / mod.temperature, dim=2)
            pi = F.softmax(torch.matmul(mod.weight, qt.mean(2, keepdim=True)), dim=1)
            stats[name] = (float(a.max(-1).values.mean()), float(pi.max()), a.shape[-1])
        return fn

    for name, m in model.named_modules():
        if isinstance(m, MixtureOfSoftMax):
            hooks.append(m.register_forward_hook(st_hook(name)))
    run(model, inputs)
    for h in hooks:
        h.remove()
    for name, m in model.named_modules():
        if isinstance(m, GroundTrans):
            lvl_f, lvl_c = int(name[4]), int(name[7])
            f = model.__getattr__(f"fpn_p{lvl_f}_1x1")(inputs[f"c{lvl_f}"])
            c = model.__getattr__(f"fpn_p{lvl_c}_1x1")(inputs[f"c{lvl_c}"])
            b, ci = f.shape[0], m.inter_channels
            s = neg_sq_dist(m.theta(f).view(b, ci, -1).permute(0, 2, 1),
                            m.phi(c).view(b, ci, -1).permute(0, 2, 1))
            a = F.softmax(s, -1)
            stats[name] = (float(a.max(-1).values.mean()), float(s.std(-1).mean()), a.shape[-1])
    return stats


def selftest():
    ok = True
    for cfg in (DEFAULTS, dict(DEFAULTS, batch=2, C=48, h2=48, w2=32)):
        common.seed_all(1)
        model = build(cfg)
        randomize(model)
        inputs = make_inputs(cfg)
        with torch.no_grad():
            out32 = run(model, inputs)
            out64 = run(model.double(), {k: v.double() for k, v in inputs.items()})
            model.float()
            stats = attention_stats(model, inputs)
        for k in OUTPUTS:
            err = common.rel_l2(out32[k].numpy(), out64[k].numpy())
            print(f"{cfg}: {k} {list(out32[k].shape)} std {float(out32[k].std()):.3f} "
                  f"float32 vs float64 rel L2 {err:.2e}")
            ok &= err < 1e-5
        for k, (mx, extra, n) in stats.items():
            what = "max pi" if "st_" in k else "logit std"
            print(f"  {k:22s} mean max attention {mx:.3f} over {n} keys; {what} {extra:.3f}")
    # ST and GT against independent einsum formulations (channel groups, axes, transposes)
    torch.manual_seed(2)
    st, gt = SelfTrans(16).eval(), GroundTrans(16).eval()
    randomize(st)
    randomize(gt)
    x, f = torch.randn(2, 16, 8, 6), torch.randn(2, 16, 16, 12)
    with torch.no_grad():
        q = st.conv_qs(x).flatten(2)                                        # [B, C, N]
        xp = F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)
        k, v = st.conv_qs(xp).flatten(2), st.conv_vs(xp).flatten(2)         # [B, C, N2]
        pi = F.softmax(torch.einsum("mc,bc->bm", st.attention.weight, q.mean(2)), dim=1)
        a = F.softmax(torch.einsum("bmcn,bmck->bmnk", q.view(2, 2, 8, -1), k.view(2, 2, 8, -1))
                      / 4.0, dim=-1)
        y = torch.einsum("bnk,bck->bcn", torch.einsum("bm,bmnk->bnk", pi, a), v).view(x.shape)
        ref = st.norm_layer(st.conv(y)) + x
        err_st = common.rel_l2(st(x).numpy(), ref.numpy())
        qg, kg, vg = gt.theta(f).flatten(2), gt.phi(x).flatten(2), gt.g(x).flatten(2)
        s = -((qg[:, :, :, None] - kg[:, :, None, :]) ** 2).sum(1)          # literal, [B, Nf, Nc]
        y = torch.einsum("bnk,bck->bcn", F.softmax(s, -1), vg).view(2, 8, 16, 12)
        err_gt = common.rel_l2(gt(f, x).numpy(), gt.W_z(y).numpy())
    print(f"ST vs einsum form: rel L2 {err_st:.2e}; GT vs literal-distance form: {err_gt:.2e}")
    ok &= err_st < 1e-6 and err_gt < 1e-5
    # the repeated stride-2 convs of the RT equal the release's single conv for a 2x gap
    rt = RenderTrans(8, 1).eval()
    randomize(rt)
    q, k = torch.randn(1, 8, 4, 4), torch.randn(1, 8, 8, 8)
    with torch.no_grad():
        w = F.relu(rt.bn_low(rt.conv1x1(F.avg_pool2d(k, k.shape[2:]))))
        ref = F.relu(rt.bn_reduction(rt.str_conv3x3(k)) + rt.bn_high(rt.conv3x3(q)) * w)
        err = common.rel_l2(rt(q, k).numpy(), ref.numpy())
    print(f"RT 2x gap vs the released formula: rel L2 {err:.2e}")
    ok &= err < 1e-6
    # full-size state dict
    full = dict(DEFAULTS, C=256, in2=256, in3=512, in4=1024, in5=2048, h2=128, w2=128)
    sd = build(full).state_dict()
    sd = {k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")}
    n = sum(v.numel() for v in sd.values())
    for k in ("fpn_p5_1x1.weight", "st_p2.conv_qs.weight", "st_p2.attention.weight",
              "st_p2.norm_layer.running_var", "gt_p2_p5.W_z.1.weight", "gt_p3_p4.theta.bias",
              "rt_p5_p2.str_conv3x3_3.weight", "rt_p5_p2.bn_reduction_3.running_mean",
              "rt_p3_p2.bn_high.bias", "fpt_p2.weight"):
        if k not in sd:
            print("missing", k)
            ok = False
    if "rt_p3_p2.str_conv3x3_2.weight" in sd:
        ok = False
    print(f"FPT full state dict: {len(sd)} tensors, {n / 1e6:.3f} M values (incl. BN statistics)")
    print("selftest", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    common.check_env()
    if "--selftest" in sys.argv[1:]:
        sys.exit(selftest())
    sys.exit(common.main(__doc__.splitlines()[0], DEFAULTS, generate))
