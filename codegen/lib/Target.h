// A compilation target (IREE's HAL target backend): everything up to dispatch formation, the
// memory plan and the bindings is shared; a target lowers the dispatch functions to its
// kernels and serializes them as one executable of the module.
#ifndef TESSERA_CODEGEN_TARGET_H
#define TESSERA_CODEGEN_TARGET_H

#include "ModuleWriter.h"
#include "Program.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace tessera::codegen {

class Target {
public:
  virtual ~Target() = default;
  /// As --target names it: "cpu", "cuda".
  virtual std::string name() const = 0;
  /// Lowers the dispatch functions of `module` (a module holding only them, this target's own
  /// copy) and serializes them. May set per-dispatch facts in `program` (workgroup counts).
  virtual llvm::Expected<ExecutableInfo> build(mlir::ModuleOp module, ProgramInfo &program) = 0;
};

/// Target name -> the shared-pipeline passes whose output only that target's kernels can run:
/// they run only when the module is built for that target alone.
std::vector<std::pair<std::string, std::vector<std::string>>> targetOwnPasses();

/// Vector width of the CPU kernels, checked when the target is created.
llvm::Expected<std::unique_ptr<Target>> createCpuTarget(const CompileOptions &options);
/// With `emulate`: "cuda-emulator", the CUDA kernels lowered for this CPU (one thread after
/// another), so the GPU lowering can be checked numerically without a GPU.
llvm::Expected<std::unique_ptr<Target>> createCudaTarget(const CompileOptions &options,
                                                         bool emulate = false);

/// The CPU's loop and LLVM phases, entry points and shared object for `cpu`: the whole CPU
/// lowering of the dispatch functions of `module`.
llvm::Expected<ExecutableInfo> buildCpuExecutable(mlir::ModuleOp module, ProgramInfo &program,
                                                  const CompileOptions &options,
                                                  const std::string &cpu);

/// The CPU's loop and LLVM phases (also tessera opt --compile-to llvm): fills in each
/// dispatch's workgroup count when `program` is given.
llvm::Error lowerCpuDispatches(mlir::ModuleOp module, ProgramInfo *program,
                               const CompileOptions &options, unsigned vectorBits, bool toLLVM);

} // namespace tessera::codegen

#endif // TESSERA_CODEGEN_TARGET_H
