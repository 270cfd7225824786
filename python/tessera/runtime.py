"""Loaded modules: their input/output specs, running them, timing them."""
import os
import statistics
import time
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np

from . import _tessera


@dataclass(frozen=True)
class TensorSpec:
    """One input or output of a module: its name, numpy dtype and shape."""
    name: str
    dtype: np.dtype
    shape: Tuple[int, ...]

    def __str__(self):
        return "%s: %s%s" % (self.name, self.dtype.name, list(self.shape))


def _specs(raw) -> List[TensorSpec]:
    return [TensorSpec(s.name, np.dtype(s.dtype), tuple(s.shape)) for s in raw]


@dataclass(frozen=True)
class BenchResult:
    """Wall times in milliseconds of single timed runs, after warm-up runs."""
    times_ms: Tuple[float, ...]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def min_ms(self) -> float:
        return min(self.times_ms)

    def __str__(self):
        return "median %.3f ms, min %.3f ms over %d runs" % (self.median_ms, self.min_ms,
                                                              len(self.times_ms))


class Module:
    """A compiled module with a session on one device. Calls from several threads are safe
    (the runtime runs them one at a time); the GIL is released while the module runs."""

    def __init__(self, raw_module, threads: int = 0, device: str = "cpu", cuda_device: int = 0,
                 max_memory: int = 0, path: Optional[str] = None):
        _check_session_options(threads, device, cuda_device, max_memory)
        if not isinstance(raw_module, _tessera.Module):
            raise TypeError("Module wraps a loaded module; use tessera.load(path)")
        self._module = raw_module
        self._session = _tessera.Session(raw_module, threads, device, cuda_device, max_memory)
        self.inputs: List[TensorSpec] = _specs(raw_module.inputs)
        self.outputs: List[TensorSpec] = _specs(raw_module.outputs)
        # The model file's `preprocess` declaration, as tessera run's image flags.
        self.image_flags: str = raw_module.image_flags
        self.threads = threads
        self.path = path

    @property
    def device(self) -> str:
        """'cpu', or the CUDA device's name and architecture."""
        return self._session.device_name

    def __repr__(self):
        return "<tessera.Module %s inputs=[%s] outputs=[%s] device=%s>" % (
            self.path or "(bytes)", ", ".join(map(str, self.inputs)),
            ", ".join(map(str, self.outputs)), self.device)

    def __call__(self, **inputs) -> Dict[str, np.ndarray]:
        return self.run(inputs)

    def run(self, inputs: Mapping[str, object]) -> Dict[str, np.ndarray]:
        """Runs the module on {input name: array}; returns {output name: new array}.
        C-contiguous arrays of the input's dtype are passed without a copy; other layouts are
        copied; another dtype or shape is an error naming the input. A path (an os.PathLike, or
        a str ending in .png, .jpg or .jpeg) for an f32 input is read as a PNG or JPEG image
        and preprocessed as the model declares (image_flags), as `tessera run --input
        NAME=FILE.png` does."""
        return dict(zip((s.name for s in self.outputs), self._session.run(self._bind(inputs))))

    def bench(self, inputs: Optional[Mapping[str, object]] = None, runs: int = 20,
              warmup: int = 3) -> BenchResult:
        """Times `runs` single runs after `warmup` untimed ones. Without inputs, each input is
        filled with zeros."""
        if runs < 1 or warmup < 0:
            raise ValueError("bench needs runs >= 1 and warmup >= 0")
        if inputs is None:
            inputs = {s.name: np.zeros(s.shape, s.dtype) for s in self.inputs}
        bound = self._bind(inputs)
        for _ in range(warmup):
            self._session.run(bound)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            self._session.run(bound)
            times.append((time.perf_counter() - start) * 1e3)
        return BenchResult(tuple(times))

    def _bind(self, inputs: Mapping[str, object]) -> List[np.ndarray]:
        if not isinstance(inputs, Mapping):
            raise TypeError("inputs must be a mapping of input name to array, got %s"
                            % type(inputs).__name__)
        names = [s.name for s in self.inputs]
        unknown = [k for k in inputs if k not in names]
        if unknown:
            raise TypeError("unknown input %s; the module's inputs: %s"
                            % (", ".join("'%s'" % k for k in unknown),
                               ", ".join(map(str, self.inputs)) or "none"))
        missing = [n for n in names if n not in inputs]
        if missing:
            raise TypeError("missing input %s; the module's inputs: %s"
                            % (", ".join("'%s'" % n for n in missing),
                               ", ".join(map(str, self.inputs))))
        return [self._array(spec, self._image_input(spec, inputs[spec.name]))
                for spec in self.inputs]

    def _image_input(self, spec: TensorSpec, value):
        # A pathlib path, or a string naming a .png/.jpg file: anything else stays an array-like
        # (and a stray string is the usual TypeError).
        is_path = isinstance(value, os.PathLike) or (
            isinstance(value, str) and value.lower().endswith((".png", ".jpg", ".jpeg")))
        if not is_path:
            return value
        if spec.dtype != np.float32:
            raise TypeError("input '%s' is %s; only an f32 input can be given as an image file"
                            % (spec.name, spec.dtype.name))
        from . import image
        return image.to_tensor(value, spec.shape, flags=self.image_flags.split())

    @staticmethod
    def _array(spec: TensorSpec, value) -> np.ndarray:
        if isinstance(value, np.ndarray):
            # No silent casts: float64 to float32 loses precision, int64 to int32 may wrap.
            if value.dtype != spec.dtype:
                raise TypeError("input '%s' expects %s, got a %s array (%s); convert it with "
                                ".astype(numpy.%s)" % (spec.name, spec.dtype.name,
                                                       value.dtype.name, value.dtype.str,
                                                       spec.dtype.name))
            array = value
        else:
            try:
                array = np.asarray(value, dtype=spec.dtype)
            except (TypeError, ValueError) as err:
                raise TypeError("input '%s' expects a %s array, got %s (%s)"
                                % (spec.name, spec.dtype.name, type(value).__name__, err))
        if array.shape != spec.shape:
            raise ValueError("input '%s' expects shape %s, got %s"
                             % (spec.name, _shape(spec.shape), _shape(array.shape)))
        # (np.ascontiguousarray would turn a rank-0 array into rank 1.)
        return array if array.flags.c_contiguous else array.copy(order="C")


def _check_session_options(threads, device, cuda_device, max_memory):
    if not isinstance(threads, int) or not 0 <= threads <= 4096:
        raise ValueError("threads must be an int in 0..4096 (0 = all cores), got %r"
                         % (threads,))
    if device not in ("cpu", "cuda"):
        raise ValueError("device must be 'cpu' or 'cuda', got %r" % (device,))
    if not isinstance(cuda_device, int) or cuda_device < 0:
        raise ValueError("cuda_device must be an int >= 0, got %r" % (cuda_device,))
    if not isinstance(max_memory, int) or max_memory < 0:
        raise ValueError("max_memory must be a byte count >= 0 (0 = half the machine's), "
                         "got %r" % (max_memory,))


def _shape(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


def load(source, threads: int = 0, device: str = "cpu", cuda_device: int = 0,
         max_memory: int = 0) -> Module:
    """Loads a compiled module from a .tsm path (or its bytes) and creates a session:
    `threads` workers (0 = all cores, 1 = the calling thread only) on `device` ('cpu' or
    'cuda'); `max_memory` caps the bytes the session allocates (0 = half the machine's)."""
    _check_session_options(threads, device, cuda_device, max_memory)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return Module(_tessera.Module.load_bytes(bytes(source)), threads, device, cuda_device,
                      max_memory)
    path = os.fspath(source)
    if not os.path.exists(path):
        raise FileNotFoundError("no such module file: %s" % path)
    return Module(_tessera.Module.load_file(path), threads, device, cuda_device, max_memory,
                  path=path)
