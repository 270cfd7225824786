#include "CudaExecutor.h"

#include <chrono>
#include <cstdio>
#include <cstring>

namespace tessera::runtime::cuda {

namespace {

/// "sm_90" -> 90; 0 for anything else.
int archNumber(const std::string &target) {
  if (target.size() < 4 || target.compare(0, 3, "sm_") != 0)
    return 0;
  int n = 0;
  for (size_t i = 3; i < target.size(); ++i) {
    if (target[i] < '0' || target[i] > '9')
      return 0;
    n = n * 10 + (target[i] - '0');
  }
  return n;
}

} // namespace

Error Executor::allocate(CUdeviceptr &ptr, uint64_t bytes, const std::string &what) {
  if (Error err =
          driver_->check(driver_->cuMemAlloc(&ptr, bytes),
                         concat("allocating ", bytes, " bytes of device memory for ", what)))
    return err;
  allocations_.push_back(ptr);
  return Error::success();
}

Expected<std::unique_ptr<Executor>> Executor::create(std::shared_ptr<const Module> module,
                                                     const std::vector<const uint8_t *> &constants,
                                                     int deviceOrdinal, bool graph) {
  std::unique_ptr<Executor> ex(new Executor());
  ex->module_ = module;
  ex->useGraph_ = graph;
  for (const ExecutableInfo &exe : module->executables())
    if (exe.format == ExecutableFormat::Ptx) {
      ex->executable_ = &exe;
      break;
    }
  if (!ex->executable_)
    return makeError("the module has no CUDA code (compile it with --target cuda or "
                     "--target cpu,cuda)");
  const ExecutableInfo &exe = *ex->executable_;

  Expected<std::unique_ptr<Driver>> driver = Driver::load();
  if (!driver)
    return driver.takeError();
  ex->driver_ = driver.takeValue();
  Driver &d = *ex->driver_;
  if (graph && !d.hasGraphs())
    return makeError("the CUDA driver (", d.path(),
                     ") has no graph entry points "
                     "(cuStreamBeginCapture_v2, cuGraphInstantiateWithFlags, ...); it is older "
                     "than CUDA 11.4: run without CUDA graphs");
  CUresult init = d.cuInit(0);
  if (init == 34)
    return makeError("cuInit: CUDA_ERROR_STUB_LIBRARY (34): ", d.path(),
                     " is the CUDA toolkit's stub, not a driver; this machine has no usable "
                     "NVIDIA driver");
  if (Error err = d.check(init, "cuInit"))
    return err;
  int count = 0;
  if (Error err = d.check(d.cuDeviceGetCount(&count), "cuDeviceGetCount"))
    return err;
  if (deviceOrdinal < 0 || deviceOrdinal >= count)
    return makeError("no CUDA device ", deviceOrdinal, " (the driver reports ", count, ")");
  if (Error err = d.check(d.cuDeviceGet(&ex->device_, deviceOrdinal), "cuDeviceGet"))
    return err;
  char name[256] = {};
  if (Error err =
          d.check(d.cuDeviceGetName(name, sizeof(name) - 1, ex->device_), "cuDeviceGetName"))
    return err;
  int major = 0, minor = 0, maxShared = 0;
  if (Error err = d.check(
          d.cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, ex->device_),
          "cuDeviceGetAttribute"))
    return err;
  if (Error err = d.check(
          d.cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, ex->device_),
          "cuDeviceGetAttribute"))
    return err;
  if (Error err =
          d.check(d.cuDeviceGetAttribute(
                      &maxShared, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK, ex->device_),
                  "cuDeviceGetAttribute"))
    return err;
  ex->deviceName_ = concat(name, " (sm_", major, minor, ")");
  // The JIT compiles PTX for its architecture or any newer one, never an older one.
  int needed = archNumber(exe.target);
  if (needed == 0)
    return makeError("PTX executable target '", exe.target, "' is not an sm_ architecture");
  if (major * 10 + minor < needed)
    return makeError("the module's PTX is for ", exe.target, "; ", ex->deviceName_,
                     " is older (compile with --cuda-arch sm_", major, minor, " or lower)");

  CUcontext context = nullptr;
  if (Error err =
          d.check(d.cuDevicePrimaryCtxRetain(&context, ex->device_), "cuDevicePrimaryCtxRetain"))
    return err;
  ex->contextRetained_ = true;
  if (Error err = d.check(d.cuCtxSetCurrent(context), "cuCtxSetCurrent"))
    return err;
  if (Error err =
          d.check(d.cuStreamCreate(&ex->stream_, /*CU_STREAM_NON_BLOCKING=*/1), "cuStreamCreate"))
    return err;

  char log[16384] = {};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {log, reinterpret_cast<void *>(uintptr_t(sizeof(log) - 1))};
  CUresult loaded = d.cuModuleLoadDataEx(&ex->ptxModule_, exe.data, 2, options, values);
  if (loaded != CUDA_SUCCESS) {
    Error err = d.check(loaded, "loading the PTX (cuModuleLoadDataEx)");
    return log[0] ? makeError(err.message(), "; JIT log:\n", log) : err;
  }
  ex->entries_.resize(exe.entryPoints.size());
  for (const GpuKernelInfo &k : exe.kernels) {
    Launch launch;
    launch.kernel = &k;
    if (k.gemm) {
      if (!ex->blas_) {
        Expected<std::unique_ptr<CublasLt>> blas = CublasLt::load();
        if (!blas)
          return blas.takeError();
        ex->blas_ = blas.takeValue();
        if (Error err =
                ex->blas_->check(ex->blas_->cublasLtCreate(&ex->blasHandle_), "cublasLtCreate"))
          return err;
        if (Error err = ex->allocate(ex->workspace_, kWorkspaceBytes, "the cuBLASLt workspace"))
          return err;
        CublasLt &l = *ex->blas_;
        uint64_t bytes = kWorkspaceBytes;
        if (Error err = l.check(l.cublasLtMatmulPreferenceCreate(&ex->blasPreference_),
                                "cublasLtMatmulPreferenceCreate"))
          return err;
        if (Error err = l.check(l.cublasLtMatmulPreferenceSetAttribute(
                                    ex->blasPreference_, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                    &bytes, sizeof(bytes)),
                                "cublasLtMatmulPreferenceSetAttribute"))
          return err;
      }
      ex->plans_.push_back(std::make_unique<GemmPlan>());
      launch.gemm = ex->plans_.back().get();
      if (Error err = ex->planGemm(k, *launch.gemm))
        return err.withContext(concat("matrix product '", k.name, "'"));
      ex->entries_[k.entryPoint].push_back(launch);
      continue;
    }
    if (Error err = d.check(d.cuModuleGetFunction(&launch.function, ex->ptxModule_, k.name.c_str()),
                            concat("kernel '", k.name, "' (cuModuleGetFunction)")))
      return err;
    int maxThreads = 0;
    if (Error err =
            d.check(d.cuFuncGetAttribute(&maxThreads, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
                                         launch.function),
                    concat("kernel '", k.name, "' (cuFuncGetAttribute)")))
      return err;
    if (k.blockSize > uint32_t(maxThreads))
      return makeError("kernel '", k.name, "' launches blocks of ", k.blockSize,
                       " threads; the device allows at most ", maxThreads, " for it");
    if (k.sharedMemoryBytes > uint32_t(maxShared))
      return makeError("kernel '", k.name, "' needs ", k.sharedMemoryBytes,
                       " bytes of shared memory; the device has ", maxShared, " per block");
    ex->entries_[k.entryPoint].push_back(launch);
  }

  if (Error err = ex->allocate(ex->empty_, 256, "zero-sized buffers"))
    return err;
  if (module->arenaSize()) {
    if (Error err = ex->allocate(ex->arena_, module->arenaSize(), "the arena"))
      return err;
  } else {
    ex->arena_ = ex->empty_;
  }
  auto allocateAll = [&](const std::vector<TensorSpec> &specs, std::vector<CUdeviceptr> &out,
                         const char *what) -> Error {
    for (size_t i = 0; i < specs.size(); ++i) {
      CUdeviceptr p = ex->empty_;
      if (specs[i].byteSize)
        if (Error err =
                ex->allocate(p, specs[i].byteSize, concat(what, " ", i, " '", specs[i].name, "'")))
          return err;
      out.push_back(p);
    }
    return Error::success();
  };
  if (Error err = allocateAll(module->inputs(), ex->inputs_, "input"))
    return err;
  if (Error err = allocateAll(module->outputs(), ex->outputs_, "output"))
    return err;
  for (size_t i = 0; i < module->constants().size(); ++i) {
    const ConstantInfo &c = module->constants()[i];
    CUdeviceptr p = ex->empty_;
    std::string what = concat("constant ", i, " '", c.spec.name, "'");
    if (c.spec.byteSize) {
      if (Error err = ex->allocate(p, c.spec.byteSize, what))
        return err;
      if (Error err =
              d.check(d.cuMemcpyHtoD(p, constants[i], c.spec.byteSize), "uploading " + what))
        return err;
    }
    ex->constants_.push_back(p);
  }
  return ex;
}

Error Executor::planGemm(const GpuKernelInfo &kernel, GemmPlan &plan) {
  CublasLt &l = *blas_;
  const GemmCallInfo &g = *kernel.gemm;
  int compute = g.compute == GemmCompute::Tf32   ? CUBLAS_COMPUTE_32F_FAST_TF32
                : g.compute == GemmCompute::Bf16 ? CUBLAS_COMPUTE_32F_FAST_16BF
                                                 : CUBLAS_COMPUTE_32F;
  if (Error err = l.check(l.cublasLtMatmulDescCreate(&plan.desc, compute, CUDA_R_32F),
                          "cublasLtMatmulDescCreate"))
    return err;
  int32_t ta = g.transposeA ? CUBLAS_OP_T : CUBLAS_OP_N;
  int32_t tb = g.transposeB ? CUBLAS_OP_T : CUBLAS_OP_N;
  if (Error err = l.check(
          l.cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)),
          "cublasLtMatmulDescSetAttribute"))
    return err;
  if (Error err = l.check(
          l.cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)),
          "cublasLtMatmulDescSetAttribute"))
    return err;
  auto layout = [&](cublasLtMatrixLayout_t &out, int64_t rows, int64_t cols, int64_t ld,
                    int64_t stride) -> Error {
    if (Error err = l.check(
            l.cublasLtMatrixLayoutCreate(&out, CUDA_R_32F, uint64_t(rows), uint64_t(cols), ld),
            "cublasLtMatrixLayoutCreate"))
      return err;
    if (g.batch == 1)
      return Error::success();
    int32_t count = int32_t(g.batch);
    if (Error err = l.check(l.cublasLtMatrixLayoutSetAttribute(
                                out, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof(count)),
                            "cublasLtMatrixLayoutSetAttribute"))
      return err;
    return l.check(l.cublasLtMatrixLayoutSetAttribute(
                       out, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof(stride)),
                   "cublasLtMatrixLayoutSetAttribute");
  };
  if (Error err =
          layout(plan.a, g.transposeA ? g.k : g.m, g.transposeA ? g.m : g.k, g.lda, g.strideA))
    return err;
  if (Error err =
          layout(plan.b, g.transposeB ? g.n : g.k, g.transposeB ? g.k : g.n, g.ldb, g.strideB))
    return err;
  if (Error err = layout(plan.d, g.m, g.n, g.ldd, g.strideD))
    return err;
  cublasLtMatmulHeuristicResult_t result{};
  int returned = 0;
  if (Error err =
          l.check(l.cublasLtMatmulAlgoGetHeuristic(blasHandle_, plan.desc, plan.a, plan.b, plan.d,
                                                   plan.d, blasPreference_, 1, &result, &returned),
                  "cublasLtMatmulAlgoGetHeuristic"))
    return err;
  if (returned < 1 || result.state != 0)
    return makeError("cuBLASLt has no algorithm for ", g.m, " x ", g.n, " x ", g.k, " (batch ",
                     g.batch, ")");
  plan.algo = result.algo;
  return Error::success();
}

Executor::~Executor() {
  if (!driver_)
    return;
  Driver &d = *driver_;
  if (stream_)
    (void)d.cuStreamSynchronize(stream_);
  if (blas_) {
    for (auto &plan : plans_) {
      for (cublasLtMatrixLayout_t m : {plan->a, plan->b, plan->d})
        if (m)
          (void)blas_->cublasLtMatrixLayoutDestroy(m);
      if (plan->desc)
        (void)blas_->cublasLtMatmulDescDestroy(plan->desc);
    }
    if (blasPreference_)
      (void)blas_->cublasLtMatmulPreferenceDestroy(blasPreference_);
    if (blasHandle_)
      (void)blas_->cublasLtDestroy(blasHandle_);
  }
  if (graphExec_)
    (void)d.cuGraphExecDestroy(graphExec_);
  if (graph_)
    (void)d.cuGraphDestroy(graph_);
  for (CUdeviceptr p : allocations_)
    (void)d.cuMemFree(p);
  if (ptxModule_)
    (void)d.cuModuleUnload(ptxModule_);
  if (stream_)
    (void)d.cuStreamDestroy(stream_);
  if (contextRetained_)
    (void)d.cuDevicePrimaryCtxRelease(device_);
}

Error Executor::run(const std::vector<TensorRef> &inputs,
                    const std::vector<MutableTensorRef> &outputs,
                    std::vector<double> *dispatchMillis) {
  Driver &d = *driver_;
  const Module &module = *module_;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (uint64_t bytes = module.inputs()[i].byteSize)
      if (Error err = d.check(d.cuMemcpyHtoDAsync(inputs_[i], inputs[i].data, bytes, stream_),
                              concat("copying input ", i, " to the device")))
        return err;
  // Outputs a kernel does not fully overwrite keep the caller's contents, as on the CPU.
  for (size_t i = 0; i < outputs.size(); ++i)
    if (uint64_t bytes = module.outputs()[i].byteSize)
      if (Error err = d.check(d.cuMemcpyHtoDAsync(outputs_[i], outputs[i].data, bytes, stream_),
                              concat("copying output ", i, " to the device")))
        return err;
  if (useGraph_ && !dispatchMillis) {
    // Every run's launches are the same (same device buffers, same parameters): capture
    // them once, then replay.
    if (!graphExec_)
      if (Error err = captureGraph())
        return err;
    if (Error err = d.check(d.cuGraphLaunch(graphExec_, stream_), "launching the CUDA graph"))
      return err;
  } else if (Error err = launchAll(dispatchMillis)) {
    return err;
  }
  for (size_t i = 0; i < outputs.size(); ++i)
    if (uint64_t bytes = module.outputs()[i].byteSize)
      if (Error err = d.check(d.cuMemcpyDtoHAsync(outputs[i].data, outputs_[i], bytes, stream_),
                              concat("copying output ", i, " from the device")))
        return err;
  return d.check(d.cuStreamSynchronize(stream_), "running the module on the GPU");
}

Error Executor::captureGraph() {
  Driver &d = *driver_;
  if (Error err = d.check(d.cuStreamBeginCapture(stream_, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
                          "capturing the CUDA graph (cuStreamBeginCapture)"))
    return err;
  Error launched = launchAll(nullptr);
  // The capture ends whatever happened, so the stream is usable again.
  CUgraph graph = nullptr;
  CUresult ended = d.cuStreamEndCapture(stream_, &graph);
  if (launched) {
    if (graph)
      (void)d.cuGraphDestroy(graph);
    return launched.withContext("capturing the CUDA graph");
  }
  if (Error err = d.check(ended, "capturing the CUDA graph (cuStreamEndCapture)"))
    return err;
  if (Error err = d.check(d.cuGraphInstantiateWithFlags(&graphExec_, graph, 0),
                          "instantiating the CUDA graph")) {
    graphExec_ = nullptr;
    (void)d.cuGraphDestroy(graph);
    return err;
  }
  graph_ = graph;
  return Error::success();
}

Error Executor::launchAll(std::vector<double> *dispatchMillis) {
  Driver &d = *driver_;
  const Module &module = *module_;
  if (dispatchMillis)
    dispatchMillis->assign(module.dispatches().size(), 0.0);
  std::vector<CUdeviceptr> pointers;
  std::vector<void *> params;
  for (size_t di = 0; di < module.dispatches().size(); ++di) {
    const DispatchInfo &dispatch = module.dispatches()[di];
    pointers.assign(dispatch.bindings.size(), 0);
    params.assign(dispatch.bindings.size(), nullptr);
    for (size_t b = 0; b < dispatch.bindings.size(); ++b) {
      const BindingInfo &binding = dispatch.bindings[b];
      CUdeviceptr base = binding.kind == BindingKind::Input      ? inputs_[binding.index]
                         : binding.kind == BindingKind::Output   ? outputs_[binding.index]
                         : binding.kind == BindingKind::Constant ? constants_[binding.index]
                                                                 : arena_;
      uint64_t size = module.bufferBytes(binding.kind, binding.index);
      pointers[b] = size == 0 ? empty_ : base + binding.offset;
      params[b] = &pointers[b];
    }
    auto start = std::chrono::steady_clock::now();
    for (const Launch &launch : entries_[dispatch.entryPoint]) {
      const GpuKernelInfo &k = *launch.kernel;
      if (launch.gemm) {
        const GemmCallInfo &g = *k.gemm;
        auto at = [&](uint32_t binding, int64_t offset) {
          return reinterpret_cast<void *>(uintptr_t(pointers[binding] + uint64_t(offset) * 4));
        };
        float alpha = 1.0f, beta = g.beta;
        void *dPtr = at(g.dBinding, g.dOffset);
        const GemmPlan &p = *launch.gemm;
        if (Error err = blas_->check(
                blas_->cublasLtMatmul(blasHandle_, p.desc, &alpha, at(g.aBinding, g.aOffset), p.a,
                                      at(g.bBinding, g.bOffset), p.b, &beta, dPtr, p.d, dPtr, p.d,
                                      &p.algo, reinterpret_cast<void *>(uintptr_t(workspace_)),
                                      kWorkspaceBytes, stream_),
                concat("dispatch ", di, " '", dispatch.name, "': cublasLtMatmul '", k.name, "'")))
          return err;
        continue;
      }
      // Shared memory is static (declared in the PTX): no dynamic bytes.
      if (Error err = d.check(
              d.cuLaunchKernel(launch.function, k.gridSize, 1, 1, k.blockSize, 1, 1, 0, stream_,
                               params.data(), nullptr),
              concat("dispatch ", di, " '", dispatch.name, "': launching kernel '", k.name, "'")))
        return err;
    }
    if (dispatchMillis) {
      if (Error err = d.check(d.cuStreamSynchronize(stream_),
                              concat("dispatch ", di, " '", dispatch.name, "'")))
        return err;
      (*dispatchMillis)[di] =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
    }
  }
  return Error::success();
}

} // namespace tessera::runtime::cuda
