// An inline, vectorizable exp for f32 (see the pass description in Passes.td).
#include "tessera/codegen/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace tessera {
#define GEN_PASS_DEF_INLINEEXP
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

struct ExpExpansion : OpRewritePattern<math::ExpOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::ExpOp op, PatternRewriter &b) const override {
    if (!op.getType().isF32())
      return failure();
    Location l = op.getLoc();
    auto c = [&](float v) { return Value(b.create<arith::ConstantOp>(l, b.getF32FloatAttr(v))); };
    auto ci = [&](int32_t v) {
      return Value(b.create<arith::ConstantOp>(l, b.getI32IntegerAttr(v)));
    };
    Value x = op.getOperand();
    // Below -87.3 the result underflows: return 0 there (and for -inf), keep NaN.
    Value tooSmall = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OLT, x, c(-87.3f));
    Value xc = b.create<arith::MinimumFOp>(l, b.create<arith::MaximumFOp>(l, x, c(-87.3f)),
                                           c(88.7f));
    Value n = b.create<math::RoundEvenOp>(l, b.create<arith::MulFOp>(l, xc, c(1.44269504088896341f)));
    // r = x - n ln2 with ln2 split in two so that n * ln2_hi is exact.
    Value r = b.create<math::FmaOp>(l, n, c(-0.693359375f), xc);
    r = b.create<math::FmaOp>(l, n, c(2.12194440e-4f), r);
    // Taylor series of e^r to degree 6 (|r| <= ln2 / 2), Horner form.
    const float k[] = {1.f / 720, 1.f / 120, 1.f / 24, 1.f / 6, 0.5f, 1.f, 1.f};
    Value p = c(k[0]);
    for (int i = 1; i < 7; ++i)
      p = b.create<math::FmaOp>(l, p, r, c(k[i]));
    // 2^n by building the float exponent directly (n in [-126, 128] after the clamp).
    Value ni = b.create<arith::FPToSIOp>(l, b.getI32Type(), n);
    Value bits = b.create<arith::ShLIOp>(l, b.create<arith::AddIOp>(l, ni, ci(127)), ci(23));
    // n = 128 would overflow the exponent: split as 2^(n-1) * 2.
    Value big = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::sgt, ni, ci(127));
    Value bitsSafe = b.create<arith::SelectOp>(
        l, big, b.create<arith::ShLIOp>(l, b.create<arith::AddIOp>(l, ni, ci(126)), ci(23)), bits);
    Value scale = b.create<arith::BitcastOp>(l, b.getF32Type(), bitsSafe);
    Value result = b.create<arith::MulFOp>(l, p, scale);
    result = b.create<arith::SelectOp>(l, big, b.create<arith::MulFOp>(l, result, c(2.f)), result);
    result = b.create<arith::SelectOp>(l, tooSmall, c(0.f), result);
    // NaN stays NaN (the clamps above would have turned it into a number).
    Value isNan = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, x, x);
    b.replaceOp(op, b.create<arith::SelectOp>(l, isNan, x, result));
    return success();
  }
};

struct InlineExpPass : tessera::impl::InlineExpBase<InlineExpPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpExpansion>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
