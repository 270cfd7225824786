// Codegen passes: they run after bufferization, on memrefs.
#ifndef TESSERA_CODEGEN_PASSES_H
#define TESSERA_CODEGEN_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace tessera {

/// Attribute names shared by the codegen passes and the module writer.
inline constexpr const char *kArenaOffsetAttr = "tess.arena_offset";
inline constexpr const char *kArenaSizeAttr = "tess.arena_size";
inline constexpr const char *kDispatchAttr = "tess.dispatch";
inline constexpr const char *kWorkgroupsAttr = "tess.workgroups";
/// On the loop nest of a generated kernel: its kind, which names the dispatch ("gemm", "conv").
inline constexpr const char *kKernelAttr = "tess.kernel";
/// On a dispatch function: its floating-point operations per run (2 per multiply-accumulate).
inline constexpr const char *kFlopsAttr = "tess.flops";
/// On a GPU kernel: threads per block and the suggested number of blocks.
inline constexpr const char *kGpuBlockAttr = "tess.gpu_block";
inline constexpr const char *kGpuGridAttr = "tess.gpu_grid";
/// On a dispatch function lowered for a GPU: the cuBLASLt matrix product it is.
inline constexpr const char *kGpuGemmAttr = "tess.gpu_gemm";
/// On a dispatch function lowered for a GPU: its kernels in launch order.
inline constexpr const char *kGpuKernelsAttr = "tess.gpu_kernels";
/// On a graph argument holding a parameter packed into kernel panels (see PackWeights).
inline constexpr const char *kPackedAttr = "tess.packed";

#define GEN_PASS_DECL
#include "tessera/codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tessera/codegen/Passes.h.inc"

} // namespace tessera

#endif // TESSERA_CODEGEN_PASSES_H
