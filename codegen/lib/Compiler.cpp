// Assembles the whole lowering: pass pipelines per phase, program extraction, CPU codegen and
// module writing.
#include "tessera/codegen/Compiler.h"

#include "CpuCodegen.h"
#include "CudaCodegen.h"
#include "ModuleWriter.h"
#include "Pipeline.h"
#include "Program.h"
#include "Target.h"

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
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileSystem.h"

#include <charconv>

using namespace mlir;

namespace tessera::codegen {

namespace {

llvm::Error checkPassOptions(const CompileOptions &options) {
  if (options.exposeAttention && !enabled(options, "tessera-fuse-attention"))
    return makeError("--expose-attention returns the probabilities of fused attention; it "
                     "cannot be combined with --disable-pass tessera-fuse-attention");
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

void addLinalgPhase(OpPassManager &pm, const CompileOptions &options) {
  if (enabled(options, "tessera-fuse-attention"))
    pm.addNestedPass<func::FuncOp>(createFuseAttention());
  if (options.exposeAttention)
    pm.addNestedPass<func::FuncOp>(createExposeAttention());
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

void addDispatchPhase(OpPassManager &pm, const CompileOptions &options, unsigned vectorBits) {
  pm.addNestedPass<func::FuncOp>(createSplitSharedFills());
  pm.addNestedPass<func::FuncOp>(createProtectGraphArgs());
  pm.addPass(bufferization::createEmptyTensorToAllocTensorPass());
  // Configured through its pass options rather than an options struct, so that the textual
  // pipeline (tessera opt --print-pipeline) carries them and tessera-opt reproduces the phase.
  std::unique_ptr<Pass> bufferize = bufferization::createOneShotBufferizePass();
  if (failed(bufferize->initializeOptions("bufferize-function-boundaries=true "
                                          "function-boundary-type-conversion=identity-layout-map",
                                          [](const llvm::Twine &) { return failure(); })))
    llvm::report_fatal_error("one-shot-bufferize rejected its options");
  pm.addPass(std::move(bufferize));
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

/// A config value as the DSL writes it.
void renderConfigValue(Attribute value, llvm::raw_ostream &os) {
  if (auto b = dyn_cast<BoolAttr>(value))
    os << (b.getValue() ? "true" : "false");
  else if (auto i = dyn_cast<IntegerAttr>(value))
    os << i.getValue();
  else if (auto f = dyn_cast<FloatAttr>(value)) {
    // The shortest text that reads back as the same double.
    char text[64];
    auto [end, ec] = std::to_chars(text, text + sizeof(text), f.getValueAsDouble());
    os << (ec == std::errc() ? std::string(text, end) : std::string("nan"));
  } else if (auto s = dyn_cast<StringAttr>(value))
    os << '"' << s.getValue() << '"';
  else if (auto list = dyn_cast<ArrayAttr>(value)) {
    os << '[';
    llvm::interleave(list, os, [&](Attribute a) { renderConfigValue(a, os); }, ", ");
    os << ']';
  } else
    os << "?";
}

/// What the module records of its own making: the sources and configuration the front end
/// tagged the IR with, and the options that shape the code.
BuildRecord buildRecordOf(ModuleOp module, const CompileOptions &options) {
  BuildRecord build;
  if (auto sources = module->getAttrOfType<ArrayAttr>(kSourcesAttr))
    for (auto source : sources.getAsRange<DictionaryAttr>()) {
      auto path = source.getAs<StringAttr>("path"), sha256 = source.getAs<StringAttr>("sha256");
      if (path && sha256)
        build.sources.emplace_back(path.str(), sha256.str());
    }
  llvm::raw_string_ostream config(build.config);
  if (auto entries = module->getAttrOfType<DictionaryAttr>("tess.config"))
    llvm::interleave(
        entries, config,
        [&](NamedAttribute entry) {
          config << entry.getName().getValue() << "=";
          renderConfigValue(entry.getValue(), config);
        },
        ", ");
  llvm::raw_string_ostream flags(build.options);
  flags << "--target " << llvm::join(options.targets, ",");
  if (llvm::is_contained(options.targets, "cuda"))
    flags << " --cuda-arch " << options.cudaArch;
  if (llvm::is_contained(options.targets, "cuda") && options.precision != "f32")
    flags << " --precision " << options.precision;
  if (llvm::is_contained(options.targets, "cpu"))
    flags << " --target-cpu " << (options.targetCpu.empty() ? hostTargetCpu() : options.targetCpu);
  for (const std::string &pass : options.disabledPasses)
    flags << " --disable-pass " << pass;
  for (const auto &[pass, text] : options.passOptions)
    flags << " --pass-option " << pass << ":" << text;
  if (options.exposeAttention)
    flags << " --expose-attention";
  if (options.allowUnusedWeights)
    flags << " --allow-unused-weights";
  if (options.weightsPath.empty()) {
    build.weights = "seeded fill, seed " + std::to_string(options.seed);
  } else {
    uint64_t bytes = 0;
    build.weights = options.weightsPath;
    if (!llvm::sys::fs::file_size(options.weightsPath, bytes))
      build.weights += " (" + std::to_string(bytes) + " bytes)";
  }
  return build;
}

/// The targets the options name, each created once.
llvm::Expected<std::vector<std::unique_ptr<Target>>> createTargets(const CompileOptions &options) {
  std::vector<std::unique_ptr<Target>> targets;
  if (options.targets.empty())
    return makeError("no target given");
  for (const std::string &name : options.targets) {
    auto target = name == "cpu"    ? createCpuTarget(options)
                  : name == "cuda" ? createCudaTarget(options)
                  : name == "cuda-emulator"
                      ? createCudaTarget(options, /*emulate=*/true)
                      : llvm::Expected<std::unique_ptr<Target>>(makeError(
                            "unknown target '" + name + "' (targets: cpu, cuda, cuda-emulator)"));
    if (!target)
      return target.takeError();
    if (name == "cuda-emulator" && options.targets.size() != 1)
      return makeError("target cuda-emulator cannot be combined with others");
    for (const auto &t : targets)
      if (t->name() == (*target)->name())
        return makeError("target '" + name + "' given twice");
    targets.push_back(std::move(*target));
  }
  return targets;
}

/// The options of the shared pipeline: a target's own passes only run when it is the only one.
CompileOptions sharedPipelineOptions(const CompileOptions &options,
                                     const std::vector<std::unique_ptr<Target>> &targets) {
  CompileOptions shared = options;
  for (const auto &[target, passes] : targetOwnPasses())
    if (targets.size() != 1 || targets[0]->name() != target)
      for (const std::string &pass : passes)
        shared.disabledPasses.insert(pass);
  return shared;
}

} // namespace

std::vector<std::string> optionalPasses() {
  return {"tessera-fuse-attention",
          "tessera-layout-patches",
          "tessera-propagate-layouts",
          "tessera-gather-patches",
          "tessera-fuse-elementwise",
          "tessera-tile-lambda",
          "tessera-fold-output-copies",
          "tessera-absorb-transposes",
          "tessera-compute-into-padding",
          "tessera-transpose-attention-keys",
          "tessera-pack-weights",
          "tessera-contraction-kernels",
          "tessera-fuse-rows",
          "tessera-gpu-attention",
          "tessera-gpu-block-reductions",
          "tessera-gpu-tiled-contractions"};
}

bool cudaToolkitAvailable() {
  auto found = findLibdevice("");
  if (!found) {
    llvm::consumeError(found.takeError());
    return false;
  }
  return true;
}

void registerCompilerDialects(DialectRegistry &registry) {
  registry
      .insert<tess::TessDialect, func::FuncDialect, linalg::LinalgDialect, tensor::TensorDialect,
              arith::ArithDialect, math::MathDialect, memref::MemRefDialect, scf::SCFDialect,
              affine::AffineDialect, bufferization::BufferizationDialect, cf::ControlFlowDialect,
              vector::VectorDialect, LLVM::LLVMDialect, gpu::GPUDialect, NVVM::NVVMDialect>();
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(registry);
  registerAttentionBufferization(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
}

namespace {
/// The options of the registered phase pipelines: the subset of CompileOptions that decides
/// which passes run in them (--pass-option values are not among them; tessera opt
/// --print-pipeline prints a phase with every option spelled out).
struct PhasePipelineOptions : public PassPipelineOptions<PhasePipelineOptions> {
  ListOption<std::string> disable{*this, "disable",
                                  llvm::cl::desc("Optional passes to skip, as --disable-pass")};
  Option<bool> exposeAttention{
      *this, "expose-attention",
      llvm::cl::desc("Return every fused attention's probabilities, as --expose-attention"),
      llvm::cl::init(false)};
  Option<unsigned> vectorBits{
      *this, "vector-bits",
      llvm::cl::desc("Width of the target CPU's vector registers (kernel shapes follow it)"),
      llvm::cl::init(512)};

  CompileOptions compileOptions() const {
    CompileOptions options;
    options.disabledPasses.insert(disable.begin(), disable.end());
    options.exposeAttention = exposeAttention;
    return options;
  }
};
} // namespace

void registerCompilerPasses() {
  registerTesseraPassesPasses();
  registerTesseraCodegenPasses();
  PassPipelineRegistration<PhasePipelineOptions>(
      "tessera-linalg-phase",
      "tess to linalg on tensors, with the graph-level passes: tessera opt --compile-to linalg",
      [](OpPassManager &pm, const PhasePipelineOptions &o) {
        addLinalgPhase(pm, o.compileOptions());
      });
  PassPipelineRegistration<PhasePipelineOptions>(
      "tessera-dispatch-phase",
      "linalg on tensors to planned, bufferized dispatch functions (run after "
      "tessera-linalg-phase): tessera opt --compile-to dispatch",
      [](OpPassManager &pm, const PhasePipelineOptions &o) {
        addDispatchPhase(pm, o.compileOptions(), o.vectorBits);
      });
}

llvm::Expected<std::string> phasePipeline(MLIRContext &context, Phase phase,
                                          const CompileOptions &options) {
  if (auto err = checkPassOptions(options))
    return err;
  if (phase == Phase::LLVM)
    return makeError("the llvm phase is not one pass pipeline yet (program extraction and the "
                     "target's code generation run between passes); print linalg or dispatch");
  PassManager pm(&context, ModuleOp::getOperationName());
  if (phase == Phase::Tess)
    return std::string("builtin.module()");
  auto bits = targetVectorBits(options.targetCpu.empty() ? hostTargetCpu() : options.targetCpu);
  if (!bits)
    return bits.takeError();
  addLinalgPhase(pm, options);
  if (phase >= Phase::Dispatch)
    addDispatchPhase(pm, options, *bits);
  std::string text;
  llvm::raw_string_ostream os(text);
  pm.printAsTextualPipeline(os);
  return text;
}

std::vector<std::string> configurablePasses() {
  return {"tessera-tile-lambda",       "tessera-fuse-rows",
          "tessera-pack-weights",      "tessera-contraction-kernels",
          "tessera-lower-attention",   "tessera-absorb-transposes",
          "tessera-gpu-attention",     "tessera-gpu-block-reductions",
          "tessera-gpu-library-calls", "tessera-gpu-tiled-contractions",
          "tessera-gpu-loops",         "tessera-outline-gpu-kernels"};
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
  if (auto err = runPipeline(module, pm, "lowering"))
    return err;
  if (phase <= Phase::Dispatch)
    return llvm::Error::success();
  auto program = extractProgram(module);
  if (failed(program))
    return makeError("program extraction failed");
  annotateNoAlias(module, *program);
  return lowerCpuDispatches(module, &*program, options, *bits, /*toLLVM=*/true);
}

llvm::Expected<std::vector<uint8_t>> compileToModule(ModuleOp module,
                                                     const CompileOptions &options) {
  if (auto err = checkPassOptions(options))
    return err;
  auto targets = createTargets(options);
  if (!targets)
    return targets.takeError();
  CompileOptions shared = sharedPipelineOptions(options, *targets);
  BuildRecord build = buildRecordOf(module, options);
  // The shared pipeline's kernel shapes follow the CPU's vectors when there is a CPU target.
  unsigned bits = 512;
  if (llvm::is_contained(options.targets, "cpu")) {
    auto cpuBits =
        targetVectorBits(options.targetCpu.empty() ? hostTargetCpu() : options.targetCpu);
    if (!cpuBits)
      return cpuBits.takeError();
    bits = *cpuBits;
  }
  {
    PassManager pm(module.getContext());
    configure(pm, shared);
    addLinalgPhase(pm, shared);
    addDispatchPhase(pm, shared, bits);
    if (auto err = runPipeline(module, pm, "lowering"))
      return err;
  }
  CapturedDiagnostics diags(module.getContext());
  FailureOr<ProgramInfo> program = extractProgram(module);
  if (failed(program))
    return makeError("program extraction failed: " + diags.messages);
  annotateNoAlias(module, *program);

  std::vector<ExecutableInfo> executables;
  for (size_t i = 0; i < targets->size(); ++i) {
    // Each target lowers its own copy of the dispatch functions; the last takes the original.
    OwningOpRef<ModuleOp> copy;
    ModuleOp lowered = module;
    if (i + 1 < targets->size()) {
      copy = module.clone();
      lowered = *copy;
    }
    auto exe = (*targets)[i]->build(lowered, *program);
    if (!exe)
      return exe.takeError();
    executables.push_back(std::move(*exe));
  }
  return writeModule(*program, executables,
                     WeightsOptions{options.weightsPath, options.seed, options.allowUnusedWeights},
                     build);
}

} // namespace tessera::codegen
