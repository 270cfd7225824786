// tess-to-linalg, reductions and norms: sum/mean/max, argmax/argmin, softmax, layer norm.
#include "Lowering.h"

#include "tessera/ir/ShapeRules.h"
#include "tessera/ir/TessDialect.h"

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/StringSwitch.h"

#include <array>
#include <cmath>
#include <limits>
#include <variant>

using namespace mlir;
using namespace tessera;
using namespace tessera::lowering;

namespace {

/// argmax/argmin as one reduction generic with two outputs: the running extreme and its index.
template <typename OpT> struct ArgReduceLowering : OpRewritePattern<OpT> {
  using OpRewritePattern<OpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpT op, PatternRewriter &rewriter) const override {
    constexpr bool isMax = std::is_same_v<OpT, tess::ArgMaxOp>;
    MLIRContext *ctx = rewriter.getContext();
    Location loc = op.getLoc();
    Value x = op.getInput();
    ArrayRef<int64_t> shape = typeOf(x).getShape();
    int64_t axis = op.getAxis(), rank = shape.size();
    SmallVector<int64_t> outShape;
    SmallVector<AffineExpr> outExprs;
    SmallVector<utils::IteratorType> iterators;
    for (int64_t i = 0; i < rank; ++i) {
      iterators.push_back(i == axis ? utils::IteratorType::reduction
                                    : utils::IteratorType::parallel);
      if (i != axis) {
        outShape.push_back(shape[i]);
        outExprs.push_back(getAffineDimExpr(i, ctx));
      }
    }
    auto valType = RankedTensorType::get(outShape, rewriter.getF32Type());
    auto idxType = RankedTensorType::get(outShape, rewriter.getI64Type());
    double initV =
        isMax ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    Value vals = rewriter
                     .create<linalg::FillOp>(loc, floatConst(rewriter, loc, initV),
                                             emptyTensor(rewriter, loc, valType))
                     .getResult(0);
    Value zero = rewriter.create<arith::ConstantOp>(loc, rewriter.getI64IntegerAttr(0));
    Value idxs = rewriter.create<linalg::FillOp>(loc, zero, emptyTensor(rewriter, loc, idxType))
                     .getResult(0);
    AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx);
    SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx), outMap, outMap};
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{valType, idxType}, ValueRange{x}, ValueRange{vals, idxs}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value i =
              b.create<arith::IndexCastOp>(l, b.getI64Type(), b.create<linalg::IndexOp>(l, axis));
          // Strict comparison keeps the first index on ties.
          Value better = b.create<arith::CmpFOp>(
              l, isMax ? arith::CmpFPredicate::OGT : arith::CmpFPredicate::OLT, a[0], a[1]);
          b.create<linalg::YieldOp>(l, ValueRange{b.create<arith::SelectOp>(l, better, a[0], a[1]),
                                                  b.create<arith::SelectOp>(l, better, i, a[2])});
        });
    Value r = generic.getResult(1);
    rewriter.replaceOp(op, keepDims(rewriter, loc, r, cast<RankedTensorType>(op.getType())));
    return success();
  }
};

template <typename OpT> struct ReduceLowering : OpRewritePattern<OpT> {
  using OpRewritePattern<OpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpT op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    SmallVector<int64_t> axes(op.getAxes());
    llvm::sort(axes);
    constexpr bool isMax = std::is_same_v<OpT, tess::ReduceMaxOp>;
    Value r =
        reduction(rewriter, loc, op.getInput(), axes,
                  isMax ? -std::numeric_limits<double>::infinity() : 0.0, isMax ? maxF : addF);
    if constexpr (std::is_same_v<OpT, tess::ReduceMeanOp>) {
      int64_t count = 1;
      for (int64_t a : axes)
        count *= typeOf(op.getInput()).getShape()[a];
      double inv = 1.0 / double(count);
      r = elementwise(rewriter, loc, typeOf(r), {r},
                      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                        return b.create<arith::MulFOp>(l, a[0], floatConst(b, l, inv));
                      });
    }
    rewriter.replaceOp(op, keepDims(rewriter, loc, r, cast<RankedTensorType>(op.getType())));
    return success();
  }
};

/// Maps the full iteration space of `full` onto a tensor reduced over `axis`.
AffineMap droppedAxisMap(MLIRContext *ctx, unsigned rank, int64_t axis) {
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i < rank; ++i)
    if ((int64_t)i != axis)
      exprs.push_back(getAffineDimExpr(i, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// `fn(full[i], reduced[i without axis])` over the full shape.
Value withReduced(OpBuilder &b, Location loc, Value full, Value reduced, int64_t axis,
                  ScalarFn fn) {
  MLIRContext *ctx = b.getContext();
  auto type = typeOf(full);
  unsigned rank = type.getRank();
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 droppedAxisMap(ctx, rank, axis),
                                 AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  return b
      .create<linalg::GenericOp>(loc, type, ValueRange{full, reduced},
                                 ValueRange{emptyTensor(b, loc, type)}, maps, iterators,
                                 [&](OpBuilder &nb, Location l, ValueRange a) {
                                   nb.create<linalg::YieldOp>(l, fn(nb, l, {a[0], a[1]}));
                                 })
      .getResult(0);
}

struct SoftmaxLowering : OpRewritePattern<tess::SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::SoftmaxOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t axis = op.getAxis();
    Value x = op.getInput();
    Value mx = reduction(rewriter, loc, x, {axis}, -std::numeric_limits<double>::infinity(), maxF);
    Value e = withReduced(rewriter, loc, x, mx, axis, [](OpBuilder &b, Location l, ValueRange a) {
      return Value(b.create<math::ExpOp>(l, b.create<arith::SubFOp>(l, a[0], a[1])));
    });
    Value sum = reduction(rewriter, loc, e, {axis}, 0.0, addF);
    Value r = withReduced(rewriter, loc, e, sum, axis, [](OpBuilder &b, Location l, ValueRange a) {
      return Value(b.create<arith::DivFOp>(l, a[0], a[1]));
    });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct LayerNormLowering : OpRewritePattern<tess::LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::LayerNormOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto type = typeOf(x);
    int64_t axis = type.getRank() - 1;
    double invD = 1.0 / double(type.getShape().back());
    double eps = op.getEps().convertToDouble();
    Value sum = reduction(rewriter, loc, x, {axis}, 0.0, addF);
    Value centered =
        withReduced(rewriter, loc, x, sum, axis, [&](OpBuilder &b, Location l, ValueRange a) {
          return Value(b.create<arith::SubFOp>(
              l, a[0], b.create<arith::MulFOp>(l, a[1], floatConst(b, l, invD))));
        });
    Value sq = elementwise(rewriter, loc, type, {centered},
                           [](OpBuilder &b, Location l, ValueRange a) -> Value {
                             return b.create<arith::MulFOp>(l, a[0], a[0]);
                           });
    Value var = reduction(rewriter, loc, sq, {axis}, 0.0, addF);
    Value r = withReduced(
        rewriter, loc, centered, var, axis, [&](OpBuilder &b, Location l, ValueRange a) {
          Value v = b.create<arith::AddFOp>(
              l, b.create<arith::MulFOp>(l, a[1], floatConst(b, l, invD)), floatConst(b, l, eps));
          return Value(b.create<arith::MulFOp>(l, a[0], b.create<math::RsqrtOp>(l, v)));
        });
    if (op.getWeight())
      r = elementwise(rewriter, loc, type, {r, op.getWeight()},
                      [](OpBuilder &b, Location l, ValueRange a) -> Value {
                        return b.create<arith::MulFOp>(l, a[0], a[1]);
                      });
    if (op.getBias())
      r = elementwise(rewriter, loc, type, {r, op.getBias()},
                      [](OpBuilder &b, Location l, ValueRange a) -> Value {
                        return b.create<arith::AddFOp>(l, a[0], a[1]);
                      });
    rewriter.replaceOp(op, r);
    return success();
  }
};

} // namespace

void tessera::lowering::populateReductionsLowerings(RewritePatternSet &patterns) {
  patterns.add<ReduceLowering<tess::ReduceSumOp>, ReduceLowering<tess::ReduceMeanOp>,
               ReduceLowering<tess::ReduceMaxOp>, ArgReduceLowering<tess::ArgMaxOp>,
               ArgReduceLowering<tess::ArgMinOp>, SoftmaxLowering, LayerNormLowering>(
      patterns.getContext());
}
