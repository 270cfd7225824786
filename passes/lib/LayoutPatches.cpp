// layout-patches: ViT's patch embedding as one GEMM that reads the image in place.
#include "tessera/ir/TessDialect.h"
#include "tessera/passes/PassReport.h"
#include "tessera/passes/Passes.h"

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
    ArrayRef<int64_t> cs = typeOf(conv.getResult()).getShape(); // [B, D, h, w]
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
    int64_t p = ws[2], q = ws[3];
    auto outType = cast<RankedTensorType>(transpose.getType()); // [B, N, D]
    Value empty = b.create<tensor::EmptyOp>(loc, outType.getShape(), outType.getElementType());
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    using IT = utils::IteratorType;
    // The accumulator starts as the bias broadcast over the tokens (or zero), in the token
    // layout: the contraction kernels fold that initialization into their registers.
    Value init;
    if (Value bias = conv.getBias()) {
      SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {d(2)}, ctx),
                                     AffineMap::getMultiDimIdentityMap(3, ctx)};
      init = b.create<linalg::GenericOp>(loc, outType, ValueRange{bias}, ValueRange{empty}, maps,
                                         SmallVector<IT>(3, IT::parallel),
                                         [](OpBuilder &nb, Location l, ValueRange a) {
                                           nb.create<linalg::YieldOp>(l, a[0]);
                                         })
                 .getResult(0);
    } else {
      Value zero = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(0.0f));
      init = b.create<linalg::FillOp>(loc, zero, empty).getResult(0);
    }
    // Iteration (b, n, d, c, i, j): patch n sits at grid row n / w and column n % w, so the
    // image element is x[b, c, (n / w) P + i, (n % w) Q + j]; the weight is read as is.
    AffineExpr n = d(1);
    SmallVector<AffineMap> maps = {
        AffineMap::get(6, 0, {d(0), d(3), n.floorDiv(gridW) * p + d(4), (n % gridW) * q + d(5)},
                       ctx),
        AffineMap::get(6, 0, {d(2), d(3), d(4), d(5)}, ctx),
        AffineMap::get(6, 0, {d(0), n, d(2)}, ctx)};
    SmallVector<IT> iterators = {IT::parallel,  IT::parallel,  IT::parallel,
                                 IT::reduction, IT::reduction, IT::reduction};
    auto flags = arith::FastMathFlagsAttr::get(ctx, arith::FastMathFlags::reassoc |
                                                        arith::FastMathFlags::contract);
    auto gemm = b.create<linalg::GenericOp>(
        loc, outType, ValueRange{conv.getInput(), conv.getWeight()}, ValueRange{init}, maps,
        iterators, [&](OpBuilder &nb, Location l, ValueRange a) {
          Value prod = nb.create<arith::MulFOp>(l, a[0], a[1], flags);
          nb.create<linalg::YieldOp>(l, ValueRange{nb.create<arith::AddFOp>(l, a[2], prod, flags)});
        });
    transpose.getResult().replaceAllUsesWith(gemm.getResult(0));
    transpose.erase();
    reshape.erase();
    conv.erase();
    return success();
  }
};

} // namespace
