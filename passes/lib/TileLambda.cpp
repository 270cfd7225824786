// tile-lambda: the relative position embedding gather of the lambda layer is read inside the
// position-lambda contraction instead of being materialized (n^2 x n^2 x k x u elements).
#include "tessera/passes/PassReport.h"
#include "tessera/passes/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace tessera {
#define GEN_PASS_DEF_TILELAMBDA
#include "tessera/passes/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

/// A generic that reads another tensor at computed coordinates; all-parallel unless
/// `anyLoops` (a contraction the gather was fused into).
bool isGather(linalg::GenericOp op, bool anyLoops = false) {
  if ((!anyLoops && op.getNumLoops() != op.getNumParallelLoops()) || op.getNumDpsInits() != 1)
    return false;
  bool extracts = false;
  op.getBody()->walk([&](tensor::ExtractOp) { extracts = true; });
  return extracts;
}

struct TileLambdaPass : tessera::impl::TileLambdaBase<TileLambdaPass> {
  using TileLambdaBase::TileLambdaBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (queryTile < 0 || contextTile < 0)
      return emitError(UnknownLoc::get(ctx))
             << "tessera-tile-lambda: query-tile and context-tile must be >= 0 (0: untiled)";
    return success();
  }

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

    unsigned tiled = 0;
    SmallVector<linalg::GenericOp> positionLambdas;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op.getNumReductionLoops() > 0 && isGather(op, /*anyLoops=*/true))
        positionLambdas.push_back(op);
    });
    for (linalg::GenericOp lambda : positionLambdas)
      tiled += markTiles(lambda);
    numTiled += tiled;
    tessera::reportStatistic(getArgument(), "lambda contractions tiled", tiled);
  }

  /// Tiles the position lambda (query positions by query-tile, context positions by
  /// context-tile: the loops that index the relative-position index table) and the
  /// contraction applying it to the queries (its query positions). Returns how many ops
  /// were marked.
  unsigned markTiles(linalg::GenericOp lambda) {
    OpOperand *index = nullptr;
    for (OpOperand *in : lambda.getDpsInputOperands())
      if (isa<IntegerType>(getElementTypeOrSelf(in->get().getType())))
        index = in;
    if (!index)
      return 0;
    SmallVector<int64_t> sizes(lambda.getNumLoops(), 0);
    auto iterators = lambda.getIteratorTypesArray();
    std::optional<unsigned> queryLoop;
    for (AffineExpr e : lambda.getMatchingIndexingMap(index).getResults()) {
      auto dim = dyn_cast<AffineDimExpr>(e);
      if (!dim)
        continue;
      bool parallel = iterators[dim.getPosition()] == utils::IteratorType::parallel;
      sizes[dim.getPosition()] = parallel ? queryTile : contextTile;
      if (parallel)
        queryLoop = dim.getPosition();
    }
    if (!queryLoop || llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
      return 0;
    Builder b(lambda.getContext());
    lambda->setAttr(tessera::kTileSizesAttr, b.getDenseI64ArrayAttr(sizes));
    unsigned marked = 1;
    // The application y[.., n] += sum_k q[.., k, n] * lambda[.., n, k, ..]: tile its n too.
    std::optional<unsigned> outDim;
    AffineMap outMap = lambda.getMatchingIndexingMap(lambda.getDpsInitOperand(0));
    for (auto [i, e] : llvm::enumerate(outMap.getResults()))
      if (e == getAffineDimExpr(*queryLoop, lambda.getContext()))
        outDim = i;
    if (!outDim || queryTile == 0)
      return marked;
    for (OpOperand &use : lambda->getResult(0).getUses()) {
      auto consumer = dyn_cast<linalg::GenericOp>(use.getOwner());
      if (!consumer || consumer.getNumReductionLoops() == 0 || !consumer.isDpsInput(&use))
        continue;
      auto dim = dyn_cast<AffineDimExpr>(consumer.getMatchingIndexingMap(&use).getResult(*outDim));
      if (!dim)
        continue;
      SmallVector<int64_t> consumerSizes(consumer.getNumLoops(), 0);
      consumerSizes[dim.getPosition()] = queryTile;
      consumer->setAttr(tessera::kTileSizesAttr, b.getDenseI64ArrayAttr(consumerSizes));
      ++marked;
    }
    return marked;
  }
};

} // namespace
