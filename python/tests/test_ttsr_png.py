"""TTSR through PNG files (tessera run --input lr=lr.png ... --output sr=sr.png) is bit for bit
the .npy path, with the tensors and the output picture made by numpy from the documented
formulas (p / 127.5 - 1 in float32; round((v + 1) * 127.5) half to even, clamped)."""
import os
import subprocess

import numpy as np
import pytest

import tessera
import tessera.compiler
from conftest import REPO, model
from test_image import png_bytes

TINY = {"n_feats": 16, "res1": 1, "res2": 1, "res3": 1, "res4": 1, "lr_h": 8, "lr_w": 8,
        "lte_width": 32}


def signed(pixels):
    chw = pixels.astype(np.float32).transpose(2, 0, 1)[None]
    return np.ascontiguousarray(chw / np.float32(127.5) - np.float32(1))


def resized(pixels, steps):
    """Pillow's bicubic resize when Pillow is here (what TTSR's data loader uses), else
    tessera.image's (checked against Pillow by tests/reference/check_image_preprocessing.py)."""
    try:
        from PIL import Image
    except ImportError:
        w, h = steps[-1]
        t = tessera.image.to_tensor(pixels, (h, w, 3), pixel_range="raw",
                                    interpolation="bicubic",
                                    resize=["%dx%d" % s for s in steps])
        return t.astype(np.uint8)
    image = Image.fromarray(pixels)
    for size in steps:
        image = image.resize(size, Image.BICUBIC)
    return np.asarray(image)


def test_png_path_matches_npy_path(tmp_path):
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:8, 0:8]
    lr = np.clip(np.stack([x * 30, y * 30, (x + y) * 15], -1) + rng.integers(0, 20, (8, 8, 3)),
                 0, 255).astype(np.uint8)
    ref = rng.integers(0, 256, (32, 32, 3)).astype(np.uint8)
    (tmp_path / "lr.png").write_bytes(png_bytes(lr))
    (tmp_path / "ref.png").write_bytes(png_bytes(ref))
    module = tmp_path / "ttsr.tsm"
    # The random PyTorch weights of the TTSR fixture (tests/reference/ttsr_ref.py).
    weights = os.path.join(REPO, "tests", "fixtures", "ttsr_tiny", "weights.safetensors")
    tessera.compile(model("ttsr.tg"), defines=TINY, weights=weights, output=module)
    compiler = tessera.compiler.compiler_path()

    subprocess.run([compiler, "run", str(module), "--input", "lr=lr.png", "--input",
                    "lrsr=lr.png", "--input", "ref=ref.png", "--input", "refsr=ref.png",
                    "--pixel-range", "signed", "--interpolation", "bicubic",
                    "--resize", "lrsr=32x32", "--resize", "refsr=8x8,32x32",
                    "--output", "sr=sr.png"], cwd=tmp_path, check=True,
                   stdout=subprocess.DEVNULL)

    tensors = {"lr": signed(lr), "lrsr": signed(resized(lr, [(32, 32)])), "ref": signed(ref),
               "refsr": signed(resized(ref, [(8, 8), (32, 32)]))}
    for name, tensor in tensors.items():
        np.save(tmp_path / (name + ".npy"), tensor)
    subprocess.run([compiler, "run", str(module)]
                   + sum([["--input", "%s=%s.npy" % (n, n)] for n in tensors], [])
                   + ["--output", "sr=sr.npy"], cwd=tmp_path, check=True,
                   stdout=subprocess.DEVNULL)
    sr = np.load(tmp_path / "sr.npy")
    assert sr.shape == (1, 3, 32, 32)
    expected = np.clip(np.round((sr[0].transpose(1, 2, 0) + np.float32(1)) * np.float32(127.5)),
                       0, 255).astype(np.uint8)
    picture = tessera.image.load(tmp_path / "sr.png")
    assert picture.shape == (32, 32, 3)
    assert np.array_equal(picture, expected)
    # Not a flat picture: the model's output varies over the image.
    assert len(np.unique(picture)) > 16
