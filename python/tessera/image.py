"""Images in and out: PNG/JPEG decoding, torchvision/timm preprocessing, PNG writing.

The options are those of `tessera run` (--resize, --center-crop, ...), with the same meaning
and the same rounding, so a tensor made here is bit for bit the one the CLI feeds a model."""
import os
from typing import Optional, Sequence, Union

import numpy as np

from . import _tessera


def load(path) -> np.ndarray:
    """Decodes a PNG or JPEG file into a uint8 array of shape (height, width, channels), with
    1 (gray) or 3 (RGB) channels; alpha is dropped, 16-bit and CMYK images are refused."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError("no such image file: %s" % path)
    return _tessera.image_load(path)


def decode(data: bytes) -> np.ndarray:
    """load() for the bytes of a PNG or JPEG file."""
    return _tessera.image_decode(bytes(data))


def save(path, pixels: np.ndarray) -> None:
    """Writes a uint8 (height, width[, 1 or 3]) array as a PNG file."""
    _tessera.image_save_png(os.fspath(path), pixels)


def _flags(resize, center_crop, interpolation, pixel_range, mean, std, layout, preset):
    def text(value):
        if isinstance(value, (tuple, list)):
            return ",".join(str(v) for v in value)
        return str(value)

    flags = []
    # A preset first, so explicit options override it (as later flags do on the command line).
    for flag, value in (("preset", preset), ("layout", layout), ("resize", resize),
                        ("center-crop", center_crop), ("interpolation", interpolation),
                        ("pixel-range", pixel_range), ("mean", mean), ("std", std)):
        if value is not None:
            flags.append("--%s=%s" % (flag, text(value)))
    return flags


def to_tensor(image: Union[str, os.PathLike, np.ndarray], shape: Sequence[int],
              resize: Union[int, str, Sequence, None] = None,
              center_crop: Union[int, str, None] = None, interpolation: Optional[str] = None,
              pixel_range: Optional[str] = None, mean=None, std=None,
              layout: Optional[str] = None, preset: Optional[str] = None,
              flags: Sequence[str] = ()) -> np.ndarray:
    """The float32 tensor of `shape` (NCHW, NHWC, CHW or HWC, batch 1) an image becomes.

    resize: the shorter side (256) or "WxH", or a list of steps; center_crop: N or "WxH";
    interpolation: nearest|bilinear (default)|bicubic; pixel_range: unit (p/255, default),
    raw (p) or signed (p/127.5-1); mean/std: one value or three, applied after the range;
    layout: auto|nchw|nhwc; preset: imagenet|inception (timm's data configs, sized from
    `shape`); flags: tessera run's image flags as words (a module's image_flags.split()),
    applied before the options, which override them."""
    pixels = load(image) if not isinstance(image, np.ndarray) else image
    options = _flags(resize, center_crop, interpolation, pixel_range, mean, std, layout, preset)
    return _tessera.image_to_tensor(pixels, [int(d) for d in shape], list(flags) + options)


def from_tensor(tensor: np.ndarray, pixel_range: Optional[str] = None, mean=None, std=None,
                layout: Optional[str] = None) -> np.ndarray:
    """The inverse of to_tensor's scaling for a model output: v*std+mean, the range undone,
    clamped to 0..255 and rounded half to even; returns uint8 (height, width, channels)."""
    flags = _flags(None, None, None, pixel_range, mean, std, layout, None)
    return _tessera.tensor_to_image(np.asarray(tensor), flags)
