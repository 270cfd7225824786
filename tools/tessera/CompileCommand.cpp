#include "CompileCommand.h"

#include "ArgParsing.h"
#include "Commands.h"
#include "DispatchGraph.h"
#include "ImageFlags.h"
#include "Options.h"

#include "tessera/Module.h"
#include "tessera/codegen/Compiler.h"
#include "tessera/frontend/Imports.h"
#include "tessera/frontend/MLIRGen.h"
#include "tessera/ir/GraphAttributes.h"
#include "tessera/passes/PassReport.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
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
  std::optional<frontend::Program> program = frontend::loadProgram(file, diags);
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

/// The file's `preprocess` flags, checked as tessera run will read them: known flags with
/// valid values, and NAME= prefixes that name an input or output of the graph.
bool checkPreprocess(mlir::ModuleOp module, const char *progName) {
  auto flags = module->getAttrOfType<mlir::StringAttr>(kPreprocessAttr);
  if (!flags)
    return true;
  auto where = module->getAttrOfType<mlir::StringAttr>(kPreprocessLocAttr);
  ImageFlags parsed;
  std::string problem = parsed.parseText(flags.str());
  if (problem.empty()) {
    std::vector<std::string> names;
    for (auto fn : module.getOps<mlir::func::FuncOp>()) {
      for (unsigned i = 0; i < fn.getNumArguments(); ++i)
        if (auto name = fn.getArgAttrOfType<mlir::StringAttr>(i, kInputAttr))
          names.push_back(name.str());
      for (unsigned i = 0; i < fn.getNumResults(); ++i)
        if (auto name = fn.getResultAttrOfType<mlir::StringAttr>(i, kOutputAttr))
          names.push_back(name.str());
    }
    for (const std::string &unknown : parsed.unknownNames(names)) {
      problem = "'" + unknown + "=' names no input or output of the graph";
      break;
    }
  }
  if (problem.empty())
    return true;
  std::cerr << (where ? where.str() : std::string(progName)) << ": error: preprocess: " << problem
            << "\n";
  return false;
}

/// opt --dot: the module compileToModule would write, loaded as the runtime loads it, drawn.
int writeGraphOf(mlir::ModuleOp module, const DriverOptions &o, const char *progName) {
  llvm::Expected<std::vector<uint8_t>> bytes = codegen::compileToModule(module, o.compile);
  if (o.compile.passStatistics)
    std::cerr << takeStatisticsReport();
  if (!bytes) {
    std::cerr << progName << ": " << o.input << ": " << llvm::toString(bytes.takeError()) << "\n";
    return kExitFailure;
  }
  if (!reportUnmatchedPrintRequests(o.compile, progName))
    return kExitUsage;
  runtime::Expected<std::shared_ptr<runtime::Module>> loaded =
      runtime::Module::loadBytes(bytes->data(), bytes->size(), o.input);
  if (!loaded) {
    std::cerr << progName
              << ": internal error: the compiled module does not load: " << loaded.error().message()
              << "\n";
    return kExitFailure;
  }
  if (runtime::Error err = writeDispatchGraph(o.dotPath, **loaded)) {
    std::cerr << progName << ": error: " << err.message() << "\n";
    return kExitFailure;
  }
  return kExitSuccess;
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
  if (!module || !checkPreprocess(*module, progName))
    return kExitFailure;
  llvm::Expected<std::vector<uint8_t>> bytes = codegen::compileToModule(*module, o->compile);
  if (o->compile.passStatistics)
    std::cerr << takeStatisticsReport();
  if (!bytes) {
    std::cerr << progName << ": " << o->input << ": " << llvm::toString(bytes.takeError()) << "\n";
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
  if (!o->dotPath.empty())
    return checkPreprocess(*module, progName) ? writeGraphOf(*module, *o, progName) : kExitFailure;
  if (o->printPipeline) {
    llvm::Expected<std::string> pipeline =
        codegen::phasePipeline(*context, o->compileTo, o->compile);
    if (!pipeline) {
      std::cerr << progName << ": --print-pipeline: " << llvm::toString(pipeline.takeError())
                << "\n";
      return kExitUsage;
    }
    std::cerr << *pipeline << "\n";
  }
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
