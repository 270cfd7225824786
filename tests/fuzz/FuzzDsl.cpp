// libFuzzer target: the DSL front end, from source text to verified tess IR (lexer, parser,
// elaborator, builtins, shape rules, the MLIR verifier). One MLIRContext serves every input;
// each input's module is destroyed after it.
#include "tessera/frontend/MLIRGen.h"
#include "tessera/frontend/Parser.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace tessera::frontend;
  static mlir::MLIRContext *context = [] {
    auto *c = new mlir::MLIRContext();
    loadFrontendDialects(*c);
    return c;
  }();
  if (size > (64u << 10)) // the driver's own limit is 64 MiB; keep executions fast
    return 0;
  SourceFile file("fuzz.tg", std::string(reinterpret_cast<const char *>(data), size));
  DiagnosticEngine diags(file);
  std::optional<Program> program = parseProgram(file, diags);
  if (!program)
    return 0;
  // An MLIR diagnostic here would be an internal error of the front end.
  bool internalError = false;
  mlir::ScopedDiagnosticHandler handler(context, [&](mlir::Diagnostic &) {
    internalError = true;
    return mlir::success();
  });
  MLIRGenOptions options;
  // Full-size model configurations elaborate 10^4 statements (milliseconds under ASan); the
  // seeds use tiny configurations, and mutations that loop more stop here.
  options.maxStatements = 1000;
  mlir::OwningOpRef<mlir::ModuleOp> module = mlirGen(*context, *program, file, diags, options);
  if (module && mlir::failed(mlir::verify(*module)))
    internalError = true;
  if (internalError)
    __builtin_trap();
  return 0;
}
