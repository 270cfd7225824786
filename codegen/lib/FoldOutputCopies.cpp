// Removes the copy that buffer-results-to-out-params puts before each return, by computing
// the result directly into the caller-provided output buffer.
#include "tessera/codegen/Passes.h"
#include "tessera/passes/PassReport.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace tessera {
#define GEN_PASS_DEF_FOLDOUTPUTCOPIES
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {
struct FoldOutputCopiesPass : tessera::impl::FoldOutputCopiesBase<FoldOutputCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) { copies.push_back(copy); });
    unsigned folded = 0;
    for (memref::CopyOp copy : copies) {
      auto out = dyn_cast<BlockArgument>(copy.getTarget());
      auto alloc = copy.getSource().getDefiningOp<memref::AllocOp>();
      // The output must be written by this copy alone, and the allocation must be a plain
      // buffer of the same layout, so that every use of it can read the output instead.
      if (!out || !alloc || !out.hasOneUse() || alloc.getType() != out.getType())
        continue;
      alloc.getResult().replaceAllUsesWith(out);
      copy.erase();
      alloc.erase();
      ++folded;
    }
    numFolded += folded;
    tessera::reportStatistic(getArgument(), "output copies removed", folded);
  }
};
} // namespace
