// The CUDA target: attention as shared-memory tile kernels, matrix products as cuBLASLt calls,
// long row reductions as block reductions, the rest as per-thread loops with register accumulators
// (one kernel per loop nest strided over the grid), NVVM, PTX for the requested architecture.
#include "CpuCodegen.h"
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
  /// With `emulate`, the kernels are lowered for this CPU instead (cuda-emulator).
  CudaTarget(const CompileOptions &options, std::string libdevice, bool emulate)
      : options_(options), libdevice_(std::move(libdevice)), emulate_(emulate) {}

  std::string name() const override { return emulate_ ? "cuda-emulator" : "cuda"; }

  llvm::Expected<ExecutableInfo> build(ModuleOp module, ProgramInfo &program) override {
    PassManager pm(module.getContext());
    configure(pm, options_);
    // Attention as FlashAttention-style tile kernels; what they do not take (non-f32, very
    // wide heads) as loops, one query row per thread.
    if (enabled(options_, "tessera-gpu-attention"))
      pm.addNestedPass<func::FuncOp>(configured(createGpuAttention(), options_));
    LowerAttentionOptions attention;
    attention.vectorWidth = 0;
    pm.addNestedPass<func::FuncOp>(createLowerAttention(attention));
    // Identical views of one buffer become one value, so a fill and the reduction after it
    // are seen to write the same buffer.
    pm.addPass(createCSEPass());
    // The emulator runs every product as loops: it checks the kernels, not the library.
    if (!emulate_)
      pm.addNestedPass<func::FuncOp>(configured(createGpuLibraryCalls(), options_));
    if (enabled(options_, "tessera-gpu-tiled-contractions"))
      pm.addNestedPass<func::FuncOp>(configured(createGpuTiledContractions(), options_));
    if (enabled(options_, "tessera-gpu-block-reductions"))
      pm.addNestedPass<func::FuncOp>(configured(createGpuBlockReductions(), options_));
    pm.addNestedPass<func::FuncOp>(configured(createGpuLoops(), options_));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(configured(createOutlineGpuKernels(), options_));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    if (auto err = runPipeline(module, pm, "GPU kernel lowering"))
      return err;
    if (emulate_)
      return emulate(module, program);
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
    runtime::GemmCompute compute = options_.precision == "tf32"   ? runtime::GemmCompute::Tf32
                                   : options_.precision == "bf16" ? runtime::GemmCompute::Bf16
                                                                  : runtime::GemmCompute::F32;
    for (auto &[dispatch, kernels] : exe.kernels)
      for (GpuKernelInfo &k : kernels)
        if (k.gemm)
          k.gemm->compute = compute;
    return exe;
  }

private:
  /// The kernels as CPU loops over blocks and threads, in a shared object for this CPU.
  llvm::Expected<ExecutableInfo> emulate(ModuleOp module, ProgramInfo &program) {
    PassManager pm(module.getContext());
    configure(pm, options_);
    pm.addPass(createEmulateGpuKernels());
    if (auto err = runPipeline(module, pm, "GPU kernel emulation"))
      return err;
    return buildCpuExecutable(module, program, options_, hostTargetCpu());
  }

  const CompileOptions &options_;
  std::string libdevice_;
  bool emulate_;
};

} // namespace

llvm::Expected<std::unique_ptr<Target>> createCudaTarget(const CompileOptions &options,
                                                         bool emulate) {
  if (options.precision != "f32" && options.precision != "tf32" && options.precision != "bf16")
    return makeError("precision '" + options.precision + "' is not f32, tf32 or bf16");
  if (emulate)
    return std::make_unique<CudaTarget>(options, "", /*emulate=*/true);
  if (!llvm::is_contained(supportedCudaArchs(), options.cudaArch))
    return makeError("--cuda-arch " + options.cudaArch + " is not supported (supported: " +
                     llvm::join(supportedCudaArchs(), ", ") + ")");
  auto libdevice = findLibdevice(options.cudaPath);
  if (!libdevice)
    return libdevice.takeError();
  return std::make_unique<CudaTarget>(options, *libdevice, /*emulate=*/false);
}

} // namespace tessera::codegen
