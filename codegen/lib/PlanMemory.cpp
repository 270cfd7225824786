// Static memory planning: every intermediate buffer of the graph becomes a slice of one arena.
// Shapes are static and the graph function is straight-line code, so live ranges are exact.
#include "tessera/codegen/Passes.h"

#include "Program.h"
#include "tessera/passes/PassReport.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include <algorithm>

namespace tessera {
#define GEN_PASS_DEF_PLANMEMORY
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;

namespace {

constexpr int64_t kAlignment = 64;

int64_t alignUp(int64_t v) { return (v + kAlignment - 1) / kAlignment * kAlignment; }

struct Buffer {
  memref::AllocOp alloc;
  int64_t size;
  unsigned first, last; // op indices of the live range, inclusive
  int64_t offset = -1;
};

struct PlanMemoryPass : tessera::impl::PlanMemoryBase<PlanMemoryPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func->hasAttr(tessera::kDispatchAttr) || func.isExternal())
      return;
    if (!func.getBody().hasOneBlock()) {
      func.emitError("memory planning needs a straight-line graph function");
      return signalPassFailure();
    }
    DenseMap<Operation *, unsigned> index;
    unsigned i = 0;
    for (Operation &op : func.getBody().front())
      index[&op] = i++;

    std::vector<Buffer> buffers;
    for (Operation &op : func.getBody().front()) {
      auto alloc = dyn_cast<memref::AllocOp>(&op);
      if (!alloc)
        continue;
      if (!alloc.getType().hasStaticShape()) {
        alloc.emitError("memory planning needs static shapes");
        return signalPassFailure();
      }
      Buffer b{alloc, alignUp(tessera::codegen::byteSize(alloc.getType())), index[&op], index[&op]};
      // The buffer lives until the last use of any view derived from it.
      SmallVector<Value> worklist = {alloc.getResult()};
      while (!worklist.empty()) {
        Value v = worklist.pop_back_val();
        for (Operation *user : v.getUsers()) {
          Operation *top = func.getBody().front().findAncestorOpInBlock(*user);
          if (top)
            b.last = std::max(b.last, index[top]);
          if (tessera::codegen::isBufferView(user))
            for (Value r : user->getResults())
              worklist.push_back(r);
        }
      }
      buffers.push_back(b);
    }

    // Largest first; each buffer takes the lowest offset that does not overlap a placed
    // buffer whose live range intersects its own.
    std::vector<Buffer *> order;
    for (Buffer &b : buffers)
      order.push_back(&b);
    std::stable_sort(order.begin(), order.end(),
                     [](Buffer *a, Buffer *b) { return a->size > b->size; });
    std::vector<Buffer *> placed;
    int64_t arena = 0, unshared = 0;
    for (Buffer *b : order) {
      std::vector<std::pair<int64_t, int64_t>> busy;
      for (Buffer *p : placed)
        if (!(p->last < b->first || b->last < p->first))
          busy.emplace_back(p->offset, p->offset + p->size);
      std::sort(busy.begin(), busy.end());
      int64_t offset = 0;
      for (auto [lo, hi] : busy) {
        if (offset + b->size <= lo)
          break;
        offset = std::max(offset, hi);
      }
      b->offset = offset;
      placed.push_back(b);
      arena = std::max(arena, offset + b->size);
      unshared += b->size;
    }
    OpBuilder builder(func.getContext());
    for (Buffer &b : buffers)
      b.alloc->setAttr(tessera::kArenaOffsetAttr, builder.getI64IntegerAttr(b.offset));
    func->setAttr(tessera::kArenaSizeAttr, builder.getI64IntegerAttr(arena));
    numBuffers += buffers.size();
    arenaBytes += arena;
    unsharedBytes += unshared;
    tessera::reportStatistic(getArgument(), "buffers placed", buffers.size());
    tessera::reportStatistic(getArgument(), "arena bytes", arena);
    tessera::reportStatistic(getArgument(), "bytes without reuse", unshared);
  }
};

} // namespace
