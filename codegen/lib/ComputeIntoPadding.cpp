// Padding without copies: a value computed into a buffer only to be copied into the interior
// of a padded buffer is computed there directly, and the padded buffer's fill shrinks to its
// border. See the pass description in Passes.td.
#include "tessera/codegen/Passes.h"

#include "BufferAccess.h"
#include "Program.h"
#include "tessera/passes/PassReport.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"

namespace tessera {
#define GEN_PASS_DEF_COMPUTEINTOPADDING
#include "tessera/codegen/Passes.h.inc"
} // namespace tessera

using namespace mlir;
using tessera::codegen::bufferRoot;

namespace {

bool isStructural(Operation *op) {
  return tessera::codegen::isBufferView(op) || isa<memref::AllocOp>(op) ||
         op->hasTrait<OpTrait::ConstantLike>();
}

/// Moves the views and allocation that compute `v` before `point` (they are pure).
bool hoist(Value v, Operation *point) {
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != point->getBlock() || def->isBeforeInBlock(point))
    return true;
  if (!isStructural(def) || def->getNumRegions())
    return false;
  for (Value operand : def->getOperands())
    if (!hoist(operand, point))
      return false;
  def->moveBefore(point);
  return true;
}

struct ComputeIntoPaddingPass : tessera::impl::ComputeIntoPaddingBase<ComputeIntoPaddingPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn->hasAttr(tessera::kDispatchAttr) || fn.isExternal())
      return;
    sinkFills(fn.getBody().front());
    SmallVector<memref::CopyOp> copies;
    for (Operation &op : fn.getBody().front())
      if (auto copy = dyn_cast<memref::CopyOp>(op))
        copies.push_back(copy);
    unsigned folded = 0, borders = 0;
    for (memref::CopyOp copy : copies)
      if (succeeded(fold(copy, borders)))
        ++folded;
    // Buffers (and views of them) the renaming left unused.
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(fn.getBody().front())))
      if ((tessera::codegen::isBufferView(&op) || isa<memref::AllocOp>(op)) && op.use_empty())
        op.erase();
    numFolded += folded;
    numBorders += borders;
    tessera::reportStatistic(getArgument(), "copies into padded buffers removed", folded);
    tessera::reportStatistic(getArgument(), "padding fills reduced to the border", borders);
  }

  /// Moves each fill down to the next op touching its buffer, so that the value it starts
  /// begins where it is used (bufferization may hoist fills of reused buffers far up).
  void sinkFills(Block &block) {
    SmallVector<linalg::FillOp> fills;
    for (Operation &op : block)
      if (auto fill = dyn_cast<linalg::FillOp>(op))
        if (fill.hasPureBufferSemantics())
          fills.push_back(fill);
    for (linalg::FillOp fill : fills) {
      Value root = bufferRoot(fill.getOutputs()[0]);
      Operation *next = fill->getNextNode();
      while (next && !next->hasTrait<OpTrait::IsTerminator>() &&
             (isStructural(next) || !tessera::codegen::touches(next, root, false)))
        next = next->getNextNode();
      if (!next || next == fill->getNextNode())
        continue;
      // The fill's operands (a constant, a view of the buffer) are defined before it.
      fill->moveBefore(next);
    }
  }

  /// When the padded buffer's value at `copy` starts with a fill of the whole buffer, gives
  /// that value a buffer of its own (bufferization may have reused one buffer for two padded
  /// values, which would make the first one's reader conflict with the second one's writer).
  void renamePaddedValue(memref::CopyOp copy, memref::SubViewOp interior) {
    Value padded = interior.getSource();
    if (!padded.getDefiningOp<memref::AllocOp>())
      return;
    linalg::FillOp start;
    for (Operation *op = copy->getPrevNode(); op; op = op->getPrevNode()) {
      if (isStructural(op) || !tessera::codegen::touches(op, padded, false))
        continue;
      auto fill = dyn_cast<linalg::FillOp>(op);
      if (fill && fill.getOutputs()[0] == padded)
        start = fill;
      break;
    }
    if (!start)
      return;
    // The value lives until the next op that overwrites the buffer whole.
    Operation *end = nullptr;
    for (Operation *op = copy->getNextNode(); op; op = op->getNextNode())
      if (!isStructural(op) && tessera::codegen::overwrites(op, padded) &&
          tessera::codegen::writesAll(op, padded)) {
        end = op;
        break;
      }
    OpBuilder b(start);
    auto fresh = b.create<memref::AllocOp>(start.getLoc(), cast<MemRefType>(padded.getType()),
                                           b.getI64IntegerAttr(64));
    // Every operand of the ops in [start, end) that is the buffer or a view of it reads the
    // fresh buffer instead, through a copy of its view chain.
    DenseMap<Value, Value> rebuilt;
    rebuilt[padded] = fresh;
    std::function<Value(Value)> rebase = [&](Value v) -> Value {
      auto it = rebuilt.find(v);
      if (it != rebuilt.end())
        return it->second;
      Operation *view = v.getDefiningOp();
      Value base = rebase(view->getOperand(0));
      IRMapping mapping;
      mapping.map(view->getOperand(0), base);
      OpBuilder vb(start);
      Value copy = vb.clone(*view, mapping)->getResult(0);
      rebuilt[v] = copy;
      return copy;
    };
    for (Operation *op = start; op != end; op = op->getNextNode()) {
      if (tessera::codegen::isBufferView(op))
        continue; // rebuilt on demand for the ops that use them
      op->walk([&](Operation *inner) {
        for (OpOperand &operand : inner->getOpOperands())
          if (isa<MemRefType>(operand.get().getType()) && bufferRoot(operand.get()) == padded)
            operand.set(rebase(operand.get()));
      });
    }
  }

  LogicalResult fold(memref::CopyOp copy, unsigned &borders) {
    auto alloc = copy.getSource().getDefiningOp<memref::AllocOp>();
    auto interior = copy.getTarget().getDefiningOp<memref::SubViewOp>();
    if (!alloc || !interior || !alloc.getType().getLayout().isIdentity())
      return failure();
    renamePaddedValue(copy, interior);
    interior = copy.getTarget().getDefiningOp<memref::SubViewOp>();
    Value padded = interior.getSource();
    auto paddedAlloc = padded.getDefiningOp<memref::AllocOp>();
    if (!paddedAlloc || !interior.hasUnitStride() ||
        interior.getType().getShape() != alloc.getType().getShape() ||
        !interior.getOffsets().empty() || !interior.getSizes().empty())
      return failure();
    // The uses before the copy move to the interior; they must be plain operands (no views,
    // whose types would change). After the copy the buffer's value is dead: the next op
    // touching it overwrites it whole (one-shot bufferization reuses buffers), or none does.
    Operation *first = copy;
    for (OpOperand &use : alloc->getUses()) {
      Operation *user = use.getOwner();
      if (user == copy || user->getBlock() != copy->getBlock())
        continue;
      if (!user->isBeforeInBlock(copy))
        continue;
      if (tessera::codegen::isBufferView(user) || isa<func::CallOp, func::ReturnOp>(user))
        return failure();
      if (user->isBeforeInBlock(first))
        first = user;
    }
    if (first == copy)
      return failure();
    // The value copied starts at the last op before the copy that overwrites the buffer
    // whole (one-shot bufferization reuses buffers for values that do not overlap).
    for (Operation *op = copy->getPrevNode(); op && op != first->getPrevNode();
         op = op->getPrevNode())
      if (!isStructural(op) && tessera::codegen::touches(op, alloc, false) &&
          tessera::codegen::overwrites(op, alloc) && tessera::codegen::writesAll(op, alloc)) {
        first = op;
        break;
      }
    for (Operation *op = copy->getNextNode(); op; op = op->getNextNode()) {
      if (isStructural(op) || !tessera::codegen::touches(op, alloc, false))
        continue;
      if (!tessera::codegen::overwrites(op, alloc) || !tessera::codegen::writesAll(op, alloc))
        return failure();
      break;
    }
    for (OpOperand &use : alloc->getUses())
      if (use.getOwner()->getBlock() != copy->getBlock())
        return failure();
    // Between the first use and the copy the padded buffer may only be filled whole (the
    // fill then moves up, before the value is computed into it).
    SmallVector<linalg::FillOp> fills;
    for (Operation *op = first; op != copy; op = op->getNextNode()) {
      if (isStructural(op) || !tessera::codegen::touches(op, padded, false))
        continue;
      auto fill = dyn_cast<linalg::FillOp>(op);
      if (!fill || fill.getOutputs()[0] != padded)
        return failure();
      fills.push_back(fill);
    }
    // Before the first use, the padded buffer must not be in use (it is computed fresh).
    if (paddedAlloc->isBeforeInBlock(first))
      for (Operation *op = paddedAlloc->getNextNode(); op != first; op = op->getNextNode())
        if (!isStructural(op) && tessera::codegen::touches(op, padded, false))
          return failure();
    if (fills.size() > 1 || !hoist(interior.getResult(), first) ||
        (fills.size() == 1 && !hoist(fills[0].getInputs()[0], first)))
      return failure();
    for (linalg::FillOp fill : fills)
      fill->moveBefore(first);
    alloc.getResult().replaceUsesWithIf(interior.getResult(), [&](OpOperand &use) {
      Operation *user = use.getOwner();
      return user != copy && user->isBeforeInBlock(copy) &&
             (user == first || first->isBeforeInBlock(user));
    });
    copy.erase();
    if (alloc->use_empty())
      alloc.erase();
    // The interior is fully written by what used to fill the buffer: fill only the border.
    if (fills.size() == 1 && succeeded(fillBorder(fills[0], interior)))
      ++borders;
    return success();
  }

  /// Replaces a fill of the whole buffer by fills of the slabs around `interior`.
  LogicalResult fillBorder(linalg::FillOp fill, memref::SubViewOp interior) {
    ArrayRef<int64_t> shape = interior.getSourceType().getShape();
    ArrayRef<int64_t> offsets = interior.getStaticOffsets(), sizes = interior.getStaticSizes();
    OpBuilder b(fill);
    Location loc = fill.getLoc();
    size_t rank = shape.size();
    // Slab i: dims before i restricted to the interior, dim i outside it, dims after i whole.
    for (size_t i = 0; i < rank; ++i) {
      auto slab = [&](int64_t begin, int64_t end) {
        if (end <= begin)
          return;
        SmallVector<int64_t> o(rank, 0), s(shape.begin(), shape.end()), st(rank, 1);
        for (size_t j = 0; j < i; ++j) {
          o[j] = offsets[j];
          s[j] = sizes[j];
        }
        o[i] = begin;
        s[i] = end - begin;
        Value view = b.create<memref::SubViewOp>(loc, interior.getSource(), o, s, st);
        b.create<linalg::FillOp>(loc, fill.getInputs()[0], view);
      };
      slab(0, offsets[i]);
      slab(offsets[i] + sizes[i], shape[i]);
    }
    fill.erase();
    return success();
  }
};

} // namespace
