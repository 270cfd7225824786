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
    // Rebuilt all at once: setArgAttr copies the whole array per argument (quadratic).
    SmallVector<DictionaryAttr> attrs;
    fn.getAllArgAttrs(attrs);
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      if (!isa<TensorType>(fn.getArgument(i).getType()))
        continue;
      NamedAttrList list(attrs[i]);
      list.set("bufferization.writable", readOnly);
      attrs[i] = list.getDictionary(&getContext());
    }
    fn.setAllArgAttrs(attrs);
  }
};
} // namespace
