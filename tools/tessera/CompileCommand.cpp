#include "CompileCommand.h"

#include "ArgParsing.h"
#include "Commands.h"
#include "Options.h"

#include "tessera/codegen/Compiler.h"
#include "tessera/frontend/MLIRGen.h"
#include "tessera/frontend/Parser.h"
#include "tessera/passes/PassReport.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

#include <fstream>
#include <iostream>

namespace tessera::tools {

namespace {

constexpr uint64_t kMaxSourceBytes = 64u << 20;

/// Reads, parses and elaborates the input; diagnostics go to stderr.
mlir::OwningOpRef<mlir::ModuleOp> frontEnd(mlir::MLIRContext &context, const DriverOptions &o,
                                           const char *progName) {
  if (llvm::sys::fs::is_directory(o.input)) {
    std::cerr << progName << ": " << o.input << ": is a directory\n";
    return nullptr;
  }
  auto buffer = llvm::MemoryBuffer::getFile(o.input, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    std::cerr << progName << ": cannot read " << o.input << ": " << buffer.getError().message()
              << "\n";
    return nullptr;
  }
  if ((*buffer)->getBufferSize() > kMaxSourceBytes) {
    std::cerr << progName << ": " << o.input << ": file is larger than 64 MiB\n";
    return nullptr;
  }
  frontend::SourceFile file(o.input, (*buffer)->getBuffer().str());
  frontend::DiagnosticEngine diags(file);
  std::optional<frontend::Program> program = frontend::parseProgram(file, diags);
  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (program) {
    // Any MLIR diagnostic here would be an internal error; keep it with the others.
    mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
      diags.error(frontend::SourceLoc{}, "internal: " + d.str());
      return mlir::success();
    });
    module = frontend::mlirGen(context, *program, file, diags, o.gen);
  }
  if (diags.hasErrors() || !module) {
    std::cerr << diags.str();
    if (!diags.hasErrors())
      std::cerr << o.input << ": error: compilation failed\n";
    return nullptr;
  }
  return module;
}

/// A --print-ir-before/after name that matched no pass is a typo the user must hear about
/// (the IR they asked for was never printed).
bool reportUnmatchedPrintRequests(const codegen::CompileOptions &options, const char *progName) {
  std::vector<std::string> unmatched = codegen::unmatchedPrintRequests(options);
  for (const std::string &name : unmatched)
    std::cerr << progName << ": --print-ir-before/after: no pass named '" << name
              << "' ran (see the pass names in --print-ir-after-all)\n";
  return unmatched.empty();
}

std::unique_ptr<mlir::MLIRContext> makeContext() {
  mlir::DialectRegistry registry;
  codegen::registerCompilerDialects(registry);
  auto context = std::make_unique<mlir::MLIRContext>(registry);
  context->loadAllAvailableDialects();
  return context;
}

} // namespace

int compileCommand(int argc, char **argv, const char *progName) {
  std::optional<DriverOptions> o = parseDriverOptions(argc, argv, progName, /*forOpt=*/false);
  if (!o)
    return kExitUsage;
  if (o->help) {
    std::cout << "usage: " << progName << " FILE.tg -o OUT.tsm [options]\n\n"
              << "Compiles a graph written in the Tessera DSL into a module that tessera run and\n"
              << "tessera-run execute.\n\noptions:\n"
              << driverFlagsHelp(false);
    return kExitSuccess;
  }
  if (sameExistingFile(o->input, o->output)) {
    std::cerr << progName << ": -o " << o->output << " is the input file; refusing to overwrite "
              << "the source\n";
    return kExitUsage;
  }
  auto context = makeContext();
  mlir::OwningOpRef<mlir::ModuleOp> module = frontEnd(*context, *o, progName);
  if (!module)
    return kExitFailure;
  llvm::Expected<std::vector<uint8_t>> bytes = codegen::compileToModule(*module, o->compile);
  if (o->compile.passStatistics)
    std::cerr << takeStatisticsReport();
  if (!bytes) {
    std::cerr << progName << ": " << o->input << ": " << llvm::toString(bytes.takeError())
              << "\n";
    return kExitFailure;
  }
  if (!reportUnmatchedPrintRequests(o->compile, progName))
    return kExitUsage;
  std::error_code ec;
  llvm::ToolOutputFile out(o->output, ec, llvm::sys::fs::OF_None);
  if (ec) {
    std::cerr << progName << ": cannot write " << o->output << ": " << ec.message() << "\n";
    return kExitFailure;
  }
  out.os().write(reinterpret_cast<const char *>(bytes->data()), bytes->size());
  out.os().flush();
  if (out.os().has_error()) {
    std::cerr << progName << ": error writing " << o->output << "\n";
    out.os().clear_error();
    return kExitFailure;
  }
  out.keep();
  return kExitSuccess;
}

int optCommand(int argc, char **argv, const char *progName) {
  std::optional<DriverOptions> o = parseDriverOptions(argc, argv, progName, /*forOpt=*/true);
  if (!o)
    return kExitUsage;
  if (o->help) {
    std::cout << "usage: " << progName << " FILE.tg [options]\n\n"
              << "Runs the compiler's pass pipeline up to a phase and prints the IR, for\n"
              << "inspecting and tuning passes.\n\noptions:\n"
              << driverFlagsHelp(true);
    return kExitSuccess;
  }
  auto context = makeContext();
  mlir::OwningOpRef<mlir::ModuleOp> module = frontEnd(*context, *o, progName);
  if (!module)
    return kExitFailure;
  llvm::Error lowered = codegen::lowerToPhase(*module, o->compileTo, o->compile);
  if (o->compile.passStatistics)
    std::cerr << takeStatisticsReport();
  if (llvm::Error err = std::move(lowered)) {
    std::cerr << progName << ": " << o->input << ": " << llvm::toString(std::move(err)) << "\n";
    return kExitFailure;
  }
  if (!reportUnmatchedPrintRequests(o->compile, progName))
    return kExitUsage;
  if (!o->output.empty() && sameExistingFile(o->input, o->output)) {
    std::cerr << progName << ": -o " << o->output << " is the input file; refusing to overwrite "
              << "the source\n";
    return kExitUsage;
  }
  std::string outPath = o->output.empty() ? "-" : o->output;
  std::error_code ec;
  llvm::ToolOutputFile out(outPath, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    std::cerr << progName << ": cannot write " << outPath << ": " << ec.message() << "\n";
    return kExitFailure;
  }
  module->print(out.os());
  out.os() << "\n";
  out.keep();
  return kExitSuccess;
}

} // namespace tessera::tools
