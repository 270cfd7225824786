// Runs a module's PTX executable on a CUDA device: one context (the device's primary one),
// one stream, the PTX loaded once with the JIT's error log on failure, constants uploaded
// once, one device arena and device copies of the inputs and outputs reused by every run.
#ifndef TESSERA_RUNTIME_CUDAEXECUTOR_H
#define TESSERA_RUNTIME_CUDAEXECUTOR_H

#include "tessera/CublasLt.h"
#include "tessera/CudaDriver.h"
#include "tessera/Module.h"
#include "tessera/Tensor.h"

#include <memory>
#include <vector>

namespace tessera::runtime::cuda {

class Executor {
public:
  /// `constants[i]` is constant i's bytes on the host (spec.byteSize of them); they are
  /// uploaded here and may be freed afterwards.
  /// With `graph`, the first run captures the module's launches as a CUDA graph and every
  /// run replays it (one launch instead of one per kernel); runs timing each dispatch launch
  /// kernels one by one.
  static Expected<std::unique_ptr<Executor>> create(std::shared_ptr<const Module> module,
                                                    const std::vector<const uint8_t *> &constants,
                                                    int deviceOrdinal = 0, bool graph = false);
  ~Executor();
  Executor(const Executor &) = delete;
  Executor &operator=(const Executor &) = delete;

  /// "NVIDIA H200 (sm_90)".
  const std::string &deviceName() const { return deviceName_; }

  /// Inputs and outputs were checked against the module's specs by the caller. With
  /// `dispatchMillis`, the stream is synchronized after every dispatch and each one's wall
  /// time recorded.
  Error run(const std::vector<TensorRef> &inputs, const std::vector<MutableTensorRef> &outputs,
            std::vector<double> *dispatchMillis);

private:
  Executor() = default;
  Error allocate(CUdeviceptr &ptr, uint64_t bytes, const std::string &what);

  // A cuBLASLt matrix product with its descriptors and algorithm chosen at creation.
  struct GemmPlan {
    cublasLtMatmulDesc_t desc = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
    cublasLtMatmulAlgo_t algo{};
  };
  struct Launch {
    CUfunction function = nullptr;
    const GpuKernelInfo *kernel = nullptr;
    GemmPlan *gemm = nullptr;
  };
  Error planGemm(const GpuKernelInfo &kernel, GemmPlan &plan);
  /// Enqueues every dispatch's kernels and products on the stream.
  Error launchAll(std::vector<double> *dispatchMillis);
  /// Captures launchAll as graphExec_.
  Error captureGraph();

  std::shared_ptr<const Module> module_;
  std::unique_ptr<Driver> driver_;
  CUdevice device_ = 0;
  bool contextRetained_ = false;
  CUstream stream_ = nullptr;
  CUmodule ptxModule_ = nullptr;
  std::string deviceName_;
  const ExecutableInfo *executable_ = nullptr;
  // Per entry point, its kernels in launch order.
  std::vector<std::vector<Launch>> entries_;
  std::vector<CUdeviceptr> allocations_;
  std::vector<CUdeviceptr> inputs_, outputs_, constants_;
  CUdeviceptr arena_ = 0;
  CUdeviceptr empty_ = 0; // stands in for zero-sized buffers
  // cuBLASLt, loaded when the module has matrix products.
  std::unique_ptr<CublasLt> blas_;
  cublasLtHandle_t blasHandle_ = nullptr;
  cublasLtMatmulPreference_t blasPreference_ = nullptr;
  std::vector<std::unique_ptr<GemmPlan>> plans_;
  CUdeviceptr workspace_ = 0;
  bool useGraph_ = false;
  CUgraph graph_ = nullptr;
  CUgraphExec graphExec_ = nullptr;
  static constexpr size_t kWorkspaceBytes = 32u << 20;
};

} // namespace tessera::runtime::cuda

#endif // TESSERA_RUNTIME_CUDAEXECUTOR_H
