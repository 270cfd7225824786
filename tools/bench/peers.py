#!/usr/bin/env python3
"""Batch-1 CPU latency of Tessera against ONNX Runtime, OpenVINO and PyTorch eager (dev-time).

    tools/bench/setup-venv.sh                  # once: the environment (.venv-bench, ~6 GB)
    tools/bench/peers.py --preset smoke        # tiny configs of every model: a minute
    tools/bench/peers.py --preset all          # the full published configs: long
    tools/bench/peers.py --model vit -D dim=384 -D heads=6 [--engines tessera,onnxruntime]
    options: --threads T (2) --iterations N (10) --warmup W (3) --keep DIR --json FILE --tol X

The script re-executes itself with the interpreter of ${TESSERA_BENCH_VENV:-.venv-bench}
(made by tools/bench/setup-venv.sh from tools/bench/requirements-peers.txt), so that every run
uses the same pinned versions. For each model/config:
  1. tests/reference/<model>_ref.py writes a case: random seeded weights as
     weights.safetensors under the .tg parameter names, random inputs, config.txt (batch 1
     unless -D batch=... is given);
  2. `build/bin/tessera compile models/<model>.tg --weights weights.safetensors <config.txt>`;
  3. the reference PyTorch model is rebuilt from the same weights.safetensors (with the whole
     pipeline of the .tg file: iGPT's palette quantization, DETR's PostProcess) and exported to
     ONNX (torch.onnx.export, the dynamo exporter, falling back to the TorchScript one);
  4. engines, all in this process, all with T threads:
       tessera      libtessera_runtime.so through ctypes (tsr_session_create(module, T),
                    tsr_session_run on preallocated numpy buffers);
       onnxruntime  CPUExecutionProvider, intra_op_num_threads T, inter_op 1, sequential,
                    ORT_ENABLE_ALL;
       openvino     the ONNX file on the CPU device: INFERENCE_PRECISION_HINT f32,
                    INFERENCE_NUM_THREADS T, PERFORMANCE_HINT LATENCY;
       torch        eager, torch.set_num_threads(T), inference_mode;
     an engine that cannot be set up (e.g. the model does not export to ONNX) is reported as
     such and the others are still timed;
  5. every engine's outputs are compared with Tessera's (relative L2 for floats, mismatch rate
     for integers, < --tol, default 1e-3); an engine that disagrees is reported and not timed;
  6. sampling is the same for every engine: after the check's call, W warm-up calls, then N
     rounds in which every engine makes exactly one call, timed by time.perf_counter around
     that call only, the engine order rotated by one each round (interleaved, so a load
     change on the shared machine hits every engine alike). Median and min per engine,
     ratio = engine median / Tessera median (> 1: Tessera is faster).

Worker threads wait passively by default: OMP_WAIT_POLICY=PASSIVE for torch (unless set
already), session.intra_op.allow_spinning=0 for ONNX Runtime; Tessera's pool polls for 100 us
after each dispatch and then blocks (TESSERA_SPIN_US, its default), so at most 0.1 ms of a
core outlives its call (OpenVINO has no such property; its CPU plugin runs as it comes). Spinning saves a peer a wake-up
per operator, but a worker still spinning after its engine's call takes a core from the next
engine's call, and since rotation keeps the cyclic order that is always the same engine
(Tessera follows torch). On this project's shared 2-core machines it also makes torch fight
other work for the cores. Measured (two smoke runs back to back, load average 3-4 from a
build): with spinning, the tiny ViT took 4.8 ms in Tessera and 95 ms in torch, the tiny FPT
1.7 s in torch; waiting passively, 0.63, 1.9 and 15 ms. --spin restores each runtime's own
default, for a quiet machine and full-size models, where a peer's spinning may pay off.

The report (stdout) is one markdown table ready for docs/PERFORMANCE.md, headed by the exact
command, commit, date, CPU, FMA peak (build/bin/tessera-peak --json, measured in the same run),
load average before and after, and the version of every package. Progress goes to stderr.
Exit status 1 if any config or engine failed or disagreed.
"""

import argparse
import contextlib
import ctypes
import gc
import importlib
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REF_DIR = os.path.join(ROOT, "tests", "reference")
VENV = os.environ.get("TESSERA_BENCH_VENV", os.path.join(ROOT, ".venv-bench"))
REQUIREMENTS = os.path.join(ROOT, "tools", "bench", "requirements-peers.txt")
# Reported with their versions (the top-level packages of setup-venv.sh).
PACKAGES = ("numpy", "torch", "torchvision", "timm", "transformers", "safetensors", "onnx",
            "onnxscript", "onnxruntime", "openvino", "einops", "lambda-networks")
ENGINES = ("tessera", "onnxruntime", "openvino", "torch")
ENGINE_TITLES = {"tessera": "Tessera", "onnxruntime": "ONNX Runtime", "openvino": "OpenVINO",
                 "torch": "PyTorch"}


def log(msg=""):
    print(msg, file=sys.stderr, flush=True)


def reexec_in_venv():
    """Every run uses the pinned environment, whatever python3 started the script."""
    venv_python = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        stamp = os.path.join(VENV, ".tessera-requirements")
        if not os.path.exists(stamp) or open(stamp).read() != open(REQUIREMENTS).read():
            log(f"warning: {VENV} is not up to date with {REQUIREMENTS}: "
                "run tools/bench/setup-venv.sh")
        return
    if not os.path.exists(venv_python):
        if any(a in ("-h", "--help") for a in sys.argv[1:]):
            return
        sys.exit(f"error: no benchmark environment at {VENV}: run tools/bench/setup-venv.sh "
                 "first (about 6 GB, from PyPI)")
    os.execv(venv_python, [venv_python, os.path.abspath(__file__)] + sys.argv[1:])


# ----------------------------------------------------------------------------- configs

# The full published configs of each models/*.tg header (the reference scripts' defaults are
# the tiny ones, except lambda_resnet_ref.py's); TTSR and FPT at tools/bench/measure_models.sh's
# sizes. Entries: (model, label, config description, -D list).
PRESET_ALL = [
    ("vit", "ViT-B/16", "224",
     ["img_size=224", "patch=16", "channels=3", "dim=768", "depth=12", "heads=12", "mlp=3072",
      "classes=1000"]),
    ("igpt", "iGPT-S", "32x32 (1024 tokens), d 512, 24 layers, 8 heads",
     ["size=32", "palette=512", "dim=512", "depth=24", "heads=8"]),
    # head_dim 64 as in iGPT-S (and a perfect square: see check_config).
    ("igpt", "iGPT", "64x64 (4096 tokens), d 128, 4 layers, 2 heads",
     ["size=64", "palette=512", "dim=128", "depth=4", "heads=2"]),
    ("detr", "DETR-R50", "800x800, 100 queries",
     ["img_h=800", "img_w=800", "width=64", "blocks1=3", "blocks2=4", "blocks3=6", "blocks4=3",
      "dim=256", "heads=8", "enc_layers=6", "dec_layers=6", "ffn=2048", "queries=100",
      "classes=91"]),
    ("lambda_resnet", "LambdaResNet-50", "224, local r 23",
     ["img_size=224", "classes=1000", "width=64", "blocks1=3", "blocks2=4", "blocks3=6",
      "blocks4=3", "lambda_k=16", "lambda_heads=4", "lambda_u=4", "lambda_r=23"]),
    ("ttsr", "TTSR", "LR 40x40, Ref 160x160, n_feats 64",
     ["lr_h=40", "lr_w=40", "n_feats=64", "res1=16", "res2=16", "res3=8", "res4=4",
      "lte_width=64"]),
    ("fpt", "FPT", "C 256, pyramid of a 512x512 image",
     ["C=256", "in2=256", "in3=512", "in4=1024", "in5=2048", "h2=128", "w2=128"]),
]
# model -> fixture whose config.txt is the tiny config of the model's header.
SMOKE_FIXTURES = [("vit", "vit_tiny"), ("igpt", "igpt_tiny"), ("detr", "detr_tiny"),
                  ("lambda_resnet", "lambda_resnet_tiny"), ("ttsr", "ttsr_tiny"),
                  ("fpt", "fpt_tiny")]


def fixture_defines(fixture):
    with open(os.path.join(ROOT, "tests", "fixtures", fixture, "config.txt")) as f:
        tokens = [t for line in f for t in shlex.split(line)]
    return [t for t in tokens if t != "-D"]


def jobs_for(args):
    """[(model, label, description, defines)]; batch is 1 unless a -D says otherwise."""
    if args.preset == "all":
        return [(m, label, desc, ["batch=1"] + d) for m, label, desc, d in PRESET_ALL]
    if args.preset == "smoke":
        return [(m, fixture, "tiny (tests/fixtures)", fixture_defines(fixture) + ["batch=1"])
                for m, fixture in SMOKE_FIXTURES]
    desc = " ".join(args.defines) or "reference defaults"
    return [(args.model, args.model, desc, ["batch=1"] + args.defines)]


def check_config(model, cfg):
    if model == "igpt":
        hd = cfg["dim"] // cfg["heads"]
        if int(hd ** 0.5) ** 2 != hd:
            # transformers' eager ImageGPTAttention divides by torch_float(head_dim ** 0.5),
            # which is int(sqrt(head_dim)) in eager mode but the float sqrt when traced: eager
            # torch then disagrees with models/igpt.tg and with the ONNX export.
            raise SystemExit(f"error: igpt head_dim = dim / heads = {hd} is not a perfect "
                             "square: transformers' eager ImageGPT scales by "
                             "1/int(sqrt(head_dim)) there (see tests/reference/README.md)")


# ----------------------------------------------------------------------------- torch model

def torch_model(model, ref, cfg, weights_path):
    """The reference model with the case's weights, as one module whose forward takes the
    graph inputs in ref.INPUTS order and returns the graph outputs in ref.OUTPUTS order, so
    eager torch and the ONNX export compute exactly what models/<model>.tg computes."""
    import torch
    from safetensors.torch import load_file

    tensors = load_file(weights_path)
    clusters = tensors.pop("clusters") if model == "igpt" else None
    net = ref.build(cfg)
    missing, unexpected = net.load_state_dict(tensors, strict=False)
    if unexpected:
        raise RuntimeError(f"weights not in the reference model: {unexpected}")
    own = net.state_dict()
    # Integer buffers (num_batches_tracked) and HF's causal-mask buffers are not saved.
    bad = [k for k in missing if own[k].is_floating_point()
           and not k.endswith(("attn.bias", "attn.masked_bias"))]
    if bad:
        raise RuntimeError(f"weights missing from the case: {bad}")
    net.eval()

    class AsTuple(torch.nn.Module):
        """Single-output models return a tuple like the others."""

        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, *inputs):
            out = self.net(*inputs)
            return tuple(out) if isinstance(out, (tuple, list)) else (out,)

    class DetrPipeline(torch.nn.Module):
        """DETR + PostProcess on an unpadded image; outputs as detr_ref.run and models/detr.tg."""

        def __init__(self, net):
            super().__init__()
            self.net = net
            self.post = ref.PostProcess()

        def forward(self, image):
            b = image.shape[0]
            mask = torch.zeros(b, image.shape[2], image.shape[3], dtype=torch.bool)
            out = self.net(image, mask)
            sizes = torch.tensor([[cfg["img_h"], cfg["img_w"]]] * b, dtype=torch.float32)
            res = self.post(out, sizes)
            return (out["pred_logits"], out["pred_boxes"],
                    torch.stack([r["scores"] for r in res]),
                    torch.stack([r["labels"] for r in res]).to(torch.int64),
                    torch.stack([r["boxes"] for r in res]))

    if model == "igpt":
        return ref.Pipeline(net, clusters).eval()
    if model == "detr":
        return DetrPipeline(net).eval()
    return AsTuple(net).eval()


def export_onnx(net, inputs, names, path, opset):
    """{"exporter", "opset", "export_s", "failed"}: the dynamo exporter is torch's default and
    maintained one; the TorchScript exporter, tried when it fails, still handles some models it
    does not. Raises if both fail."""
    import warnings
    import torch
    failed = []
    for exporter in ("dynamo", "torchscript"):
        t0 = time.time()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(net, tuple(inputs), path, input_names=list(names[0]),
                                  output_names=list(names[1]), opset_version=opset,
                                  dynamo=exporter == "dynamo", external_data=False,
                                  verbose=False)
        except Exception as e:                                      # noqa: BLE001
            failed.append(f"{exporter} exporter: {type(e).__name__}: {first_line(e)}")
            log(f"   onnx export ({exporter}) failed:\n" +
                indent(traceback.format_exc(limit=-4)))
            continue
        secs = time.time() - t0
        log(f"   onnx export ({exporter}, opset {opset}) {secs:.1f} s")
        return {"exporter": exporter, "opset": opset, "export_s": round(secs, 2),
                "failed": failed}
    raise RuntimeError("; ".join(failed))


def first_line(e):
    text = str(e).strip()
    return text.splitlines()[0][:300] if text else ""


def indent(text, n=6):
    return "\n".join(" " * n + line for line in text.rstrip().splitlines()[-12:])


# ----------------------------------------------------------------------------- engines

class Engine:
    """One runtime with the model loaded: call() runs it once on the fixed inputs; outputs()
    returns the last results as numpy arrays in ref.OUTPUTS order."""

    name = ""

    def call(self):
        raise NotImplementedError

    def outputs(self):
        raise NotImplementedError

    def close(self):
        pass


class _TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int), ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("num_elements", ctypes.c_uint64)]


class TesseraRuntime:
    """The C API of runtime/include/tessera/runtime.h, loaded once per process."""

    def __init__(self, path):
        lib = ctypes.CDLL(path)           # CDLL releases the GIL around every call
        vp, pvp, sz = ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t
        for name, res, argtypes in (
                ("tsr_last_error", ctypes.c_char_p, []),
                ("tsr_module_load_file", ctypes.c_int, [ctypes.c_char_p, pvp]),
                ("tsr_module_destroy", None, [vp]),
                ("tsr_module_num_inputs", sz, [vp]),
                ("tsr_module_num_outputs", sz, [vp]),
                ("tsr_module_input_info", ctypes.c_int, [vp, sz, ctypes.POINTER(_TensorInfo)]),
                ("tsr_module_output_info", ctypes.c_int, [vp, sz, ctypes.POINTER(_TensorInfo)]),
                ("tsr_session_create", ctypes.c_int, [vp, ctypes.c_int32, pvp]),
                ("tsr_session_destroy", None, [vp]),
                ("tsr_session_run", ctypes.c_int, [vp, pvp, sz, pvp, sz])):
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = res, argtypes
        self.lib = lib

    def check(self, status, what):
        if status != 0:
            raise RuntimeError(f"{what}: {self.lib.tsr_last_error().decode(errors='replace')}")


class TesseraEngine(Engine):
    name = "tessera"

    def __init__(self, rt, tsm, inputs, output_names, threads):
        import numpy as np
        dtypes = {0: np.float32, 1: np.int32, 2: np.int64}
        self.rt, lib = rt, rt.lib
        self.module, self.session = ctypes.c_void_p(), ctypes.c_void_p()
        rt.check(lib.tsr_module_load_file(tsm.encode(), ctypes.byref(self.module)),
                 f"loading {tsm}")

        def infos(count, get):
            out = []
            for i in range(count(self.module)):
                info = _TensorInfo()
                rt.check(get(self.module, i, ctypes.byref(info)), "tensor info")
                out.append((info.name.decode(), dtypes[info.dtype],
                            tuple(info.shape[d] for d in range(info.rank))))
            return out

        self.ins = []
        for name, dtype, shape in infos(lib.tsr_module_num_inputs, lib.tsr_module_input_info):
            a = inputs[name]
            if a.dtype != dtype or a.shape != shape:
                raise RuntimeError(f"input {name}: module wants {np.dtype(dtype)}{list(shape)}, "
                                   f"case has {a.dtype}{list(a.shape)}")
            self.ins.append(np.ascontiguousarray(a))
        outs = infos(lib.tsr_module_num_outputs, lib.tsr_module_output_info)
        self.outs = {name: np.empty(shape, dtype) for name, dtype, shape in outs}
        missing = set(output_names) - set(self.outs)
        if missing:
            raise RuntimeError(f"module has no output(s) {sorted(missing)}")
        self.order = list(output_names)
        self.in_ptrs = (ctypes.c_void_p * max(len(self.ins), 1))(*[a.ctypes.data for a in self.ins])
        self.out_ptrs = (ctypes.c_void_p * max(len(outs), 1))(
            *[self.outs[name].ctypes.data for name, _, _ in outs])
        self.n_in, self.n_out = len(self.ins), len(outs)
        rt.check(lib.tsr_session_create(self.module, threads, ctypes.byref(self.session)),
                 "creating a session")
        self._run = lib.tsr_session_run

    def call(self):
        if self._run(self.session, self.in_ptrs, self.n_in, self.out_ptrs, self.n_out) != 0:
            self.rt.check(1, "tsr_session_run")

    def outputs(self):
        return [self.outs[n] for n in self.order]

    def close(self):
        self.rt.lib.tsr_session_destroy(self.session)
        self.rt.lib.tsr_module_destroy(self.module)


class OrtEngine(Engine):
    name = "onnxruntime"

    def __init__(self, onnx_path, inputs, output_names, threads, spin):
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if not spin:
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
        self.feed = {i.name: inputs[i.name] for i in self.sess.get_inputs()}
        self.names = list(output_names)
        self.result = None

    def call(self):
        self.result = self.sess.run(self.names, self.feed)

    def outputs(self):
        return list(self.result)

    def close(self):
        self.sess = None


class OpenVinoEngine(Engine):
    name = "openvino"

    def __init__(self, core, onnx_path, inputs, output_names, threads):
        import openvino as ov
        import openvino.properties as props
        import openvino.properties.hint as hints
        config = {hints.inference_precision: ov.Type.f32,
                  props.inference_num_threads: threads,
                  hints.performance_mode: hints.PerformanceMode.LATENCY}
        self.compiled = core.compile_model(core.read_model(onnx_path), "CPU", config)
        self.request = self.compiled.create_infer_request()
        self.feed = {p.get_any_name(): inputs[p.get_any_name()] for p in self.compiled.inputs}
        index = {}
        for i, p in enumerate(self.compiled.outputs):
            for n in p.get_names():
                index[n] = i
        self.order = [index[n] for n in output_names]
        # What the plugin made of the hints, for the record.
        self.effective = {}
        for k in ("NUM_STREAMS", "INFERENCE_NUM_THREADS", "INFERENCE_PRECISION_HINT"):
            v = self.compiled.get_property(k)
            self.effective[k] = v.get_type_name() if isinstance(v, ov.Type) else str(v)

    def call(self):
        self.request.infer(self.feed, share_inputs=True, share_outputs=True)

    def outputs(self):
        return [self.request.get_output_tensor(i).data.copy() for i in self.order]

    def close(self):
        self.request = self.compiled = None


class TorchEngine(Engine):
    name = "torch"

    def __init__(self, net, inputs, input_names):
        import torch
        self.net = net
        self.args = tuple(torch.from_numpy(inputs[n]) for n in input_names)
        self.result = None

    def call(self):                       # the caller holds torch.inference_mode()
        self.result = self.net(*self.args)

    def outputs(self):
        return [t.detach().numpy() for t in self.result]


# ----------------------------------------------------------------------------- one config

def disagreement(actual, expected):
    """Relative L2 for floats (inf if not finite or another shape), mismatch rate for ints."""
    import numpy as np
    a, e = np.asarray(actual), np.asarray(expected)
    if a.shape != e.shape:
        return float("inf")
    if np.issubdtype(e.dtype, np.integer):
        return float(np.mean(a.astype(np.int64) != e.astype(np.int64))) if e.size else 0.0
    if not np.all(np.isfinite(a)):
        return float("inf")
    den = float(np.linalg.norm(e.astype(np.float64).ravel()))
    num = float(np.linalg.norm((a.astype(np.float64) - e).ravel()))
    return num / den if den else num


def run_cmd(cmd, verbose):
    if verbose:
        log("   $ " + shlex.join(cmd))
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"exit {p.returncode}: {shlex.join(cmd[:2])}\n{p.stdout.strip()}")
    return p.stdout


def bench_config(index, job, args, ctx, work):
    """Result dict of one model/config (the --json format); an engine's failure is recorded in
    it, never raised, so that the other engines are still timed."""
    import numpy as np
    import torch

    model, label, desc, defines = job
    ref_name, tg_name = ctx["models"][model]
    ref = importlib.import_module(ref_name)
    cfg = ctx["common"].parse_defines(defines, ref.DEFAULTS, getattr(ref, "ALIASES", None))
    status = {e: {"status": "not requested"} for e in ENGINES}
    result = {"model": model, "label": label, "description": desc, "config": cfg,
              "engines": status}
    case = os.path.join(work, f"{index:02d}_{model}")
    log(f"== {label} ({desc}) in {case}")

    t0 = time.time()
    try:
        ref.generate(case, cfg, args.seed)
    except Exception as e:                                          # noqa: BLE001
        err = f"reference case: {type(e).__name__}: {first_line(e)}"
        for name in args.engines:
            status[name] = {"status": "skipped", "error": err}
        result["error"] = err
        log(f"   {err}")
        return result
    result["case_s"] = round(time.time() - t0, 2)
    with open(os.path.join(case, "config.txt")) as f:
        result["flags"] = flags = [t for line in f for t in shlex.split(line)]
    inputs = {n: np.load(os.path.join(case, f"{n}.npy")) for n in ref.INPUTS}
    outputs = list(ref.OUTPUTS)
    weights = os.path.join(case, "weights.safetensors")
    log(f"   reference case {result['case_s']:.1f} s: {' '.join(flags)}")

    engines = {}

    def fail(names, kind, err):
        for name in names:
            status[name] = {"status": kind, "error": err}
            log(f"   {name}: {kind}: {err}")
            if name in engines:
                engines.pop(name).close()

    def tessera_failed(err):
        fail(["tessera"], "failed", err)
        fail([e for e in args.engines if e != "tessera"], "skipped", "Tessera failed")
        result["error"] = f"Tessera failed ({err.splitlines()[0]}); no engine timed"
        return result

    # Tessera first: it is the baseline of every check and ratio.
    tsm = os.path.join(case, "model.tsm")
    try:
        t0 = time.time()
        run_cmd([os.path.join(args.build, "bin", "tessera"), "compile",
                 os.path.join(ROOT, "models", tg_name), "-o", tsm, "--weights", weights] + flags,
                args.verbose)
        result["compile_s"] = round(time.time() - t0, 2)
        log(f"   tessera compile {result['compile_s']:.1f} s")
        engines["tessera"] = TesseraEngine(ctx["tessera"], tsm, inputs, outputs, args.threads)
    except Exception as e:                                          # noqa: BLE001
        return tessera_failed(f"{type(e).__name__}: {e}")

    peers = [e for e in args.engines if e != "tessera"]
    onnx_peers = [e for e in peers if e in ("onnxruntime", "openvino")]
    net = None
    if peers:
        try:
            net = torch_model(model, ref, cfg, weights)
        except Exception as e:                                      # noqa: BLE001
            fail(peers, "failed", f"reference model: {type(e).__name__}: {first_line(e)}")
            peers = onnx_peers = []
    if "torch" in peers:
        engines["torch"] = TorchEngine(net, inputs, ref.INPUTS)
    if onnx_peers:
        onnx_path = os.path.join(case, "model.onnx")
        t_in = [torch.from_numpy(inputs[n]) for n in ref.INPUTS]
        try:
            result["onnx"] = export_onnx(net, t_in, (ref.INPUTS, outputs), onnx_path, args.opset)
        except Exception as e:                                      # noqa: BLE001
            result["onnx"] = {"error": str(e)}
            fail(onnx_peers, "failed", f"ONNX export failed ({e})")
            onnx_peers = []
    for name in onnx_peers:
        try:
            if name == "onnxruntime":
                engines[name] = OrtEngine(onnx_path, inputs, outputs, args.threads, args.spin)
            else:
                engines[name] = OpenVinoEngine(ctx["ov_core"], onnx_path, inputs, outputs,
                                               args.threads)
                result["openvino"] = engines[name].effective
        except Exception as e:                                      # noqa: BLE001
            fail([name], "failed", f"{type(e).__name__}: {first_line(e)}")

    # One call of each for the check (it also warms up the engines that pass it).
    order = [e for e in ENGINES if e in engines]
    with torch.inference_mode():
        for name in order:
            try:
                engines[name].call()
            except Exception as e:                                  # noqa: BLE001
                if name == "tessera":
                    return tessera_failed(f"first run: {type(e).__name__}: {first_line(e)}")
                fail([name], "failed", f"first run: {type(e).__name__}: {first_line(e)}")
    base = engines["tessera"].outputs()
    for name in [e for e in order if e in engines and e != "tessera"]:
        errs = {o: disagreement(a, b) for o, a, b in zip(outputs, engines[name].outputs(), base)}
        text = ", ".join(f"{o} {v:.1e}" for o, v in errs.items())
        if all(v < args.tol for v in errs.values()):
            status[name] = {"rel_l2": errs}
            log(f"   {name} vs tessera: {text}")
        else:
            fail([name], "disagrees", f"with Tessera (tolerance {args.tol:g}): {text}")
            status[name]["rel_l2"] = errs

    samples, errors = time_interleaved([engines[e] for e in order if e in engines],
                                       args.warmup, args.iterations)
    if "tessera" in errors:
        return tessera_failed(errors["tessera"])
    for name, err in errors.items():
        fail([name], "failed", err)
    timed = [e for e in order if e in engines]
    for e in timed:
        engines.pop(e).close()
    base_median = statistics.median(samples["tessera"])
    for name in timed:
        s = samples[name]
        entry = status.setdefault(name, {})
        entry.update(status="timed", samples_ms=[round(x, 4) for x in s],
                     median_ms=statistics.median(s), min_ms=min(s),
                     ratio=statistics.median(s) / base_median)
        log(f"   {name:12s} median {entry['median_ms']:9.3f} ms  min {entry['min_ms']:9.3f} ms"
            f"  ratio {entry['ratio']:.2f}")
    return result


def time_interleaved(engines, warmup, rounds):
    """({engine name: [ms per timed call]}, {engine name: error}): every engine gets the same
    number of warm-up calls and one timed call per round, with the order rotated each round so
    that none is always first (right after the Python work between rounds) or last. An engine
    whose call raises leaves the rotation; the others go on."""
    import torch
    samples = {e.name: [] for e in engines}
    errors = {}
    live = list(engines)
    clock = time.perf_counter
    with torch.inference_mode():
        for r in range(warmup + rounds):
            k = len(live)
            for e in live[r % k:] + live[:r % k]:
                try:
                    t0 = clock()
                    e.call()
                    t1 = clock()
                except Exception as err:                            # noqa: BLE001
                    when = f"warm-up call {r + 1}" if r < warmup else f"round {r - warmup + 1}"
                    errors[e.name] = f"{when}: {type(err).__name__}: {first_line(err)}"
                    live.remove(e)
                    continue
                if r >= warmup:
                    samples[e.name].append((t1 - t0) * 1e3)
            if "tessera" in errors:
                break
    return samples, errors


# ----------------------------------------------------------------------------- report

def machine_info(args):
    import importlib.metadata as md
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {"python": sys.version.split()[0]}
    for p in PACKAGES:
        try:
            versions[p] = md.version(p)
        except md.PackageNotFoundError:
            versions[p] = "not installed"

    def git(*a):
        p = subprocess.run(["git", "-C", ROOT] + list(a), stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        return p.stdout.strip() if p.returncode == 0 else ""

    return {"cpu": cpu, "cores": os.cpu_count(), "versions": versions,
            "commit": git("rev-parse", "HEAD") or "?",
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
            "library": args.library,
            "library_mtime": time.strftime("%Y-%m-%d %H:%M:%S UTC",
                                           time.gmtime(os.path.getmtime(args.library)))}


def fma_peak(args):
    out = run_cmd([os.path.join(args.build, "bin", "tessera-peak"), "--json", "--threads",
                   str(args.threads)], args.verbose)
    return json.loads(out)


def plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


def fmt_ms(x):
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def cell(entry, engine):
    st = entry.get("status")
    if st == "timed":
        text = f"{fmt_ms(entry['median_ms'])} / {fmt_ms(entry['min_ms'])}"
        return text if engine == "tessera" else f"{text} ({entry['ratio']:.2f})"
    if st == "disagrees":
        worst = max(entry["rel_l2"].values())
        return f"disagrees ({worst:.1e}), not timed"
    if st == "failed":
        err = entry.get("error", "")
        return "ONNX export failed" if "ONNX export failed" in err else "failed (see below)"
    if st == "skipped":
        err = entry.get("error", "")
        return f"not timed ({err})" if err == "Tessera failed" else "not run (see below)"
    return "not run" if st == "not requested" else st


def report(run, args):
    """Markdown: a paragraph naming everything needed to reproduce and judge the numbers, the
    table (one row per config, one column per engine), then agreement and failure notes."""
    env, la = run["environment"], run["load_average"]
    peak = run.get("fma_peak") or {}
    engines = [e for e in ENGINES if e in args.engines]
    results = run["results"]
    dirty = " with uncommitted changes" if env["dirty"] else ""
    omp = run["omp_wait_policy"] or "unset"
    wait = (f"each runtime's own wait policy (--spin; OMP_WAIT_POLICY {omp})" if args.spin else
            f"workers waiting passively (OMP_WAIT_POLICY {omp}, ONNX Runtime without spinning)")
    head = [
        f"Command: `{run['command']}` (commit {env['commit'][:10]}{dirty}, {run['date']}).",
        f"Machine: {env['cores']} cores, {env['cpu']}; FMA peak "
        f"{peak.get('gflops_all_threads', '?')} GFLOP/s on {peak.get('threads', '?')} threads, "
        f"{peak.get('gflops_1_thread', '?')} on 1 ({peak.get('vector_bits', '?')}-bit vectors; "
        "`build/bin/tessera-peak --json` in this run). Load average (1, 5, 15 min): "
        f"{', '.join(f'{x:.2f}' for x in la['before'])} before, "
        f"{', '.join(f'{x:.2f}' for x in la['after'])} after.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()) + ".",
        f"{args.threads} threads per engine, {wait}; batch 1; "
        f"{plural(args.warmup, 'warm-up call')} per engine, then "
        f"{plural(args.iterations, 'interleaved round')} (one timed call per engine per "
        "round, order rotated). Cells: median / min ms (ratio = engine median / Tessera "
        "median; above 1: Tessera faster).",
    ]
    ov = next((r["openvino"] for r in results if "openvino" in r), None)
    if ov:
        head.append("OpenVINO compiled with " + ", ".join(f"{k} {v}" for k, v in ov.items()) +
                    ".")

    table = ["| model | config | " + " | ".join(ENGINE_TITLES[e] for e in engines) + " |",
             "|---|---|" + "---|" * len(engines)]
    for r in results:
        table.append(f"| {r['label']} | {r['description']} | " +
                     " | ".join(cell(r["engines"][e], e) for e in engines) + " |")

    foot, notes = [], []
    agreed = [v for r in results for e in engines if r["engines"][e].get("status") == "timed"
              for v in r["engines"][e].get("rel_l2", {}).values()]
    if agreed:
        foot.append(f"Every timed peer agreed with Tessera within {max(agreed):.1e} (largest "
                    f"relative L2, or integer mismatch rate, of any output; bound {args.tol:g}).")
    exported = {}
    for r in results:
        onnx = r.get("onnx", {})
        if onnx.get("exporter"):
            exported.setdefault(onnx["exporter"], []).append(r["label"])
            notes += [f"- {r['label']}: ONNX from the {onnx['exporter']} exporter; {err}"
                      for err in onnx["failed"]]
    if exported:
        foot.append(f"ONNX files from torch.onnx.export, opset {args.opset}: " + "; ".join(
            f"{exp} exporter" + ("" if len(exported) == 1 else f" for {', '.join(labels)}")
            for exp, labels in exported.items()) + ".")
    for r in results:
        if "error" in r and r["engines"]["tessera"]["status"] != "failed":
            notes.append(f"- {r['label']}: {r['error']}")
        for e in engines:
            entry = r["engines"][e]
            if entry.get("status") in ("failed", "disagrees"):
                notes.append(f"- {r['label']}, {ENGINE_TITLES[e]}: {entry['status']}: "
                             f"{entry.get('error', '')}")

    parts = ["\n".join(head), "\n".join(table)]
    parts += ["\n".join(foot)] if foot else []
    parts += ["\n".join(n.replace("\n", " ") for n in notes)] if notes else []
    return "\n\n".join(parts)


# ----------------------------------------------------------------------------- main

def parse_args(argv):
    doc = __doc__.splitlines()
    ap = argparse.ArgumentParser(description=doc[0], epilog="\n".join(doc[2:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=("vit", "igpt", "detr", "lambda_resnet", "ttsr", "fpt",
                                        "lambda"),
                    help="one model (configs: tests/reference/<model>_ref.py; lambda = "
                         "models/lambda_layer.tg)")
    ap.add_argument("--preset", choices=("all", "smoke"),
                    help="all: the six models at their full published configs; smoke: their "
                         "tiny test configs")
    ap.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE",
                    help="config override for --model (batch defaults to 1)")
    ap.add_argument("--engines", default=",".join(ENGINES),
                    help=f"comma-separated subset of {','.join(ENGINES)} (tessera is the "
                         "baseline and always needed)")
    ap.add_argument("--threads", type=int, default=2, help="threads of every engine (2)")
    ap.add_argument("--iterations", type=int, default=10, help="timed rounds N (10)")
    ap.add_argument("--warmup", type=int, default=3, help="warm-up calls W per engine (3)")
    ap.add_argument("--tol", type=float, default=1e-3,
                    help="largest relative L2 (or integer mismatch rate) vs Tessera (1e-3)")
    ap.add_argument("--seed", type=int, default=0, help="seed of weights and inputs (0)")
    ap.add_argument("--opset", type=int, default=18, help="ONNX opset (18)")
    ap.add_argument("--spin", action="store_true",
                    help="let torch's OpenMP and ONNX Runtime's workers spin after each "
                         "parallel region (their own default) instead of waiting passively")
    ap.add_argument("--keep", metavar="DIR", help="keep the cases (weights, .tsm, .onnx) in DIR")
    ap.add_argument("--json", metavar="FILE", help="write machine-readable results to FILE")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="build directory with bin/tessera, bin/tessera-peak and "
                         "lib/libtessera_runtime.so (build/)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the commands")
    args = ap.parse_args(argv)
    if bool(args.model) == bool(args.preset):
        ap.error("give exactly one of --model and --preset")
    if args.preset and args.defines:
        ap.error("-D goes with --model, not --preset")
    if args.iterations < 1 or args.warmup < 0 or args.threads < 1:
        ap.error("--iterations and --threads must be >= 1, --warmup >= 0")
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(args.engines) - set(ENGINES)
    if unknown:
        ap.error(f"unknown engine(s) {', '.join(sorted(unknown))}; known: {', '.join(ENGINES)}")
    if "tessera" not in args.engines:
        ap.error("--engines must include tessera (the baseline of the checks and ratios)")
    args.build = os.path.abspath(args.build)
    args.library = os.path.join(args.build, "lib", "libtessera_runtime.so")
    for path in (os.path.join(args.build, "bin", "tessera"), args.library):
        if not os.path.exists(path):
            ap.error(f"{path} does not exist (build Tessera first: scripts/test.sh or ninja -C "
                     "build)")
    return args


@contextlib.contextmanager
def stdout_to_stderr():
    """Keeps stdout for the report: the exporters and runtimes print progress there, some of
    it from C++, so the file descriptor itself is redirected."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def main(argv):
    args = parse_args(argv)
    if not args.spin:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # read when libgomp loads
    sys.path.insert(0, REF_DIR)
    jobs = jobs_for(args)

    with stdout_to_stderr():
        import torch
        torch.set_num_threads(args.threads)
        torch.set_num_interop_threads(1)
        import common
        from check_model import MODELS           # model -> (reference script, .tg file)
        for model, _, _, defines in jobs:         # config errors before any work
            ref = importlib.import_module(MODELS[model][0])
            check_config(model, common.parse_defines(defines, ref.DEFAULTS,
                                                     getattr(ref, "ALIASES", None)))
        ctx = {"common": common, "models": MODELS,
               "tessera": TesseraRuntime(args.library)}
        if "openvino" in args.engines:
            import openvino
            ctx["ov_core"] = openvino.Core()

        command = shlex.join([os.path.relpath(os.path.abspath(__file__), ROOT)] + argv)
        run = {"command": command, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "threads": args.threads, "warmup": args.warmup, "iterations": args.iterations,
               "tol": args.tol, "spin": args.spin,
               "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""), "engines": args.engines,
               "environment": machine_info(args),
               "load_average": {"before": list(os.getloadavg())}}
        log(f"# load average {run['load_average']['before']}; OMP_WAIT_POLICY="
            f"{os.environ.get('OMP_WAIT_POLICY', '(unset)')}")
        try:
            run["fma_peak"] = fma_peak(args)
        except Exception as e:                                      # noqa: BLE001
            log(f"warning: tessera-peak failed: {e}")
        log(f"# FMA peak: {run.get('fma_peak')}")

        work = args.keep or tempfile.mkdtemp(prefix="tessera_peers_")
        os.makedirs(work, exist_ok=True)
        run["results"] = []
        t_start = time.time()
        try:
            for i, job in enumerate(jobs):
                run["results"].append(bench_config(i, job, args, ctx, work))
                gc.collect()              # the last config's models, before the next is built
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
        run["load_average"]["after"] = list(os.getloadavg())
        run["wall_s"] = round(time.time() - t_start, 1)
        log(f"# {run['wall_s']:.0f} s; load average {run['load_average']['after']}")

    if args.json:
        with open(args.json, "w") as f:
            json.dump(run, f, indent=1)
    print(report(run, args))
    ok = all(e.get("status") in ("timed", "not requested")
             for r in run["results"] for e in r["engines"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    reexec_in_venv()
    sys.exit(main(sys.argv[1:]))
