// Assembles the whole lowering: pass pipelines per phase, program extraction, CPU codegen and
// module writing.
#include "tessera/codegen/Compiler.h"

#include "CpuCodegen.h"
#include "ModuleWriter.h"
#include "Program.h"

#include "tessera/codegen/Passes.h"
#include "tessera/ir/GraphAttributes.h"
#include "tessera/ir/TessDialect.h"
#include "tessera/passes/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace tessera::codegen {

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Collects MLIR diagnostics emitted while a pass manager runs, so failures come back as an
/// llvm::Error with the messages instead of being printed out of order.
class CapturedDiagnostics {
public:
  explicit CapturedDiagnostics(MLIRContext *ctx)
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
  std::string messages;

private:
  ScopedDiagnosticHandler handler;
};

void configure(PassManager &pm, const CompileOptions &options) {
  if (options.printIRAfterAll || !options.printIRBefore.empty() || !options.printIRAfter.empty()) {
    auto before = [&options](Pass *p, Operation *) {
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

/// `pass` with the options the user gave it (already checked by checkPassOptions).
std::unique_ptr<Pass> configured(std::unique_ptr<Pass> pass, const CompileOptions &options) {
  auto it = options.passOptions.find(pass->getArgument().str());
  if (it != options.passOptions.end())
    (void)pass->initializeOptions(it->second, [](const Twine &) { return failure(); });
  return pass;
}

std::unique_ptr<Pass> createConfigurable(llvm::StringRef name, unsigned vectorBits = 512) {
  if (name == "tessera-tile-lambda")
    return createTileLambda();
  if (name == "tessera-fuse-rows")
    return createFuseRows();
  if (name == "tessera-absorb-transposes")
    return createAbsorbTransposes();
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

llvm::Error checkPassOptions(const CompileOptions &options) {
  for (const auto &[name, text] : options.passOptions) {
    std::unique_ptr<Pass> pass = createConfigurable(name);
    if (!pass)
      return makeError("--pass-option: '" + name + "' has no options (configurable: " +
                       llvm::join(configurablePasses(), ", ") + ")");
    std::string message;
    if (failed(pass->initializeOptions(text, [&](const Twine &m) {
          message = m.str();
          return failure();
        })))
      return makeError("--pass-option " + name + ": invalid options '" + text + "'" +
                       (message.empty() ? "" : ": " + message));
  }
  return llvm::Error::success();
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

void addLinalgPhase(PassManager &pm, const CompileOptions &options) {
  if (enabled(options, "tessera-fuse-attention"))
    pm.addNestedPass<func::FuncOp>(createFuseAttention());
  if (enabled(options, "tessera-layout-patches"))
    pm.addNestedPass<func::FuncOp>(createLayoutPatches());
  pm.addPass(createTessToLinalg());
  pm.addPass(createCanonicalizerPass());
  if (enabled(options, "tessera-propagate-layouts")) {
    pm.addNestedPass<func::FuncOp>(createPropagateLayouts());
    pm.addPass(createCanonicalizerPass());
  }
  if (enabled(options, "tessera-gather-patches"))
    pm.addNestedPass<func::FuncOp>(createGatherPatches());
  if (enabled(options, "tessera-fuse-elementwise"))
    pm.addNestedPass<func::FuncOp>(createFuseElementwise());
  if (enabled(options, "tessera-tile-lambda"))
    pm.addNestedPass<func::FuncOp>(configured(createTileLambda(), options));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void addDispatchPhase(PassManager &pm, const CompileOptions &options, unsigned vectorBits) {
  bufferization::OneShotBufferizationOptions bufferization;
  bufferization.bufferizeFunctionBoundaries = true;
  bufferization.setFunctionBoundaryTypeConversion(
      bufferization::LayoutMapOption::IdentityLayoutMap);
  pm.addNestedPass<func::FuncOp>(createSplitSharedFills());
  pm.addNestedPass<func::FuncOp>(createProtectGraphArgs());
  pm.addPass(bufferization::createEmptyTensorToAllocTensorPass());
  pm.addPass(bufferization::createOneShotBufferizePass(bufferization));
  pm.addPass(bufferization::createBufferResultsToOutParamsPass());
  pm.addPass(createCanonicalizerPass());
  if (enabled(options, "tessera-fold-output-copies"))
    pm.addNestedPass<func::FuncOp>(createFoldOutputCopies());
  if (enabled(options, "tessera-absorb-transposes"))
    pm.addNestedPass<func::FuncOp>(configured(createAbsorbTransposes(), options));
  if (enabled(options, "tessera-compute-into-padding"))
    pm.addNestedPass<func::FuncOp>(createComputeIntoPadding());
  if (enabled(options, "tessera-transpose-attention-keys"))
    pm.addNestedPass<func::FuncOp>(createTransposeAttentionKeys());
  if (enabled(options, "tessera-contraction-kernels")) {
    if (enabled(options, "tessera-pack-weights"))
      pm.addNestedPass<func::FuncOp>(
          configured(createConfigurable("tessera-pack-weights", vectorBits), options));
    pm.addNestedPass<func::FuncOp>(
        configured(createConfigurable("tessera-contraction-kernels", vectorBits), options));
  }
  if (enabled(options, "tessera-fuse-rows"))
    pm.addNestedPass<func::FuncOp>(configured(createFuseRows(), options));
  pm.addNestedPass<func::FuncOp>(createPlanMemory());
  pm.addPass(createFormDispatches());
}

/// Loops, workgroup distribution and affine lowering of the dispatch functions.
void addLoopPhase(PassManager &pm, const CompileOptions &options, unsigned vectorBits) {
  pm.addNestedPass<func::FuncOp>(createTileLoops());
  pm.addNestedPass<func::FuncOp>(
      configured(createConfigurable("tessera-lower-attention", vectorBits), options));
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createDistributeWorkgroups());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void addLLVMPhase(PassManager &pm) {
  pm.addPass(createInlineMath());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(createArithToLLVMConversionPass());
  ConvertFuncToLLVMPassOptions funcOptions;
  // Buffers arrive as plain pointers; shapes and strides are static and baked into the code.
  funcOptions.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcOptions));
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

std::vector<std::string> outputNamesOf(ModuleOp module) {
  std::vector<std::string> names;
  for (auto f : module.getOps<func::FuncOp>()) {
    for (unsigned i = 0; i < f.getNumResults(); ++i) {
      auto name = f.getResultAttrOfType<StringAttr>(i, kOutputAttr);
      names.push_back(name ? name.str() : "output" + std::to_string(i));
    }
    break;
  }
  return names;
}

/// Runs the phases after "dispatch" on a module holding only dispatch functions, filling in
/// each dispatch's workgroup count.
llvm::Error lowerDispatches(ModuleOp module, ProgramInfo *program, const CompileOptions &options,
                            unsigned vectorBits, bool toLLVM) {
  PassManager loops(module.getContext());
  configure(loops, options);
  addLoopPhase(loops, options, vectorBits);
  if (auto err = runPipeline(module, loops, "loop lowering"))
    return err;
  if (program) {
    for (DispatchInfo &d : program->dispatches) {
      auto fn = module.lookupSymbol<func::FuncOp>(d.function);
      if (!fn)
        return makeError("dispatch '" + d.function + "' disappeared during lowering");
      if (auto wg = fn->getAttrOfType<IntegerAttr>(kWorkgroupsAttr))
        d.workgroups = uint32_t(wg.getInt());
    }
  }
  if (!toLLVM)
    return llvm::Error::success();
  PassManager llvmPm(module.getContext());
  configure(llvmPm, options);
  addLLVMPhase(llvmPm);
  return runPipeline(module, llvmPm, "lowering to the LLVM dialect");
}

} // namespace

std::vector<std::string> optionalPasses() {
  return {"tessera-fuse-attention", "tessera-layout-patches", "tessera-propagate-layouts",
          "tessera-gather-patches",
          "tessera-fuse-elementwise", "tessera-tile-lambda",
          "tessera-fold-output-copies", "tessera-absorb-transposes",
          "tessera-compute-into-padding", "tessera-transpose-attention-keys",
          "tessera-pack-weights", "tessera-contraction-kernels", "tessera-fuse-rows"};
}

void registerCompilerDialects(DialectRegistry &registry) {
  registry.insert<tess::TessDialect, func::FuncDialect, linalg::LinalgDialect,
                  tensor::TensorDialect, arith::ArithDialect, math::MathDialect,
                  memref::MemRefDialect, scf::SCFDialect, affine::AffineDialect,
                  bufferization::BufferizationDialect, cf::ControlFlowDialect,
                  vector::VectorDialect, LLVM::LLVMDialect>();
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(registry);
  registerAttentionBufferization(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

void registerCompilerPasses() {
  registerTesseraPassesPasses();
  registerTesseraCodegenPasses();
}

std::vector<std::string> configurablePasses() {
  return {"tessera-tile-lambda", "tessera-fuse-rows", "tessera-pack-weights",
          "tessera-contraction-kernels", "tessera-lower-attention",
          "tessera-absorb-transposes"};
}

llvm::Error lowerToPhase(ModuleOp module, Phase phase, const CompileOptions &options) {
  if (auto err = checkPassOptions(options))
    return err;
  if (phase == Phase::Tess)
    return llvm::Error::success();
  auto bits = targetVectorBits(options.targetCpu.empty() ? hostTargetCpu() : options.targetCpu);
  if (!bits)
    return bits.takeError();
  PassManager pm(module.getContext());
  configure(pm, options);
  addLinalgPhase(pm, options);
  if (phase >= Phase::Dispatch)
    addDispatchPhase(pm, options, *bits);
  std::vector<std::string> outputs = outputNamesOf(module);
  if (auto err = runPipeline(module, pm, "lowering"))
    return err;
  if (phase <= Phase::Dispatch)
    return llvm::Error::success();
  auto program = extractProgram(module, outputs);
  if (failed(program))
    return makeError("program extraction failed");
  annotateNoAlias(module, *program);
  return lowerDispatches(module, &*program, options, *bits, /*toLLVM=*/true);
}

llvm::Expected<std::vector<uint8_t>> compileToModule(ModuleOp module,
                                                     const CompileOptions &options) {
  std::string cpu = options.targetCpu.empty() ? hostTargetCpu() : options.targetCpu;
  if (auto err = checkPassOptions(options))
    return std::move(err);
  auto bits = targetVectorBits(cpu);
  if (!bits)
    return bits.takeError();
  std::vector<std::string> outputs = outputNamesOf(module);
  {
    PassManager pm(module.getContext());
    configure(pm, options);
    addLinalgPhase(pm, options);
    addDispatchPhase(pm, options, *bits);
    if (auto err = runPipeline(module, pm, "lowering"))
      return std::move(err);
  }
  CapturedDiagnostics diags(module.getContext());
  FailureOr<ProgramInfo> program = extractProgram(module, outputs);
  if (failed(program))
    return makeError("program extraction failed: " + diags.messages);
  annotateNoAlias(module, *program);
  if (auto err = lowerDispatches(module, &*program, options, *bits, /*toLLVM=*/true))
    return std::move(err);

  std::vector<std::string> names;
  for (const DispatchInfo &d : program->dispatches)
    if (!llvm::is_contained(names, d.function))
      names.push_back(d.function);
  if (auto err = addEntryPoints(module, names))
    return std::move(err);
  CapturedDiagnostics codegenDiags(module.getContext());
  auto object = emitSharedObject(module, cpu);
  if (!object)
    return makeError(llvm::toString(object.takeError()) +
                     (codegenDiags.messages.empty() ? "" : ":\n" + codegenDiags.messages));
  return writeModule(*program, ExecutableInfo{cpu, std::move(*object)},
                     WeightsOptions{options.weightsPath, options.seed, options.allowUnusedWeights});
}

} // namespace tessera::codegen
