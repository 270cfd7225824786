// CUDA code generation: dispatch functions (loops on buffers) -> GPU kernels (gpu dialect)
// -> NVVM -> LLVM NVPTX backend -> PTX text, with libdevice from the CUDA toolkit linked in for
// the math functions.
#ifndef TESSERA_CODEGEN_CUDACODEGEN_H
#define TESSERA_CODEGEN_CUDACODEGEN_H

#include "tessera/Module.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace tessera::codegen {

/// One launch of a dispatch on the GPU, as the module records it (runtime/include/tessera/
/// Module.h); the module writer fills in the entry point.
using GpuKernelInfo = runtime::GpuKernelInfo;
using GemmCallInfo = runtime::GemmCallInfo;

struct PtxExecutable {
  std::string arch; // "sm_90"
  std::string ptx;
  /// Dispatch function -> its kernels in launch order (possibly none).
  std::map<std::string, std::vector<GpuKernelInfo>> kernels;
};

/// The CUDA architectures --cuda-arch accepts.
std::vector<std::string> supportedCudaArchs();

/// The CUDA toolkit to take libdevice from: `requested`, else $CUDA_PATH, else /usr/local/cuda.
/// Fails with the paths tried when libdevice is not there.
llvm::Expected<std::string> findLibdevice(const std::string &requested);

/// Serializes the kernels of `module` (after tessera-outline-gpu-kernels: a gpu.module of
/// kernels and dispatch functions naming theirs in tess.gpu_kernels) as PTX for `arch`, with
/// `libdevice` (a path) linked for the math functions.
llvm::Expected<PtxExecutable> emitPtx(mlir::ModuleOp module, const std::string &arch,
                                      const std::string &libdevice);

} // namespace tessera::codegen

#endif // TESSERA_CODEGEN_CUDACODEGEN_H
