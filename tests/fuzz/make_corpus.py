#!/usr/bin/env python3
"""Regenerates the seed corpora in tests/fuzz/corpus/ (standard library only, plus the built
`tessera` for module seeds):

    python3 tests/fuzz/make_corpus.py [BUILD_BIN_DIR]     (default build/bin)

npy: every dtype the reader accepts and some it refuses, version 1/2/3 headers, Fortran order,
scalars, empty arrays. safetensors: every dtype, metadata, several tensors, empty tensors.
module: small graphs compiled for cpu and (when the CUDA toolkit is there) cuda. dsl: every
model and every DSL test input in the repository, plus the hostile inputs of issue 11.
"""
import glob
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def npy_bytes(descr, shape, payload, version=1, fortran=False):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (
        descr, "True" if fortran else "False", dims)
    prefix = 10 if version == 1 else 12
    header += " " * (63 - (prefix + len(header)) % 64) + "\n"
    size = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + size + header.encode() + payload


def write(kind, name, data):
    path = os.path.join(CORPUS, kind, name)
    with open(path, "wb") as f:
        f.write(data)


def npy_seeds():
    write("fuzz-npy", "f32_2x3", npy_bytes("<f4", [2, 3], struct.pack("<6f", *range(6))))
    write("fuzz-npy", "f64_4", npy_bytes("<f8", [4], struct.pack("<4d", 1, 2, 3, 4)))
    write("fuzz-npy", "i32_2x2", npy_bytes("<i4", [2, 2], struct.pack("<4i", 1, -2, 3, -4)))
    write("fuzz-npy", "i64_3", npy_bytes("<i8", [3], struct.pack("<3q", 7, 8, 9)))
    write("fuzz-npy", "bool_4", npy_bytes("|b1", [4], bytes([0, 1, 1, 0])))
    write("fuzz-npy", "u8_2", npy_bytes("|u1", [2], bytes([1, 2])))
    write("fuzz-npy", "scalar", npy_bytes("<f4", [], struct.pack("<f", 1.5)))
    write("fuzz-npy", "empty", npy_bytes("<f4", [0, 3], b""))
    write("fuzz-npy", "fortran", npy_bytes("<f4", [2, 2], struct.pack("<4f", 1, 2, 3, 4),
                                           fortran=True))
    write("fuzz-npy", "v2", npy_bytes("<f4", [1, 2], struct.pack("<2f", 1, 2), version=2))
    write("fuzz-npy", "v3", npy_bytes("<f4", [1], struct.pack("<f", 1), version=3))
    write("fuzz-npy", "bigendian", npy_bytes(">f4", [2], struct.pack(">2f", 1, 2)))
    write("fuzz-npy", "rank8", npy_bytes("<f4", [1] * 8, struct.pack("<f", 3)))


def safetensors_bytes(entries, metadata=None):
    header, blobs, offset = {}, [], 0
    for name, dtype, shape, data in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def safetensors_seeds():
    f32 = struct.pack("<6f", *[0.5 * i for i in range(6)])
    write("fuzz-safetensors", "f32", safetensors_bytes([("w", "F32", [2, 3], f32)]))
    write("fuzz-safetensors", "dtypes", safetensors_bytes([
        ("a", "F64", [2], struct.pack("<2d", 1, 2)),
        ("b", "F16", [2], struct.pack("<2H", 0x3c00, 0xc000)),
        ("c", "BF16", [2], struct.pack("<2H", 0x3f80, 0x4000)),
        ("d", "I64", [1], struct.pack("<q", 5)),
        ("e", "I32", [1], struct.pack("<i", 5)),
        ("f", "BOOL", [2], bytes([0, 1])),
        ("g", "U8", [1], bytes([7])),
    ]))
    write("fuzz-safetensors", "metadata", safetensors_bytes(
        [("layer.weight", "F32", [1], struct.pack("<f", 1))], {"format": "pt", "note": "x"}))
    write("fuzz-safetensors", "empty_tensor", safetensors_bytes([("z", "F32", [0, 4], b"")]))
    write("fuzz-safetensors", "scalar", safetensors_bytes([("s", "F32", [], struct.pack("<f", 2))]))
    write("fuzz-safetensors", "no_tensors", safetensors_bytes([]))


MODULE_GRAPHS = {
    "add": "graph g(x: f32[4]) -> (y: f32[4]) {\n  return x + 1.0\n}\n",
    "params": "param w: f32[4, 4]\nparam b: f32[4]\n"
              "graph g(x: f32[2, 4]) -> (y: f32[2, 4]) {\n  return relu(matmul(x, w) + b)\n}\n",
    "two_outputs": "graph g(x: f32[3], t: i32[3]) -> (y: f32[3], s: f32[1]) {\n"
                   "  return x * 2.0, reshape(sum(x), [1])\n}\n",
}


def module_seeds(bindir):
    tessera = os.path.join(bindir, "tessera")
    if not os.path.exists(tessera):
        sys.exit("make_corpus.py: %s not built" % tessera)
    has_cuda = os.path.exists("/usr/local/cuda/nvvm/libdevice")
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in MODULE_GRAPHS.items():
            src = os.path.join(tmp, name + ".tg")
            open(src, "w").write(text)
            targets = ["cpu"] + (["cuda"] if has_cuda else [])
            for target in targets:
                out = os.path.join(CORPUS, "fuzz-module", "%s_%s.tsm" % (name, target))
                subprocess.run([tessera, "compile", src, "-o", out, "--target", target,
                                "--target-cpu", "x86-64-v3"], check=True)


def dsl_seeds():
    sources = sorted(glob.glob(os.path.join(ROOT, "models", "*.tg")) +
                     glob.glob(os.path.join(ROOT, "tests", "lit", "frontend", "*.tg")) +
                     glob.glob(os.path.join(ROOT, "tests", "lit", "Inputs", "*.tg")))
    for path in sources:
        rel = os.path.relpath(path, ROOT).replace(os.sep, "_")
        shutil.copy(path, os.path.join(CORPUS, "fuzz-dsl", rel))
    # Each model again at its fixture's tiny configuration (config values rewritten), so the
    # fuzzer elaborates whole models quickly.
    import re
    fixtures = {"vit_tiny": "vit.tg", "igpt_tiny": "igpt.tg", "detr_tiny": "detr.tg",
                "lambda_global_tiny": "lambda_layer.tg", "lambda_local_tiny": "lambda_layer.tg",
                "lambda_resnet_tiny": "lambda_resnet.tg", "ttsr_tiny": "ttsr.tg",
                "fpt_tiny": "fpt.tg"}
    for fixture, model in fixtures.items():
        text = open(os.path.join(ROOT, "models", model)).read()
        for line in open(os.path.join(ROOT, "tests", "fixtures", fixture, "config.txt")):
            parts = line.split()
            if len(parts) == 2 and parts[0] == "-D" and "=" in parts[1]:
                name, value = parts[1].split("=", 1)
                text = re.sub(r"(config\b[^\n]*?\b%s\s*=\s*)[^,\n]+" % re.escape(name),
                              lambda m: m.group(1) + value, text)
        write("fuzz-dsl", "tiny_%s.tg" % fixture, text.encode())
    # split-file inputs of the DSL lit tests, one file each.
    for test in sorted(glob.glob(os.path.join(ROOT, "tests", "lit", "frontend", "*.test"))):
        parts = open(test).read().split("\n#--- ")
        for part in parts[1:]:
            name, _, body = part.partition("\n")
            if name.endswith(".tg"):
                base = os.path.basename(test).replace(".test", "")
                write("fuzz-dsl", "%s_%s" % (base, name), body.encode())


def main():
    bindir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "bin")
    for kind in ("fuzz-npy", "fuzz-safetensors", "fuzz-module", "fuzz-dsl"):
        shutil.rmtree(os.path.join(CORPUS, kind), ignore_errors=True)
        os.makedirs(os.path.join(CORPUS, kind))
    npy_seeds()
    safetensors_seeds()
    module_seeds(bindir)
    dsl_seeds()
    for kind in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, kind))
        size = sum(os.path.getsize(os.path.join(CORPUS, kind, f)) for f in files)
        print("%-18s %3d files %8d bytes" % (kind, len(files), size))


if __name__ == "__main__":
    main()
