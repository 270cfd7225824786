// How the ops of a bufferized graph touch a buffer (through any of its views): the questions
// the buffer-level rewrites ask before they move a read or a write.
#ifndef TESSERA_CODEGEN_BUFFERACCESS_H
#define TESSERA_CODEGEN_BUFFERACCESS_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace tessera::codegen {

/// Whether `op` (or anything nested in it) may touch `root`: as an operand, a captured value,
/// or (when `writesOnly`) as a written operand of a destination-style op or copy.
bool touches(mlir::Operation *op, mlir::Value root, bool writesOnly);

/// Whether every buffer of `op` rooted at `root` covers all of it: then `op` writing it
/// leaves nothing of an earlier value behind.
bool writesAll(mlir::Operation *op, mlir::Value root);

/// Whether `op` writes `root` without reading what was there before (so an earlier value of
/// the buffer is dead from here on).
bool overwrites(mlir::Operation *op, mlir::Value root);

/// The buffers (roots) an op may read and may write, with the same conservative rules as
/// `touches`: destination operands are written (and read), anything unclassified both.
struct BufferEffects {
  llvm::SmallPtrSet<void *, 8> reads, writes; // Value::getAsOpaquePointer of the roots

  static BufferEffects of(mlir::Operation *op);
  void merge(const BufferEffects &other);
  /// Whether running the two in the other order could change a result: one writes what the
  /// other touches.
  bool conflicts(const BufferEffects &other) const;
};

} // namespace tessera::codegen

#endif // TESSERA_CODEGEN_BUFFERACCESS_H
