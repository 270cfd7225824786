"""Checks tessera's image inputs against Pillow + torchvision's conventions (run by hand; needs
Pillow and numpy): decode, resize the shorter side, center-crop, ToTensor, Normalize, for PNG and
JPEG, bilinear and bicubic. Prints one line per case and exits 1 unless all are bit-identical.

usage: check_image_preprocessing.py BUILD_BIN_DIR
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def reference(path, shorter, crop, interpolation):
    im = Image.open(path).convert("RGB")
    w, h = im.size
    nw, nh = (int(shorter * w / h), shorter) if w >= h else (shorter, int(shorter * h / w))
    im = im.resize((nw, nh), interpolation)
    top, left = int(round((nh - crop) / 2.0)), int(round((nw - crop) / 2.0))
    im = im.crop((left, top, left + crop, top + crop))
    a = np.asarray(im).astype(np.float32) / np.float32(255)
    return ((a - MEAN) / STD).transpose(2, 0, 1)[None]


def main():
    bin_dir = sys.argv[1]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        crop = 32
        graph = os.path.join(tmp, "id.tg")
        with open(graph, "w") as f:
            f.write(f"graph id(image: f32[1, 3, {crop}, {crop}]) -> (y: f32[1, 3, {crop}, {crop}]) "
                    "{\n  return image * 1\n}\n")
        module = os.path.join(tmp, "id.tsm")
        subprocess.run([os.path.join(bin_dir, "tessera"), "compile", graph, "-o", module], check=True)
        pixels = ((np.arange(67 * 45 * 3).reshape(45, 67, 3) * 37) % 251).astype(np.uint8)
        for ext in ("png", "jpg"):
            path = os.path.join(tmp, "a." + ext)
            Image.fromarray(pixels).save(path, **({"quality": 90} if ext == "jpg" else {}))
            for name, interpolation in (("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC)):
                out = os.path.join(tmp, "y.npy")
                subprocess.run([os.path.join(bin_dir, "tessera-run"), module, "--input",
                                "image=" + path, "--resize", "36", "--center-crop", str(crop),
                                "--interpolation", name, "--mean", ",".join(map(str, MEAN)),
                                "--std", ",".join(map(str, STD)), "--output", "y=" + out],
                               check=True)
                ours, ref = np.load(out), reference(path, 36, crop, interpolation)
                same = np.array_equal(ours, ref)
                failed += not same
                print(f"{ext} {name}: " + ("bit-identical" if same else
                                            f"max |diff| {np.abs(ours - ref).max():.3g}"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
