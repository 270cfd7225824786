#!/usr/bin/env python3
"""The measuring half of scripts/gpu-check.sh (see there); prints a report to stdout.

  gpu_check.py fixtures --dir DIR --device cpu|cuda
      runs DIR/<fixture>.tsm (compiled by `gpu-check.sh prepare`) with DIR/tessera-run on
      every fixture's inputs and compares each output with the fixture's expected_<output>.npy
      (PyTorch's result): relative L2 <= --tol (1e-4) for floats; integer outputs (DETR's
      labels) report their mismatch rate and fail above 1 % (near-ties may flip). Exit 1 when
      any fixture fails.
  gpu_check.py timings --dir DIR [--iterations N]
      ViT-B/16 at batch 1 and 64, iGPT-S (1024 tokens) and iGPT at 4096 tokens: Tessera on the
      GPU (DIR/tessera-run, the modules' seeded weights) against PyTorch fp32 on the same GPU
      (random weights of the same shapes; timings only, TF32 off), eager attention and SDPA,
      every engine warmed up, then timed one call at a time with the GPU synchronized; then
      ViT-B/16 batch 64 built with --precision tf32 against PyTorch with TF32 on; every
      fp32 model is also timed with --cuda-graph.
      Fixture modules DIR/<fixture>@tf32.tsm / @bf16.tsm are checked against the fp32
      reference with the documented bounds 2e-3 / 1.6e-2.

Needs numpy; the timings also torch, timm and transformers (all on the GPU machine's image).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")


def tessera_run(d, args, timeout=120):
    cmd = [os.path.join(d, "tessera-run")] + args
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def rel_l2(got, want):
    got = got.astype(np.float64)
    want = want.astype(np.float64)
    norm = np.linalg.norm(want)
    diff = np.linalg.norm(got - want)
    return diff / norm if norm else diff


# Modules built with --precision tf32 / bf16 (DIR/<fixture>@tf32.tsm) and their documented
# bounds (relative L2 against PyTorch fp32).
PRECISIONS = [("", None), ("@tf32", 2e-3), ("@bf16", 1.6e-2)]


def fixtures(args):
    failed = 0
    out_dir = tempfile.mkdtemp(prefix="gpu-check-")
    runs = [(name, suffix, tol) for name in sorted(os.listdir(FIXTURES))
            for suffix, tol in PRECISIONS]
    for fixture, suffix, tol in runs:
        tol = tol or args.tol
        name = fixture + suffix
        fdir = os.path.join(FIXTURES, fixture)
        tsm = os.path.join(args.dir, name + ".tsm")
        if not os.path.isdir(fdir) or not os.path.exists(tsm):
            continue
        if suffix and args.device != "cuda":
            continue  # the precision applies to the GPU's matrix products only
        files = sorted(f for f in os.listdir(fdir) if f.endswith(".npy"))
        inputs = [f[:-4] for f in files if not f.startswith("expected_")]
        # expected_attention_*: the probabilities of --expose-attention builds, not built here.
        outputs = [f[len("expected_"):-4] for f in files
                   if f.startswith("expected_") and not f.startswith("expected_attention_")]
        cmd = [tsm, "--device", args.device]
        for i in inputs:
            cmd += ["--input", "%s=%s" % (i, os.path.join(fdir, i + ".npy"))]
        for o in outputs:
            cmd += ["--output", "%s=%s" % (o, os.path.join(out_dir, "%s.%s.npy" % (name, o)))]
        start = time.perf_counter()
        rc, text = tessera_run(args.dir, cmd)
        seconds = time.perf_counter() - start
        if rc != 0:
            print("FAIL %-20s tessera-run exit %d: %s" % (name, rc, text.strip()[-400:]))
            failed += 1
            continue
        worst, notes, ok = 0.0, [], True
        for o in outputs:
            got = np.load(os.path.join(out_dir, "%s.%s.npy" % (name, o)))
            want = np.load(os.path.join(fdir, "expected_%s.npy" % o))
            if got.shape != want.shape:
                notes.append("%s: shape %s, expected %s" % (o, got.shape, want.shape))
                ok = False
            elif np.issubdtype(want.dtype, np.integer):
                rate = float(np.mean(got != want))
                notes.append("%s mismatch %.3g" % (o, rate))
                ok &= rate <= 0.01
            else:
                e = rel_l2(got, want)
                worst = max(worst, e)
                notes.append("%s %.2e" % (o, e))
                ok &= e <= tol
        print("%s %-20s %s (%.1f s, relative L2 vs PyTorch; bound %g)"
              % ("ok  " if ok else "FAIL", name, ", ".join(notes), seconds, tol))
        failed += 0 if ok else 1
    print("fixtures on %s: %s" % (args.device, "all agree" if not failed else "%d failed" % failed))
    return 1 if failed else 0


def tessera_latency(d, tsm, iterations, extra=()):
    rc, text = tessera_run(d, ["bench", tsm, "--device", "cuda", "--iterations",
                               str(iterations), "--warmup", "3", "--json"] + list(extra),
                           timeout=200)
    if rc != 0:
        raise RuntimeError(text.strip()[-400:])
    import json
    j = json.loads(text[text.index("{"):])
    return j["latency_ms"]["median"], j["latency_ms"]["min"], j


def torch_latency(model, inputs, iterations):
    import torch
    with torch.inference_mode():
        for _ in range(3):
            model(*inputs)
        torch.cuda.synchronize()
        times = []
        for _ in range(iterations):
            start = time.perf_counter()
            model(*inputs)
            torch.cuda.synchronize()
            times.append((time.perf_counter() - start) * 1e3)
    times.sort()
    return times[len(times) // 2], times[0]


def timings(args):
    import torch
    dev = torch.device("cuda")
    rows = []
    for tf32 in (False, True):
        # PyTorch at the same precision as the module: TF32 matrix products only for @tf32.
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        timing_table(args, torch, dev, tf32)
    return 0


def timing_table(args, torch, dev, tf32):
    print("torch %s on %s, %s" % (torch.__version__, torch.cuda.get_device_name(0),
                                  "TF32 on (Tessera --precision tf32)" if tf32 else "fp32"))

    def vit(batch, sdpa):
        from timm.models.vision_transformer import VisionTransformer
        m = VisionTransformer(img_size=224, patch_size=16, embed_dim=768, depth=12, num_heads=12,
                              mlp_ratio=4, qkv_bias=True, num_classes=1000).eval().to(dev)
        for blk in m.blocks:
            blk.attn.fused_attn = sdpa
        return m, (torch.randn(batch, 3, 224, 224, device=dev),)

    def igpt(size, dim, depth, heads, sdpa):
        from transformers import ImageGPTConfig, ImageGPTForCausalImageModeling
        conf = ImageGPTConfig(vocab_size=513, n_positions=size * size, n_embd=dim,
                              n_layer=depth, n_head=heads)
        try:
            conf._attn_implementation = "sdpa" if sdpa else "eager"
        except Exception:
            pass
        m = ImageGPTForCausalImageModeling(conf).eval().to(dev)
        ids = torch.randint(0, 512, (1, size * size), device=dev)
        return (lambda x: m(input_ids=x)), (ids,)

    cases = [("ViT-B/16 224, batch 1", "vit_b1", 1, lambda s: vit(1, s)),
             ("ViT-B/16 224, batch 64", "vit_b64", 64, lambda s: vit(64, s)),
             ("iGPT-S 32x32 (1024 tokens)", "igpt_s", 1, lambda s: igpt(32, 512, 24, 8, s)),
             ("iGPT 64x64 (4096 tokens), d 128, 2 heads", "igpt_4096", 1,
              lambda s: igpt(64, 128, 4, 2, s))]
    if tf32:
        cases = [("ViT-B/16 224, batch 64, TF32", "vit_b64@tf32", 64, lambda s: vit(64, s))]
    print("| model | Tessera ms (median / min) | PyTorch eager | PyTorch SDPA | images/s Tessera / eager |")
    print("|---|---|---|---|---|")
    for label, name, batch, make in cases:
        tsm = os.path.join(args.dir, name + ".tsm")
        try:
            t_med, t_min, j = tessera_latency(args.dir, tsm, args.iterations)
        except Exception as e:  # report and go on: one failing model must not hide the rest
            print("| %s | failed: %s | | | |" % (label, str(e).replace("\n", " ")[:200]))
            continue
        res = {}
        for sdpa in (False, True):
            try:
                model, inputs = make(sdpa)
                res[sdpa] = torch_latency(model, inputs, args.iterations)
                del model
                torch.cuda.empty_cache()
            except Exception as e:
                res[sdpa] = None
                print("# torch %s %s failed: %s" % (label, "sdpa" if sdpa else "eager", e))
        fmt = lambda r: "%.2f / %.2f (%.2fx)" % (r[0], r[1], r[0] / t_med) if r else "n/a"
        ips = "%.0f / %s" % (batch * 1e3 / t_med,
                             "%.0f" % (batch * 1e3 / res[False][0]) if res[False] else "n/a")
        print("| %s | %.2f / %.2f | %s | %s | %s |" % (label, t_med, t_min, fmt(res[False]),
                                                     fmt(res[True]), ips))
        slow = sorted(j["dispatches"], key=lambda d: -d["median_ms"])[:5]
        print("#   slowest dispatches: " + ", ".join("%s %.2f ms" % (d["name"], d["median_ms"])
                                                     for d in slow))
        if not tf32:
            try:
                g_med, g_min, _ = tessera_latency(args.dir, tsm, args.iterations, ["--cuda-graph"])
                print("#   with --cuda-graph: %.2f / %.2f ms" % (g_med, g_min))
            except Exception as e:
                print("#   with --cuda-graph: failed: %s" % str(e).replace("\n", " ")[:200])
    print("(ratio = PyTorch median / Tessera median; above 1: Tessera faster)")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fixtures")
    f.add_argument("--dir", required=True)
    f.add_argument("--device", choices=["cpu", "cuda"], default="cuda")
    f.add_argument("--tol", type=float, default=1e-4)
    t = sub.add_parser("timings")
    t.add_argument("--dir", required=True)
    t.add_argument("--iterations", type=int, default=10)
    args = ap.parse_args(argv)
    return fixtures(args) if args.cmd == "fixtures" else timings(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
