"""Shared helpers of the PyTorch reference scripts (dev-time only; see README.md).

Every <model>_ref.py defines
    DEFAULTS: dict of config name -> default value (the tiny test config)
    generate(out_dir, cfg, seed) -> None, which writes one reference case:
        out_dir/weights.safetensors     parameters, named as in the reference state_dict
        out_dir/<input>.npy             graph inputs
        out_dir/expected_<output>.npy   reference outputs
        out_dir/config.txt              one `-D name=value` per line (flags for tessera compile)
and calls main(...) below when run as a script.
"""

import argparse
import math
import os
import random
import sys

import numpy as np
import torch
from safetensors.torch import save_file

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


# ----------------------------------------------------------------------------- seeding

def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)


# ----------------------------------------------------------------------------- config

def _coerce(name, text, default):
    if isinstance(default, bool):
        if text.lower() in ("1", "true"):
            return True
        if text.lower() in ("0", "false"):
            return False
        raise ValueError(f"-D {name}: expected true/false, got {text!r}")
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        return float(text)
    return text


def parse_defines(defines, defaults, aliases=None):
    """['name=value', ...] -> copy of defaults with overrides (typed like the default)."""
    cfg = dict(defaults)
    aliases = aliases or {}
    for d in defines or []:
        if "=" not in d:
            raise SystemExit(f"error: -D expects NAME=VALUE, got {d!r}")
        name, value = d.split("=", 1)
        name = aliases.get(name.strip(), name.strip())
        if name not in defaults:
            raise SystemExit(f"error: unknown config {name!r}; known: {', '.join(defaults)}")
        cfg[name] = _coerce(name, value.strip(), defaults[name])
    return cfg


def format_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


# ----------------------------------------------------------------------------- writing

def write_npy(path, array):
    array = np.ascontiguousarray(array)
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    assert array.dtype in (np.float32, np.int64, np.int32), array.dtype
    np.save(path, array, allow_pickle=False)


def to_numpy(t):
    return t.detach().cpu().contiguous().numpy()


def write_weights(path, tensors):
    """tensors: name -> torch tensor (float32); written with safetensors.torch.save_file."""
    clean = {}
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        if t.dtype == torch.float64:
            t = t.float()
        clean[name] = t.clone()     # no shared storage (save_file refuses it)
    save_file(clean, path)


def write_case(out_dir, cfg, weights, inputs, outputs, config_keys=None):
    """Writes weights.safetensors, <input>.npy, expected_<output>.npy and config.txt."""
    os.makedirs(out_dir, exist_ok=True)
    write_weights(os.path.join(out_dir, "weights.safetensors"), weights)
    for name, arr in inputs.items():
        write_npy(os.path.join(out_dir, f"{name}.npy"), arr)
    for name, arr in outputs.items():
        write_npy(os.path.join(out_dir, f"expected_{name}.npy"), arr)
    keys = config_keys if config_keys is not None else list(cfg)
    with open(os.path.join(out_dir, "config.txt"), "w") as f:
        for k in keys:
            f.write(f"-D {k}={format_value(cfg[k])}\n")


# ----------------------------------------------------------------------------- init

@torch.no_grad()
def normal_(t, std, mean=0.0):
    t.normal_(mean=mean, std=std)


@torch.no_grad()
def fan_in_normal_(t, fan_in, gain=1.0):
    """N(0, gain / sqrt(fan_in)): keeps activations O(1) so attention is far from uniform."""
    t.normal_(0.0, gain / math.sqrt(fan_in))


# ----------------------------------------------------------------------------- comparing

def rel_l2(actual, expected):
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        return float("inf")
    den = np.linalg.norm(e.ravel())
    num = np.linalg.norm((a - e).ravel())
    if den == 0.0:
        return float(num)
    return float(num / den)


# ----------------------------------------------------------------------------- CLI

def main(description, defaults, generate, aliases=None, argv=None):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE",
                    help="override a config value (repeatable); defaults: " +
                    ", ".join(f"{k}={format_value(v)}" for k, v in defaults.items()))
    ap.add_argument("--seed", type=int, default=0, help="seed of weights and inputs (default 0)")
    args = ap.parse_args(argv)
    cfg = parse_defines(args.defines, defaults, aliases)
    generate(args.out, cfg, args.seed)
    print(f"wrote {args.out}: " + " ".join(sorted(os.listdir(args.out))))
    return 0


def check_env():
    """Warn loudly when run with an interpreter other than the documented one."""
    if not torch.__version__.startswith("1.13"):
        print(f"note: torch {torch.__version__} (fixtures were made with Debian's torch 1.13.1)",
              file=sys.stderr)
