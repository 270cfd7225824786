// tile-lambda: the relative position embedding gather of the lambda layer is read inside the
// position-lambda contraction instead of being materialized (n^2 x n^2 x k x u elements).
#include "tessera/passes/Passes.h"
#include "tessera/passes/PassReport.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace tessera {
#define GEN_PASS_DEF_TILELAMBDA
#include "tessera/passes/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

/// An all-parallel generic that reads another tensor at computed coordinates.
bool isGather(linalg::GenericOp op) {
  if (op.getNumLoops() != op.getNumParallelLoops() || op.getNumDpsInits() != 1)
    return false;
  bool extracts = false;
  op.getBody()->walk([&](tensor::ExtractOp) { extracts = true; });
  return extracts;
}

struct TileLambdaPass : tessera::impl::TileLambdaBase<TileLambdaPass> {
  void runOnOperation() override {
    unsigned fused = 0;
    linalg::ControlFusionFn control = [&fused](OpOperand *use) {
      auto producer = use->get().getDefiningOp<linalg::GenericOp>();
      auto consumer = dyn_cast<linalg::GenericOp>(use->getOwner());
      if (!producer || !consumer || !producer->hasOneUse() || !isGather(producer))
        return false;
      // Only into contractions: that is where the gathered tensor is large and read once
      // per output element anyway.
      if (consumer.getNumReductionLoops() == 0)
        return false;
      ++fused;
      return true;
    };
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    numFused += fused;
    tessera::reportStatistic(getArgument(), "gathers read inside their contraction", fused);
  }
};

} // namespace
