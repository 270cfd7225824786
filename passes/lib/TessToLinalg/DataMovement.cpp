// tess-to-linalg, data movement: gather, reshape, transpose, slice and concat.
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

struct ReshapeLowering : OpRewritePattern<tess::ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::ReshapeOp op, PatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, reshapeTo(rewriter, op.getLoc(), op.getInput(), cast<RankedTensorType>(op.getType())));
    return success();
  }
};

struct TransposeLowering : OpRewritePattern<tess::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::TransposeOp op, PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    auto t = rewriter.create<linalg::TransposeOp>(
        op.getLoc(), op.getInput(), emptyTensor(rewriter, op.getLoc(), type), op.getPermutation());
    rewriter.replaceOp(op, t.getResult());
    return success();
  }
};

struct SliceLowering : OpRewritePattern<tess::SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tess::SliceOp op, PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(op, type, op.getInput(), ValueRange{},
                                                        ValueRange{}, ValueRange{}, op.getStarts(),
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
      acc =
          rewriter.create<tensor::InsertSliceOp>(op.getLoc(), in, acc, ValueRange{}, ValueRange{},
                                                 ValueRange{}, offsets, inType.getShape(), strides);
      offset += inType.getShape()[op.getAxis()];
    }
    rewriter.replaceOp(op, acc);
    return success();
  }
};

} // namespace

void tessera::lowering::populateDataMovementLowerings(RewritePatternSet &patterns) {
  patterns.add<GatherLowering, ReshapeLowering, TransposeLowering, SliceLowering, ConcatLowering>(
      patterns.getContext());
}
