// The CPU target: register-blocked contraction kernels and packed weights (in the shared
// pipeline), loops split over workgroups, LLVM IR, one x86-64 shared object.
#include "CpuCodegen.h"
#include "Pipeline.h"
#include "Target.h"

#include "tessera/codegen/Passes.h"

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
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace tessera::codegen {

namespace {

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

class CpuTarget final : public Target {
public:
  CpuTarget(const CompileOptions &options, std::string cpu)
      : options_(options), cpu_(std::move(cpu)) {}

  std::string name() const override { return "cpu"; }

  llvm::Expected<ExecutableInfo> build(ModuleOp module, ProgramInfo &program) override {
    return buildCpuExecutable(module, program, options_, cpu_);
  }

private:
  const CompileOptions &options_;
  std::string cpu_;
};

} // namespace

llvm::Expected<ExecutableInfo> buildCpuExecutable(ModuleOp module, ProgramInfo &program,
                                                  const CompileOptions &options,
                                                  const std::string &cpu) {
  auto bits = targetVectorBits(cpu);
  if (!bits)
    return bits.takeError();
  if (auto err = lowerCpuDispatches(module, &program, options, *bits, /*toLLVM=*/true))
    return err;
  std::vector<std::string> names;
  for (const DispatchInfo &d : program.dispatches)
    if (!llvm::is_contained(names, d.function))
      names.push_back(d.function);
  if (auto err = addEntryPoints(module, names))
    return err;
  CapturedDiagnostics diags(module.getContext());
  auto object = emitSharedObject(module, cpu);
  if (!object)
    return makeError(llvm::toString(object.takeError()) +
                     (diags.messages.empty() ? "" : ":\n" + diags.messages));
  ExecutableInfo exe;
  exe.format = ExecutableInfo::Format::ElfSharedObject;
  exe.target = cpu;
  exe.object = std::move(*object);
  return exe;
}

llvm::Error lowerCpuDispatches(ModuleOp module, ProgramInfo *program, const CompileOptions &options,
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

std::vector<std::pair<std::string, std::vector<std::string>>> targetOwnPasses() {
  // Packed panels and vector kernels are the CPU's; the portable loops run anywhere. Row
  // fusion too: a row loop around whole contractions gives a GPU one thread per row.
  return {{"cpu", {"tessera-pack-weights", "tessera-contraction-kernels", "tessera-fuse-rows"}}};
}

llvm::Expected<std::unique_ptr<Target>> createCpuTarget(const CompileOptions &options) {
  std::string cpu = options.targetCpu.empty() ? hostTargetCpu() : options.targetCpu;
  auto bits = targetVectorBits(cpu);
  if (!bits)
    return bits.takeError();
  return std::make_unique<CpuTarget>(options, cpu);
}

} // namespace tessera::codegen
