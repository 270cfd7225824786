#!/usr/bin/python3
"""Compare a Tessera model against its PyTorch reference on a fresh random case.

    python3 tests/reference/check_model.py --model vit|igpt|detr|ttsr|fpt|lambda|lambda_resnet [-D ...] [--seed N]
    python3 tests/reference/check_model.py --model vit --case tests/fixtures/vit_tiny

Generates a reference case (weights.safetensors, inputs, expected outputs, config.txt) into a
temporary directory with tests/reference/<model>_ref.py (or uses --case DIR as is; the model
file and reference script of each --model are in MODELS), then runs
    build/bin/tessera compile models/<model>.tg -o DIR/model.tsm --weights DIR/weights.safetensors <config.txt>
    build/bin/tessera run DIR/model.tsm --input NAME=DIR/NAME.npy ... --output NAME=DIR/actual_NAME.npy ...
and prints, per output, the relative L2 error (float) or the mismatch rate (integer; also the
exact-match rate). Exit status 1 if any error exceeds --tol (default 1e-4) or a step fails.
"""

import argparse
import importlib
import os
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402

# --model name -> (reference module in tests/reference, model file in models/)
MODELS = {
    "vit": ("vit_ref", "vit.tg"),
    "igpt": ("igpt_ref", "igpt.tg"),
    "detr": ("detr_ref", "detr.tg"),
    "ttsr": ("ttsr_ref", "ttsr.tg"),
    "fpt": ("fpt_ref", "fpt.tg"),
    "lambda": ("lambda_ref", "lambda_layer.tg"),
    "lambda_resnet": ("lambda_resnet_ref", "lambda_resnet.tg"),
}


def read_flags(case_dir):
    with open(os.path.join(case_dir, "config.txt")) as f:
        return [tok for line in f for tok in shlex.split(line)]


def run_cmd(cmd, verbose):
    if verbose:
        print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    t0 = time.time()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError as e:      # e.g. the binary is being relinked by a build
        print(f"error: cannot run {cmd[0]}: {e}")
        return False, time.time() - t0
    if p.returncode != 0:
        print(p.stdout, end="")
        print(f"error: exit {p.returncode}: {' '.join(cmd[:2])}")
        return False, time.time() - t0
    if verbose and p.stdout.strip():
        print(p.stdout, end="")
    return True, time.time() - t0


def compare(case_dir, tol):
    ok = True
    names = sorted(f[len("expected_"):-4] for f in os.listdir(case_dir)
                   if f.startswith("expected_") and f.endswith(".npy"))
    for name in names:
        exp = np.load(os.path.join(case_dir, f"expected_{name}.npy"))
        path = os.path.join(case_dir, f"actual_{name}.npy")
        if not os.path.exists(path):
            print(f"  {name:12s} MISSING (not written by tessera run)")
            ok = False
            continue
        act = np.load(path)
        if act.shape != exp.shape:
            print(f"  {name:12s} SHAPE {list(act.shape)} != expected {list(exp.shape)}")
            ok = False
            continue
        if np.issubdtype(exp.dtype, np.integer):
            match = float(np.mean(act == exp)) if exp.size else 1.0
            err = 1.0 - match
            dt = "" if act.dtype == exp.dtype else f" (dtype {act.dtype}, expected {exp.dtype})"
            bad = err > tol
            print(f"  {name:12s} exact match {match * 100:6.2f}%  mismatch rate {err:.3e}{dt}"
                  f"{'  FAIL' if bad else ''}")
        else:
            err = common.rel_l2(act, exp)
            if not np.all(np.isfinite(act)):
                err = float("inf")
            bad = not (err <= tol)
            print(f"  {name:12s} rel L2 {err:.3e}  max abs {float(np.max(np.abs(act.astype(np.float64) - exp))) if act.size else 0.0:.3e}"
                  f"{'  FAIL' if bad else ''}")
        ok &= not bad
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, choices=MODELS)
    ap.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--case", help="use this existing case directory instead of generating one")
    ap.add_argument("--tg", help="model file (default models/<model>.tg)")
    ap.add_argument("--tessera", default=os.path.join(common.REPO_ROOT, "build", "bin", "tessera"))
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, help="passed to tessera run")
    ap.add_argument("--keep", help="write the case here (kept) instead of a temporary directory")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the commands")
    args = ap.parse_args()

    ref_name, tg_name = MODELS[args.model]
    tg = args.tg or os.path.join(common.REPO_ROOT, "models", tg_name)
    if not os.path.exists(tg):
        print(f"error: {tg} does not exist")
        return 1
    if not os.path.exists(args.tessera):
        print(f"error: {args.tessera} does not exist (build it: ninja -C build tessera)")
        return 1

    tmp = None
    if args.case:
        if args.defines:
            print("error: -D cannot be combined with --case (the case's config.txt is used)")
            return 2
        case_dir = args.case
        out_dir = args.keep or (tmp := tempfile.mkdtemp(prefix=f"check_{args.model}_"))
    else:
        ref = importlib.import_module(ref_name)
        cfg = common.parse_defines(args.defines, ref.DEFAULTS, getattr(ref, "ALIASES", None))
        case_dir = args.keep or (tmp := tempfile.mkdtemp(prefix=f"check_{args.model}_"))
        t0 = time.time()
        ref.generate(case_dir, cfg, args.seed)
        if args.verbose:
            print(f"reference case in {case_dir} ({time.time() - t0:.1f} s)")
        out_dir = case_dir

    flags = read_flags(case_dir)
    print(f"{args.model}: {' '.join(flags)} (seed {args.seed})" if not args.case
          else f"{args.model}: case {case_dir}: {' '.join(flags)}")
    tsm = os.path.join(out_dir, "model.tsm")
    ok, t_compile = run_cmd([args.tessera, "compile", tg, "-o", tsm, "--weights",
                             os.path.join(case_dir, "weights.safetensors")] + flags, args.verbose)
    if not ok:
        return 1
    inputs = sorted(f[:-4] for f in os.listdir(case_dir)
                    if f.endswith(".npy") and not f.startswith(("expected_", "actual_")))
    outputs = sorted(f[len("expected_"):-4] for f in os.listdir(case_dir)
                     if f.startswith("expected_") and f.endswith(".npy"))
    cmd = [args.tessera, "run", tsm]
    for n in inputs:
        cmd += ["--input", f"{n}={os.path.join(case_dir, n + '.npy')}"]
    for n in outputs:
        cmd += ["--output", f"{n}={os.path.join(out_dir, 'actual_' + n + '.npy')}"]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    ok, t_run = run_cmd(cmd, args.verbose)
    if not ok:
        return 1
    print(f"  (compile {t_compile:.1f} s, run {t_run:.1f} s)")
    ok = compare_dirs(case_dir, out_dir, args.tol)
    print("PASS" if ok else "FAIL")
    if tmp and ok and not args.keep:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    elif tmp:
        print(f"(files kept in {tmp})")
    return 0 if ok else 1


def compare_dirs(case_dir, out_dir, tol):
    if case_dir == out_dir:
        return compare(case_dir, tol)
    # Link expected files next to the actual ones so compare() sees both.
    for f in os.listdir(case_dir):
        if f.startswith("expected_"):
            dst = os.path.join(out_dir, f)
            if not os.path.exists(dst):
                os.symlink(os.path.abspath(os.path.join(case_dir, f)), dst)
    return compare(out_dir, tol)


if __name__ == "__main__":
    sys.exit(main())
