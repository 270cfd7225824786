#!/usr/bin/env bash
# The Python environment of the peer benchmark (tools/bench/peers.py): a virtual environment
# with PyTorch 2.x, ONNX Runtime, OpenVINO and the packages of the reference scripts in
# tests/reference/, all from PyPI, at the exact versions of tools/bench/requirements-peers.txt.
#
#   tools/bench/setup-venv.sh            # create or bring up to date; a no-op when it already is
#   tools/bench/setup-venv.sh --update   # newest versions of PACKAGES below, then rewrite the
#                                        # requirements file from `pip freeze` (review the diff)
#
# Where: ${TESSERA_BENCH_VENV:-<repo>/.venv-bench} (ignored by git). Base interpreter:
# ${TESSERA_BENCH_PYTHON:-/usr/bin/python3} (Debian's; its venv module needs python3-venv). The
# pins are cp311 wheels (Debian 12's Python 3.11): another Python needs --update.
#
# Why torch installs with all its dependencies: PyPI's Linux torch wheel is a CUDA build, and
# its libtorch_cuda.so is linked against the nvidia-* wheels (cuBLAS, cuDNN, cuFile, NCCL ...).
# `pip install --no-deps torch` plus its pure-Python dependencies (filelock, sympy, networkx,
# jinja2, fsspec, typing-extensions) does not give a CPU torch: `import torch` fails with
# "ImportError: libcufile.so.0: cannot open shared object file" (torch 2.15.0, checked). The
# CPU-only wheels live on another index, which is not reachable here. So the environment takes
# 6 GB (3 GB of it nvidia-*; the first run took 95-100 s here); the CUDA libraries are loaded
# but never initialized without a GPU: torch's CPU kernels (MKL, oneDNN) are those of a CPU
# build.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${TESSERA_BENCH_VENV:-$root/.venv-bench}"
requirements="$here/requirements-peers.txt"
stamp="$venv/.tessera-requirements"     # copy of the requirements file last installed

# Top-level packages (the rest are their dependencies): the peers (torch, onnxruntime,
# openvino), ONNX export (onnx; onnxscript for torch's dynamo exporter), the reference scripts
# (timm for ViT, transformers for iGPT, torchvision for the ResNets of DETR and LambdaResNet,
# lambda-networks + einops for the lambda layer, safetensors for the weights), and numpy.
PACKAGES=(numpy torch torchvision timm transformers safetensors onnx onnxscript onnxruntime
          openvino einops lambda-networks)

update=0
case "${1:-}" in
  "") ;;
  --update) update=1 ;;
  -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--update]" >&2; exit 2 ;;
esac

if [ $update -eq 0 ] && [ -x "$venv/bin/python" ] && cmp -s "$requirements" "$stamp"; then
  echo "$venv is up to date with $(basename "$requirements")"
  exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
  python="${TESSERA_BENCH_PYTHON:-/usr/bin/python3}"
  command -v "$python" >/dev/null || python=python3
  echo "creating $venv with $("$python" --version 2>&1) ($python)"
  if ! "$python" -m venv "$venv"; then
    echo "error: '$python -m venv' failed (on Debian: apt-get install python3-venv)" >&2
    exit 1
  fi
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check)

start=$(date +%s)
if [ $update -eq 1 ]; then
  "${pip[@]}" install --upgrade pip
  "${pip[@]}" install --upgrade "${PACKAGES[@]}"
  "${pip[@]}" check
  {
    echo "# Exact versions of the peer benchmark's environment (tools/bench/setup-venv.sh)."
    echo "# Written by 'tools/bench/setup-venv.sh --update' on $(date -u +%Y-%m-%d) with"
    echo "# $("$venv/bin/python" --version); top-level: ${PACKAGES[*]}."
    "${pip[@]}" freeze --all
  } >"$requirements.tmp"
  mv "$requirements.tmp" "$requirements"
else
  # pip first, alone: the venv's own (Debian's ensurepip) is older than the one pinned.
  "${pip[@]}" install "$(grep -m1 '^pip==' "$requirements")"
  "${pip[@]}" install -r "$requirements"
  "${pip[@]}" check
fi
cp "$requirements" "$stamp"
echo "$venv ready ($(( $(date +%s) - start )) s)"
