// CPU code generation: dispatch functions (LLVM dialect) -> LLVM IR -> optimized x86-64 object
// -> shared object, with one exported entry point per dispatch in the tsr_kernel_fn ABI.
#ifndef TESSERA_CODEGEN_CPUCODEGEN_H
#define TESSERA_CODEGEN_CPUCODEGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace tessera::codegen {

/// The LLVM CPU name used when none is given: the highest x86-64 level this machine runs.
std::string hostTargetCpu();

/// The widest vector registers the CPU has, in bits: 512 (AVX-512F), 256 (AVX2), else 128.
/// Fails for CPU names LLVM does not know.
llvm::Expected<unsigned> targetVectorBits(const std::string &cpu);

/// Adds `tsr_<name>(void *const *bindings, int64_t wg, int64_t count)` for every dispatch
/// function `name` (already in the LLVM dialect with bare-pointer arguments followed by the
/// two workgroup arguments) and makes the dispatch functions internal.
llvm::Error addEntryPoints(mlir::ModuleOp module, const std::vector<std::string> &dispatches);

/// Translates, optimizes (O3) and links the LLVM-dialect module into shared-object bytes.
llvm::Expected<std::vector<uint8_t>> emitSharedObject(mlir::ModuleOp module,
                                                      const std::string &targetCpu);

/// The exported symbol of a dispatch.
inline std::string entryPointName(const std::string &dispatch) { return "tsr_" + dispatch; }

} // namespace tessera::codegen

#endif // TESSERA_CODEGEN_CPUCODEGEN_H
