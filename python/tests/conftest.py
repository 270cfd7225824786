"""Shared fixtures: paths into the repository and a scratch directory per test."""
import json
import os
import struct

import numpy as np
import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def model(name):
    return os.path.join(REPO, "models", name)


def write_safetensors(path, tensors):
    """A .safetensors file (JSON header + little-endian data) from {name: float32 array}."""
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


@pytest.fixture(scope="session")
def mlp_weights():
    rng = np.random.default_rng(7)
    return {"fc1.weight": rng.standard_normal((32, 16)).astype(np.float32),
            "fc1.bias": rng.standard_normal(32).astype(np.float32),
            "fc2.weight": rng.standard_normal((8, 32)).astype(np.float32),
            "fc2.bias": rng.standard_normal(8).astype(np.float32)}


@pytest.fixture(scope="session")
def mlp_module_path(tmp_path_factory, mlp_weights):
    import tessera
    scratch = tmp_path_factory.mktemp("mlp")
    write_safetensors(scratch / "mlp.safetensors", mlp_weights)
    path = scratch / "mlp.tsm"
    tessera.compile(model("mlp.tg"), weights=scratch / "mlp.safetensors", output=path)
    return path


TINY_VIT = {"img_size": 32, "patch": 8, "dim": 64, "depth": 2, "heads": 4, "mlp": 128,
            "classes": 10}
