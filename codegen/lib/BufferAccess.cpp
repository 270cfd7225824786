#include "BufferAccess.h"

#include "Program.h"
#include "tessera/ir/TessDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace tessera::codegen {

bool touches(Operation *op, Value root, bool writesOnly) {
  bool hit = false;
  op->walk([&](Operation *inner) {
    if (hit)
      return;
    if (auto copy = dyn_cast<memref::CopyOp>(inner)) {
      hit = bufferRoot(copy.getTarget()) == root ||
            (!writesOnly && bufferRoot(copy.getSource()) == root);
      return;
    }
    if (auto dps = dyn_cast<DestinationStyleOpInterface>(inner)) {
      for (OpOperand &operand : inner->getOpOperands())
        if (isa<MemRefType>(operand.get().getType()) && bufferRoot(operand.get()) == root &&
            (!writesOnly || dps.isDpsInit(&operand)))
          hit = true;
      return;
    }
    if (tessera::codegen::isBufferView(inner) || isa<memref::AllocOp>(inner) ||
        inner->hasTrait<OpTrait::ConstantLike>() || isa<scf::ParallelOp, scf::ReduceOp>(inner))
      return;
    // Anything else that sees the buffer is assumed to write it.
    for (Value v : inner->getOperands())
      if (isa<MemRefType>(v.getType()) && bufferRoot(v) == root)
        hit = true;
  });
  return hit;
}

bool writesAll(Operation *op, Value root) {
  auto rootType = cast<MemRefType>(root.getType());
  for (Value v : op->getOperands())
    if (isa<MemRefType>(v.getType()) && bufferRoot(v) == root &&
        cast<MemRefType>(v.getType()).getNumElements() != rootType.getNumElements())
      return false;
  return true;
}

bool overwrites(Operation *op, Value root) {
  if (auto copy = dyn_cast<memref::CopyOp>(op))
    return bufferRoot(copy.getTarget()) == root && bufferRoot(copy.getSource()) != root;
  // Ops that never read their destination; a generic whose body ignores it.
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic &&
      !isa<linalg::FillOp, linalg::TransposeOp, linalg::CopyOp, tessera::tess::AttentionOp>(op))
    return false;
  auto dps = cast<DestinationStyleOpInterface>(op);
  bool writes = false;
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()) || bufferRoot(operand.get()) != root)
      continue;
    if (!dps.isDpsInit(&operand) || (generic && generic.payloadUsesValueFromOperand(&operand)))
      return false;
    writes = true;
  }
  return writes;
}

BufferEffects BufferEffects::of(Operation *op) {
  BufferEffects e;
  auto add = [&](Value v, bool read, bool write) {
    if (!isa<MemRefType>(v.getType()))
      return;
    void *root = bufferRoot(v).getAsOpaquePointer();
    if (read)
      e.reads.insert(root);
    if (write)
      e.writes.insert(root);
  };
  op->walk([&](Operation *inner) {
    if (auto copy = dyn_cast<memref::CopyOp>(inner)) {
      add(copy.getSource(), true, false);
      add(copy.getTarget(), false, true);
      return;
    }
    if (auto dps = dyn_cast<DestinationStyleOpInterface>(inner)) {
      for (OpOperand &operand : inner->getOpOperands())
        add(operand.get(), true, dps.isDpsInit(&operand));
      return;
    }
    if (isa<memref::LoadOp>(inner)) {
      add(inner->getOperand(0), true, false);
      return;
    }
    if (tessera::codegen::isBufferView(inner) || isa<memref::AllocOp>(inner) ||
        inner->hasTrait<OpTrait::ConstantLike>() || isa<scf::ParallelOp, scf::ReduceOp>(inner))
      return;
    for (Value v : inner->getOperands())
      add(v, true, true);
  });
  return e;
}

void BufferEffects::merge(const BufferEffects &other) {
  reads.insert(other.reads.begin(), other.reads.end());
  writes.insert(other.writes.begin(), other.writes.end());
}

bool BufferEffects::conflicts(const BufferEffects &other) const {
  for (void *w : writes)
    if (other.reads.contains(w) || other.writes.contains(w))
      return true;
  for (void *w : other.writes)
    if (reads.contains(w))
      return true;
  return false;
}

} // namespace tessera::codegen
