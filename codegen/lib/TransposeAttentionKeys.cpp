// Attention keys in the layout the attention kernel reads them: see the pass description in
// Passes.td.
#include "tessera/codegen/Passes.h"

#include "tessera/ir/TessDialect.h"
#include "tessera/passes/PassReport.h"

namespace tessera {
#define GEN_PASS_DEF_TRANSPOSEATTENTIONKEYS
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

struct TransposeAttentionKeysPass
    : tessera::impl::TransposeAttentionKeysBase<TransposeAttentionKeysPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn->hasAttr(tessera::kDispatchAttr) || fn.isExternal())
      return;
    SmallVector<tessera::tess::AttentionOp> ops;
    for (Operation &op : fn.getBody().front())
      if (auto a = dyn_cast<tessera::tess::AttentionOp>(op))
        if (a.getResults().empty())
          ops.push_back(a);
    unsigned count = 0;
    for (tessera::tess::AttentionOp op : ops) {
      auto type = cast<MemRefType>(op.getK().getType());
      SmallVector<int64_t> strides;
      int64_t offset;
      int64_t rank = type.getRank();
      if (!type.hasStaticShape() || rank < 2 || !type.getElementType().isF32() ||
          failed(getStridesAndOffset(type, strides, offset)) || strides[rank - 2] == 1)
        continue;
      OpBuilder b(op);
      Location loc = op.getLoc();
      MLIRContext *ctx = &getContext();
      SmallVector<int64_t> shape(type.getShape()), perm;
      std::swap(shape[rank - 2], shape[rank - 1]);
      for (int64_t i = 0; i < rank; ++i)
        perm.push_back(i == rank - 2 ? rank - 1 : i == rank - 1 ? rank - 2 : i);
      auto bufferType = MemRefType::get(shape, type.getElementType());
      Value keys = b.create<memref::AllocOp>(loc, bufferType, b.getI64IntegerAttr(64));
      b.create<linalg::TransposeOp>(loc, op.getK(), keys, perm);
      SmallVector<AffineExpr> exprs;
      for (int64_t p : perm)
        exprs.push_back(getAffineDimExpr(p, ctx));
      Value view = b.create<memref::TransposeOp>(
          loc, keys, AffineMapAttr::get(AffineMap::get(rank, 0, exprs, ctx)));
      op.getKMutable().assign(view);
      ++count;
    }
    numTransposed += count;
    tessera::reportStatistic(getArgument(), "attention keys transposed", count);
  }
};

} // namespace
