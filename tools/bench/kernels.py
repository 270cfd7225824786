#!/usr/bin/env python3
"""GFLOP/s and percent of the measured fp32 FMA peak of Tessera's contraction kernels at the
shapes the models use (dev-time; run by hand, never a test).

    tools/bench/kernels.py [--set vit|resnet|all] [--threads T] [--iterations N] [--rounds R]
                           [--json FILE]

Each shape is a one-op graph (a linear, or a conv2d without bias) compiled by
build/bin/tessera with its default pipeline and timed by `tessera bench --json` (warm-up, then
single timed runs; the dispatch's median time). Rounds interleave the shapes, and each round
measures the peak again (`tessera-peak`), so that every percentage divides by a peak measured
next to it. Reported per shape: the median and best GFLOP/s over the rounds and the percent of
the peak of the same round.

Sets:
  vit     ViT-B/16 GEMMs: M = 197 tokens; (K, N) = (768, 2304) qkv, (768, 768) proj,
          (768, 3072) fc1, (3072, 768) fc2
  resnet  3x3 stride-1 convolutions of ResNet-50's layer2, layer3, layer4 at an 800x800 input
          (DETR-R50): 128 ch at 100x100, 256 ch at 50x50, 512 ch at 25x25; and layer1's
          64 ch at 200x200
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "build", "bin")

GEMM = """config M = {m}, K = {k}, N = {n}
param fc.weight: f32[N, K]
param fc.bias: f32[N]
graph g(x: f32[M, K]) -> (y: f32[M, N]) {{ return linear(x, fc) }}
"""
CONV = """config C = {c}, H = {h}, O = {o}
param conv.weight: f32[O, C, {k}, {k}]
graph g(x: f32[1, C, H, H]) -> (y: f32[1, O, H, H]) {{
  return conv2d(x, conv, out = O, kernel = {k}, padding = {p}, bias = false)
}}
"""

SETS = {
    "vit": [("gemm M197 K768 N2304", GEMM.format(m=197, k=768, n=2304)),
            ("gemm M197 K768 N768", GEMM.format(m=197, k=768, n=768)),
            ("gemm M197 K768 N3072", GEMM.format(m=197, k=768, n=3072)),
            ("gemm M197 K3072 N768", GEMM.format(m=197, k=3072, n=768))],
    "resnet": [("conv3x3 64ch 200x200", CONV.format(c=64, o=64, h=200, k=3, p=1)),
               ("conv3x3 128ch 100x100", CONV.format(c=128, o=128, h=100, k=3, p=1)),
               ("conv3x3 256ch 50x50", CONV.format(c=256, o=256, h=50, k=3, p=1)),
               ("conv3x3 512ch 25x25", CONV.format(c=512, o=512, h=25, k=3, p=1))],
}


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)}\n{p.stderr}")
    return p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", choices=["vit", "resnet", "all"], default="all")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=20, help="timed runs per measurement")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds over the shapes")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = ap.parse_args()
    shapes = SETS["vit"] + SETS["resnet"] if args.set == "all" else SETS[args.set]

    work = tempfile.mkdtemp(prefix="tessera-kernels-")
    modules = []
    for name, text in shapes:
        tg = os.path.join(work, name.replace(" ", "_") + ".tg")
        with open(tg, "w") as f:
            f.write(text)
        tsm = tg[:-3] + ".tsm"
        run([os.path.join(BIN, "tessera"), "compile", tg, "-o", tsm])
        modules.append((name, tsm))

    results = {name: [] for name, _ in modules}  # (gflops, percent)
    for _ in range(args.rounds):
        for name, tsm in modules:
            out = json.loads(run([os.path.join(BIN, "tessera"), "bench", tsm, "--json",
                                  "--threads", str(args.threads),
                                  "--iterations", str(args.iterations), "--warmup", "3"]))
            # The kernel: the dispatch with the most flops.
            kernel = max(out["dispatches"], key=lambda d: d["flops"])
            results[name].append((kernel["gflops"], kernel["percent_of_peak"],
                                  out["peak_gflops"]))

    with open("/proc/cpuinfo") as f:
        cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            stdout=subprocess.PIPE, text=True).stdout.strip()
    print(f"# {cpu}, {args.threads} threads, commit {commit}, load {os.getloadavg()[0]:.2f}")
    print(f"# tools/bench/kernels.py --set {args.set} --threads {args.threads} "
          f"--iterations {args.iterations} --rounds {args.rounds}")
    print("| shape | GFLOP/s median | GFLOP/s best | % of peak median | % of peak best | peak GFLOP/s |")
    print("|---|---|---|---|---|---|")
    table = []
    for name, _ in modules:
        r = results[name]
        row = {"shape": name, "gflops_median": statistics.median(x[0] for x in r),
               "gflops_best": max(x[0] for x in r),
               "percent_median": statistics.median(x[1] for x in r),
               "percent_best": max(x[1] for x in r),
               "peak_median": statistics.median(x[2] for x in r)}
        table.append(row)
        print(f"| {name} | {row['gflops_median']:.0f} | {row['gflops_best']:.0f} | "
              f"{row['percent_median']:.1f} | {row['percent_best']:.1f} | {row['peak_median']:.0f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"cpu": cpu, "threads": args.threads, "commit": commit, "rows": table}, f,
                      indent=1)


if __name__ == "__main__":
    main()
