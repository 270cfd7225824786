#include "tessera/CudaDriver.h"

#include <cstdlib>
#include <dlfcn.h>

namespace tessera::runtime::cuda {

const char *resultName(CUresult result) {
  switch (result) {
  case 0:
    return "CUDA_SUCCESS";
  case 1:
    return "CUDA_ERROR_INVALID_VALUE";
  case 900:
    return "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
  case 2:
    return "CUDA_ERROR_OUT_OF_MEMORY";
  case 3:
    return "CUDA_ERROR_NOT_INITIALIZED";
  case 4:
    return "CUDA_ERROR_DEINITIALIZED";
  case 34:
    return "CUDA_ERROR_STUB_LIBRARY";
  case 35:
    return "CUDA_ERROR_INSUFFICIENT_DRIVER";
  case 46:
    return "CUDA_ERROR_DEVICES_UNAVAILABLE";
  case 100:
    return "CUDA_ERROR_NO_DEVICE";
  case 101:
    return "CUDA_ERROR_INVALID_DEVICE";
  case 200:
    return "CUDA_ERROR_INVALID_IMAGE";
  case 201:
    return "CUDA_ERROR_INVALID_CONTEXT";
  case 209:
    return "CUDA_ERROR_NO_BINARY_FOR_GPU";
  case 218:
    return "CUDA_ERROR_INVALID_PTX";
  case 221:
    return "CUDA_ERROR_JIT_COMPILER_NOT_FOUND";
  case 222:
    return "CUDA_ERROR_UNSUPPORTED_PTX_VERSION";
  case 300:
    return "CUDA_ERROR_INVALID_SOURCE";
  case 400:
    return "CUDA_ERROR_INVALID_HANDLE";
  case 500:
    return "CUDA_ERROR_NOT_FOUND";
  case 700:
    return "CUDA_ERROR_ILLEGAL_ADDRESS";
  case 701:
    return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
  case 702:
    return "CUDA_ERROR_LAUNCH_TIMEOUT";
  case 719:
    return "CUDA_ERROR_LAUNCH_FAILED";
  case 999:
    return "CUDA_ERROR_UNKNOWN";
  default:
    return "CUDA error";
  }
}

Error Driver::check(CUresult result, const std::string &what) const {
  if (result == CUDA_SUCCESS)
    return Error::success();
  return makeError(what, ": ", resultName(result), " (", result, ")");
}

Expected<std::unique_ptr<Driver>> Driver::load(const std::string &requested) {
  std::string path = requested;
  if (path.empty())
    if (const char *env = std::getenv("TESSERA_CUDA_DRIVER"); env && *env)
      path = env;
  if (path.empty())
    path = "libcuda.so.1";
  dlerror();
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *message = dlerror();
    return makeError("cannot load the CUDA driver (", path,
                     "): ", message ? message : "unknown error",
                     "; is an NVIDIA driver installed? (TESSERA_CUDA_DRIVER names another "
                     "library)");
  }
  std::unique_ptr<Driver> driver(new Driver());
  driver->handle_ = handle;
  driver->path_ = path;
  // Versioned names where the ABI changed (the _v2 entry points take 64-bit sizes).
  auto bind = [&](auto &fn, const char *name) -> Error {
    void *symbol = dlsym(handle, name);
    if (!symbol)
      return makeError("the CUDA driver (", path, ") has no entry point ", name);
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(symbol);
    return Error::success();
  };
  Driver &d = *driver;
  for (Error err : {bind(d.cuInit, "cuInit"),
                    bind(d.cuDeviceGetCount, "cuDeviceGetCount"),
                    bind(d.cuDeviceGet, "cuDeviceGet"),
                    bind(d.cuDeviceGetName, "cuDeviceGetName"),
                    bind(d.cuDeviceGetAttribute, "cuDeviceGetAttribute"),
                    bind(d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"),
                    bind(d.cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2"),
                    bind(d.cuCtxSetCurrent, "cuCtxSetCurrent"),
                    bind(d.cuModuleLoadDataEx, "cuModuleLoadDataEx"),
                    bind(d.cuModuleGetFunction, "cuModuleGetFunction"),
                    bind(d.cuModuleUnload, "cuModuleUnload"),
                    bind(d.cuFuncGetAttribute, "cuFuncGetAttribute"),
                    bind(d.cuMemAlloc, "cuMemAlloc_v2"),
                    bind(d.cuMemFree, "cuMemFree_v2"),
                    bind(d.cuMemcpyHtoD, "cuMemcpyHtoD_v2"),
                    bind(d.cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2"),
                    bind(d.cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2"),
                    bind(d.cuStreamCreate, "cuStreamCreate"),
                    bind(d.cuStreamDestroy, "cuStreamDestroy_v2"),
                    bind(d.cuStreamSynchronize, "cuStreamSynchronize"),
                    bind(d.cuLaunchKernel, "cuLaunchKernel")})
    if (err)
      return err;
  // Graphs are optional: a session asks for them (SessionOptions::cudaGraph).
  auto optional = [&](auto &fn, const char *name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle, name));
  };
  optional(d.cuStreamBeginCapture, "cuStreamBeginCapture_v2");
  optional(d.cuStreamEndCapture, "cuStreamEndCapture");
  optional(d.cuGraphInstantiateWithFlags, "cuGraphInstantiateWithFlags");
  optional(d.cuGraphLaunch, "cuGraphLaunch");
  optional(d.cuGraphExecDestroy, "cuGraphExecDestroy");
  optional(d.cuGraphDestroy, "cuGraphDestroy");
  return driver;
}

Driver::~Driver() {
  if (handle_)
    dlclose(handle_);
}

} // namespace tessera::runtime::cuda
