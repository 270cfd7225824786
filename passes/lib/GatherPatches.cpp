// gather-patches: the tensor-level half of layout-patches. A gather (tensor.extract inside a
// linalg body) that reads a tensor which is only a re-layout of another one (a reshape, a
// slice, an unfold, another gather) reads the original at the composed index instead, so
// the re-laid-out tensor is never built. TTSR's texture transfer, fold(gather(unfold(ref))),
// reads the reference features in place: neither the unfolded patches nor the gathered ones
// ([B, C*k*k, L], 59 MB for the finest level at 160x160) exist.
#include "tessera/passes/PassReport.h"
#include "tessera/passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace tessera {
#define GEN_PASS_DEF_GATHERPATCHES
#include "tessera/passes/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

Value indexConstant(PatternRewriter &rewriter, Location loc, int64_t v) {
  return rewriter.create<arith::ConstantIndexOp>(loc, v);
}

/// extract(collapse_shape(t), i) == extract(t, delinearize(i)).
struct ExtractOfCollapse : OpRewritePattern<tensor::ExtractOp> {
  ExtractOfCollapse(MLIRContext *ctx, unsigned &count) : OpRewritePattern(ctx), count(count) {}
  LogicalResult matchAndRewrite(tensor::ExtractOp op, PatternRewriter &rewriter) const override {
    auto collapse = op.getTensor().getDefiningOp<tensor::CollapseShapeOp>();
    if (!collapse || !collapse.getSrcType().hasStaticShape())
      return failure();
    ArrayRef<int64_t> shape = collapse.getSrcType().getShape();
    SmallVector<Value> indices;
    Location loc = op.getLoc();
    for (auto [group, index] : llvm::zip(collapse.getReassociationIndices(), op.getIndices())) {
      int64_t stride = 1;
      SmallVector<Value> part;
      for (int64_t d : llvm::reverse(group)) {
        AffineExpr i = getAffineDimExpr(0, getContext());
        AffineExpr e = group.size() == 1 ? i : (i.floorDiv(stride)) % shape[d];
        part.push_back(rewriter.create<affine::AffineApplyOp>(loc, AffineMap::get(1, 0, e),
                                                              ValueRange{index}));
        stride *= shape[d];
      }
      indices.append(part.rbegin(), part.rend());
    }
    rewriter.replaceOpWithNewOp<tensor::ExtractOp>(op, collapse.getSrc(), indices);
    ++count;
    return success();
  }
  unsigned &count;
};

/// extract(extract_slice(t, offsets, unit strides), i) == extract(t, offsets + i).
struct ExtractOfSlice : OpRewritePattern<tensor::ExtractOp> {
  ExtractOfSlice(MLIRContext *ctx, unsigned &count) : OpRewritePattern(ctx), count(count) {}
  LogicalResult matchAndRewrite(tensor::ExtractOp op, PatternRewriter &rewriter) const override {
    auto slice = op.getTensor().getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice || !slice.hasUnitStride() ||
        llvm::any_of(slice.getStaticOffsets(), ShapedType::isDynamic))
      return failure();
    llvm::SmallBitVector dropped = slice.getDroppedDims();
    SmallVector<Value> indices;
    Location loc = op.getLoc();
    unsigned next = 0;
    for (auto [d, offset] : llvm::enumerate(slice.getStaticOffsets())) {
      if (dropped.test(d)) {
        indices.push_back(indexConstant(rewriter, loc, offset));
        continue;
      }
      Value i = op.getIndices()[next++];
      indices.push_back(offset == 0 ? i
                                    : rewriter.create<arith::AddIOp>(
                                          loc, i, indexConstant(rewriter, loc, offset)));
    }
    rewriter.replaceOpWithNewOp<tensor::ExtractOp>(op, slice.getSource(), indices);
    ++count;
    return success();
  }
  unsigned &count;
};

/// Ops a re-layout body may contain: index arithmetic, selects, casts, reads. No float math,
/// so evaluating the body once per read costs about one load.
bool isDataMovement(Operation &op) {
  if (isa<linalg::YieldOp, linalg::IndexOp, tensor::ExtractOp, arith::ConstantOp, arith::SelectOp,
          arith::CmpIOp, arith::IndexCastOp, arith::AddIOp, arith::SubIOp, arith::MulIOp,
          arith::DivSIOp, arith::DivUIOp, arith::RemSIOp, arith::RemUIOp, arith::AndIOp,
          arith::OrIOp, arith::MinSIOp, arith::MaxSIOp, affine::AffineApplyOp>(op))
    return true;
  return false;
}

/// extract(generic(...), i) where the generic only moves data (all parallel, identity output
/// map, its output's old value unused): evaluate the body at i, reading its inputs at their
/// indexing maps applied to i.
struct ExtractOfRelayout : OpRewritePattern<tensor::ExtractOp> {
  ExtractOfRelayout(MLIRContext *ctx, unsigned &count) : OpRewritePattern(ctx), count(count) {}
  LogicalResult matchAndRewrite(tensor::ExtractOp op, PatternRewriter &rewriter) const override {
    auto producer = op.getTensor().getDefiningOp<linalg::GenericOp>();
    if (!producer || producer.getNumDpsInits() != 1 ||
        producer.getNumLoops() != producer.getNumParallelLoops() ||
        !producer.getMatchingIndexingMap(producer.getDpsInitOperand(0)).isIdentity() ||
        producer.payloadUsesValueFromOperand(producer.getDpsInitOperand(0)) ||
        !llvm::all_of(producer.getBody()->getOperations(), isDataMovement))
      return failure();
    Location loc = op.getLoc();
    IRMapping mapping;
    Block *body = producer.getBody();
    for (OpOperand *in : producer.getDpsInputOperands()) {
      AffineMap map = producer.getMatchingIndexingMap(in);
      SmallVector<Value> indices;
      for (AffineExpr e : map.getResults())
        indices.push_back(rewriter.create<affine::AffineApplyOp>(
            loc, AffineMap::get(map.getNumDims(), 0, e), op.getIndices()));
      mapping.map(body->getArgument(in->getOperandNumber()),
                  rewriter.create<tensor::ExtractOp>(loc, in->get(), indices));
    }
    Value result;
    for (Operation &inner : *body) {
      if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
        mapping.map(index.getResult(), op.getIndices()[index.getDim()]);
        continue;
      }
      if (auto yield = dyn_cast<linalg::YieldOp>(inner)) {
        result = mapping.lookupOrDefault(yield.getValues()[0]);
        continue;
      }
      rewriter.clone(inner, mapping);
    }
    rewriter.replaceOp(op, result);
    ++count;
    return success();
  }
  unsigned &count;
};

struct GatherPatchesPass : tessera::impl::GatherPatchesBase<GatherPatchesPass> {
  void runOnOperation() override {
    unsigned count = 0;
    RewritePatternSet patterns(&getContext());
    patterns.add<ExtractOfCollapse, ExtractOfSlice, ExtractOfRelayout>(&getContext(), count);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    numFolded += count;
    tessera::reportStatistic(getArgument(), "gathers reading through a re-layout", count);
  }
};

} // namespace
