// Tess-level passes and the registration of everything in passes/.
#ifndef TESSERA_PASSES_PASSES_H
#define TESSERA_PASSES_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

#include <memory>

namespace tessera {

/// Tile sizes a tensor-level pass chose for a linalg op (one per loop, 0 = untiled), applied
/// after bufferization by codegen's tessera-tile-loops.
constexpr llvm::StringLiteral kTileSizesAttr = "tess.tile_sizes";

#define GEN_PASS_DECL
#include "tessera/passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tessera/passes/Passes.h.inc"

} // namespace tessera

#endif // TESSERA_PASSES_PASSES_H
