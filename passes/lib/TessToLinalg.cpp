// Lowers the tess dialect to linalg/tensor/arith/math on tensors. Shapes are static, so every
// broadcast is resolved into indexing maps here and never materialized.
#include "tessera/ir/ShapeRules.h"
#include "tessera/ir/TessDialect.h"
#include "tessera/passes/Passes.h"
#include "tessera/passes/PassReport.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <array>
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
    // Splat constants are folded into the generic's body instead of becoming an input.
    if (std::optional<Attribute> s = tess::getSplatConstant(in)) {
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
/// The reassociation grouping every dimension of a rank-`rank` tensor into one (none for
/// rank 0, which reshapes to or from all-ones shapes).
SmallVector<ReassociationIndices> groupAll(int64_t rank) {
  if (rank == 0)
    return {};
  ReassociationIndices all;
  for (int64_t i = 0; i < rank; ++i)
    all.push_back(i);
  return {all};
}

Value reshapeTo(OpBuilder &b, Location loc, Value input, RankedTensorType type) {
  auto src = typeOf(input);
  if (src == type)
    return input;
  Value flat = input;
  if (src.getRank() != 1) {
    auto flatType = RankedTensorType::get({src.getNumElements()}, src.getElementType());
    if (src.getRank() == 0) // rank 0 -> [1]
      flat = b.create<tensor::ExpandShapeOp>(loc, flatType, input, groupAll(0));
    else
      flat = b.create<tensor::CollapseShapeOp>(loc, flatType, input, groupAll(src.getRank()));
  }
  if (type.getRank() == 1)
    return flat;
  if (type.getRank() == 0)
    return b.create<tensor::CollapseShapeOp>(loc, type, flat, groupAll(0));
  return b.create<tensor::ExpandShapeOp>(loc, type, flat, groupAll(type.getRank()));
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

template <>
Value UnaryLowering<tess::SinOp>::scalar(OpBuilder &b, Location loc, Value x, tess::SinOp) {
  return b.create<math::SinOp>(loc, x);
}
template <>
Value UnaryLowering<tess::CosOp>::scalar(OpBuilder &b, Location loc, Value x, tess::CosOp) {
  return b.create<math::CosOp>(loc, x);
}
template <>
Value UnaryLowering<tess::FloorOp>::scalar(OpBuilder &b, Location loc, Value x, tess::FloorOp) {
  return b.create<math::FloorOp>(loc, x);
}
template <>
Value UnaryLowering<tess::LogOp>::scalar(OpBuilder &b, Location loc, Value x, tess::LogOp) {
  return b.create<math::LogOp>(loc, x);
}
template <>
Value UnaryLowering<tess::AbsOp>::scalar(OpBuilder &b, Location loc, Value x, tess::AbsOp) {
  return b.create<math::AbsFOp>(loc, x);
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
  if (f)
    return b.create<arith::MaximumFOp>(loc, x, y);
  if (x.getType().isInteger(1)) // booleans are unsigned 0 / 1
    return b.create<arith::MaxUIOp>(loc, x, y);
  return b.create<arith::MaxSIOp>(loc, x, y);
}
template <>
Value BinaryLowering<tess::MinOp>::scalar(OpBuilder &b, Location loc, Value x, Value y, bool f) {
  if (f)
    return b.create<arith::MinimumFOp>(loc, x, y);
  if (x.getType().isInteger(1))
    return b.create<arith::MinUIOp>(loc, x, y);
  return b.create<arith::MinSIOp>(loc, x, y);
}

Value multiplyAccumulate(OpBuilder &b, Location l, Value acc, Value x, Value y);

template <>
Value BinaryLowering<tess::PowOp>::scalar(OpBuilder &b, Location loc, Value x, Value y, bool) {
  return b.create<math::PowFOp>(loc, x, y);
}

struct CompareLowering : OpRewritePattern<tess::CompareOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::CompareOp op, PatternRewriter &rewriter) const override {
    bool isFloat = isa<FloatType>(typeOf(op.getLhs()).getElementType());
    StringRef p = op.getPredicate();
    Value r = elementwise(
        rewriter, op.getLoc(), cast<RankedTensorType>(op.getType()), {op.getLhs(), op.getRhs()},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          if (isFloat) {
            auto pred = llvm::StringSwitch<arith::CmpFPredicate>(p)
                            .Case("lt", arith::CmpFPredicate::OLT)
                            .Case("le", arith::CmpFPredicate::OLE)
                            .Case("gt", arith::CmpFPredicate::OGT)
                            .Case("ge", arith::CmpFPredicate::OGE)
                            .Case("eq", arith::CmpFPredicate::OEQ)
                            .Default(arith::CmpFPredicate::UNE);
            return b.create<arith::CmpFOp>(l, pred, a[0], a[1]);
          }
          // Booleans are 0 / 1: compare them unsigned (as signed i1, true would be -1).
          bool isBool = a[0].getType().isInteger(1);
          auto pred = llvm::StringSwitch<arith::CmpIPredicate>(p)
                          .Case("lt", isBool ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt)
                          .Case("le", isBool ? arith::CmpIPredicate::ule : arith::CmpIPredicate::sle)
                          .Case("gt", isBool ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt)
                          .Case("ge", isBool ? arith::CmpIPredicate::uge : arith::CmpIPredicate::sge)
                          .Case("eq", arith::CmpIPredicate::eq)
                          .Default(arith::CmpIPredicate::ne);
          return b.create<arith::CmpIOp>(l, pred, a[0], a[1]);
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct SelectLowering : OpRewritePattern<tess::SelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::SelectOp op, PatternRewriter &rewriter) const override {
    Value r = elementwise(rewriter, op.getLoc(), cast<RankedTensorType>(op.getType()),
                          {op.getCondition(), op.getOnTrue(), op.getOnFalse()},
                          [](OpBuilder &b, Location l, ValueRange a) -> Value {
                            return b.create<arith::SelectOp>(l, a[0], a[1], a[2]);
                          });
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// Scalar conversion between f32, i1, i32 and i64 with the semantics of tess.cast.
Value convertScalar(OpBuilder &b, Location l, Value x, Type to) {
  Type from = x.getType();
  if (from == to)
    return x;
  if (isa<FloatType>(from) && isa<FloatType>(to))
    return b.create<arith::TruncFOp>(l, to, x);
  if (isa<FloatType>(from)) {
    if (to.isInteger(1))
      return b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNE, x,
                                     b.create<arith::ConstantOp>(l, b.getZeroAttr(from)));
    return b.create<arith::FPToSIOp>(l, to, x);
  }
  if (isa<FloatType>(to))
    return from.isInteger(1) ? Value(b.create<arith::UIToFPOp>(l, to, x))
                             : Value(b.create<arith::SIToFPOp>(l, to, x));
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (to.isInteger(1))
    return b.create<arith::CmpIOp>(l, arith::CmpIPredicate::ne, x,
                                   b.create<arith::ConstantOp>(l, b.getZeroAttr(from)));
  if (fw < tw)
    return from.isInteger(1) ? Value(b.create<arith::ExtUIOp>(l, to, x))
                             : Value(b.create<arith::ExtSIOp>(l, to, x));
  return b.create<arith::TruncIOp>(l, to, x);
}

struct CastLowering : OpRewritePattern<tess::CastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::CastOp op, PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value r = elementwise(rewriter, op.getLoc(), type, {op.getInput()},
                          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                            return convertScalar(b, l, a[0], type.getElementType());
                          });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct IotaLowering : OpRewritePattern<tess::IotaOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::IotaOp op, PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    int64_t axis = op.getAxis();
    Value r = elementwise(rewriter, op.getLoc(), type, {},
                          [&](OpBuilder &b, Location l, ValueRange) -> Value {
                            Value i = b.create<linalg::IndexOp>(l, axis);
                            Value i64 = b.create<arith::IndexCastOp>(l, b.getI64Type(), i);
                            return convertScalar(b, l, i64, type.getElementType());
                          });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct BroadcastToLowering : OpRewritePattern<tess::BroadcastToOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::BroadcastToOp op, PatternRewriter &rewriter) const override {
    Value r = elementwise(rewriter, op.getLoc(), cast<RankedTensorType>(op.getType()),
                          {op.getInput()},
                          [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// One generic over the result: the indices tensor is read through the index dimensions and
/// the input is read with tensor.extract at the (clamped) gathered coordinate.
struct GatherLowering : OpRewritePattern<tess::GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::GatherOp op, PatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value input = op.getInput(), indices = op.getIndices();
    int64_t axis = op.getAxis(), idxRank = typeOf(indices).getRank();
    int64_t inRank = typeOf(input).getRank(), rank = type.getRank();
    int64_t limit = typeOf(input).getShape()[axis] - 1;
    SmallVector<AffineExpr> idxExprs;
    for (int64_t j = 0; j < idxRank; ++j)
      idxExprs.push_back(getAffineDimExpr(axis + j, ctx));
    SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, idxExprs, ctx),
                                   AffineMap::getMultiDimIdentityMap(rank, ctx)};
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, type, ValueRange{indices}, ValueRange{emptyTensor(rewriter, loc, type)}, maps,
        iterators, [&](OpBuilder &b, Location l, ValueRange a) {
          Value i = b.create<arith::IndexCastOp>(l, b.getIndexType(), a[0]);
          Value zero = b.create<arith::ConstantIndexOp>(l, 0);
          Value hi = b.create<arith::ConstantIndexOp>(l, limit);
          i = b.create<arith::MinSIOp>(l, b.create<arith::MaxSIOp>(l, i, zero), hi);
          SmallVector<Value> coords;
          for (int64_t d = 0; d < inRank; ++d) {
            if (d < axis)
              coords.push_back(b.create<linalg::IndexOp>(l, d));
            else if (d == axis)
              coords.push_back(i);
            else
              coords.push_back(b.create<linalg::IndexOp>(l, d + idxRank - 1));
          }
          b.create<linalg::YieldOp>(l, ValueRange{b.create<tensor::ExtractOp>(l, input, coords)});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// argmax/argmin as one reduction generic with two outputs: the running extreme and its index.
template <typename OpT>
struct ArgReduceLowering : OpRewritePattern<OpT> {
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
    double initV = isMax ? -std::numeric_limits<double>::infinity()
                         : std::numeric_limits<double>::infinity();
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
          Value i = b.create<arith::IndexCastOp>(l, b.getI64Type(),
                                                 b.create<linalg::IndexOp>(l, axis));
          // Strict comparison keeps the first index on ties.
          Value better = b.create<arith::CmpFOp>(
              l, isMax ? arith::CmpFPredicate::OGT : arith::CmpFPredicate::OLT, a[0], a[1]);
          b.create<linalg::YieldOp>(
              l, ValueRange{b.create<arith::SelectOp>(l, better, a[0], a[1]),
                            b.create<arith::SelectOp>(l, better, i, a[2])});
        });
    Value r = generic.getResult(1);
    rewriter.replaceOp(op, keepDims(rewriter, loc, r, cast<RankedTensorType>(op.getType())));
    return success();
  }
};

/// [N, C, H, W] padded by (p0, p1) on both sides of H and W with `value`.
Value padSpatial(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> pad, double value) {
  if (pad[0] == 0 && pad[1] == 0)
    return x;
  ArrayRef<int64_t> s = typeOf(x).getShape();
  auto type = RankedTensorType::get({s[0], s[1], s[2] + 2 * pad[0], s[3] + 2 * pad[1]},
                                    typeOf(x).getElementType());
  Value filled = b.create<linalg::FillOp>(loc, floatConst(b, loc, value), emptyTensor(b, loc, type))
                     .getResult(0);
  SmallVector<int64_t> offsets = {0, 0, pad[0], pad[1]}, strides(4, 1);
  return b.create<tensor::InsertSliceOp>(loc, x, filled, ValueRange{}, ValueRange{}, ValueRange{},
                                         offsets, s, strides);
}

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
    Value x = rewriter
                  .create<linalg::TransposeOp>(loc, op.getInput(), emptyTensor(rewriter, loc, nhwcType),
                                               ArrayRef<int64_t>{0, 2, 3, 1})
                  .getResult()[0];
    if (pad[0] || pad[1]) {
      auto paddedType = RankedTensorType::get(
          {xs[0], xs[2] + 2 * pad[0], xs[3] + 2 * pad[1], xs[1]}, f32);
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
      maps = {AffineMap::get(7, 0, {d(0), d(1) * st[0] + d(4) * dl[0], d(2) * st[1] + d(5) * dl[1],
                                    d(6)}, ctx),
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
      maps = {AffineMap::get(8, 0, {d(0), d(1) * st[0] + d(5) * dl[0], d(2) * st[1] + d(6) * dl[1],
                                    d(3), d(7)}, ctx),
              AffineMap::get(8, 0, {d(3), d(4), d(7), d(5), d(6)}, ctx),
              AffineMap::get(8, 0, {d(0), d(1), d(2), d(3), d(4)}, ctx)};
      iterators = {IT::parallel,  IT::parallel,  IT::parallel,  IT::parallel,
                   IT::parallel,  IT::reduction, IT::reduction, IT::reduction};
    }
    Value init;
    if (Value bias = op.getBias()) {
      Value b = bias;
      if (g > 1)
        b = rewriter.create<tensor::ExpandShapeOp>(
            loc, RankedTensorType::get({g, o / g}, f32), bias,
            SmallVector<ReassociationIndices>{{0, 1}});
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

Value maxF(OpBuilder &b, Location loc, ValueRange a);
Value addF(OpBuilder &b, Location loc, ValueRange a);

/// Reduces every kernel window of the padded NCHW `padded` with `combine`, starting from
/// `init`: one generic over (n, c, oh, kh, kw, ow), innermost along output columns.
Value windowReduction(OpBuilder &b, Location loc, Value padded, RankedTensorType resultType,
                      ArrayRef<int64_t> kernel, ArrayRef<int64_t> st, double init,
                      ScalarFn combine) {
  MLIRContext *ctx = b.getContext();
  Value filled = b.create<linalg::FillOp>(loc, floatConst(b, loc, init),
                                          emptyTensor(b, loc, resultType))
                     .getResult(0);
  // Window sizes only appear as loop bounds, given by this shape-only operand.
  Value window = b.create<tensor::EmptyOp>(loc, kernel, b.getF32Type());
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineMap> maps = {
      AffineMap::get(6, 0, {d(0), d(1), d(2) * st[0] + d(3), d(5) * st[1] + d(4)}, ctx),
      AffineMap::get(6, 0, {d(3), d(4)}, ctx), AffineMap::get(6, 0, {d(0), d(1), d(2), d(5)}, ctx)};
  using IT = utils::IteratorType;
  SmallVector<IT> iterators = {IT::parallel,  IT::parallel,  IT::parallel,
                               IT::reduction, IT::reduction, IT::parallel};
  return b
      .create<linalg::GenericOp>(loc, resultType, ValueRange{padded, window}, ValueRange{filled},
                                 maps, iterators,
                                 [&](OpBuilder &nb, Location l, ValueRange a) {
                                   nb.create<linalg::YieldOp>(l, combine(nb, l, {a[0], a[2]}));
                                 })
      .getResult(0);
}

struct MaxPool2dLowering : OpRewritePattern<tess::MaxPool2dOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::MaxPool2dOp op, PatternRewriter &rewriter) const override {
    double ninf = -std::numeric_limits<double>::infinity();
    Value padded = padSpatial(rewriter, op.getLoc(), op.getInput(), op.getPadding(), ninf);
    rewriter.replaceOp(op, windowReduction(rewriter, op.getLoc(), padded,
                                           cast<RankedTensorType>(op.getType()), op.getKernel(),
                                           op.getStrides(), ninf, maxF));
    return success();
  }
};

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


/// Sum of each window of the zero-padded input, divided by the window size or by the number
/// of window positions inside the image (count_include_pad = false).
struct AvgPool2dLowering : OpRewritePattern<tess::AvgPool2dOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::AvgPool2dOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> st = op.getStrides(), k = op.getKernel(), pad = op.getPadding();
    ArrayRef<int64_t> in = typeOf(op.getInput()).getShape();
    Value padded = padSpatial(rewriter, loc, op.getInput(), pad, 0.0);
    Value sum = windowReduction(rewriter, loc, padded, resultType, k, st, 0.0, addF);
    bool includePad = op.getCountIncludePad();
    Value r = elementwise(
        rewriter, loc, resultType, {sum}, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          if (includePad)
            return b.create<arith::MulFOp>(l, a[0], floatConst(b, l, 1.0 / double(k[0] * k[1])));
          // Window rows [y s - p, y s - p + k) clipped to [0, H), likewise columns.
          auto extent = [&](unsigned dim, int64_t s, int64_t kk, int64_t p, int64_t size) {
            Value i = b.create<arith::IndexCastOp>(l, b.getI64Type(),
                                                   b.create<linalg::IndexOp>(l, dim));
            auto c = [&](int64_t v) {
              return b.create<arith::ConstantOp>(l, b.getI64IntegerAttr(v));
            };
            Value lo = b.create<arith::SubIOp>(l, b.create<arith::MulIOp>(l, i, c(s)), c(p));
            Value hi = b.create<arith::MinSIOp>(l, b.create<arith::AddIOp>(l, lo, c(kk)), c(size));
            return Value(b.create<arith::SubIOp>(l, hi, b.create<arith::MaxSIOp>(l, lo, c(0))));
          };
          Value n = b.create<arith::MulIOp>(l, extent(2, st[0], k[0], pad[0], in[2]),
                                            extent(3, st[1], k[1], pad[1], in[3]));
          return b.create<arith::DivFOp>(l, a[0],
                                         b.create<arith::SIToFPOp>(l, b.getF32Type(), n));
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// unfold as a copy into [N, C, KH, KW, OH, OW] (identity output map), collapsed to
/// [N, C KH KW, OH OW].
struct UnfoldLowering : OpRewritePattern<tess::UnfoldOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::UnfoldOp op, PatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    Location loc = op.getLoc();
    ArrayRef<int64_t> st = op.getStrides(), k = op.getKernel(), pad = op.getPadding();
    Value padded = padSpatial(rewriter, loc, op.getInput(), pad, 0.0);
    ArrayRef<int64_t> ps = typeOf(padded).getShape();
    int64_t oh = (ps[2] - k[0]) / st[0] + 1, ow = (ps[3] - k[1]) / st[1] + 1;
    auto sixType = RankedTensorType::get({ps[0], ps[1], k[0], k[1], oh, ow},
                                         rewriter.getF32Type());
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    // d0 n, d1 c, d2 i, d3 j, d4 oh, d5 ow
    SmallVector<AffineMap> maps = {
        AffineMap::get(6, 0, {d(0), d(1), d(4) * st[0] + d(2), d(5) * st[1] + d(3)}, ctx),
        AffineMap::getMultiDimIdentityMap(6, ctx)};
    SmallVector<utils::IteratorType> iterators(6, utils::IteratorType::parallel);
    Value six = rewriter
                    .create<linalg::GenericOp>(
                        loc, sixType, ValueRange{padded},
                        ValueRange{emptyTensor(rewriter, loc, sixType)}, maps, iterators,
                        [](OpBuilder &b, Location l, ValueRange a) {
                          b.create<linalg::YieldOp>(l, a[0]);
                        })
                    .getResult(0);
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, cast<RankedTensorType>(op.getType()), six,
        SmallVector<ReassociationIndices>{{0}, {1, 2, 3}, {4, 5}});
    return success();
  }
};

/// fold as a gather over the output: each pixel sums the block entries that land on it.
struct FoldLowering : OpRewritePattern<tess::FoldOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::FoldOp op, PatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> st = op.getStrides(), k = op.getKernel(), pad = op.getPadding();
    ArrayRef<int64_t> out = resultType.getShape();
    int64_t oh = (out[2] + 2 * pad[0] - k[0]) / st[0] + 1;
    int64_t ow = (out[3] + 2 * pad[1] - k[1]) / st[1] + 1;
    Value input = op.getInput();
    Value init = rewriter
                     .create<linalg::FillOp>(loc, floatConst(rewriter, loc, 0.0),
                                             emptyTensor(rewriter, loc, resultType))
                     .getResult(0);
    Value window = rewriter.create<tensor::EmptyOp>(loc, k, rewriter.getF32Type());
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    // d0 n, d1 c, d2 y, d3 i, d4 j, d5 x
    SmallVector<AffineMap> maps = {AffineMap::get(6, 0, {d(3), d(4)}, ctx),
                                   AffineMap::get(6, 0, {d(0), d(1), d(2), d(5)}, ctx)};
    using IT = utils::IteratorType;
    SmallVector<IT> iterators = {IT::parallel,  IT::parallel,  IT::parallel,
                                 IT::reduction, IT::reduction, IT::parallel};
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, ValueRange{window}, ValueRange{init}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange a) {
          auto idx = [&](unsigned dim) { return Value(b.create<linalg::IndexOp>(l, dim)); };
          auto c = [&](int64_t v) { return Value(b.create<arith::ConstantIndexOp>(l, v)); };
          // Block position along one axis: (pos + p - kernel offset) / s when exact and in
          // range; `valid` collects the conditions.
          Value valid = b.create<arith::ConstantOp>(l, b.getBoolAttr(true));
          auto block = [&](Value pos, Value off, int64_t s, int64_t p, int64_t n) {
            Value num = b.create<arith::SubIOp>(l, b.create<arith::AddIOp>(l, pos, c(p)), off);
            Value q = b.create<arith::DivSIOp>(l, num, c(s));
            Value ok = b.create<arith::AndIOp>(
                l, b.create<arith::CmpIOp>(l, arith::CmpIPredicate::sge, num, c(0)),
                b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq,
                                        b.create<arith::RemSIOp>(l, num, c(s)), c(0)));
            ok = b.create<arith::AndIOp>(
                l, ok, b.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt, q, c(n)));
            valid = b.create<arith::AndIOp>(l, valid, ok);
            // Clamped so that the read stays inside the tensor even when not valid.
            return Value(b.create<arith::MinSIOp>(
                l, b.create<arith::MaxSIOp>(l, q, c(0)), c(n - 1)));
          };
          Value by = block(idx(2), idx(3), st[0], pad[0], oh);
          Value bx = block(idx(5), idx(4), st[1], pad[1], ow);
          Value ch = b.create<arith::AddIOp>(
              l, b.create<arith::MulIOp>(
                     l, b.create<arith::AddIOp>(l, b.create<arith::MulIOp>(l, idx(1), c(k[0])),
                                                idx(3)),
                     c(k[1])),
              idx(4));
          Value col = b.create<arith::AddIOp>(l, b.create<arith::MulIOp>(l, by, c(ow)), bx);
          Value v = b.create<tensor::ExtractOp>(l, input, ValueRange{idx(0), ch, col});
          Value term = b.create<arith::SelectOp>(l, valid, v, floatConst(b, l, 0.0));
          b.create<linalg::YieldOp>(l, addF(b, l, {a[1], term}));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// interpolate(mode, align_corners = False) as a gather over the output, in f32 like PyTorch.
struct ResizeLowering : OpRewritePattern<tess::ResizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::ResizeOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value input = op.getInput();
    ArrayRef<int64_t> in = typeOf(input).getShape(), out = resultType.getShape();
    std::string mode = op.getMode().str();
    float scaleH = float(in[2]) / float(out[2]), scaleW = float(in[3]) / float(out[3]);
    Value r = elementwise(
        rewriter, loc, resultType, {}, [&](OpBuilder &b, Location l, ValueRange) -> Value {
          Type f32 = b.getF32Type();
          auto fc = [&](float v) { return Value(floatConst(b, l, v)); };
          auto ic = [&](int64_t v) { return Value(b.create<arith::ConstantIndexOp>(l, v)); };
          auto outCoord = [&](unsigned dim) {
            Value i = b.create<arith::IndexCastOp>(l, b.getI64Type(),
                                                   b.create<linalg::IndexOp>(l, dim));
            return Value(b.create<arith::SIToFPOp>(l, f32, i));
          };
          auto toIndex = [&](Value f) {
            Value i = b.create<arith::FPToSIOp>(l, b.getI64Type(), f);
            return Value(b.create<arith::IndexCastOp>(l, b.getIndexType(), i));
          };
          auto clampIdx = [&](Value i, int64_t n) {
            return Value(b.create<arith::MinSIOp>(l, b.create<arith::MaxSIOp>(l, i, ic(0)),
                                                  ic(n - 1)));
          };
          Value n = b.create<linalg::IndexOp>(l, 0), ch = b.create<linalg::IndexOp>(l, 1);
          auto at = [&](Value y, Value x) {
            return Value(b.create<tensor::ExtractOp>(l, input, ValueRange{n, ch, y, x}));
          };
          Value oy = outCoord(2), ox = outCoord(3);
          auto mul = [&](Value a, Value c) { return Value(b.create<arith::MulFOp>(l, a, c)); };
          auto add = [&](Value a, Value c) { return Value(b.create<arith::AddFOp>(l, a, c)); };
          auto sub = [&](Value a, Value c) { return Value(b.create<arith::SubFOp>(l, a, c)); };
          if (mode == "nearest") {
            Value sy = b.create<math::FloorOp>(l, mul(oy, fc(scaleH)));
            Value sx = b.create<math::FloorOp>(l, mul(ox, fc(scaleW)));
            return at(clampIdx(toIndex(sy), in[2]), clampIdx(toIndex(sx), in[3]));
          }
          // Source coordinate (dst + 0.5) * scale - 0.5.
          Value ry = sub(mul(add(oy, fc(0.5f)), fc(scaleH)), fc(0.5f));
          Value rx = sub(mul(add(ox, fc(0.5f)), fc(scaleW)), fc(0.5f));
          if (mode == "bilinear") {
            ry = b.create<arith::MaximumFOp>(l, ry, fc(0.f));
            rx = b.create<arith::MaximumFOp>(l, rx, fc(0.f));
            Value y0 = toIndex(ry), x0 = toIndex(rx); // truncation == floor for ry >= 0
            Value ly = sub(ry, b.create<arith::SIToFPOp>(
                                   l, f32, b.create<arith::IndexCastOp>(l, b.getI64Type(), y0)));
            Value lx = sub(rx, b.create<arith::SIToFPOp>(
                                   l, f32, b.create<arith::IndexCastOp>(l, b.getI64Type(), x0)));
            Value y1 = clampIdx(b.create<arith::AddIOp>(l, y0, ic(1)), in[2]);
            Value x1 = clampIdx(b.create<arith::AddIOp>(l, x0, ic(1)), in[3]);
            Value top = add(mul(sub(fc(1.f), lx), at(y0, x0)), mul(lx, at(y0, x1)));
            Value bottom = add(mul(sub(fc(1.f), lx), at(y1, x0)), mul(lx, at(y1, x1)));
            return add(mul(sub(fc(1.f), ly), top), mul(ly, bottom));
          }
          // Bicubic, A = -0.75 (PyTorch's upsample_bicubic2d).
          const float A = -0.75f;
          auto cc1 = [&](Value x) { // ((A + 2) x - (A + 3)) x x + 1
            return add(mul(mul(sub(mul(fc(A + 2), x), fc(A + 3)), x), x), fc(1.f));
          };
          auto cc2 = [&](Value x) { // ((A x - 5A) x + 8A) x - 4A
            return sub(mul(add(mul(sub(mul(fc(A), x), fc(5 * A)), x), fc(8 * A)), x), fc(4 * A));
          };
          auto coeffs = [&](Value t) {
            Value t2 = sub(fc(1.f), t);
            return std::array<Value, 4>{cc2(add(t, fc(1.f))), cc1(t), cc1(t2),
                                        cc2(add(t2, fc(1.f)))};
          };
          Value fy = b.create<math::FloorOp>(l, ry), fx = b.create<math::FloorOp>(l, rx);
          auto cy = coeffs(sub(ry, fy)), cx = coeffs(sub(rx, fx));
          Value iy = toIndex(fy), ix = toIndex(fx);
          Value rows[4];
          for (int j = 0; j < 4; ++j) {
            Value y = clampIdx(b.create<arith::AddIOp>(l, iy, ic(j - 1)), in[2]);
            Value acc;
            for (int i = 0; i < 4; ++i) {
              Value x = clampIdx(b.create<arith::AddIOp>(l, ix, ic(i - 1)), in[3]);
              Value term = mul(at(y, x), cx[i]);
              acc = i == 0 ? term : add(acc, term);
            }
            rows[j] = acc;
          }
          Value acc;
          for (int j = 0; j < 4; ++j) {
            Value term = mul(rows[j], cy[j]);
            acc = j == 0 ? term : add(acc, term);
          }
          return acc;
        });
    rewriter.replaceOp(op, r);
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
                 SliceLowering, ConcatLowering, UnaryLowering<tess::SinOp>,
                 UnaryLowering<tess::CosOp>, UnaryLowering<tess::FloorOp>,
                 UnaryLowering<tess::LogOp>, UnaryLowering<tess::AbsOp>,
                 BinaryLowering<tess::PowOp>, CompareLowering, SelectLowering, CastLowering,
                 IotaLowering, BroadcastToLowering, GatherLowering,
                 ArgReduceLowering<tess::ArgMaxOp>, ArgReduceLowering<tess::ArgMinOp>,
                 Conv2dLowering, MaxPool2dLowering, AvgPool2dLowering, UnfoldLowering,
                 FoldLowering, ResizeLowering, EinsumLowering>(ctx);
    // Constants go last: elementwise patterns read splat values straight from them.
    patterns.add<ConstantLowering>(ctx, /*benefit=*/0);
    ConversionTarget target(*ctx);
    target.addIllegalDialect<tess::TessDialect>();
    // Fused attention stays whole until after bufferization (codegen lowers it to loops).
    target.addLegalOp<tess::AttentionOp>();
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
    tessera::reportStatistic(getArgument(), "tess ops lowered", count);
  }
};

} // namespace
