#!/usr/bin/python3
"""LambdaResNet reference: torchvision ResNet-50 with lambda layers (lambda-networks 0.4.0), eval.

    python3 tests/reference/lambda_resnet_ref.py --out DIR [-D name=value ...] [--seed N]
    python3 tests/reference/lambda_resnet_ref.py --selftest   # vs torchvision resnet50 etc.

Model: torchvision ResNet v1.5 (torchvision.models.resnet.Bottleneck, stride on the 3x3,
BatchNorm2d in eval mode, 7x7/2 stem without bias + BN + ReLU + 3x3/2 max pool (pad 1),
1x1 downsample conv + BN in the first block of every stage, global average pool, fc), rebuilt
here with the same module names so that the width is configurable (stem = `width` channels,
stage planes width, 2w, 4w, 8w, expansion 4; width 64, blocks 3/4/6/3 is exactly
torchvision's resnet50, checked by --selftest). Then the 3x3 `conv2` of
    the LAST block of layer3 and ALL blocks of layer4
is replaced by LambdaLayer(dim=planes, dim_out=planes, dim_k=lambda_k, heads=lambda_heads,
dim_u=lambda_u, r=lambda_r) (lucidrains' lambda_networks.LambdaLayer; lambda_r = 0 gives
global position lambdas with rel_pos_emb sized for the block's input map n x n, odd lambda_r
local ones). In a stride-2 block (layer4.0; also layer3.0 when blocks3 = 1) conv2 becomes
nn.Sequential(LambdaLayer, nn.AvgPool2d(3, stride=2, padding=1)): the lambda layer runs at the
block's input resolution and the pool (count_include_pad=True: always divides by 9) halves it.
Keys: layer4.0.conv2.0.to_q.weight (stride 2), layer3.5.conv2.to_q.weight (stride 1).
This placement is our choice; the LambdaNetworks paper places lambda layers differently per
variant (c4 partly and/or c5; hybrid ablations in its Table 4 / LambdaResNet family in the
appendix), so this is "a" LambdaResNet-50, not a particular checkpoint's layout.

Config (names of models/lambda_resnet.tg): batch, img_size, classes, width, blocks1..blocks4,
lambda_k, lambda_heads, lambda_u, lambda_r. The defaults are the full LambdaResNet-50 at 224
(width 64, blocks 3/4/6/3, k 16, heads 4, u 4, r 23: local, padding 11, fine on the 14x14 and
7x7 maps), unlike the other *_ref.py scripts whose defaults are the tiny configs; the tiny
fixture (make_fixtures.sh) is img_size 64, width 8, blocks 1/1/2/1, classes 10, lambda_k 8,
lambda_heads 2, lambda_u 2, lambda_r 5, batch 1.
Input  image  f32[batch, 3, img_size, img_size], uniform in [-1, 1].
Output logits f32[batch, classes].
Parameters: state_dict keys (conv1.weight, bn1.*, layerL.B.{conv1,bn1,conv2,bn2,conv3,bn3}.*,
layerL.0.downsample.{0,1}.*, fc.*; lambda blocks: layerL.B.conv2[.0].{to_q,to_k,to_v}.weight,
norm_q.*, norm_v.*, rel_pos_emb or pos_conv.{weight,bias}); integer buffers
(num_batches_tracked, and the LambdaLayer's rel_pos, which is not in the state_dict) are not saved.

Random weights (seeded): convs N(0, sqrt(2 / fan_in)) (He); BatchNorm weight 1 + N(0, 0.1),
bias N(0, 0.05); fc N(0, 1/sqrt(in)), bias N(0, 0.05); lambda layers as in
lambda_ref.randomize_layer (to_q, to_v N(0, 1/sqrt(dim)), to_k N(0, 2/sqrt(dim)), rel_pos_emb
N(0, 1/sqrt(n*n*u)), pos_conv N(0, 1/sqrt(u*r*r)), bias N(0, 0.05)). BatchNorm running
statistics (all BNs, norm_q / norm_v of the lambda layers included) are then calibrated on a
separate batch of 8 random images (see calibrate_bn: running_var = the BN input's
per-channel second moment * U(0.5, 1.5), running_mean = N(0, 0.1) * its RMS); with purely
random statistics the lambda layers, which are bilinear in their input, make a random
LambdaResNet-50 overflow float32.
"""

import math
import os
import sys

import torch
import torch.nn as nn
from torchvision.models.resnet import Bottleneck

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import lambda_ref  # noqa: E402

DEFAULTS = dict(batch=1, img_size=224, classes=1000, width=64, blocks1=3, blocks2=4, blocks3=6,
                blocks4=3, lambda_k=16, lambda_heads=4, lambda_u=4, lambda_r=23)
TINY = dict(batch=1, img_size=64, classes=10, width=8, blocks1=1, blocks2=1, blocks3=2,
            blocks4=1, lambda_k=8, lambda_heads=2, lambda_u=2, lambda_r=5)
INPUTS = ["image"]
OUTPUTS = ["logits"]


def halve(s):
    """Output size of the 7x7/2 p3 stem conv, the 3x3/2 p1 max pool, a 3x3/2 p1 conv and the
    3x3/2 p1 avg pool alike: floor((s - 1) / 2) + 1."""
    return (s - 1) // 2 + 1


class ResNet(nn.Module):
    """torchvision.models.resnet.ResNet (Bottleneck) with a configurable base width."""

    def __init__(self, width, layers, num_classes):
        super().__init__()
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(width, layers[0])
        self.layer2 = self._make_layer(2 * width, layers[1], stride=2)
        self.layer3 = self._make_layer(4 * width, layers[2], stride=2)
        self.layer4 = self._make_layer(8 * width, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8 * width * Bottleneck.expansion, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * Bottleneck.expansion, 1, stride=stride,
                          bias=False),
                nn.BatchNorm2d(planes * Bottleneck.expansion))
        layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * Bottleneck.expansion
        for _ in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def lambda_blocks(cfg):
    """[(layer name, block index)] whose conv2 is a lambda layer."""
    return [("layer3", cfg["blocks3"] - 1)] + [("layer4", i) for i in range(cfg["blocks4"])]


def build(cfg, with_lambda=True):
    for i in range(1, 5):
        assert cfg[f"blocks{i}"] >= 1, "every stage needs at least one block"
    model = ResNet(cfg["width"], [cfg[f"blocks{i}"] for i in range(1, 5)], cfg["classes"])
    if with_lambda:
        # Input map size of each block: stem conv and max pool halve, then layers 2-4 halve in
        # their first block (whose lambda layer runs before the stride, at the input size).
        s = halve(halve(cfg["img_size"]))
        size_in = {"layer1": (s, s)}          # (block 0 input, later blocks' input)
        for name in ("layer2", "layer3", "layer4"):
            size_in[name] = (s, halve(s))
            s = halve(s)
        for lname, bi in lambda_blocks(cfg):
            block = getattr(model, lname)[bi]
            planes = block.conv2.out_channels
            stride = block.conv2.stride[0]
            n = size_in[lname][0 if bi == 0 else 1]
            assert planes % cfg["lambda_heads"] == 0, \
                f"{lname}: planes {planes} not a multiple of lambda_heads {cfg['lambda_heads']}"
            lam = lambda_ref.make_layer(planes, planes, cfg["lambda_k"], cfg["lambda_heads"],
                                        cfg["lambda_u"], n, cfg["lambda_r"])
            if stride == 2:
                block.conv2 = nn.Sequential(lam, nn.AvgPool2d(3, stride=2, padding=1))
            else:
                block.conv2 = lam
    return model.eval()


@torch.no_grad()
def randomize(model):
    """Random weights; BatchNorm running statistics are set afterwards by calibrate_bn."""
    for name, m in model.named_modules():
        if isinstance(m, lambda_ref.LambdaLayer):
            lambda_ref.randomize_layer(m)
        elif isinstance(m, nn.BatchNorm2d):
            if not (".norm_q" in name or ".norm_v" in name):    # done by randomize_layer
                lambda_ref.randomize_bn(m)
        elif isinstance(m, nn.Conv2d) and ".to_" not in name and "pos_conv" not in name:
            m.weight.normal_(0.0, math.sqrt(2.0 / m.weight[0].numel()))
        elif isinstance(m, nn.Linear):
            common.fan_in_normal_(m.weight, m.weight.shape[1])
            m.bias.normal_(0.0, 0.05)


@torch.no_grad()
def calibrate_bn(model, images):
    """Sets every BatchNorm2d's running statistics from its actual input on `images`, in forward
    order (so each BN sees the already calibrated layers before it), with noise:
        running_mean = N(0, 0.1) * rms_c
        running_var  = (ms_c + 0.1 * mean over channels of ms + 1e-3) * U(0.5, 1.5)
    where ms_c = mean of x^2 over batch and positions (the second moment, not the variance:
    subtracting the actual mean would cancel a large common component and make the float32
    result ill-conditioned, 1e-4 vs float64 on LambdaResNet-50 instead of 8e-6).
    Without this, random running statistics do not normalize anything: the residual stream grows
    block after block and every lambda layer (bilinear in its input: q times v) squares the
    scale, so a random LambdaResNet-50 overflows float32."""
    def pre_hook(m, inputs):
        x = inputs[0]
        ms = x.pow(2).mean((0, 2, 3))
        m.running_mean.copy_(0.1 * ms.sqrt() * torch.randn_like(ms))
        m.running_var.copy_((ms + 0.1 * ms.mean() + 1e-3) * torch.empty_like(ms).uniform_(0.5, 1.5))

    handles = [m.register_forward_pre_hook(pre_hook) for m in model.modules()
               if isinstance(m, nn.BatchNorm2d)]
    try:
        model(images)
    finally:
        for h in handles:
            h.remove()


CALIB_BATCH = 8


def make(cfg, seed):
    common.seed_all(seed)
    model = build(cfg)
    randomize(model)
    s = cfg["img_size"]
    calibrate_bn(model, torch.rand(CALIB_BATCH, 3, s, s) * 2 - 1)
    image = torch.rand(cfg["batch"], 3, s, s) * 2 - 1
    return model, image


def generate(out_dir, cfg, seed):
    model, image = make(cfg, seed)
    with torch.no_grad():
        logits = model(image)
    assert logits.shape == (cfg["batch"], cfg["classes"])
    common.write_case(out_dir, cfg, lambda_ref.state_dict_floats(model),
                      {"image": common.to_numpy(image)}, {"logits": common.to_numpy(logits)},
                      list(DEFAULTS))


# ----------------------------------------------------------------------------- selftest

def selftest():
    import torchvision
    ok = True
    # 1. The configurable ResNet at width 64 (no lambda) is torchvision's resnet50.
    torch.manual_seed(0)
    ours = build(dict(DEFAULTS, classes=10), with_lambda=False)
    randomize(ours)
    tv = torchvision.models.resnet50(num_classes=10).eval()
    tv.load_state_dict(ours.state_dict(), strict=True)
    x = torch.rand(1, 3, 96, 96) * 2 - 1
    with torch.no_grad():
        err = common.rel_l2(ours(x).numpy(), tv(x).numpy())
    print(f"ResNet width 64 [3,4,6,3] vs torchvision resnet50: rel L2 {err:.1e}")
    ok &= err < 1e-6
    # 2. Keys, sizes and conditioning of a few configs.
    for name, cfg in [("tiny", TINY), ("tiny global", dict(TINY, lambda_r=0)),
                      ("tiny blocks3=1", dict(TINY, blocks3=1, img_size=48)),
                      ("LambdaResNet-50", DEFAULTS),
                      ("LambdaResNet-50 global", dict(DEFAULTS, lambda_r=0, lambda_u=1))]:
        model, image = make(cfg, 0)
        sd = lambda_ref.state_dict_floats(model)
        nparam = sum(v.numel() for v in sd.values())
        image2 = torch.rand_like(image) * 2 - 1
        with torch.no_grad():
            y = model(image)
            y2 = model(image2)
            y64 = model.double()(image.double())
        cond = common.rel_l2(y.numpy(), y64.numpy())
        dimg = common.rel_l2(y2.numpy(), y.numpy())
        lam = [k for k in sd if k.endswith("to_q.weight")]
        print(f"{name}: {nparam / 1e6:.2f} M params; lambda layers {lam}; logits std "
              f"{y.std().item():.2f} mean {y.mean().item():.2f}; other image differs by "
              f"{dimg:.2f}; f32 vs f64 {cond:.1e}")
        ok &= cond < 3e-5 and dimg > 0.05 and y.std().item() > 0.1
    print("selftest", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    common.check_env()
    if "--selftest" in sys.argv[1:]:
        sys.exit(selftest())
    sys.exit(common.main(__doc__.splitlines()[0], DEFAULTS, generate))
