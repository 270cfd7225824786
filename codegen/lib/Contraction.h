// The structure of a contraction on buffers, as the CPU contraction kernels see it: which
// operand is read one scalar at a time and broadcast (lhs), which one is read as vectors along
// the output's innermost dimension (rhs), and which loops are vectorized, register-blocked,
// looped over outside, and reduced. Shared by the weight packing and the kernel generator so
// that both agree on what a packed operand is.
#ifndef TESSERA_CODEGEN_CONTRACTION_H
#define TESSERA_CODEGEN_CONTRACTION_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace tessera::codegen {

struct Contraction {
  mlir::linalg::GenericOp op;
  unsigned lhs = 0, rhs = 0; // input operand numbers
  /// The loop along the output's innermost (unit-stride) dimension: vectorized. rhs depends
  /// on it, lhs does not.
  unsigned n = 0;
  /// The parallel loops blocked over registers, outermost first: lhs depends on each, rhs on
  /// none (one rhs vector serves every row of the block). The kernel walks them as one
  /// flattened row index (tokens of a batch, output pixels of a convolution). Empty for a
  /// matrix-vector product.
  llvm::SmallVector<unsigned> m;
  /// The other parallel loops (rhs depends on them), in the order the output indexes them.
  llvm::SmallVector<unsigned> outer;
  /// Reduction loops, outermost first: the order of a packed rhs; for an rhs still to be
  /// packed, the order that walks lhs with the smallest strides innermost; else rhs's order.
  llvm::SmallVector<unsigned> reductions;
  /// Loop extents.
  llvm::SmallVector<int64_t> ranges;
  /// Product of the extents of `m` (1 when empty).
  int64_t rows() const {
    int64_t r = 1;
    for (unsigned d : m)
      r *= ranges[d];
    return r;
  }
  /// > 0 when rhs is already packed into panels: it is read at (.., n floordiv panel, ..,
  /// n mod panel) with the last index of unit stride.
  int64_t panel = 0;
  /// rhs can be packed: its indexing map is a projected permutation and it does not have
  /// the unit-stride layout along n that the kernel reads directly.
  bool rhsContiguous = false;
};

/// Recognizes `out += lhs * rhs` generics on static buffers (any number of parallel and
/// reduction loops, projected-permutation output, lhs indexed by any affine map) whose output
/// has unit stride along its innermost dimension. Fails for everything else, which keeps the
/// generic loop lowering.
std::optional<Contraction> matchContraction(mlir::linalg::GenericOp op);

/// The column block (and packing panel) for `n` columns with vectors of `lanes` f32: the
/// width of 2 to 4 vectors (2 to 3 with fewer than 16 lanes: half the registers) that wastes
/// the fewest padded columns, preferring 3 vectors on a tie.
int64_t chooseColumns(int64_t n, int64_t lanes);

/// Rows per register block for `vectors` vectors of `lanes` lanes: rows x vectors
/// accumulators, the rhs vectors and a broadcast within the register file (32 registers with
/// 16 lanes, else 16), at the shapes measured best (docs/PERFORMANCE.md).
int64_t chooseRows(int64_t vectors, int64_t lanes);

/// True when the memref's innermost dimension has unit stride (static layout).
bool hasUnitInnerStride(mlir::MemRefType type);

/// The payload is exactly `yield out + x * y` (either operand order), x and y the two inputs.
bool isMultiplyAccumulate(mlir::linalg::GenericOp op);

} // namespace tessera::codegen

#endif // TESSERA_CODEGEN_CONTRACTION_H
