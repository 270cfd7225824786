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
