#!/usr/bin/env python3
"""Makes the input files of the command-line lit tests with the standard library only:
.npy arrays, .safetensors weights, and damaged copies of any file.

  tsfiles.py npy OUT DESCR SHAPE [SEED]      DESCR e.g. <f4, <f8; SHAPE e.g. 2,16
  tsfiles.py safetensors OUT NAME=SHAPE...   random f32 tensors (shape 32,16; 'x' for scalar)
  tsfiles.py truncate IN OUT BYTES
  tsfiles.py flip IN OUT OFFSET BIT          OFFSET may be negative (from the end)
  tsfiles.py poke IN OUT OFFSET HEXBYTES     overwrite bytes at OFFSET
  tsfiles.py compare A.npy B.npy RTOL [MIN]  f32 arrays of one shape within RTOL relative L2
                                             (and, with MIN, at least MIN apart)
"""
import json
import random
import struct
import sys


def shape_of(text):
    return [] if text in ("", "x") else [int(d) for d in text.split(",")]


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def npy(out, descr, shape_text, seed="0"):
    shape = shape_of(shape_text)
    rng = random.Random(int(seed))
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, dims)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    fmt = {"<f4": "f", "<f8": "d", "<i4": "i", "<i8": "q"}[descr]
    values = [rng.uniform(-1, 1) if fmt in "fd" else rng.randint(0, 9) for _ in range(numel(shape))]
    with open(out, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def safetensors(out, *specs):
    rng = random.Random(1)
    header, blobs, offset = {}, [], 0
    for spec in specs:
        name, shape_text = spec.split("=")
        shape = shape_of(shape_text)
        data = struct.pack("<%df" % numel(shape), *[rng.uniform(-0.1, 0.1) for _ in range(numel(shape))])
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def truncate(src, out, size):
    data = open(src, "rb").read()
    open(out, "wb").write(data[: int(size)])


def flip(src, out, offset, bit):
    data = bytearray(open(src, "rb").read())
    data[int(offset)] ^= 1 << int(bit)
    open(out, "wb").write(bytes(data))


def poke(src, out, offset, hexbytes):
    data = bytearray(open(src, "rb").read())
    new = bytes.fromhex(hexbytes)
    o = int(offset)
    data[o : o + len(new)] = new
    open(out, "wb").write(bytes(data))


def read_f32_npy(path):
    data = open(path, "rb").read()
    if data[:6] != b"\x93NUMPY":
        sys.exit("%s: not an .npy file" % path)
    header_len = struct.unpack("<H", data[8:10])[0]
    header = data[10 : 10 + header_len].decode()
    if "'<f4'" not in header:
        sys.exit("%s: not float32: %s" % (path, header))
    body = data[10 + header_len :]
    return header[header.index("'shape'") :], struct.unpack("<%df" % (len(body) // 4), body)


def compare(a, b, rtol, least=None):
    shape_a, x = read_f32_npy(a)
    shape_b, y = read_f32_npy(b)
    if shape_a != shape_b:
        sys.exit("shapes differ: %s vs %s" % (shape_a, shape_b))
    diff = sum((p - q) ** 2 for p, q in zip(x, y)) ** 0.5
    norm = sum(q * q for q in y) ** 0.5
    rel = diff / norm if norm else diff
    if rel > float(rtol):
        sys.exit("relative L2 %.3g above %s" % (rel, rtol))
    if least is not None and rel < float(least):
        sys.exit("relative L2 %.3g below %s" % (rel, least))


if __name__ == "__main__":
    commands = {"npy": npy, "safetensors": safetensors, "truncate": truncate, "flip": flip, "poke": poke,
                "compare": compare}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](*sys.argv[2:])
