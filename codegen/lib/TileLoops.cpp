// Applies the tile sizes that tensor-level passes recorded on linalg ops (`tess.tile_sizes`,
// e.g. by tessera-tile-lambda): after bufferization and dispatch formation, each marked op
// becomes an scf.parallel over its tiles of parallel loops, scf.for over its tiles of
// reduction loops, around the op on subviews.
#include "tessera/codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "tessera/passes/PassReport.h"
#include "tessera/passes/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace tessera {
#define GEN_PASS_DEF_TILELOOPS
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

/// A transpose that moves the innermost dimension walks one of its buffers with a large
/// stride: tiles of 16 x 16 over the two dimensions involved keep both sides in cache lines
/// that are used whole (NHWC -> NCHW of a 400 x 400 x 64 map: 21 ms untiled).
std::optional<SmallVector<int64_t>> transposeTiles(linalg::TransposeOp t) {
  if (!t.hasPureBufferSemantics())
    return std::nullopt;
  ArrayRef<int64_t> perm = t.getPermutation();
  int64_t rank = perm.size();
  if (rank < 2 || perm.back() == rank - 1)
    return std::nullopt;
  auto out = cast<MemRefType>(t.getInit().getType());
  // Output dims: the innermost, and the one that is the input's innermost.
  int64_t inner = rank - 1, other = -1;
  for (int64_t i = 0; i < rank; ++i)
    if (perm[i] == rank - 1)
      other = i;
  if (other < 0 || out.getDimSize(inner) < 32 || out.getDimSize(other) < 32)
    return std::nullopt;
  SmallVector<int64_t> sizes(rank, 0);
  sizes[inner] = 16;
  sizes[other] = 16;
  return sizes;
}

struct TileLoopsPass : tessera::impl::TileLoopsBase<TileLoopsPass> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> marked;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(tessera::kTileSizesAttr) && op.hasPureBufferSemantics())
        marked.push_back(op);
      else if (auto t = dyn_cast<linalg::TransposeOp>(op.getOperation()))
        if (auto sizes = transposeTiles(t))
          op->setAttr(tessera::kTileSizesAttr, DenseI64ArrayAttr::get(op->getContext(), *sizes)),
              marked.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    unsigned tiled = 0;
    for (linalg::LinalgOp op : marked) {
      auto sizes = op->getAttrOfType<DenseI64ArrayAttr>(tessera::kTileSizesAttr);
      if (!sizes || sizes.size() != op.getNumLoops()) {
        op->emitError("tess.tile_sizes needs one size per loop");
        return signalPassFailure();
      }
      linalg::LinalgTilingOptions options;
      options.setTileSizes(sizes.asArrayRef())
          .setLoopType(linalg::LinalgTilingLoopType::ParallelLoops);
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::TiledLinalgOp> result = linalg::tileLinalgOp(rewriter, op, options);
      if (failed(result)) {
        op->emitError("could not tile");
        return signalPassFailure();
      }
      result->op->removeAttr(tessera::kTileSizesAttr);
      rewriter.eraseOp(op);
      ++tiled;
    }
    numTiled += tiled;
    tessera::reportStatistic(getArgument(), "ops tiled", tiled);
  }
};

} // namespace
