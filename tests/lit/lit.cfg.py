# lit configuration for Tessera's FileCheck tests: dialect round trips and verifier errors,
# one file per pass, DSL diagnostics and command-line behaviour.
import os
import lit.formats

config.name = "Tessera"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".tg", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tessera_obj_root, "tests", "lit")
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py.in"]

# Tools: the project's binaries first, then FileCheck & co. from LLVM 19.
# Sanitized builds: their options reach the tools lit runs (a report must fail the test).
for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS"):
    if name in os.environ:
        config.environment[name] = os.environ[name]
config.environment["PATH"] = os.pathsep.join(
    [config.tessera_bin_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
config.substitutions.append(("%models", os.path.join(config.tessera_src_root, "models")))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))
config.substitutions.append(("%python", config.python_executable))

# CUDA: `--target cuda` needs the toolkit's libdevice; assembling PTX needs ptxas.
cuda_root = os.environ.get("CUDA_PATH") or "/usr/local/cuda"
if os.path.isfile(os.path.join(cuda_root, "nvvm", "libdevice", "libdevice.10.bc")):
    config.available_features.add("cuda-toolkit")
    ptxas = os.path.join(cuda_root, "bin", "ptxas")
    if os.access(ptxas, os.X_OK):
        config.available_features.add("ptxas")
        config.substitutions.append(("%ptxas", ptxas))

# The fake CUDA driver of the runtime tests (tests/unit/runtime/FakeCuda.c).
config.substitutions.append(
    ("%fakecuda", os.path.join(config.tessera_obj_root, "lib", "libtessera_fake_cuda.so")))
config.substitutions.append(
    ("%fakecublaslt", os.path.join(config.tessera_obj_root, "lib", "libtessera_fake_cublaslt.so")))
