#!/usr/bin/python3
"""Batch-1 CPU latency of Tessera against ONNX Runtime and PyTorch eager (dev-time only).

    /usr/bin/python3 tools/bench/peers.py --model vit|igpt [-D name=value ...]
                                          [--iterations N] [--warmup W] [--threads T] [--seed S]
    /usr/bin/python3 tools/bench/peers.py --preset all [--iterations N] [--threads T]

For one model/config (names and defaults of tests/reference/<model>_ref.py, except batch = 1):
  1. writes a reference case with tests/reference/<model>_ref.py (random seeded weights as
     weights.safetensors under the .tg parameter names, a random input, config.txt);
  2. `tessera compile models/<model>.tg --weights weights.safetensors <config.txt>`;
  3. rebuilds the PyTorch model from weights.safetensors (timm ViT; for iGPT the whole pipeline
     of models/igpt.tg: palette argmin + shift + HF ImageGPT + lm_head + feature mean) and
     exports it to ONNX (torch.onnx.export, --opset, default 17);
  4. runs all three once and checks that every output agrees pairwise (relative L2 < --tol,
     default 1e-3); exits 1 without timing if not;
  5. times batch-1 inference, each runtime in turn with T threads:
       tessera      N processes of `tessera-run M.tsm --iterations W+1 --threads T`; each
                    sample is the run's "min" (tessera-run prints only mean/min/max, and its
                    first iteration is cold, so min of W+1 = a warm run);
       onnxruntime  CPUExecutionProvider, intra_op_num_threads = T, inter_op 1, sequential,
                    ORT_ENABLE_ALL; W warm-up runs, then N timed runs;
       torch        eager, torch.set_num_threads(T), torch.inference_mode(); W warm-up, N timed;
     and prints median and min over the N samples and ratio = peer median / Tessera median
     (> 1: Tessera is faster).
Presets (--preset all): ViT-B/16 224 batch 1; iGPT small width (dim 128, depth 4, heads 4,
palette 512; heads 2 so head_dim = 64 as in iGPT-S) at 32x32 and 64x64; iGPT-S (dim 512, depth 24, heads 8, palette 512) at 32x32.
"""

import argparse
import importlib
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
_REEXEC = "TESSERA_PEERS_REEXEC"


def _reexec_with_openblas():
    """Debian's torch calls the libblas.so.3 alternative, here netlib's reference BLAS (ViT-B/16:
    ~20 s per image). Re-run this script with Debian's OpenBLAS (OpenMP build) first on
    LD_LIBRARY_PATH, for this process only (the system alternative, which the fixtures were
    made with, stays as it is). OMP_WAIT_POLICY=PASSIVE unless set: with libgomp's default
    spinning, torch on 2 threads of a shared, loaded 2-core machine took 150 ms instead of
    1 ms on tiny models."""
    if os.environ.get(_REEXEC) or "--system-blas" in sys.argv or "-h" in sys.argv or \
            "--help" in sys.argv:
        return
    env = dict(os.environ)
    env[_REEXEC] = "1"
    env["TESSERA_PEERS_ORIG_LD_LIBRARY_PATH"] = env.get("LD_LIBRARY_PATH", "")
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if os.path.isdir(OPENBLAS_DIR):
        env["LD_LIBRARY_PATH"] = OPENBLAS_DIR + (":" + env["LD_LIBRARY_PATH"]
                                                 if env.get("LD_LIBRARY_PATH") else "")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


if __name__ == "__main__":
    _reexec_with_openblas()

import warnings  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REF_DIR = os.path.join(ROOT, "tests", "reference")
sys.path.insert(0, REF_DIR)
import common  # noqa: E402

MODELS = ("vit", "igpt")
VIT_B16 = ["img_size=224", "patch=16", "channels=3", "dim=768", "depth=12", "heads=12",
           "mlp=3072", "classes=1000"]
# head_dim 64 as in iGPT-S (see the note on head_dim in bench() below).
IGPT_SMALL_WIDTH = ["palette=512", "dim=128", "depth=4", "heads=2"]
IGPT_S = ["palette=512", "dim=512", "depth=24", "heads=8"]
PRESETS = {
    "all": [
        ("vit", VIT_B16),
        ("igpt", ["size=32"] + IGPT_SMALL_WIDTH),
        ("igpt", ["size=64"] + IGPT_SMALL_WIDTH),
        ("igpt", ["size=32"] + IGPT_S),
    ],
}
TIMING_RE = re.compile(r"timing: (\d+) iterations on (\d+) threads: mean ([0-9.]+) ms, "
                       r"min ([0-9.]+) ms, max ([0-9.]+) ms")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def child_env():
    """The environment we were started with (without the OpenBLAS / OpenMP settings)."""
    env = dict(os.environ)
    if env.pop(_REEXEC, None):
        orig = env.pop("TESSERA_PEERS_ORIG_LD_LIBRARY_PATH", "")
        if orig:
            env["LD_LIBRARY_PATH"] = orig
        else:
            env.pop("LD_LIBRARY_PATH", None)
    return env


def torch_blas():
    """Which libblas.so.3 torch has loaded (resolved path)."""
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if os.path.basename(path).startswith(("libblas.so", "libopenblas")):
                real = os.path.realpath(path)
                kind = "OpenBLAS" if "openblas" in real else \
                    "netlib reference BLAS (slow)" if "/blas/" in real else "?"
                return f"{kind} ({real})"
    return "none loaded"


def run(cmd, verbose):
    if verbose:
        log("$ " + " ".join(shlex.quote(c) for c in cmd))
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       env=child_env())
    if p.returncode != 0:
        raise SystemExit(f"error: exit {p.returncode}: {' '.join(cmd)}\n{p.stdout}")
    return p.stdout


# ----------------------------------------------------------------------------- torch models

def torch_model(name, ref, cfg, weights):
    """The reference model with the case's weights (state_dict names = .tg parameter names)."""
    from safetensors.torch import load_file
    tensors = load_file(weights)
    if name == "vit":
        model = ref.build(cfg)
        model.load_state_dict(tensors, strict=True)
        return model.eval()
    model = ref.build(cfg)
    clusters = tensors.pop("clusters")
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    assert not unexpected, unexpected
    # Only the non-persistent-like causal-mask buffers may be missing.
    assert all(k.endswith(("attn.bias", "attn.masked_bias")) for k in missing), missing
    return ref.Pipeline(model.eval(), clusters).eval()


def describe(name, cfg):
    if name == "vit":
        return (f"{cfg['img_size']}px p{cfg['patch']} d{cfg['dim']} L{cfg['depth']} "
                f"h{cfg['heads']} b{cfg['batch']}")
    return (f"{cfg['size']}x{cfg['size']} d{cfg['dim']} L{cfg['depth']} h{cfg['heads']} "
            f"pal{cfg['palette']} b{cfg['batch']}")


# ----------------------------------------------------------------------------- timing

def summarize(samples):
    return statistics.median(samples), min(samples)


def time_tessera(run_bin, tsm, in_flags, iters, warmup, threads, verbose):
    samples = []
    for _ in range(iters):
        out = run([run_bin, tsm] + in_flags +
                  ["--iterations", str(warmup + 1), "--threads", str(threads)], verbose)
        m = TIMING_RE.search(out)
        if not m:
            raise SystemExit(f"error: no timing line in tessera-run output:\n{out}")
        if int(m.group(2)) != threads:
            raise SystemExit(f"error: tessera-run used {m.group(2)} threads, not {threads}")
        samples.append(float(m.group(4)))
    return samples


def time_callable(fn, iters, warmup):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1e3)
    return samples


# ----------------------------------------------------------------------------- one config

def config(name, defines):
    """(reference module, config) for a model and its -D list; batch defaults to 1."""
    ref = importlib.import_module(f"{name}_ref")
    cfg = common.parse_defines(["batch=1"] + list(defines), ref.DEFAULTS,
                               getattr(ref, "ALIASES", None))
    if name == "igpt":
        hd = cfg["dim"] // cfg["heads"]
        if int(hd ** 0.5) ** 2 != hd:
            # transformers 4.44.2 ImageGPTAttention divides the scores by
            # torch_float(head_dim ** 0.5), which is int(sqrt(head_dim)) in eager mode (but
            # the float sqrt while tracing, i.e. in the ONNX export). Eager torch then
            # disagrees with models/igpt.tg and with ONNX unless head_dim is a perfect square.
            raise SystemExit(f"error: igpt head_dim = dim / heads = {hd} is not a perfect "
                             "square: transformers' eager ImageGPT scales by "
                             "1/int(sqrt(head_dim)) there (see tests/reference/README.md)")
    return ref, cfg


def bench(name, defines, args, work):
    ref, cfg = config(name, defines)
    desc = describe(name, cfg)
    case = os.path.join(work, f"{name}_" + re.sub(r"[^0-9A-Za-z]+", "_", desc))
    os.makedirs(case, exist_ok=True)
    log(f"== {name} {desc} ({case})")

    t0 = time.time()
    ref.generate(case, cfg, args.seed)
    log(f"   reference case written ({time.time() - t0:.1f} s)")
    with open(os.path.join(case, "config.txt")) as f:
        flags = [tok for line in f for tok in shlex.split(line)]
    inputs = {n: np.load(os.path.join(case, f"{n}.npy")) for n in ref.INPUTS}
    outputs = list(ref.OUTPUTS)

    tsm = os.path.join(case, "model.tsm")
    t0 = time.time()
    run([args.tessera, "compile", os.path.join(ROOT, "models", f"{name}.tg"), "-o", tsm,
         "--weights", os.path.join(case, "weights.safetensors")] + flags, args.verbose)
    t_compile = time.time() - t0
    log(f"   tessera compile {t_compile:.1f} s")
    in_flags = []
    for n in ref.INPUTS:
        in_flags += ["--input", f"{n}={os.path.join(case, n + '.npy')}"]
    out_flags = []
    for n in outputs:
        out_flags += ["--output", f"{n}={os.path.join(case, 'tessera_' + n + '.npy')}"]
    run([args.tessera_run, tsm] + in_flags + out_flags + ["--threads", str(args.threads)],
        args.verbose)
    res = {"tessera": [np.load(os.path.join(case, f"tessera_{n}.npy")) for n in outputs]}

    model = torch_model(name, ref, cfg, os.path.join(case, "weights.safetensors"))
    t_in = tuple(torch.from_numpy(inputs[n]) for n in ref.INPUTS)

    def torch_fn():
        with torch.inference_mode():
            return model(*t_in)

    out = torch_fn()
    out = out if isinstance(out, tuple) else (out,)
    res["torch"] = [common.to_numpy(o) for o in out]

    # ONNX export of the whole model (for iGPT including the palette argmin).
    import onnxruntime as ort
    onnx_path = os.path.join(case, "model.onnx")
    t0 = time.time()
    with torch.no_grad():
        torch.onnx.export(model, t_in, onnx_path, input_names=list(ref.INPUTS),
                          output_names=outputs, opset_version=args.opset,
                          do_constant_folding=True)
    log(f"   onnx export (opset {args.opset}) {time.time() - t0:.1f} s")
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    feed = {n: inputs[n] for n in ref.INPUTS}

    def ort_fn():
        return sess.run(outputs, feed)

    res["onnxruntime"] = list(ort_fn())

    # Agreement, pairwise, every output.
    errors = []
    ok = True
    for a, b in (("tessera", "torch"), ("onnxruntime", "torch"), ("tessera", "onnxruntime")):
        for i, n in enumerate(outputs):
            e = common.rel_l2(res[a][i], res[b][i])
            if not np.all(np.isfinite(res[a][i])):
                e = float("inf")
            errors.append(f"{n} {a}/{b} {e:.1e}")
            ok &= e < args.tol
    log("   rel L2: " + ", ".join(errors))
    if not ok:
        log(f"error: outputs disagree (tolerance {args.tol}); files kept in {case}")
        return None, errors

    rows = []
    t0 = time.time()
    s = time_tessera(args.tessera_run, tsm, in_flags, args.iterations, args.warmup,
                     args.threads, args.verbose)
    log(f"   tessera     {time.time() - t0:6.1f} s: " + " ".join(f"{x:.1f}" for x in s))
    rows.append(("tessera", *summarize(s)))
    time.sleep(0.5)
    t0 = time.time()
    s = time_callable(ort_fn, args.iterations, args.warmup)
    log(f"   onnxruntime {time.time() - t0:6.1f} s: " + " ".join(f"{x:.1f}" for x in s))
    rows.append(("onnxruntime", *summarize(s)))
    sess = None  # frees the session and its thread pool before torch runs
    time.sleep(0.5)
    t0 = time.time()
    s = time_callable(torch_fn, args.iterations, args.warmup)
    log(f"   torch       {time.time() - t0:6.1f} s: " + " ".join(f"{x:.1f}" for x in s))
    rows.append(("torch", *summarize(s)))
    if not args.keep:
        shutil.rmtree(case, ignore_errors=True)
    base = rows[0][1]
    return [(name, desc, r, med, mn, med / base) for r, med, mn in rows], errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[2:]))
    ap.add_argument("--model", choices=MODELS)
    ap.add_argument("--preset", choices=sorted(PRESETS))
    ap.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE",
                    help="config override (names of tests/reference/<model>_ref.py); "
                         "batch defaults to 1")
    ap.add_argument("--iterations", type=int, default=10, help="timed runs (default 10)")
    ap.add_argument("--warmup", type=int, default=1,
                    help="untimed runs first (default 1; for tessera: per process)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help=f"threads of every runtime (default {os.cpu_count()} = cores)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--tol", type=float, default=1e-3, help="relative L2 bound (default 1e-3)")
    ap.add_argument("--tessera", default=os.path.join(ROOT, "build", "bin", "tessera"))
    ap.add_argument("--tessera-run", default=os.path.join(ROOT, "build", "bin", "tessera-run"))
    ap.add_argument("--keep", metavar="DIR", help="keep cases (weights, .tsm, .onnx) in DIR")
    ap.add_argument("--system-blas", action="store_true",
                    help="do not put Debian's OpenBLAS (libopenblas0-openmp) under torch")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the commands")
    args = ap.parse_args()
    if bool(args.model) == bool(args.preset):
        ap.error("give exactly one of --model and --preset")
    if args.preset and args.defines:
        ap.error("-D cannot be combined with --preset")
    if args.iterations < 1 or args.warmup < 0 or args.threads < 1:
        ap.error("--iterations and --threads must be >= 1, --warmup >= 0")

    jobs = PRESETS[args.preset] if args.preset else [(args.model, args.defines)]
    for name, defines in jobs:
        config(name, defines)               # config errors before any work

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    import onnxruntime as ort
    import timm
    import transformers
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {os.cpu_count()} cores "
          f"({open('/proc/cpuinfo').read().split('model name')[1].split(':')[1].splitlines()[0].strip()}); "
          f"threads {args.threads}, warm-up {args.warmup}, iterations {args.iterations}; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"# torch {torch.__version__}, onnxruntime {ort.__version__}, timm {timm.__version__}, "
          f"transformers {transformers.__version__}, numpy {np.__version__}, "
          f"onnx opset {args.opset}")
    try:
        head = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True).stdout.strip()
    except OSError:
        head = "?"
    print(f"# tessera: checkout {head or '?'}, {args.tessera} built "
          f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(os.path.getmtime(args.tessera)))}")
    blas = torch_blas()
    print(f"# torch BLAS: {blas}; OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '')}")
    if "netlib" in blas:
        log("warning: torch runs on netlib's reference BLAS; for a meaningful torch row: "
            "apt-get install libopenblas0-openmp (see tests/reference/README.md)")

    work = args.keep or tempfile.mkdtemp(prefix="tessera_peers_")
    table, failed = [], False
    for name, defines in jobs:
        rows, _ = bench(name, defines, args, work)
        if rows is None:
            failed = True
            continue
        table += rows
    if not args.keep and not failed:
        shutil.rmtree(work, ignore_errors=True)

    w = max([len(r[1]) for r in table] + [6])
    print(f"{'model':6s} {'config':{w}s} {'runtime':12s} {'median ms':>10s} {'min ms':>10s} "
          f"{'ratio':>6s}")
    for name, desc, rt, med, mn, ratio in table:
        print(f"{name:6s} {desc:{w}s} {rt:12s} {med:10.2f} {mn:10.2f} {ratio:6.2f}")
    print("# ratio = runtime median / tessera median (> 1: Tessera is faster); "
          f"load average at the end {os.getloadavg()[0]:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
