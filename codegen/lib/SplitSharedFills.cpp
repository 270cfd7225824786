// Undoes CSE of linalg.fill before bufferization (see the pass description in Passes.td).
#include "tessera/codegen/Passes.h"
#include "tessera/passes/PassReport.h"

namespace tessera {
#define GEN_PASS_DEF_SPLITSHAREDFILLS
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {
struct SplitSharedFillsPass : tessera::impl::SplitSharedFillsBase<SplitSharedFillsPass> {
  void runOnOperation() override {
    SmallVector<linalg::FillOp> fills;
    getOperation().walk([&](linalg::FillOp fill) {
      if (fill.hasPureTensorSemantics() && !fill.getResult(0).hasOneUse())
        fills.push_back(fill);
    });
    unsigned split = 0;
    for (linalg::FillOp fill : fills) {
      SmallVector<OpOperand *> uses;
      for (OpOperand &use : fill.getResult(0).getUses())
        uses.push_back(&use);
      // The first use keeps the original; every other use gets a clone right before it.
      for (OpOperand *use : llvm::drop_begin(uses)) {
        OpBuilder b(use->getOwner());
        Operation *clone = b.clone(*fill);
        use->set(clone->getResult(0));
        ++split;
      }
    }
    numSplit += split;
    tessera::reportStatistic(getArgument(), "fills cloned for an extra consumer", split);
  }
};
} // namespace
