// Builders the block-level GPU kernel passes share (tessera-gpu-attention,
// tessera-gpu-block-reductions, tessera-gpu-tiled-contractions) and the per-thread loops of
// tessera-gpu-loops use: element indices through an indexing map, flat positions split into
// loop indices, and the one-dimensional launch whose body loops over work items.
#ifndef TESSERA_CODEGEN_GPUKERNELBUILDERS_H
#define TESSERA_CODEGEN_GPUKERNELBUILDERS_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"

namespace tessera::codegen {

/// The indices `map`(ivs), one affine.apply per result.
llvm::SmallVector<mlir::Value> indicesAt(mlir::OpBuilder &b, mlir::Location loc,
                                         mlir::AffineMap map, mlir::ValueRange ivs);

/// Element `map`(ivs) of `operand`: a load for a buffer, the value itself for a scalar.
mlir::Value loadAt(mlir::OpBuilder &b, mlir::Location loc, mlir::Value operand, mlir::AffineMap map,
                   mlir::ValueRange ivs);

/// Sets ivs[loops[i]] to the loop indices of flat position `flat` over `loops` (extents from
/// `ranges`, last loop fastest).
void delinearize(mlir::OpBuilder &b, mlir::Location loc, mlir::Value flat,
                 llvm::ArrayRef<unsigned> loops, llvm::ArrayRef<int64_t> ranges,
                 llvm::SmallVectorImpl<mlir::Value> &ivs);

/// A gpu.launch of `grid` x `threads` (x only) with the given shared (workgroup) and private
/// memory, whose body is a loop over work items 0..work strided by the grid, so any grid size
/// is correct. `body` builds one item's work (the item's index, the launch for its ids and
/// memory) and need not yield.
mlir::gpu::LaunchOp createWorkLoopLaunch(
    mlir::OpBuilder &b, mlir::Location loc, int64_t grid, int64_t threads, int64_t work,
    mlir::TypeRange shared, mlir::TypeRange priv,
    llvm::function_ref<void(mlir::OpBuilder &, mlir::Value item, mlir::gpu::LaunchOp)> body);

} // namespace tessera::codegen

#endif // TESSERA_CODEGEN_GPUKERNELBUILDERS_H
