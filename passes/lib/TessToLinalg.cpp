// Lowers the tess dialect to linalg/tensor/arith/math on tensors. Shapes are static, so every
// broadcast is resolved into indexing maps here and never materialized. The patterns live in
// TessToLinalg/, one file per op family.
#include "TessToLinalg/Lowering.h"

#include "tessera/ir/TessDialect.h"
#include "tessera/passes/PassReport.h"
#include "tessera/passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace tessera {
#define GEN_PASS_DEF_TESSTOLINALG
#include "tessera/passes/Passes.h.inc"
} // namespace tessera

using namespace mlir;
using namespace tessera;

namespace {

struct TessToLinalgPass : tessera::impl::TessToLinalgBase<TessToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    lowering::populateElementwiseLowerings(patterns);
    lowering::populateReductionsLowerings(patterns);
    lowering::populateContractionsLowerings(patterns);
    lowering::populateDataMovementLowerings(patterns);
    lowering::populateWindowsLowerings(patterns);
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
