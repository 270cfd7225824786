// Elementwise fusion with a cost rule: fuse only where it removes a buffer without making any
// element be computed more than once.
#include "tessera/passes/Passes.h"
#include "tessera/passes/PassReport.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace tessera {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "tessera/passes/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

bool isElementwise(linalg::GenericOp op) {
  return op.getNumLoops() == op.getNumParallelLoops() &&
         llvm::all_of(op.getIndexingMapsArray(), [](AffineMap m) { return m.isPermutation(); });
}

struct FuseElementwisePass : tessera::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    unsigned fused = 0;
    linalg::ControlFusionFn control = [&fused](OpOperand *use) {
      auto producer = use->get().getDefiningOp<linalg::GenericOp>();
      auto consumer = dyn_cast<linalg::GenericOp>(use->getOwner());
      if (!producer || !consumer || !producer->hasOneUse() || !isElementwise(producer))
        return false;
      // A projected or broadcasting read would recompute the producer per reuse.
      if (!consumer.getMatchingIndexingMap(use).isPermutation())
        return false;
      ++fused;
      return true;
    };
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    numFused += fused;
    tessera::reportStatistic(getArgument(), "producers fused", fused);
  }
};

} // namespace
