// tess-to-linalg, windows and resampling: max/avg pooling, unfold, fold and resize.
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

/// Reduces every kernel window of the padded NCHW `padded` with `combine`, starting from
/// `init`: one generic over (n, c, oh, kh, kw, ow), innermost along output columns.
Value windowReduction(OpBuilder &b, Location loc, Value padded, RankedTensorType resultType,
                      ArrayRef<int64_t> kernel, ArrayRef<int64_t> st, double init,
                      ScalarFn combine) {
  MLIRContext *ctx = b.getContext();
  Value filled =
      b.create<linalg::FillOp>(loc, floatConst(b, loc, init), emptyTensor(b, loc, resultType))
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
            Value i =
                b.create<arith::IndexCastOp>(l, b.getI64Type(), b.create<linalg::IndexOp>(l, dim));
            auto c = [&](int64_t v) {
              return b.create<arith::ConstantOp>(l, b.getI64IntegerAttr(v));
            };
            Value lo = b.create<arith::SubIOp>(l, b.create<arith::MulIOp>(l, i, c(s)), c(p));
            Value hi = b.create<arith::MinSIOp>(l, b.create<arith::AddIOp>(l, lo, c(kk)), c(size));
            return Value(b.create<arith::SubIOp>(l, hi, b.create<arith::MaxSIOp>(l, lo, c(0))));
          };
          Value n = b.create<arith::MulIOp>(l, extent(2, st[0], k[0], pad[0], in[2]),
                                            extent(3, st[1], k[1], pad[1], in[3]));
          return b.create<arith::DivFOp>(l, a[0], b.create<arith::SIToFPOp>(l, b.getF32Type(), n));
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
    auto sixType = RankedTensorType::get({ps[0], ps[1], k[0], k[1], oh, ow}, rewriter.getF32Type());
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    // d0 n, d1 c, d2 i, d3 j, d4 oh, d5 ow
    SmallVector<AffineMap> maps = {
        AffineMap::get(6, 0, {d(0), d(1), d(4) * st[0] + d(2), d(5) * st[1] + d(3)}, ctx),
        AffineMap::getMultiDimIdentityMap(6, ctx)};
    SmallVector<utils::IteratorType> iterators(6, utils::IteratorType::parallel);
    Value six =
        rewriter
            .create<linalg::GenericOp>(
                loc, sixType, ValueRange{padded}, ValueRange{emptyTensor(rewriter, loc, sixType)},
                maps, iterators,
                [](OpBuilder &b, Location l, ValueRange a) { b.create<linalg::YieldOp>(l, a[0]); })
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
            return Value(
                b.create<arith::MinSIOp>(l, b.create<arith::MaxSIOp>(l, q, c(0)), c(n - 1)));
          };
          Value by = block(idx(2), idx(3), st[0], pad[0], oh);
          Value bx = block(idx(5), idx(4), st[1], pad[1], ow);
          Value ch = b.create<arith::AddIOp>(
              l,
              b.create<arith::MulIOp>(
                  l,
                  b.create<arith::AddIOp>(l, b.create<arith::MulIOp>(l, idx(1), c(k[0])), idx(3)),
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
            Value i =
                b.create<arith::IndexCastOp>(l, b.getI64Type(), b.create<linalg::IndexOp>(l, dim));
            return Value(b.create<arith::SIToFPOp>(l, f32, i));
          };
          auto toIndex = [&](Value f) {
            Value i = b.create<arith::FPToSIOp>(l, b.getI64Type(), f);
            return Value(b.create<arith::IndexCastOp>(l, b.getIndexType(), i));
          };
          auto clampIdx = [&](Value i, int64_t n) {
            return Value(
                b.create<arith::MinSIOp>(l, b.create<arith::MaxSIOp>(l, i, ic(0)), ic(n - 1)));
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

} // namespace

void tessera::lowering::populateWindowsLowerings(RewritePatternSet &patterns) {
  patterns.add<MaxPool2dLowering, AvgPool2dLowering, UnfoldLowering, FoldLowering, ResizeLowering>(
      patterns.getContext());
}
