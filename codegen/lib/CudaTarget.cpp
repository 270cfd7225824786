// The CUDA target: per-thread loops with register accumulators, one kernel per loop nest
// strided over the grid, NVVM, PTX for the requested architecture.
#include "CudaCodegen.h"
#include "Pipeline.h"
#include "Target.h"

#include "tessera/codegen/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace tessera::codegen {

namespace {

class CudaTarget final : public Target {
public:
  CudaTarget(const CompileOptions &options, std::string libdevice)
      : options_(options), libdevice_(std::move(libdevice)) {}

  std::string name() const override { return "cuda"; }

  llvm::Expected<ExecutableInfo> build(ModuleOp module, ProgramInfo &) override {
    PassManager pm(module.getContext());
    configure(pm, options_);
    // Attention as loops, one query row per thread (the CPU's vector kernel has no GPU form).
    LowerAttentionOptions attention;
    attention.vectorWidth = 0;
    pm.addNestedPass<func::FuncOp>(createLowerAttention(attention));
    // Identical views of one buffer become one value, so a fill and the reduction after it
    // are seen to write the same buffer.
    pm.addPass(createCSEPass());
    pm.addNestedPass<func::FuncOp>(createGpuLoops());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(configured(createOutlineGpuKernels(), options_));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    if (auto err = runPipeline(module, pm, "GPU kernel lowering"))
      return std::move(err);
    CapturedDiagnostics diags(module.getContext());
    auto ptx = emitPtx(module, options_.cudaArch, libdevice_);
    if (!ptx)
      return makeError(llvm::toString(ptx.takeError()) +
                       (diags.messages.empty() ? "" : ":\n" + diags.messages));
    ExecutableInfo exe;
    exe.format = ExecutableInfo::Format::Ptx;
    exe.target = ptx->arch;
    exe.object.assign(ptx->ptx.begin(), ptx->ptx.end());
    exe.kernels = std::move(ptx->kernels);
    return exe;
  }

private:
  const CompileOptions &options_;
  std::string libdevice_;
};

} // namespace

llvm::Expected<std::unique_ptr<Target>> createCudaTarget(const CompileOptions &options) {
  if (!llvm::is_contained(supportedCudaArchs(), options.cudaArch))
    return makeError("--cuda-arch " + options.cudaArch + " is not supported (supported: " +
                     llvm::join(supportedCudaArchs(), ", ") + ")");
  auto libdevice = findLibdevice(options.cudaPath);
  if (!libdevice)
    return libdevice.takeError();
  return std::make_unique<CudaTarget>(options, *libdevice);
}

} // namespace tessera::codegen
