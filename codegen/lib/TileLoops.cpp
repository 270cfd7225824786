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

struct TileLoopsPass : tessera::impl::TileLoopsBase<TileLoopsPass> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> marked;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(tessera::kTileSizesAttr) && op.hasPureBufferSemantics())
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
