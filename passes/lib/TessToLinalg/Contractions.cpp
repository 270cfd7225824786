// tess-to-linalg, contractions: conv2d (channels-last between transposes), matmul, linear,
// einsum, as generics whose payload is a multiply-accumulate.
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

/// Convolution in the channels-last layout, between two transposes: the NCHW input becomes
/// NHWC, is zero-padded, convolved by one generic over (n, oh, ow, [g,] o; kh, kw, c) into an
/// NHWC result (starting from the broadcast bias), which is transposed back to NCHW. In NHWC
/// the output channels are contiguous (the contraction kernels vectorize them against the
/// packed filter) and every kernel tap reads contiguous input channels, for any stride and
/// dilation. tessera-propagate-layouts then removes the transposes between convolutions and
/// the elementwise and pooling ops around them.
struct Conv2dLowering : OpRewritePattern<tess::Conv2dOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::Conv2dOp op, PatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> rs = resultType.getShape();
    ArrayRef<int64_t> ws = typeOf(op.getWeight()).getShape();
    int64_t g = op.getGroups(), n = rs[0], o = rs[1], oh = rs[2], ow = rs[3];
    ArrayRef<int64_t> st = op.getStrides(), dl = op.getDilation(), pad = op.getPadding();
    Type f32 = rewriter.getF32Type();

    ArrayRef<int64_t> xs = typeOf(op.getInput()).getShape(); // [N, C, H, W]
    auto nhwcType = RankedTensorType::get({xs[0], xs[2], xs[3], xs[1]}, f32);
    Value x =
        rewriter
            .create<linalg::TransposeOp>(loc, op.getInput(), emptyTensor(rewriter, loc, nhwcType),
                                         ArrayRef<int64_t>{0, 2, 3, 1})
            .getResult()[0];
    if (pad[0] || pad[1]) {
      auto paddedType =
          RankedTensorType::get({xs[0], xs[2] + 2 * pad[0], xs[3] + 2 * pad[1], xs[1]}, f32);
      Value filled = rewriter
                         .create<linalg::FillOp>(loc, floatConst(rewriter, loc, 0.0),
                                                 emptyTensor(rewriter, loc, paddedType))
                         .getResult(0);
      SmallVector<int64_t> offsets = {0, pad[0], pad[1], 0}, strides(4, 1);
      x = rewriter.create<tensor::InsertSliceOp>(loc, x, filled, ValueRange{}, ValueRange{},
                                                 ValueRange{}, offsets, nhwcType.getShape(),
                                                 strides);
    }
    ArrayRef<int64_t> ps = typeOf(x).getShape(); // [N, Hp, Wp, C]
    Value w = op.getWeight();
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    using IT = utils::IteratorType;
    SmallVector<AffineMap> maps;
    SmallVector<IT> iterators;
    RankedTensorType outType;
    if (g == 1) {
      // d0 n, d1 oh, d2 ow, d3 o, d4 kh, d5 kw, d6 c
      outType = RankedTensorType::get({n, oh, ow, o}, f32);
      maps = {AffineMap::get(7, 0,
                             {d(0), d(1) * st[0] + d(4) * dl[0], d(2) * st[1] + d(5) * dl[1], d(6)},
                             ctx),
              AffineMap::get(7, 0, {d(3), d(6), d(4), d(5)}, ctx),
              AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, ctx)};
      iterators = {IT::parallel,  IT::parallel,  IT::parallel, IT::parallel,
                   IT::reduction, IT::reduction, IT::reduction};
    } else {
      // d0 n, d1 oh, d2 ow, d3 g, d4 o, d5 kh, d6 kw, d7 c
      auto inType = RankedTensorType::get({ps[0], ps[1], ps[2], g, ps[3] / g}, f32);
      x = rewriter.create<tensor::ExpandShapeOp>(
          loc, inType, x, SmallVector<ReassociationIndices>{{0}, {1}, {2}, {3, 4}});
      auto wType = RankedTensorType::get({g, ws[0] / g, ws[1], ws[2], ws[3]}, f32);
      w = rewriter.create<tensor::ExpandShapeOp>(
          loc, wType, w, SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}, {4}});
      outType = RankedTensorType::get({n, oh, ow, g, o / g}, f32);
      maps = {AffineMap::get(
                  8, 0,
                  {d(0), d(1) * st[0] + d(5) * dl[0], d(2) * st[1] + d(6) * dl[1], d(3), d(7)},
                  ctx),
              AffineMap::get(8, 0, {d(3), d(4), d(7), d(5), d(6)}, ctx),
              AffineMap::get(8, 0, {d(0), d(1), d(2), d(3), d(4)}, ctx)};
      iterators = {IT::parallel, IT::parallel,  IT::parallel,  IT::parallel,
                   IT::parallel, IT::reduction, IT::reduction, IT::reduction};
    }
    Value init;
    if (Value bias = op.getBias()) {
      Value b = bias;
      if (g > 1)
        b = rewriter.create<tensor::ExpandShapeOp>(loc, RankedTensorType::get({g, o / g}, f32),
                                                   bias, SmallVector<ReassociationIndices>{{0, 1}});
      init = elementwise(rewriter, loc, outType, {b},
                         [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    } else {
      init = rewriter
                 .create<linalg::FillOp>(loc, floatConst(rewriter, loc, 0.0),
                                         emptyTensor(rewriter, loc, outType))
                 .getResult(0);
    }
    Value y = rewriter
                  .create<linalg::GenericOp>(
                      loc, outType, ValueRange{x, w}, ValueRange{init}, maps, iterators,
                      [&](OpBuilder &b, Location l, ValueRange a) {
                        b.create<linalg::YieldOp>(l, multiplyAccumulate(b, l, a[2], a[0], a[1]));
                      })
                  .getResult(0);
    if (g > 1)
      y = rewriter.create<tensor::CollapseShapeOp>(
          loc, RankedTensorType::get({n, oh, ow, o}, f32), y,
          SmallVector<ReassociationIndices>{{0}, {1}, {2}, {3, 4}});
    rewriter.replaceOpWithNewOp<linalg::TransposeOp>(op, y, emptyTensor(rewriter, loc, resultType),
                                                     ArrayRef<int64_t>{0, 3, 1, 2});
    return success();
  }
};

/// Batched matmul as one contraction generic. When the rhs is [.., N, K] (transposed) the
/// iteration space is (batch..., m, n, k): each output is a dot product of two contiguous rows.
/// Otherwise it is (batch..., m, k, n), so the innermost loop runs along contiguous rows of
/// rhs and of the output.
struct MatmulLowering : OpRewritePattern<tess::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::MatmulOp op, PatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> out = resultType.getShape();
    unsigned batch = out.size() - 2, rank = out.size() + 1;
    bool dotForm = op.getTransposeRhs();
    AffineExpr m = getAffineDimExpr(batch, ctx);
    AffineExpr n = getAffineDimExpr(dotForm ? batch + 1 : batch + 2, ctx);
    AffineExpr k = getAffineDimExpr(dotForm ? batch + 2 : batch + 1, ctx);
    auto operandMap = [&](Value v, AffineExpr r, AffineExpr c, bool transposed) {
      ArrayRef<int64_t> s = typeOf(v).getShape();
      SmallVector<AffineExpr> exprs;
      unsigned lead = batch - (s.size() - 2);
      for (unsigned j = 0; j + 2 < s.size(); ++j)
        exprs.push_back(s[j] == 1 && out[j + lead] != 1 ? getAffineConstantExpr(0, ctx)
                                                        : getAffineDimExpr(j + lead, ctx));
      exprs.push_back(transposed ? c : r);
      exprs.push_back(transposed ? r : c);
      return AffineMap::get(rank, 0, exprs, ctx);
    };
    SmallVector<AffineExpr> outExprs;
    for (unsigned i = 0; i < batch; ++i)
      outExprs.push_back(getAffineDimExpr(i, ctx));
    outExprs.push_back(m);
    outExprs.push_back(n);
    SmallVector<AffineMap> maps = {operandMap(op.getLhs(), m, k, op.getTransposeLhs()),
                                   operandMap(op.getRhs(), k, n, op.getTransposeRhs()),
                                   AffineMap::get(rank, 0, outExprs, ctx)};
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    iterators[dotForm ? batch + 2 : batch + 1] = utils::IteratorType::reduction;
    Value init = rewriter
                     .create<linalg::FillOp>(loc, floatConst(rewriter, loc, 0.0),
                                             emptyTensor(rewriter, loc, resultType))
                     .getResult(0);
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, ValueRange{op.getLhs(), op.getRhs()}, ValueRange{init}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange a) {
          b.create<linalg::YieldOp>(l, multiplyAccumulate(b, l, a[2], a[0], a[1]));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// input [.., IN] x weight [OUT, IN]^T + bias: the output starts as the broadcast bias and the
/// contraction accumulates into it.
struct LinearLowering : OpRewritePattern<tess::LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::LinearOp op, PatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    unsigned outRank = resultType.getRank(), rank = outRank + 1;
    Value init;
    if (Value bias = op.getBias()) {
      init = elementwise(rewriter, loc, resultType, {bias},
                         [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    } else {
      init = rewriter
                 .create<linalg::FillOp>(loc, floatConst(rewriter, loc, 0.0),
                                         emptyTensor(rewriter, loc, resultType))
                 .getResult(0);
    }
    // Iteration space (o, rows..., i): each weight row stays in L1 while all input rows
    // stream past it from L2, instead of streaming the whole weight matrix once per row.
    SmallVector<AffineExpr> inExprs, outExprs;
    for (unsigned r = 1; r < outRank; ++r) {
      inExprs.push_back(getAffineDimExpr(r, ctx));
      outExprs.push_back(getAffineDimExpr(r, ctx));
    }
    AffineExpr o = getAffineDimExpr(0, ctx), i = getAffineDimExpr(outRank, ctx);
    inExprs.push_back(i);
    outExprs.push_back(o);
    SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, inExprs, ctx),
                                   AffineMap::get(rank, 0, {o, i}, ctx),
                                   AffineMap::get(rank, 0, outExprs, ctx)};
    SmallVector<utils::IteratorType> iterators(outRank, utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, ValueRange{op.getInput(), op.getWeight()}, ValueRange{init}, maps,
        iterators, [&](OpBuilder &b, Location l, ValueRange a) {
          b.create<linalg::YieldOp>(l, multiplyAccumulate(b, l, a[2], a[0], a[1]));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// einsum as one generic: result axes (parallel) first, then the summed axes (reduction).
struct EinsumLowering : OpRewritePattern<tess::EinsumOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::EinsumOp op, PatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    tess::EinsumSpec spec;
    if (!tess::parseEinsum(op.getEquation().str(), op.getInputs().size(), spec).empty())
      return failure();
    std::string order = spec.result;
    for (const std::string &in : spec.inputs)
      for (char c : in)
        if (order.find(c) == std::string::npos)
          order += c;
    SmallVector<AffineMap> maps;
    for (const std::string &in : spec.inputs) {
      SmallVector<AffineExpr> exprs;
      for (char c : in)
        exprs.push_back(getAffineDimExpr(order.find(c), ctx));
      maps.push_back(AffineMap::get(order.size(), 0, exprs, ctx));
    }
    SmallVector<AffineExpr> outExprs;
    for (size_t i = 0; i < spec.result.size(); ++i)
      outExprs.push_back(getAffineDimExpr(i, ctx));
    maps.push_back(AffineMap::get(order.size(), 0, outExprs, ctx));
    SmallVector<utils::IteratorType> iterators(order.size(), utils::IteratorType::reduction);
    for (size_t i = 0; i < spec.result.size(); ++i)
      iterators[i] = utils::IteratorType::parallel;
    Value init = rewriter
                     .create<linalg::FillOp>(loc, floatConst(rewriter, loc, 0.0),
                                             emptyTensor(rewriter, loc, resultType))
                     .getResult(0);
    size_t numInputs = spec.inputs.size();
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, op.getInputs(), ValueRange{init}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value acc = a[numInputs];
          Value prod = a[0];
          if (numInputs == 1) {
            b.create<linalg::YieldOp>(l, addF(b, l, {acc, prod}));
            return;
          }
          for (size_t i = 1; i + 1 < numInputs; ++i)
            prod = b.create<arith::MulFOp>(l, prod, a[i]);
          b.create<linalg::YieldOp>(l, multiplyAccumulate(b, l, acc, prod, a[numInputs - 1]));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void tessera::lowering::populateContractionsLowerings(RewritePatternSet &patterns) {
  patterns.add<Conv2dLowering, MatmulLowering, LinearLowering, EinsumLowering>(
      patterns.getContext());
}
