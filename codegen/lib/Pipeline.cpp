#include "Pipeline.h"

#include "tessera/codegen/Passes.h"
#include "tessera/passes/Passes.h"

using namespace mlir;

namespace tessera::codegen {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

CapturedDiagnostics::CapturedDiagnostics(MLIRContext *ctx)
    : handler(ctx, [this](Diagnostic &d) {
        if (d.getSeverity() == DiagnosticSeverity::Error) {
          std::string s;
          llvm::raw_string_ostream os(s);
          if (!isa<UnknownLoc>(d.getLocation()))
            os << d.getLocation() << ": ";
          os << d;
          messages += (messages.empty() ? "" : "\n") + s;
        }
        return success();
      }) {}

void configure(PassManager &pm, const CompileOptions &options) {
  if (options.printIRAfterAll || !options.printIRBefore.empty() || !options.printIRAfter.empty()) {
    auto before = [&options](Pass *p, Operation *) {
      options.passesRun->insert(p->getArgument().str());
      return options.printIRBefore.count(p->getArgument().str()) > 0;
    };
    auto after = [&options](Pass *p, Operation *) {
      return options.printIRAfterAll || options.printIRAfter.count(p->getArgument().str()) > 0;
    };
    pm.getContext()->disableMultithreading();
    pm.enableIRPrinting(before, after, /*printModuleScope=*/true,
                        /*printAfterOnlyOnChange=*/false, /*printAfterOnlyOnFailure=*/false,
                        *options.diagnosticStream);
  }
  // MLIR's own statistics are compiled out of release LLVM builds; the driver prints the
  // project's counters instead (tessera/passes/PassReport.h).
  if (options.timing)
    pm.enableTiming();
}

std::vector<std::string> unmatchedPrintRequests(const CompileOptions &options) {
  std::vector<std::string> unmatched;
  for (const std::set<std::string> *names : {&options.printIRBefore, &options.printIRAfter})
    for (const std::string &name : *names)
      if (!options.passesRun->count(name))
        unmatched.push_back(name);
  return unmatched;
}

std::unique_ptr<Pass> configured(std::unique_ptr<Pass> pass, const CompileOptions &options) {
  auto it = options.passOptions.find(pass->getArgument().str());
  if (it != options.passOptions.end())
    (void)pass->initializeOptions(it->second, [](const Twine &) { return failure(); });
  return pass;
}

std::unique_ptr<Pass> createConfigurable(llvm::StringRef name, unsigned vectorBits) {
  if (name == "tessera-tile-lambda")
    return createTileLambda();
  if (name == "tessera-fuse-rows")
    return createFuseRows();
  if (name == "tessera-absorb-transposes")
    return createAbsorbTransposes();
  if (name == "tessera-outline-gpu-kernels")
    return createOutlineGpuKernels();
  if (name == "tessera-gpu-attention")
    return createGpuAttention();
  if (name == "tessera-gpu-block-reductions")
    return createGpuBlockReductions();
  if (name == "tessera-gpu-tiled-contractions")
    return createGpuTiledContractions();
  if (name == "tessera-gpu-loops")
    return createGpuLoops();
  if (name == "tessera-gpu-library-calls")
    return createGpuLibraryCalls();
  // Kernel shapes follow the target's vector registers.
  int64_t lanes = std::max<int64_t>(4, vectorBits / 32);
  if (name == "tessera-pack-weights") {
    PackWeightsOptions o;
    o.vectorWidth = lanes;
    return createPackWeights(o);
  }
  if (name == "tessera-lower-attention") {
    LowerAttentionOptions o;
    o.vectorWidth = lanes;
    return createLowerAttention(o);
  }
  if (name == "tessera-contraction-kernels") {
    ContractionKernelsOptions o;
    o.vectorWidth = lanes;
    return createContractionKernels(o);
  }
  return nullptr;
}

bool enabled(const CompileOptions &options, const char *pass) {
  return !options.disabledPasses.count(pass);
}

llvm::Error runPipeline(ModuleOp module, PassManager &pm, const char *what) {
  CapturedDiagnostics diags(module.getContext());
  if (failed(pm.run(module)))
    return makeError(std::string(what) + " failed" +
                     (diags.messages.empty() ? "" : ":\n" + diags.messages));
  return llvm::Error::success();
}

} // namespace tessera::codegen
