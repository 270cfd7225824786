// Inline, vectorizable exp, erf and tanh for f32 (see the pass description in Passes.td).
// Every pattern works on scalars and on vectors of f32: the constants are splats of the
// operand's shape.
#include "tessera/codegen/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace tessera {
#define GEN_PASS_DEF_INLINEMATH
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

bool isF32OrVectorOfF32(Type t) { return getElementTypeOrSelf(t).isF32(); }

/// Builds constants and ops of the shape of one operand (f32 or vector<..xf32>).
struct ShapedBuilder {
  PatternRewriter &b;
  Location l;
  Type type; // f32 or a vector of f32

  Type withElement(Type element) const {
    if (auto v = dyn_cast<VectorType>(type))
      return v.clone(element);
    return element;
  }
  Value constant(Type element, Attribute scalar) const {
    Type t = withElement(element);
    if (auto v = dyn_cast<VectorType>(t))
      return b.create<arith::ConstantOp>(l, DenseElementsAttr::get(v, scalar));
    return b.create<arith::ConstantOp>(l, cast<TypedAttr>(scalar));
  }
  Value f(float v) const { return constant(b.getF32Type(), b.getF32FloatAttr(v)); }
  Value i(int32_t v) const { return constant(b.getI32Type(), b.getI32IntegerAttr(v)); }
  /// Horner evaluation of sum_k c[k] t^k.
  Value polynomial(Value t, ArrayRef<float> c) const {
    Value p = f(c.back());
    for (size_t k = c.size() - 1; k-- > 0;)
      p = b.create<math::FmaOp>(l, p, t, f(c[k]));
    return p;
  }
};

/// exp(x) for f32 x (any shape), as described in Passes.td.
Value inlineExp(const ShapedBuilder &s, Value x) {
  PatternRewriter &b = s.b;
  Location l = s.l;
  Type i32 = s.withElement(b.getI32Type());
  // Below -87.3 the result underflows: return 0 there (and for -inf), keep NaN.
  Value tooSmall = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OLT, x, s.f(-87.3f));
  Value xc =
      b.create<arith::MinimumFOp>(l, b.create<arith::MaximumFOp>(l, x, s.f(-87.3f)), s.f(88.7f));
  Value n =
      b.create<math::RoundEvenOp>(l, b.create<arith::MulFOp>(l, xc, s.f(1.44269504088896341f)));
  // r = x - n ln2 with ln2 split in two so that n * ln2_hi is exact.
  Value r = b.create<math::FmaOp>(l, n, s.f(-0.693359375f), xc);
  r = b.create<math::FmaOp>(l, n, s.f(2.12194440e-4f), r);
  // Taylor series of e^r to degree 6 (|r| <= ln2 / 2).
  Value p = s.polynomial(r, {1.f, 1.f, 0.5f, 1.f / 6, 1.f / 24, 1.f / 120, 1.f / 720});
  // 2^n by building the float exponent directly (n in [-126, 128] after the clamp).
  Value ni = b.create<arith::FPToSIOp>(l, i32, n);
  Value bits = b.create<arith::ShLIOp>(l, b.create<arith::AddIOp>(l, ni, s.i(127)), s.i(23));
  // n = 128 would overflow the exponent: split as 2^(n-1) * 2.
  Value big = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::sgt, ni, s.i(127));
  Value bitsSafe = b.create<arith::SelectOp>(
      l, big, b.create<arith::ShLIOp>(l, b.create<arith::AddIOp>(l, ni, s.i(126)), s.i(23)), bits);
  Value scale = b.create<arith::BitcastOp>(l, s.type, bitsSafe);
  Value result = b.create<arith::MulFOp>(l, p, scale);
  result = b.create<arith::SelectOp>(l, big, b.create<arith::MulFOp>(l, result, s.f(2.f)), result);
  result = b.create<arith::SelectOp>(l, tooSmall, s.f(0.f), result);
  // NaN stays NaN (the clamps above would have turned it into a number).
  Value isNan = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, x, x);
  return b.create<arith::SelectOp>(l, isNan, x, result);
}

struct ExpExpansion : OpRewritePattern<math::ExpOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::ExpOp op, PatternRewriter &b) const override {
    if (!isF32OrVectorOfF32(op.getType()))
      return failure();
    ShapedBuilder s{b, op.getLoc(), op.getType()};
    b.replaceOp(op, inlineExp(s, op.getOperand()));
    return success();
  }
};

struct ErfExpansion : OpRewritePattern<math::ErfOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::ErfOp op, PatternRewriter &b) const override {
    if (!isF32OrVectorOfF32(op.getType()))
      return failure();
    ShapedBuilder s{b, op.getLoc(), op.getType()};
    Location l = op.getLoc();
    // Beyond |x| = 4, erf(x) rounds to +-1 in float32.
    Value x = b.create<arith::MinimumFOp>(
        l, b.create<arith::MaximumFOp>(l, op.getOperand(), s.f(-4.f)), s.f(4.f));
    Value t = b.create<arith::MulFOp>(l, x, x);
    // erf(x) / x as a rational function of x^2, fitted for relative error on [0, 16].
    Value p = s.polynomial(t, {1.128379139f, 0.1935960866f, 0.05310842780f, 3.885462627e-3f,
                               2.846022647e-4f, 1.986279051e-6f});
    Value q = s.polynomial(
        t, {1.f, 0.5049026151f, 0.1153710168f, 0.01521156951f, 1.186059617e-3f, 3.741677678e-5f});
    Value erf = b.create<arith::DivFOp>(l, b.create<arith::MulFOp>(l, x, p), q);
    erf = b.create<arith::MinimumFOp>(l, b.create<arith::MaximumFOp>(l, erf, s.f(-1.f)), s.f(1.f));
    // NaN stays NaN (the clamps above would have turned it into a number).
    Value isNan =
        b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, op.getOperand(), op.getOperand());
    b.replaceOp(op, b.create<arith::SelectOp>(l, isNan, op.getOperand(), erf));
    return success();
  }
};

struct TanhExpansion : OpRewritePattern<math::TanhOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::TanhOp op, PatternRewriter &b) const override {
    if (!isF32OrVectorOfF32(op.getType()))
      return failure();
    ShapedBuilder s{b, op.getLoc(), op.getType()};
    Location l = op.getLoc();
    Value x = op.getOperand();
    Value ax = b.create<math::AbsFOp>(l, x);
    // Near zero: x (1 + x^2 R(x^2)), no cancellation.
    Value t = b.create<arith::MulFOp>(l, x, x);
    Value r = s.polynomial(t, {0.9999999961f, -0.3333326056f, 0.1333112820f, -0.05372112040f,
                               0.02059115578f, -5.660174591e-3f});
    Value small = b.create<arith::MulFOp>(l, x, r);
    // Elsewhere 1 - 2 / (e^{2|x|} + 1), with |x| <= 9 (tanh(9) rounds to 1).
    Value e = inlineExp(
        s, b.create<arith::MulFOp>(l, b.create<arith::MinimumFOp>(l, ax, s.f(9.f)), s.f(2.f)));
    Value large = b.create<arith::SubFOp>(
        l, s.f(1.f), b.create<arith::DivFOp>(l, s.f(2.f), b.create<arith::AddFOp>(l, e, s.f(1.f))));
    large = b.create<math::CopySignOp>(l, large, x);
    Value isSmall = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OLT, ax, s.f(0.625f));
    Value result = b.create<arith::SelectOp>(l, isSmall, small, large);
    Value isNan = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, x, x);
    b.replaceOp(op, b.create<arith::SelectOp>(l, isNan, x, result));
    return success();
  }
};

struct InlineMathPass : tessera::impl::InlineMathBase<InlineMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpExpansion, ErfExpansion, TanhExpansion>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
