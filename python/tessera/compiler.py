"""tessera.compile: the `tessera compile` command from Python."""
import os
import shutil
import subprocess
import tempfile
from typing import Mapping, Optional, Sequence

from .runtime import Module, load


class CompileError(Exception):
    """`tessera compile` refused the graph; the message is its diagnostics (file:line:col)."""

    def __init__(self, message: str, returncode: int):
        super().__init__(message)
        self.returncode = returncode


def compiler_path() -> str:
    """The `tessera` executable: $TESSERA_COMPILER, the one inside this package, this build
    tree's, or the first on PATH."""
    candidates = [os.environ.get("TESSERA_COMPILER")]
    here = os.path.dirname(os.path.abspath(__file__))
    candidates.append(os.path.join(here, "bin", "tessera"))
    try:
        from . import _build
        candidates.append(_build.COMPILER)
    except ImportError:
        pass
    candidates.append(shutil.which("tessera"))
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise CompileError("no Tessera compiler found: set TESSERA_COMPILER to the `tessera` "
                       "executable or put it on PATH", 2)


def compile(source, defines: Optional[Mapping[str, object]] = None, weights=None,
            target: str = "cpu", output=None, graph: Optional[str] = None,
            seed: Optional[int] = None, options: Sequence[str] = (), threads: int = 0,
            device: str = "cpu", expose_attention: bool = False) -> Module:
    """Compiles the DSL file `source` and loads the result.

    defines: config constants ({"DEPTH": 2} is -D DEPTH=2); weights: a .safetensors file;
    target: "cpu", "cuda" or "cpu,cuda"; output: where to keep the .tsm (default: a temporary
    file, removed after loading); expose_attention: also return every fused attention's
    probabilities, as outputs "attention:LAYER" [B.., queries, keys] ([B, heads, queries,
    keys] for multi-head attention); options: more
    `tessera compile` flags. threads and device are those of the returned module's session
    (see tessera.load)."""
    source = os.fspath(source)
    if not os.path.exists(source):
        raise FileNotFoundError("no such model file: %s" % source)
    args = [compiler_path(), "compile", source, "--target", target]
    for name, value in (defines or {}).items():
        if isinstance(value, bool):
            value = int(value)
        args += ["-D", "%s=%s" % (name, value)]
    if weights is not None:
        args += ["--weights", os.fspath(weights)]
    if graph is not None:
        args += ["--graph", graph]
    if seed is not None:
        args += ["--seed", str(seed)]
    if expose_attention:
        args.append("--expose-attention")
    args += list(options)
    with tempfile.TemporaryDirectory(prefix="tessera-") as scratch:
        path = os.fspath(output) if output is not None else os.path.join(scratch, "module.tsm")
        result = subprocess.run(args + ["-o", path], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            raise CompileError((result.stderr or result.stdout).strip(), result.returncode)
        if output is not None:
            return load(path, threads=threads, device=device)
        with open(path, "rb") as module_file:
            data = module_file.read()
    return load(data, threads=threads, device=device)
