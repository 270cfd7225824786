#include "CudaCodegen.h"

#include "tessera/codegen/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cstdlib>

using namespace mlir;

namespace tessera::codegen {

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The PTX ISA version LLVM 19 writes for each architecture: the oldest that has it.
const char *ptxFeatures(const std::string &arch) { return arch == "sm_80" ? "+ptx70" : "+ptx78"; }

} // namespace

std::vector<std::string> supportedCudaArchs() { return {"sm_80", "sm_90"}; }

llvm::Expected<std::string> findLibdevice(const std::string &requested) {
  std::vector<std::string> roots;
  if (!requested.empty()) {
    roots.push_back(requested);
  } else {
    if (const char *env = std::getenv("CUDA_PATH"); env && *env)
      roots.push_back(env);
    roots.push_back("/usr/local/cuda");
  }
  std::string tried;
  for (const std::string &root : roots) {
    llvm::SmallString<256> path(root);
    llvm::sys::path::append(path, "nvvm", "libdevice", "libdevice.10.bc");
    if (llvm::sys::fs::is_regular_file(path))
      return std::string(path);
    tried += (tried.empty() ? "" : ", ") + std::string(path);
  }
  return makeError("the CUDA toolkit's libdevice was not found (tried " + tried +
                   "); install the CUDA toolkit or pass --cuda-path DIR");
}

llvm::Expected<PtxExecutable> emitPtx(ModuleOp module, const std::string &arch,
                                      const std::string &libdevice) {
  PtxExecutable exe;
  exe.arch = arch;
  // Launch shapes live on the kernels until they become NVVM functions.
  std::map<std::string, GpuKernelInfo> byName;
  module.walk([&](gpu::GPUFuncOp kernel) {
    GpuKernelInfo info;
    info.name = kernel.getName().str();
    if (auto a = kernel->getAttrOfType<IntegerAttr>(kGpuBlockAttr))
      info.blockSize = uint32_t(a.getInt());
    if (auto a = kernel->getAttrOfType<IntegerAttr>(kGpuGridAttr))
      info.gridSize = uint32_t(a.getInt());
    // Workgroup attributions become the kernel's static .shared arrays.
    uint64_t shared = 0;
    for (BlockArgument a : kernel.getWorkgroupAttributions()) {
      auto t = cast<MemRefType>(a.getType());
      shared += uint64_t(t.getNumElements()) * (t.getElementTypeBitWidth() / 8);
    }
    info.sharedMemoryBytes = uint32_t(shared);
    byName[info.name] = info;
  });
  for (auto fn : module.getOps<func::FuncOp>()) {
    auto names = fn->getAttrOfType<ArrayAttr>(kGpuKernelsAttr);
    if (!names)
      continue;
    std::vector<GpuKernelInfo> &list = exe.kernels[fn.getSymName().str()];
    if (auto g = fn->getAttrOfType<DictionaryAttr>(kGpuGemmAttr)) {
      auto get = [&](const char *key) -> int64_t {
        auto a = g.getAs<IntegerAttr>(key);
        return a ? a.getInt() : 0;
      };
      auto flag = [&](const char *key) {
        auto a = g.getAs<BoolAttr>(key);
        return a && a.getValue();
      };
      GemmCallInfo call;
      call.m = get("m"), call.n = get("n"), call.k = get("k"), call.batch = get("batch");
      call.aBinding = uint32_t(get("a")), call.bBinding = uint32_t(get("b"));
      call.dBinding = uint32_t(get("d"));
      call.aOffset = get("a_offset"), call.bOffset = get("b_offset");
      call.dOffset = get("d_offset");
      call.transposeA = flag("transpose_a"), call.transposeB = flag("transpose_b");
      call.lda = get("lda"), call.ldb = get("ldb"), call.ldd = get("ldd");
      call.strideA = get("stride_a"), call.strideB = get("stride_b");
      call.strideD = get("stride_d");
      auto beta = g.getAs<FloatAttr>("beta");
      call.beta = beta ? float(beta.getValueAsDouble()) : 0.0f;
      GpuKernelInfo info;
      info.name = fn.getSymName().str() + "_gemm";
      info.gemm = call;
      list.push_back(info);
    }
    for (Attribute a : names) {
      auto it = byName.find(cast<FlatSymbolRefAttr>(a).getValue().str());
      if (it == byName.end())
        return makeError("dispatch '" + fn.getSymName() + "' names a kernel that does not exist");
      list.push_back(it->second);
    }
  }

  PassManager pm(module.getContext());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addNestedPass<gpu::GPUModuleOp>(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  GpuNVVMAttachTargetOptions target;
  target.chip = arch;
  target.features = ptxFeatures(arch);
  target.optLevel = 3;
  std::vector<std::string> libs{libdevice};
  target.linkLibs = libs;
  pm.addPass(createGpuNVVMAttachTarget(target));
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  // Bindings arrive as plain pointers; shapes and strides are static and baked into the code.
  nvvm.useBarePtrCallConv = true;
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToNVVMOps(nvvm));
  pm.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa"; // PTX text; the driver's JIT assembles it for the device
  pm.addPass(createGpuModuleToBinaryPass(binary));
  if (failed(pm.run(module)))
    return makeError("lowering the GPU kernels to PTX failed");
  for (auto bin : module.getOps<gpu::BinaryOp>()) {
    for (Attribute a : bin.getObjects()) {
      auto object = cast<gpu::ObjectAttr>(a);
      exe.ptx += object.getObject().getValue().str();
    }
  }
  // The serializer leaves the C string's terminator in the object; the writer adds one.
  while (!exe.ptx.empty() && exe.ptx.back() == '\0')
    exe.ptx.pop_back();
  if (exe.ptx.empty() && !byName.empty())
    return makeError("the GPU kernels produced no PTX");
  return exe;
}

} // namespace tessera::codegen
