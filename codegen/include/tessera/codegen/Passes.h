// Codegen passes: they run after bufferization, on memrefs.
#ifndef TESSERA_CODEGEN_PASSES_H
#define TESSERA_CODEGEN_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Pass/Pass.h"

namespace tessera {

/// Attribute names shared by the codegen passes and the module writer.
inline constexpr const char *kArenaOffsetAttr = "tess.arena_offset";
inline constexpr const char *kArenaSizeAttr = "tess.arena_size";
inline constexpr const char *kDispatchAttr = "tess.dispatch";
inline constexpr const char *kWorkgroupsAttr = "tess.workgroups";

#define GEN_PASS_DECL
#include "tessera/codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tessera/codegen/Passes.h.inc"

} // namespace tessera

#endif // TESSERA_CODEGEN_PASSES_H
