// Layout propagation on tensors: transposes sink through the ops that can work in any layout
// (elementwise and pooling generics, zero padding) and cancel against each other, so a CNN runs
// channels-last from its first convolution to its last, with transposes only at the edges.
// See the pass description in Passes.td.
#include "tessera/passes/PassReport.h"
#include "tessera/passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace tessera {
#define GEN_PASS_DEF_PROPAGATELAYOUTS
#include "tessera/passes/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// linalg.transpose semantics: result dim i is input dim perm[i].
SmallVector<int64_t> inversePermutation(ArrayRef<int64_t> perm) {
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = int64_t(i);
  return inverse;
}

bool isIdentity(ArrayRef<int64_t> perm) {
  for (auto [i, p] : llvm::enumerate(perm))
    if (p != int64_t(i))
      return false;
  return true;
}

Value transpose(PatternRewriter &b, Location loc, Value x, ArrayRef<int64_t> perm) {
  ArrayRef<int64_t> s = typeOf(x).getShape();
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(s[p]);
  Value empty = b.create<tensor::EmptyOp>(loc, shape, typeOf(x).getElementType());
  return b.create<linalg::TransposeOp>(loc, x, empty, perm).getResult()[0];
}

/// transpose(transpose(x, p), q) = transpose(x, p o q), or x itself.
struct ComposeTransposes : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op, PatternRewriter &b) const override {
    if (!op.hasPureTensorSemantics())
      return failure();
    auto inner = op.getInput().getDefiningOp<linalg::TransposeOp>();
    if (!inner || !inner.hasPureTensorSemantics())
      return failure();
    SmallVector<int64_t> composed;
    for (int64_t q : op.getPermutation())
      composed.push_back(inner.getPermutation()[q]);
    if (isIdentity(composed))
      b.replaceOp(op, inner.getInput());
    else
      b.replaceOp(op, transpose(b, op.getLoc(), inner.getInput(), composed));
    return success();
  }
};

/// insert_slice(transpose(x, p), fill(c)) = transpose(insert_slice(x, fill'(c)), p): zero
/// padding happens in the source's layout.
struct SinkThroughPadding : OpRewritePattern<tensor::InsertSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::InsertSliceOp op, PatternRewriter &b) const override {
    auto t = op.getSource().getDefiningOp<linalg::TransposeOp>();
    auto fill = op.getDest().getDefiningOp<linalg::FillOp>();
    if (!t || !fill || !t.hasPureTensorSemantics() || !op.hasUnitStride() ||
        typeOf(op.getSource()).getRank() != typeOf(op.getDest()).getRank() ||
        !fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>())
      return failure();
    if (!op.getOffsets().empty() || !op.getSizes().empty())
      return failure(); // static offsets and sizes only
    ArrayRef<int64_t> perm = t.getPermutation();
    SmallVector<int64_t> inverse = inversePermutation(perm);
    auto permute = [&](ArrayRef<int64_t> v) {
      SmallVector<int64_t> r;
      for (int64_t q : inverse)
        r.push_back(v[q]);
      return r;
    };
    Location loc = op.getLoc();
    SmallVector<int64_t> destShape = permute(typeOf(op.getDest()).getShape());
    Value empty = b.create<tensor::EmptyOp>(loc, destShape, typeOf(op.getDest()).getElementType());
    Value padded = b.create<linalg::FillOp>(loc, fill.getInputs()[0], empty).getResult(0);
    SmallVector<int64_t> strides(destShape.size(), 1);
    Value inserted = b.create<tensor::InsertSliceOp>(
        loc, t.getInput(), padded, ValueRange{}, ValueRange{}, ValueRange{},
        permute(op.getStaticOffsets()), permute(op.getStaticSizes()), strides);
    b.replaceOp(op, transpose(b, loc, inserted, perm));
    return success();
  }
};

/// Whether an input read through `in` is laid out like the output written through `out`:
/// each of its indices depends on the loop of the output index at the same position
/// (elementwise: the same index; pooling: the window around it).
bool aligned(AffineMap in, AffineMap out) {
  if (in.getNumResults() != out.getNumResults())
    return false;
  for (auto [e, o] : llvm::zip(in.getResults(), out.getResults()))
    if (!e.isFunctionOfDim(cast<AffineDimExpr>(o).getPosition()))
      return false;
  return true;
}

/// A generic reading transpose(x, p) (elementwise, or a window reduction such as pooling)
/// reads x directly and writes its result in x's layout; one transpose after it restores the
/// original layout for its users, where it meets the next transpose (or stays, once, at the
/// edge of the channels-last region).
struct SinkThroughGeneric : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp op, PatternRewriter &b) const override {
    if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 || op->getNumResults() != 1)
      return failure();
    OpOperand *init = op.getDpsInitOperand(0);
    AffineMap outMap = op.getMatchingIndexingMap(init);
    unsigned rank = outMap.getNumResults();
    if (!outMap.isProjectedPermutation() || rank < 2)
      return failure();
    // Index-dependent bodies would see renamed loops; contractions (a multiply in the body)
    // keep the layout their lowering chose: only elementwise ops and window reductions
    // (max / sum pooling) move.
    bool usesIndex = false, multiplies = false;
    op.getRegion().walk([&](Operation *inner) {
      usesIndex |= isa<linalg::IndexOp>(inner);
      multiplies |= isa<arith::MulFOp>(inner);
    });
    if (usesIndex || (multiplies && op.getNumReductionLoops() != 0))
      return failure();
    // The transpose to sink: a transposed input read element for element with the output
    // (the op lives in the transposed layout). A transposed input read otherwise is only
    // absorbed into the op's indexing map: the op already works in another layout (it was
    // moved earlier, before this input's producer was).
    linalg::TransposeOp t;
    SmallVector<OpOperand *> misaligned;
    for (OpOperand *in : op.getDpsInputOperands())
      if (auto def = in->get().getDefiningOp<linalg::TransposeOp>()) {
        if (!def.hasPureTensorSemantics())
          continue;
        if (!t && def.getPermutation().size() == rank &&
            aligned(op.getMatchingIndexingMap(in), outMap))
          t = def;
        else
          misaligned.push_back(in);
      }
    if (!t && !misaligned.empty()) {
      SmallVector<AffineMap> maps = op.getIndexingMapsArray();
      b.modifyOpInPlace(op, [&] {
        for (OpOperand *in : misaligned) {
          auto def = in->get().getDefiningOp<linalg::TransposeOp>();
          SmallVector<int64_t> inverse = inversePermutation(def.getPermutation());
          AffineMap m = maps[in->getOperandNumber()];
          SmallVector<AffineExpr> r;
          for (int64_t q : inverse)
            r.push_back(m.getResult(q));
          maps[in->getOperandNumber()] = AffineMap::get(m.getNumDims(), 0, r, op.getContext());
          in->set(def.getInput());
        }
        op.setIndexingMapsAttr(b.getAffineMapArrayAttr(maps));
      });
      return success();
    }
    if (!t)
      return failure();
    // The output starts empty or as a fill: it can be created in the other layout.
    Value initValue = init->get();
    linalg::FillOp initFill = initValue.getDefiningOp<linalg::FillOp>();
    Value initEmpty = initFill ? initFill.getOutputs()[0] : initValue;
    if (!initEmpty.getDefiningOp<tensor::EmptyOp>() ||
        (op.payloadUsesValueFromOperand(init) && !initFill))
      return failure();

    ArrayRef<int64_t> perm = t.getPermutation();
    SmallVector<int64_t> inverse = inversePermutation(perm);
    MLIRContext *ctx = op.getContext();
    unsigned loops = op.getNumLoops();
    // Reorder the loops: all-parallel ops iterate in the new output layout; ops with
    // reductions keep their order but make the loop of the innermost output dim innermost.
    SmallVector<unsigned> oldOfNew; // new loop i is old loop oldOfNew[i]
    bool allParallel = op.getNumReductionLoops() == 0 && rank == loops;
    if (allParallel) {
      for (unsigned i = 0; i < rank; ++i)
        oldOfNew.push_back(cast<AffineDimExpr>(outMap.getResult(inverse[i])).getPosition());
    } else {
      unsigned innermost = cast<AffineDimExpr>(outMap.getResult(inverse[rank - 1])).getPosition();
      for (unsigned d = 0; d < loops; ++d)
        if (d != innermost)
          oldOfNew.push_back(d);
      oldOfNew.push_back(innermost);
    }
    SmallVector<AffineExpr> rename(loops);
    for (auto [newDim, oldDim] : llvm::enumerate(oldOfNew))
      rename[oldDim] = getAffineDimExpr(newDim, ctx);
    auto renamed = [&](AffineMap m) { return m.replaceDimsAndSymbols(rename, {}, loops, 0); };
    // The map of a tensor read (or written) in the other layout: x = transpose^-1(r), so
    // index i of x is index inverse[i] of r.
    auto permutedResults = [&](AffineMap m) {
      SmallVector<AffineExpr> r;
      for (int64_t q : inverse)
        r.push_back(m.getResult(q));
      return AffineMap::get(m.getNumDims(), 0, r, ctx);
    };

    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    for (OpOperand *in : op.getDpsInputOperands()) {
      AffineMap m = op.getMatchingIndexingMap(in);
      auto def = in->get().getDefiningOp<linalg::TransposeOp>();
      if (def && def.hasPureTensorSemantics() && def.getPermutation() == perm) {
        inputs.push_back(def.getInput());
        maps.push_back(renamed(permutedResults(m)));
      } else {
        inputs.push_back(in->get());
        maps.push_back(renamed(m));
      }
    }
    maps.push_back(renamed(permutedResults(outMap)));
    SmallVector<utils::IteratorType> iterators, oldIterators = op.getIteratorTypesArray();
    for (unsigned oldDim : oldOfNew)
      iterators.push_back(oldIterators[oldDim]);

    Location loc = op.getLoc();
    ArrayRef<int64_t> outShape = typeOf(initValue).getShape();
    SmallVector<int64_t> newShape;
    for (int64_t q : inverse)
      newShape.push_back(outShape[q]);
    Value newInit = b.create<tensor::EmptyOp>(loc, newShape, typeOf(initValue).getElementType());
    if (initFill)
      newInit = b.create<linalg::FillOp>(loc, initFill.getInputs()[0], newInit).getResult(0);
    auto newOp = b.create<linalg::GenericOp>(loc, TypeRange{newInit.getType()}, inputs,
                                             ValueRange{newInit}, maps, iterators);
    newOp->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    b.inlineRegionBefore(op.getRegion(), newOp.getRegion(), newOp.getRegion().begin());
    b.replaceOp(op, transpose(b, loc, newOp.getResult(0), perm));
    return success();
  }
};

struct PropagateLayoutsPass : tessera::impl::PropagateLayoutsBase<PropagateLayoutsPass> {
  void runOnOperation() override {
    auto count = [&] {
      unsigned n = 0;
      getOperation().walk([&](linalg::TransposeOp) { ++n; });
      return n;
    };
    unsigned before = count();
    RewritePatternSet patterns(&getContext());
    patterns.add<ComposeTransposes, SinkThroughPadding, SinkThroughGeneric>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    unsigned after = count();
    numRemoved += before > after ? before - after : 0;
    tessera::reportStatistic(getArgument(), "transposes removed",
                             before > after ? before - after : 0);
    tessera::reportStatistic(getArgument(), "transposes left", after);
  }
};

} // namespace
