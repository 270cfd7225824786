"""tessera.image: decoding, preprocessing against numpy formulas, PNG round trips, errors."""
import zlib
import struct

import numpy as np
import pytest

import tessera


def png_bytes(pixels, bits=8):
    """A minimal PNG writer (stdlib only): gray or RGB, 8 or 16 bits."""
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    color = {1: 0, 3: 2}[channels]
    dtype = ">u2" if bits == 16 else "u1"
    rows = b"".join(b"\x00" + pixels[y].astype(dtype).tobytes() for y in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bits, color, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture
def rgb():
    y, x = np.mgrid[0:24, 0:40]
    return np.stack([x * 6, y * 10, (x + y) * 4], axis=-1).astype(np.uint8)


def test_load_and_save_round_trip(tmp_path, rgb):
    (tmp_path / "in.png").write_bytes(png_bytes(rgb))
    loaded = tessera.image.load(tmp_path / "in.png")
    assert loaded.dtype == np.uint8 and np.array_equal(loaded, rgb)
    tessera.image.save(tmp_path / "out.png", loaded)
    assert np.array_equal(tessera.image.load(tmp_path / "out.png"), rgb)
    assert np.array_equal(tessera.image.decode(png_bytes(rgb)), rgb)
    gray = rgb[..., 0]
    tessera.image.save(tmp_path / "gray.png", gray)
    assert tessera.image.load(tmp_path / "gray.png").shape == (24, 40, 1)


def test_to_tensor_matches_numpy_formulas(rgb):
    # No resize: only the scaling, which is float32 one operation at a time (bit-exact).
    t = tessera.image.to_tensor(rgb, (1, 3, 24, 40), mean=[0.485, 0.456, 0.406],
                                std=[0.229, 0.224, 0.225])
    mean = np.array([0.485, 0.456, 0.406], np.float32)
    std = np.array([0.229, 0.224, 0.225], np.float32)
    ref = ((rgb.astype(np.float32) / np.float32(255)) - mean) / std
    assert t.dtype == np.float32 and t.shape == (1, 3, 24, 40)
    assert np.array_equal(t[0], ref.transpose(2, 0, 1))
    raw = tessera.image.to_tensor(rgb, (24, 40, 3), pixel_range="raw")
    assert np.array_equal(raw, rgb.astype(np.float32))
    signed = tessera.image.to_tensor(rgb, (1, 24, 40, 3), pixel_range="signed")
    assert np.array_equal(signed[0], rgb.astype(np.float32) / np.float32(127.5) - np.float32(1))


def test_resize_crop_and_preset(rgb):
    t = tessera.image.to_tensor(rgb, (1, 3, 16, 16), resize=16, center_crop=16)
    assert t.shape == (1, 3, 16, 16) and 0 <= t.min() and t.max() <= 1
    p = tessera.image.to_tensor(rgb, (1, 3, 16, 16), preset="imagenet")
    # The preset is resize floor(16 / 0.875) = 18, crop 16, ImageNet mean/std.
    q = tessera.image.to_tensor(rgb, (1, 3, 16, 16), resize=18, center_crop=16,
                                mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    assert np.array_equal(p, q)


def test_from_tensor_inverts_to_tensor(rgb):
    t = tessera.image.to_tensor(rgb, (1, 3, 24, 40), pixel_range="signed")
    assert np.array_equal(tessera.image.from_tensor(t, pixel_range="signed"), rgb)


def test_bad_images(tmp_path, rgb):
    data = png_bytes(rgb)
    (tmp_path / "trunc.png").write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match="truncated"):
        tessera.image.load(tmp_path / "trunc.png")
    (tmp_path / "deep.png").write_bytes(png_bytes(rgb.astype(np.uint16) * 257, bits=16))
    with pytest.raises(ValueError, match="16-bit"):
        tessera.image.load(tmp_path / "deep.png")
    (tmp_path / "text.png").write_bytes(b"hello")
    with pytest.raises(ValueError):
        tessera.image.load(tmp_path / "text.png")
    with pytest.raises(FileNotFoundError):
        tessera.image.load(tmp_path / "missing.png")
    gray = rgb[..., :1].copy()
    with pytest.raises(ValueError, match="channel"):
        tessera.image.to_tensor(gray, (1, 3, 24, 40))
    with pytest.raises(ValueError, match="resize"):
        tessera.image.to_tensor(rgb, (1, 3, 24, 40), resize="big")
    with pytest.raises(TypeError, match="uint8"):
        tessera.image.to_tensor(rgb.astype(np.float32), (1, 3, 24, 40))


def test_vit_top5_on_a_png(tmp_path, rgb):
    from conftest import TINY_VIT, model
    (tmp_path / "photo.png").write_bytes(png_bytes(rgb))
    vit = tessera.compile(model("vit.tg"), defines=TINY_VIT, threads=1)
    x = tessera.image.to_tensor(tmp_path / "photo.png", vit.inputs[0].shape, preset="inception")
    scores = vit(image=x)[vit.outputs[0].name][0]
    top5 = np.argsort(-scores, kind="stable")[:5]
    assert len(set(top5.tolist())) == 5


def test_declared_preprocessing_for_image_paths(tmp_path, rgb):
    """A path for an image input is read and preprocessed as the model file declares
    (`preprocess "--preset inception"` in models/vit.tg), like `tessera run --input
    image=photo.png`; options of to_tensor still override the declaration."""
    from conftest import TINY_VIT, model
    path = tmp_path / "photo.png"
    path.write_bytes(png_bytes(rgb))
    vit = tessera.compile(model("vit.tg"), defines=TINY_VIT, threads=1)
    assert vit.image_flags == "--preset inception"
    explicit = tessera.image.to_tensor(path, vit.inputs[0].shape, preset="inception")
    np.testing.assert_array_equal(vit(image=path)["logits"], vit(image=explicit)["logits"])
    np.testing.assert_array_equal(vit(image=str(path))["logits"], vit(image=explicit)["logits"])
    declared = tessera.image.to_tensor(path, vit.inputs[0].shape, flags=vit.image_flags.split())
    np.testing.assert_array_equal(declared, explicit)
    overridden = tessera.image.to_tensor(path, vit.inputs[0].shape,
                                         flags=vit.image_flags.split(), mean=0)
    assert not np.array_equal(overridden, explicit)
    with pytest.raises(FileNotFoundError):
        vit(image=tmp_path / "missing.png")


def test_image_path_for_an_integer_input(tmp_path, rgb):
    path = tmp_path / "photo.png"
    path.write_bytes(png_bytes(rgb))
    src = tmp_path / "ids.tg"
    src.write_text("graph g(ids: i64[1, 4]) -> (y: i64[1, 4]) {\n  return ids * 1\n}\n")
    m = tessera.compile(src)
    assert m.image_flags == ""
    with pytest.raises(TypeError, match="only an f32 input can be given as an image file"):
        m(ids=path)
