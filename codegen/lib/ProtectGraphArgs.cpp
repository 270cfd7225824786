// Graph inputs and parameters are read-only memory at run time (caller buffers, mmapped
// constants); tell one-shot bufferization so before it plans in-place updates.
#include "tessera/codegen/Passes.h"

namespace tessera {
#define GEN_PASS_DEF_PROTECTGRAPHARGS
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {
struct ProtectGraphArgsPass : tessera::impl::ProtectGraphArgsBase<ProtectGraphArgsPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal() || fn->hasAttr(tessera::kDispatchAttr))
      return;
    BoolAttr readOnly = BoolAttr::get(&getContext(), false);
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      if (isa<TensorType>(fn.getArgument(i).getType()))
        fn.setArgAttr(i, "bufferization.writable", readOnly);
  }
};
} // namespace
