// tess-to-linalg, elementwise ops: unary and binary math, compare, select, cast, iota,
// broadcast_to and constants, as parallel generics with the broadcasts in their maps.
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

template <typename OpT> struct UnaryLowering : OpRewritePattern<OpT> {
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
Value UnaryLowering<tess::SigmoidOp>::scalar(OpBuilder &b, Location loc, Value x, tess::SigmoidOp) {
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
    inner =
        b.create<math::ErfOp>(loc, b.create<arith::MulFOp>(loc, x, floatConst(b, loc, M_SQRT1_2)));
  }
  Value t = b.create<arith::AddFOp>(loc, one, inner);
  return b.create<arith::MulFOp>(loc, b.create<arith::MulFOp>(loc, half, x), t);
}

template <typename OpT> struct BinaryLowering : OpRewritePattern<OpT> {
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
  return f ? Value(b.create<arith::DivFOp>(loc, x, y)) : Value(b.create<arith::DivSIOp>(loc, x, y));
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
          auto pred =
              llvm::StringSwitch<arith::CmpIPredicate>(p)
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
    Value r =
        elementwise(rewriter, op.getLoc(), cast<RankedTensorType>(op.getType()), {op.getInput()},
                    [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    rewriter.replaceOp(op, r);
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
      rewriter.replaceOp(
          op,
          rewriter.create<linalg::FillOp>(op.getLoc(), v, emptyTensor(rewriter, op.getLoc(), type))
              .getResult(0));
      return success();
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

} // namespace

void tessera::lowering::populateElementwiseLowerings(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns
      .add<UnaryLowering<tess::ReluOp>, UnaryLowering<tess::ExpOp>, UnaryLowering<tess::SqrtOp>,
           UnaryLowering<tess::RsqrtOp>, UnaryLowering<tess::NegOp>, UnaryLowering<tess::TanhOp>,
           UnaryLowering<tess::SigmoidOp>, UnaryLowering<tess::GeluOp>, UnaryLowering<tess::SinOp>,
           UnaryLowering<tess::CosOp>, UnaryLowering<tess::FloorOp>, UnaryLowering<tess::LogOp>,
           UnaryLowering<tess::AbsOp>, BinaryLowering<tess::AddOp>, BinaryLowering<tess::SubOp>,
           BinaryLowering<tess::MulOp>, BinaryLowering<tess::DivOp>, BinaryLowering<tess::MaxOp>,
           BinaryLowering<tess::MinOp>, BinaryLowering<tess::PowOp>, CompareLowering,
           SelectLowering, CastLowering, IotaLowering, BroadcastToLowering>(ctx);
  // Constants go last: elementwise patterns read splat values straight from them.
  patterns.add<ConstantLowering>(ctx, /*benefit=*/0);
}
