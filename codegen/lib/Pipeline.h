// Helpers shared by the compiler driver and the targets: pass managers configured from the
// user's options, and pipeline runs whose diagnostics come back as an llvm::Error.
#ifndef TESSERA_CODEGEN_PIPELINE_H
#define TESSERA_CODEGEN_PIPELINE_H

#include "tessera/codegen/Compiler.h"

#include "mlir/Pass/PassManager.h"

namespace tessera::codegen {

llvm::Error makeError(const llvm::Twine &message);

/// Collects MLIR diagnostics emitted while a pass manager runs, so failures come back as an
/// llvm::Error with the messages instead of being printed out of order.
class CapturedDiagnostics {
public:
  explicit CapturedDiagnostics(mlir::MLIRContext *ctx);
  std::string messages;

private:
  mlir::ScopedDiagnosticHandler handler;
};

/// IR printing and timing as the options ask.
void configure(mlir::PassManager &pm, const CompileOptions &options);

/// `pass` with the options the user gave it through --pass-option.
std::unique_ptr<mlir::Pass> configured(std::unique_ptr<mlir::Pass> pass,
                                       const CompileOptions &options);

/// A fresh instance of configurable pass `name` with the defaults of a target whose vector
/// registers are `vectorBits` wide; null for a name that is not configurable.
std::unique_ptr<mlir::Pass> createConfigurable(llvm::StringRef name, unsigned vectorBits = 512);

bool enabled(const CompileOptions &options, const char *pass);

/// Runs `pm` on `module`; on failure the error says `what` failed and carries the diagnostics.
llvm::Error runPipeline(mlir::ModuleOp module, mlir::PassManager &pm, const char *what);

} // namespace tessera::codegen

#endif // TESSERA_CODEGEN_PIPELINE_H
