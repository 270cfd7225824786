"""tessera.load / Module: specs, running against numpy, argument errors, threads."""
import threading

import numpy as np
import pytest

import tessera


def mlp_reference(x, w):
    # float64 reference of y = fc2(relu(fc1(x))).
    h = np.maximum(x.astype(np.float64) @ w["fc1.weight"].T + w["fc1.bias"], 0)
    return h @ w["fc2.weight"].T + w["fc2.bias"]


def test_specs(mlp_module_path):
    m = tessera.load(mlp_module_path, threads=1)
    assert [(s.name, s.dtype, s.shape) for s in m.inputs] == [("x", np.float32, (2, 16))]
    assert [(s.name, s.dtype, s.shape) for s in m.outputs] == [("y", np.float32, (2, 8))]
    assert m.device == "cpu"
    assert "x: float32[2, 16]" in repr(m)


@pytest.mark.parametrize("threads", [1, 2, 0])
def test_matches_numpy(mlp_module_path, mlp_weights, threads):
    m = tessera.load(mlp_module_path, threads=threads)
    x = np.random.default_rng(1).standard_normal((2, 16)).astype(np.float32)
    y = m(x=x)["y"]
    assert y.dtype == np.float32 and y.shape == (2, 8)
    # fp32 accumulation over 16 and 32 terms: 1e-5 relative to the output's scale.
    ref = mlp_reference(x, mlp_weights)
    np.testing.assert_allclose(y, ref, rtol=0, atol=1e-5 * np.abs(ref).max())
    assert np.array_equal(m.run({"x": x})["y"], y)


def test_non_contiguous_and_lists_are_accepted(mlp_module_path, mlp_weights):
    m = tessera.load(mlp_module_path, threads=1)
    x = np.random.default_rng(2).standard_normal((16, 2)).astype(np.float32)
    assert np.array_equal(m(x=x.T)["y"], m(x=np.ascontiguousarray(x.T))["y"])
    assert np.array_equal(m(x=x.T.tolist())["y"], m(x=x.T)["y"])


def test_load_bytes(mlp_module_path):
    with open(mlp_module_path, "rb") as f:
        m = tessera.load(f.read(), threads=1)
    assert m.inputs[0].name == "x"


def test_argument_errors(mlp_module_path):
    m = tessera.load(mlp_module_path, threads=1)
    x = np.zeros((2, 16), np.float32)
    with pytest.raises(ValueError, match=r"input 'x' expects shape \(2, 16\), got \(16, 2\)"):
        m(x=np.zeros((16, 2), np.float32))
    with pytest.raises(TypeError, match="input 'x' expects float32, got a float64 array"):
        m(x=np.zeros((2, 16)))
    with pytest.raises(TypeError, match="missing input 'x'"):
        m()
    with pytest.raises(TypeError, match=r"unknown input 'z'; the module's inputs: x: float32\[2, 16\]"):
        m(x=x, z=x)
    with pytest.raises(TypeError, match="input 'x' expects a float32 array, got str"):
        m(x="hello")
    with pytest.raises(TypeError, match="mapping"):
        m.run([x])
    # Same kind, other byte order: still not the module's dtype.
    with pytest.raises(TypeError, match=r"expects float32, got a float32 array \(>f4\)"):
        m(x=x.astype(">f4"))


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such module file"):
        tessera.load(tmp_path / "missing.tsm")
    bad = tmp_path / "bad.tsm"
    bad.write_bytes(b"not a module at all, just some bytes")
    with pytest.raises(tessera.Error):
        tessera.load(bad)
    with pytest.raises(tessera.Error):
        tessera.load(b"\x00" * 64)
    with pytest.raises(ValueError, match="threads"):
        tessera.load(bad, threads=-1)
    with pytest.raises(ValueError, match="device"):
        tessera.load(bad, device="tpu")
    with pytest.raises(ValueError, match="threads"):
        tessera.load(bad, threads=10**6)
    with pytest.raises(TypeError):
        tessera.Module(None)
    with pytest.raises(TypeError):
        tessera._tessera.Session(None, 1, "cpu", 0, 0)


def test_cuda_without_gpu_module_is_a_clear_error(mlp_module_path):
    # A CPU-only module has no PTX: the session refuses it with a message, never crashes.
    with pytest.raises(tessera.Error, match="(?i)cuda|ptx"):
        tessera.load(mlp_module_path, device="cuda")


def test_gil_released_and_threads_share_a_module(mlp_module_path, mlp_weights):
    m = tessera.load(mlp_module_path, threads=1)
    x = np.random.default_rng(3).standard_normal((2, 16)).astype(np.float32)
    expected = m(x=x)["y"]
    results, errors = [], []

    def worker():
        try:
            for _ in range(50):
                results.append(np.array_equal(m(x=x)["y"], expected))
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 200 and all(results)


def test_bench(mlp_module_path):
    m = tessera.load(mlp_module_path, threads=1)
    result = m.bench(runs=5, warmup=1)
    assert len(result.times_ms) == 5 and 0 < result.min_ms <= result.median_ms
    assert "median" in str(result)
    with pytest.raises(ValueError):
        m.bench(runs=0)


def test_version():
    assert tessera.__version__.count(".") == 2
