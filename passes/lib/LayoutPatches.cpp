// layout-patches: ViT's patch embedding as one GEMM that reads the image in place.
#include "tessera/ir/TessDialect.h"
#include "tessera/passes/Passes.h"
#include "tessera/passes/PassReport.h"

namespace tessera {
#define GEN_PASS_DEF_LAYOUTPATCHES
#include "tessera/passes/Passes.h.inc"
} // namespace tessera

using namespace mlir;
using namespace tessera;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

struct LayoutPatchesPass : tessera::impl::LayoutPatchesBase<LayoutPatchesPass> {
  void runOnOperation() override {
    SmallVector<tess::TransposeOp> candidates;
    getOperation().walk([&](tess::TransposeOp op) { candidates.push_back(op); });
    unsigned count = 0;
    for (tess::TransposeOp t : candidates)
      if (succeeded(rewrite(t)))
        ++count;
    numRewritten += count;
    reportStatistic(getArgument(), "patch embeddings turned into one GEMM", count);
  }

  LogicalResult rewrite(tess::TransposeOp transpose) {
    if (transpose.getPermutation() != ArrayRef<int64_t>{0, 2, 1})
      return failure();
    auto reshape = transpose.getInput().getDefiningOp<tess::ReshapeOp>();
    if (!reshape || !reshape->hasOneUse())
      return failure();
    auto conv = reshape.getInput().getDefiningOp<tess::Conv2dOp>();
    if (!conv || !conv->hasOneUse() || conv.getGroups() != 1)
      return failure();
    ArrayRef<int64_t> ws = typeOf(conv.getWeight()).getShape(); // [D, C, P, Q]
    ArrayRef<int64_t> cs = typeOf(conv.getResult()).getShape();  // [B, D, h, w]
    if (conv.getStrides() != ArrayRef<int64_t>{ws[2], ws[3]} ||
        conv.getPadding() != ArrayRef<int64_t>{0, 0} ||
        conv.getDilation() != ArrayRef<int64_t>{1, 1})
      return failure();
    // The reshape must only flatten the patch grid: [B, D, h, w] -> [B, D, h * w].
    ArrayRef<int64_t> rs = typeOf(reshape.getResult()).getShape();
    if (rs.size() != 3 || rs[0] != cs[0] || rs[1] != cs[1] || rs[2] != cs[2] * cs[3])
      return failure();

    MLIRContext *ctx = &getContext();
    OpBuilder b(transpose);
    Location loc = transpose.getLoc();
    int64_t gridW = cs[3];
    int64_t channels = ws[1], p = ws[2], q = ws[3], patch = p * q;
    auto outType = cast<RankedTensorType>(transpose.getType()); // [B, N, D]
    Value empty = b.create<tensor::EmptyOp>(loc, outType.getShape(), outType.getElementType());
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    // Iteration (b, n, d, k) with k = (c, i, j) flattened: patch n sits at grid row n / w and
    // column n % w, so the image element is x[b, c, (n / w) P + i, (n % w) Q + j].
    AffineExpr n = d(1), k = d(3);
    AffineExpr c = k.floorDiv(patch), i = (k % patch).floorDiv(q), j = k % q;
    // k only appears inside floordiv / mod: this shape-only operand gives its loop bound.
    Value kSpace = b.create<tensor::EmptyOp>(loc, ArrayRef<int64_t>{channels * patch},
                                             outType.getElementType());
    SmallVector<AffineMap> maps = {
        AffineMap::get(4, 0, {d(0), c, n.floorDiv(gridW) * p + i, (n % gridW) * q + j}, ctx),
        AffineMap::get(4, 0, {d(2), c, i, j}, ctx), AffineMap::get(4, 0, {k}, ctx)};
    SmallVector<Value> inputs = {conv.getInput(), conv.getWeight(), kSpace};
    Value bias = conv.getBias();
    if (bias) {
      inputs.push_back(bias);
      maps.push_back(AffineMap::get(4, 0, {d(2)}, ctx));
    }
    maps.push_back(AffineMap::get(4, 0, {d(0), n, d(2)}, ctx));
    using IT = utils::IteratorType;
    SmallVector<IT> iterators = {IT::parallel, IT::parallel, IT::parallel, IT::reduction};
    auto flags = arith::FastMathFlagsAttr::get(
        ctx, arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
    // The accumulator starts from the bias (or zero) at k = 0 instead of a separately
    // initialized output: the patch embedding is one dispatch.
    auto gemm = b.create<linalg::GenericOp>(
        loc, outType, inputs, ValueRange{empty}, maps, iterators,
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value first = nb.create<arith::CmpIOp>(
              l, arith::CmpIPredicate::eq, nb.create<linalg::IndexOp>(l, 3),
              nb.create<arith::ConstantIndexOp>(l, 0));
          Value start = bias ? a[3]
                             : nb.create<arith::ConstantOp>(l, nb.getF32FloatAttr(0.0f))
                                   .getResult();
          Value acc = nb.create<arith::SelectOp>(l, first, start, a.back());
          Value prod = nb.create<arith::MulFOp>(l, a[0], a[1], flags);
          nb.create<linalg::YieldOp>(l, ValueRange{nb.create<arith::AddFOp>(l, acc, prod, flags)});
        });
    transpose.getResult().replaceAllUsesWith(gemm.getResult(0));
    transpose.erase();
    reshape.erase();
    conv.erase();
    return success();
  }
};

} // namespace
