"""Tessera from Python: compile vision-transformer graphs and run the compiled modules.

    import tessera
    vit = tessera.compile("models/vit.tg", defines={"IMAGE": 32})
    scores = vit(image=tessera.image.to_tensor("cat.png", vit.inputs[0].shape,
                                               preset="imagenet"))["logits"]
"""
from . import image
from ._tessera import Error, __version__
from .compiler import CompileError, compile
from .runtime import BenchResult, Module, TensorSpec, load

__all__ = ["BenchResult", "CompileError", "Error", "Module", "TensorSpec", "__version__",
           "compile", "image", "load"]
