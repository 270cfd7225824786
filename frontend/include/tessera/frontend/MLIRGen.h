// Elaborates a parsed .tg Program into the tess dialect: evaluates config arithmetic (with -D
// overrides), declares parameters, inlines fns, unrolls for loops and builds one func.func per
// graph. Shape and arity errors are reported at the DSL location with a caret.
#ifndef TESSERA_FRONTEND_MLIRGEN_H
#define TESSERA_FRONTEND_MLIRGEN_H

#include "tessera/Limits.h"
#include "tessera/frontend/AST.h"
#include "tessera/frontend/Diagnostics.h"
#include "tessera/ir/GraphAttributes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <map>
#include <string>

namespace mlir {
class MLIRContext;
}

namespace tessera::frontend {

struct MLIRGenOptions {
  /// `-D name=value` overrides of config constants; values are parsed as DSL literals.
  std::map<std::string, std::string> configOverrides;
  /// Graph to build when the file has several; empty means the file's only graph.
  std::string graphName;
  /// The largest tensor the graph may hold (inputs, outputs, parameters, intermediates), in
  /// bytes; at most tessera::limits::kMaxTensorBytes.
  uint64_t maxTensorBytes = tessera::limits::kMaxTensorBytes;
  /// The most statements elaboration may execute (loops unrolled, fns inlined); the largest
  /// seed model executes about 10^4. Fuzzing lowers it to keep each input fast.
  uint64_t maxStatements = 2000000;
};

/// Returns null after reporting errors to `diags`. The module holds one func.func named after
/// the graph; its arguments are the graph inputs (attribute tess.input = name) followed by the
/// parameters in declaration order (tess.param = name); its results carry tess.output = name.
mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &context, const Program &program,
                                          const SourceFile &file, DiagnosticEngine &diags,
                                          const MLIRGenOptions &options);

/// Registers the dialects MLIRGen emits into `context`.
void loadFrontendDialects(mlir::MLIRContext &context);

} // namespace tessera::frontend

#endif // TESSERA_FRONTEND_MLIRGEN_H
