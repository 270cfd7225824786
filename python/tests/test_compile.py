"""tessera.compile: defines, weights, temporary and kept outputs, diagnostics."""
import numpy as np
import pytest

import tessera
from conftest import TINY_VIT, model


def test_compile_tiny_vit_with_defines(tmp_path):
    vit = tessera.compile(model("vit.tg"), defines=TINY_VIT, threads=1)
    assert vit.inputs[0].shape == (1, 3, 32, 32)
    assert vit.outputs[0].shape == (1, 10)
    scores = vit(image=np.zeros((1, 3, 32, 32), np.float32))[vit.outputs[0].name]
    assert np.isfinite(scores).all()


def test_compile_keeps_output(tmp_path, mlp_weights):
    out = tmp_path / "kept.tsm"
    m = tessera.compile(model("mlp.tg"), defines={"B": 3}, output=out)
    assert out.exists() and m.inputs[0].shape == (3, 16)


def test_diagnostics_carry_file_line_col(tmp_path):
    bad = tmp_path / "bad.tg"
    bad.write_text("graph g(x: f32[2]) -> (y: f32[2]) {\n  return nosuchop(x)\n}\n")
    with pytest.raises(tessera.CompileError) as info:
        tessera.compile(bad)
    assert "bad.tg:2:" in str(info.value) and info.value.returncode != 0


def test_unknown_define_and_missing_file(tmp_path):
    with pytest.raises(tessera.CompileError, match="NOPE"):
        tessera.compile(model("mlp.tg"), defines={"NOPE": 1})
    with pytest.raises(FileNotFoundError):
        tessera.compile(tmp_path / "missing.tg")


def test_expose_attention_matches_timm(tmp_path):
    """The attention probabilities come back as outputs, equal to timm's (the vit_tiny fixture
    of tests/reference/vit_ref.py, captured at attn_drop) within a relative L2 error of 1e-4."""
    import os
    from conftest import REPO
    fixture = os.path.join(REPO, "tests", "fixtures", "vit_tiny")
    vit = tessera.compile(model("vit.tg"), defines=dict(TINY_VIT, batch=2),
                          weights=os.path.join(fixture, "weights.safetensors"),
                          expose_attention=True, threads=1)
    names = [spec.name for spec in vit.outputs]
    assert names == ["logits", "attention:blocks.0.attn.qkv", "attention:blocks.1.attn.qkv"]
    results = vit(image=np.load(os.path.join(fixture, "image.npy")))
    for name in names[1:]:
        expected = np.load(os.path.join(fixture, "expected_" + name.replace(":", "_") + ".npy"))
        got = results[name]
        assert got.shape == expected.shape == (2, 4, 17, 17)
        assert np.abs(got.sum(-1) - 1).max() < 1e-5
        assert np.linalg.norm(got - expected) / np.linalg.norm(expected) < 1e-4
