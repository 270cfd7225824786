// MLIRGen: evaluates the AST like a tiny interpreter whose tensor values are SSA values of the
// tess dialect. Scalars (config arithmetic, literals) are computed on the spot; fns are inlined
// at each call; for loops are unrolled. Every check that can fail on user input is made here,
// before an op is built, so errors point at the DSL source.
#include "tessera/frontend/MLIRGen.h"

#include "Builtins.h"
#include "Elaborator.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "tessera/ir/TessDialect.h"

namespace tessera::frontend {

void loadFrontendDialects(mlir::MLIRContext &context) {
  context.loadDialect<mlir::func::FuncDialect, tess::TessDialect>();
}

mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &context, const Program &program,
                                          const SourceFile &file, DiagnosticEngine &diags,
                                          const MLIRGenOptions &options) {
  loadFrontendDialects(context);
  Elaborator elaborator(context, program, file, diags);
  return elaborator.run(options);
}

} // namespace tessera::frontend
