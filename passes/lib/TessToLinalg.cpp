// Lowers the tess dialect to linalg/tensor/arith/math on tensors. Shapes are static, so every
// broadcast is resolved into indexing maps here and never materialized.
#include "tessera/ir/TessDialect.h"
#include "tessera/passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>
#include <variant>

namespace tessera {
#define GEN_PASS_DEF_TESSTOLINALG
#include "tessera/passes/Passes.h.inc"
} // namespace tessera

using namespace mlir;
using namespace tessera;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type) {
  return b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType());
}

Value floatConst(OpBuilder &b, Location loc, double v) {
  return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(float(v)));
}

/// When `v` is a splat constant, its value; scalar operands of elementwise ops are folded
/// into the generic's body instead of becoming an input buffer.
std::optional<Attribute> splatValue(Value v) {
  auto c = v.getDefiningOp<tess::ConstantOp>();
  if (!c)
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
  if (!dense || !dense.isSplat())
    return std::nullopt;
  return dense.getSplatValue<Attribute>();
}

/// The map from a rank-`rank` iteration space to an operand of shape `shape` that is
/// broadcast numpy-style against `result` (right-aligned; size-1 dimensions read index 0).
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> shape, ArrayRef<int64_t> result) {
  unsigned rank = result.size();
  SmallVector<AffineExpr> exprs;
  unsigned lead = rank - shape.size();
  for (unsigned j = 0; j < shape.size(); ++j) {
    unsigned i = j + lead;
    if (shape[j] == 1 && result[i] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(i, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

using ScalarFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// result = fn(inputs...) elementwise with numpy broadcasting. Splat-constant inputs are
/// materialized as scalars inside the body.
Value elementwise(OpBuilder &b, Location loc, RankedTensorType resultType, ValueRange inputs,
                  ScalarFn fn) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> shape = resultType.getShape();
  SmallVector<Value> tensorInputs;
  SmallVector<AffineMap> maps;
  // Per input: index into the block arguments, or the splat attribute.
  SmallVector<std::variant<unsigned, Attribute>> sources;
  for (Value in : inputs) {
    if (std::optional<Attribute> s = splatValue(in)) {
      sources.push_back(*s);
      continue;
    }
    sources.push_back(unsigned(tensorInputs.size()));
    tensorInputs.push_back(in);
    maps.push_back(broadcastMap(ctx, typeOf(in).getShape(), shape));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(shape.size(), ctx));
  SmallVector<utils::IteratorType> iterators(shape.size(), utils::IteratorType::parallel);
  auto generic = b.create<linalg::GenericOp>(
      loc, resultType, tensorInputs, ValueRange{emptyTensor(b, loc, resultType)}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        SmallVector<Value> operands;
        for (auto &s : sources) {
          if (auto *idx = std::get_if<unsigned>(&s))
            operands.push_back(args[*idx]);
          else
            operands.push_back(nb.create<arith::ConstantOp>(
                nloc, cast<TypedAttr>(std::get<Attribute>(s))));
        }
        nb.create<linalg::YieldOp>(nloc, fn(nb, nloc, operands));
      });
  return generic.getResult(0);
}

/// Reduces `input` over `axes` (sorted, distinct) with `combine`, starting from `init`.
/// The result drops the reduced axes.
Value reduction(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes, double init,
                ScalarFn combine) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> shape = typeOf(input).getShape();
  SmallVector<int64_t> outShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t i = 0; i < (int64_t)shape.size(); ++i) {
    bool reduced = llvm::is_contained(axes, i);
    iterators.push_back(reduced ? utils::IteratorType::reduction : utils::IteratorType::parallel);
    if (!reduced) {
      outShape.push_back(shape[i]);
      outExprs.push_back(getAffineDimExpr(i, ctx));
    }
  }
  auto outType = RankedTensorType::get(outShape, b.getF32Type());
  Value filled = b.create<linalg::FillOp>(loc, floatConst(b, loc, init),
                                          emptyTensor(b, loc, outType))
                     .getResult(0);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(shape.size(), ctx),
                                 AffineMap::get(shape.size(), 0, outExprs, ctx)};
  auto generic = b.create<linalg::GenericOp>(
      loc, outType, ValueRange{input}, ValueRange{filled}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        nb.create<linalg::YieldOp>(nloc, combine(nb, nloc, {args[0], args[1]}));
      });
  return generic.getResult(0);
}

Value reshapeTo(OpBuilder &b, Location loc, Value input, RankedTensorType type);

/// Reinserts size-1 dimensions at `axes` (sorted) into a reduced tensor of rank r - |axes|,
/// giving `fullType`.
Value keepDims(OpBuilder &b, Location loc, Value reduced, RankedTensorType fullType) {
  return reshapeTo(b, loc, reduced, fullType);
}

/// Row-major reshape of a contiguous tensor: collapse to 1-D, then expand.
Value reshapeTo(OpBuilder &b, Location loc, Value input, RankedTensorType type) {
  auto src = typeOf(input);
  if (src == type)
    return input;
  Value flat = input;
  if (src.getRank() != 1) {
    SmallVector<ReassociationIndices> re;
    if (src.getRank() > 0) {
      ReassociationIndices all;
      for (int64_t i = 0; i < src.getRank(); ++i)
        all.push_back(i);
      re.push_back(all);
    }
    auto flatType = RankedTensorType::get({src.getNumElements()}, src.getElementType());
    if (src.getRank() == 0) // rank 0 -> [1]
      flat = b.create<tensor::ExpandShapeOp>(loc, flatType, input, re);
    else
      flat = b.create<tensor::CollapseShapeOp>(loc, flatType, input, re);
  }
  if (type.getRank() == 1)
    return flat;
  SmallVector<ReassociationIndices> re;
  if (type.getRank() > 0) {
    ReassociationIndices all;
    for (int64_t i = 0; i < type.getRank(); ++i)
      all.push_back(i);
    re.push_back(all);
  }
  if (type.getRank() == 0)
    return b.create<tensor::CollapseShapeOp>(loc, type, flat, re);
  return b.create<tensor::ExpandShapeOp>(loc, type, flat, re);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

template <typename OpT>
struct UnaryLowering : OpRewritePattern<OpT> {
  using OpRewritePattern<OpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpT op, PatternRewriter &rewriter) const override {
    Value r = elementwise(rewriter, op.getLoc(), op.getType(), {op.getInput()},
                          [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
                            return scalar(b, loc, a[0], op);
                          });
    rewriter.replaceOp(op, r);
    return success();
  }
  static Value scalar(OpBuilder &b, Location loc, Value x, OpT op);
};

template <>
Value UnaryLowering<tess::ReluOp>::scalar(OpBuilder &b, Location loc, Value x, tess::ReluOp) {
  return b.create<arith::MaximumFOp>(loc, x, floatConst(b, loc, 0.0));
}
template <>
Value UnaryLowering<tess::ExpOp>::scalar(OpBuilder &b, Location loc, Value x, tess::ExpOp) {
  return b.create<math::ExpOp>(loc, x);
}
template <>
Value UnaryLowering<tess::SqrtOp>::scalar(OpBuilder &b, Location loc, Value x, tess::SqrtOp) {
  return b.create<math::SqrtOp>(loc, x);
}
template <>
Value UnaryLowering<tess::RsqrtOp>::scalar(OpBuilder &b, Location loc, Value x, tess::RsqrtOp) {
  return b.create<math::RsqrtOp>(loc, x);
}
template <>
Value UnaryLowering<tess::NegOp>::scalar(OpBuilder &b, Location loc, Value x, tess::NegOp) {
  return b.create<arith::NegFOp>(loc, x);
}
template <>
Value UnaryLowering<tess::TanhOp>::scalar(OpBuilder &b, Location loc, Value x, tess::TanhOp) {
  return b.create<math::TanhOp>(loc, x);
}

Value sigmoidOf(OpBuilder &b, Location loc, Value x) {
  Value one = floatConst(b, loc, 1.0);
  Value e = b.create<math::ExpOp>(loc, b.create<arith::NegFOp>(loc, x));
  return b.create<arith::DivFOp>(loc, one, b.create<arith::AddFOp>(loc, one, e));
}

template <>
Value UnaryLowering<tess::SigmoidOp>::scalar(OpBuilder &b, Location loc, Value x,
                                             tess::SigmoidOp) {
  return sigmoidOf(b, loc, x);
}

template <>
Value UnaryLowering<tess::GeluOp>::scalar(OpBuilder &b, Location loc, Value x, tess::GeluOp op) {
  StringRef approx = op.getApproximate();
  if (approx == "sigmoid")
    return b.create<arith::MulFOp>(
        loc, x, sigmoidOf(b, loc, b.create<arith::MulFOp>(loc, x, floatConst(b, loc, 1.702))));
  Value half = floatConst(b, loc, 0.5), one = floatConst(b, loc, 1.0);
  Value inner;
  if (approx == "tanh") {
    // sqrt(2/pi) * (x + 0.044715 x^3)
    Value x3 = b.create<arith::MulFOp>(loc, b.create<arith::MulFOp>(loc, x, x), x);
    Value s = b.create<arith::AddFOp>(
        loc, x, b.create<arith::MulFOp>(loc, floatConst(b, loc, 0.044715), x3));
    inner = b.create<math::TanhOp>(
        loc, b.create<arith::MulFOp>(loc, floatConst(b, loc, std::sqrt(2.0 / M_PI)), s));
  } else {
    inner = b.create<math::ErfOp>(
        loc, b.create<arith::MulFOp>(loc, x, floatConst(b, loc, M_SQRT1_2)));
  }
  Value t = b.create<arith::AddFOp>(loc, one, inner);
  return b.create<arith::MulFOp>(loc, b.create<arith::MulFOp>(loc, half, x), t);
}

template <typename OpT>
struct BinaryLowering : OpRewritePattern<OpT> {
  using OpRewritePattern<OpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpT op, PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    bool isFloat = isa<FloatType>(type.getElementType());
    Value r = elementwise(rewriter, op.getLoc(), type, {op.getLhs(), op.getRhs()},
                          [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
                            return scalar(b, loc, a[0], a[1], isFloat);
                          });
    rewriter.replaceOp(op, r);
    return success();
  }
  static Value scalar(OpBuilder &b, Location loc, Value x, Value y, bool isFloat);
};

template <>
Value BinaryLowering<tess::AddOp>::scalar(OpBuilder &b, Location loc, Value x, Value y, bool f) {
  return f ? Value(b.create<arith::AddFOp>(loc, x, y)) : Value(b.create<arith::AddIOp>(loc, x, y));
}
template <>
Value BinaryLowering<tess::SubOp>::scalar(OpBuilder &b, Location loc, Value x, Value y, bool f) {
  return f ? Value(b.create<arith::SubFOp>(loc, x, y)) : Value(b.create<arith::SubIOp>(loc, x, y));
}
template <>
Value BinaryLowering<tess::MulOp>::scalar(OpBuilder &b, Location loc, Value x, Value y, bool f) {
  return f ? Value(b.create<arith::MulFOp>(loc, x, y)) : Value(b.create<arith::MulIOp>(loc, x, y));
}
template <>
Value BinaryLowering<tess::DivOp>::scalar(OpBuilder &b, Location loc, Value x, Value y, bool f) {
  return f ? Value(b.create<arith::DivFOp>(loc, x, y))
           : Value(b.create<arith::DivSIOp>(loc, x, y));
}
template <>
Value BinaryLowering<tess::MaxOp>::scalar(OpBuilder &b, Location loc, Value x, Value y, bool f) {
  return f ? Value(b.create<arith::MaximumFOp>(loc, x, y))
           : Value(b.create<arith::MaxSIOp>(loc, x, y));
}
template <>
Value BinaryLowering<tess::MinOp>::scalar(OpBuilder &b, Location loc, Value x, Value y, bool f) {
  return f ? Value(b.create<arith::MinimumFOp>(loc, x, y))
           : Value(b.create<arith::MinSIOp>(loc, x, y));
}

/// Accumulation `acc + a * b` of a contraction. Reassociation is allowed so that LLVM may keep
/// several partial sums in vector registers; the result stays within float rounding of the
/// sequential sum.
Value multiplyAccumulate(OpBuilder &b, Location l, Value acc, Value x, Value y) {
  auto flags = arith::FastMathFlagsAttr::get(
      b.getContext(), arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
  Value p = b.create<arith::MulFOp>(l, x, y, flags);
  return b.create<arith::AddFOp>(l, acc, p, flags);
}

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
    SmallVector<AffineExpr> inExprs, outExprs;
    for (unsigned i = 0; i + 1 < outRank; ++i) {
      inExprs.push_back(getAffineDimExpr(i, ctx));
      outExprs.push_back(getAffineDimExpr(i, ctx));
    }
    AffineExpr o = getAffineDimExpr(outRank - 1, ctx), i = getAffineDimExpr(outRank, ctx);
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

/// The combiner of sum reductions; reassociation lets LLVM vectorize the reduction loop.
Value addF(OpBuilder &b, Location loc, ValueRange a) {
  auto flags = arith::FastMathFlagsAttr::get(b.getContext(), arith::FastMathFlags::reassoc);
  return b.create<arith::AddFOp>(loc, a[0], a[1], flags);
}
Value maxF(OpBuilder &b, Location loc, ValueRange a) {
  return b.create<arith::MaximumFOp>(loc, a[0], a[1]);
}

template <typename OpT>
struct ReduceLowering : OpRewritePattern<OpT> {
  using OpRewritePattern<OpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpT op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    SmallVector<int64_t> axes(op.getAxes());
    llvm::sort(axes);
    constexpr bool isMax = std::is_same_v<OpT, tess::ReduceMaxOp>;
    Value r = reduction(rewriter, loc, op.getInput(), axes,
                        isMax ? -std::numeric_limits<double>::infinity() : 0.0,
                        isMax ? maxF : addF);
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
    Value r = withReduced(rewriter, loc, centered, var, axis,
                          [&](OpBuilder &b, Location l, ValueRange a) {
                            Value v = b.create<arith::AddFOp>(
                                l, b.create<arith::MulFOp>(l, a[1], floatConst(b, l, invD)),
                                floatConst(b, l, eps));
                            return Value(
                                b.create<arith::MulFOp>(l, a[0], b.create<math::RsqrtOp>(l, v)));
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

struct ReshapeLowering : OpRewritePattern<tess::ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::ReshapeOp op, PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, reshapeTo(rewriter, op.getLoc(), op.getInput(),
                                     cast<RankedTensorType>(op.getType())));
    return success();
  }
};

struct TransposeLowering : OpRewritePattern<tess::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::TransposeOp op, PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    auto t = rewriter.create<linalg::TransposeOp>(op.getLoc(), op.getInput(),
                                                  emptyTensor(rewriter, op.getLoc(), type),
                                                  op.getPermutation());
    rewriter.replaceOp(op, t.getResult());
    return success();
  }
};

struct SliceLowering : OpRewritePattern<tess::SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::SliceOp op, PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, type, op.getInput(), ValueRange{}, ValueRange{}, ValueRange{}, op.getStarts(),
        type.getShape(), op.getStrides());
    return success();
  }
};

struct ConcatLowering : OpRewritePattern<tess::ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::ConcatOp op, PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value acc = emptyTensor(rewriter, op.getLoc(), type);
    int64_t offset = 0;
    for (Value in : op.getInputs()) {
      auto inType = typeOf(in);
      SmallVector<int64_t> offsets(type.getRank(), 0), strides(type.getRank(), 1);
      offsets[op.getAxis()] = offset;
      acc = rewriter.create<tensor::InsertSliceOp>(op.getLoc(), in, acc, ValueRange{},
                                                   ValueRange{}, ValueRange{}, offsets,
                                                   inType.getShape(), strides);
      offset += inType.getShape()[op.getAxis()];
    }
    rewriter.replaceOp(op, acc);
    return success();
  }
};

/// Splat constants become fills; other constants stay as dense arith constants, which
/// bufferize to globals (module constants).
struct ConstantLowering : OpRewritePattern<tess::ConstantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::ConstantOp op, PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
    if (dense && dense.isSplat()) {
      Value v = rewriter.create<arith::ConstantOp>(
          op.getLoc(), cast<TypedAttr>(dense.getSplatValue<Attribute>()));
      rewriter.replaceOp(op, rewriter
                                 .create<linalg::FillOp>(op.getLoc(), v,
                                                         emptyTensor(rewriter, op.getLoc(), type))
                                 .getResult(0));
      return success();
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

struct TessToLinalgPass : tessera::impl::TessToLinalgBase<TessToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<UnaryLowering<tess::ReluOp>, UnaryLowering<tess::ExpOp>,
                 UnaryLowering<tess::SqrtOp>, UnaryLowering<tess::RsqrtOp>,
                 UnaryLowering<tess::NegOp>, UnaryLowering<tess::TanhOp>,
                 UnaryLowering<tess::SigmoidOp>, UnaryLowering<tess::GeluOp>,
                 BinaryLowering<tess::AddOp>, BinaryLowering<tess::SubOp>,
                 BinaryLowering<tess::MulOp>, BinaryLowering<tess::DivOp>,
                 BinaryLowering<tess::MaxOp>, BinaryLowering<tess::MinOp>, MatmulLowering,
                 LinearLowering, ReduceLowering<tess::ReduceSumOp>,
                 ReduceLowering<tess::ReduceMeanOp>, ReduceLowering<tess::ReduceMaxOp>,
                 SoftmaxLowering, LayerNormLowering, ReshapeLowering, TransposeLowering,
                 SliceLowering, ConcatLowering>(ctx);
    // Constants go last: elementwise patterns read splat values straight from them.
    patterns.add<ConstantLowering>(ctx, /*benefit=*/0);
    ConversionTarget target(*ctx);
    target.addIllegalDialect<tess::TessDialect>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect, arith::ArithDialect,
                           math::MathDialect, func::FuncDialect>();
    unsigned count = 0;
    getOperation().walk([&](Operation *op) {
      if (isa<tess::TessDialect>(op->getDialect()))
        ++count;
    });
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      return signalPassFailure();
    numLoweredOps += count;
  }
};

} // namespace
