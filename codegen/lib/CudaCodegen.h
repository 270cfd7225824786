// CUDA code generation: dispatch functions (loops on buffers) -> GPU kernels (gpu dialect)
// -> NVVM -> LLVM NVPTX backend -> PTX text, with libdevice from the CUDA toolkit linked in for
// the math functions.
#ifndef TESSERA_CODEGEN_CUDACODEGEN_H
#define TESSERA_CODEGEN_CUDACODEGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tessera::codegen {

/// A cuBLASLt matrix product (schema GemmCall).
struct GemmCallInfo {
  int64_t m = 0, n = 0, k = 0, batch = 1;
  uint32_t a = 0, b = 0, d = 0; // binding numbers
  int64_t aOffset = 0, bOffset = 0, dOffset = 0;
  bool transposeA = false, transposeB = false;
  int64_t lda = 0, ldb = 0, ldd = 0, strideA = 0, strideB = 0, strideD = 0;
  float beta = 0.0f;
};

/// One launch of a dispatch on the GPU: a kernel, or a library call.
struct GpuKernelInfo {
  std::string name;       // the .entry in the PTX
  uint32_t blockSize = 0; // threads per block (x)
  uint32_t gridSize = 1;  // blocks suggested (x); the kernel is correct for any grid
  uint32_t sharedMemoryBytes = 0;
  std::optional<GemmCallInfo> gemm;
};

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
