#include "tessera/CublasLt.h"

#include <cstdlib>
#include <dlfcn.h>
#include <vector>

namespace tessera::runtime::cuda {

const char *cublasStatusName(cublasStatus_t status) {
  switch (status) {
  case 0:
    return "CUBLAS_STATUS_SUCCESS";
  case 1:
    return "CUBLAS_STATUS_NOT_INITIALIZED";
  case 3:
    return "CUBLAS_STATUS_ALLOC_FAILED";
  case 7:
    return "CUBLAS_STATUS_INVALID_VALUE";
  case 8:
    return "CUBLAS_STATUS_ARCH_MISMATCH";
  case 11:
    return "CUBLAS_STATUS_MAPPING_ERROR";
  case 13:
    return "CUBLAS_STATUS_EXECUTION_FAILED";
  case 14:
    return "CUBLAS_STATUS_INTERNAL_ERROR";
  case 15:
    return "CUBLAS_STATUS_NOT_SUPPORTED";
  case 16:
    return "CUBLAS_STATUS_LICENSE_ERROR";
  default:
    return "cuBLAS error";
  }
}

Error CublasLt::check(cublasStatus_t status, const std::string &what) const {
  if (status == 0)
    return Error::success();
  return makeError(what, ": ", cublasStatusName(status), " (", status, ")");
}

Expected<std::unique_ptr<CublasLt>> CublasLt::load(const std::string &requested) {
  std::vector<std::string> candidates;
  if (!requested.empty())
    candidates.push_back(requested);
  else if (const char *env = std::getenv("TESSERA_CUBLASLT"); env && *env)
    candidates.push_back(env);
  else
    candidates = {"libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so",
                  "/usr/local/cuda/lib64/libcublasLt.so"};
  void *handle = nullptr;
  std::string path, errors;
  for (const std::string &c : candidates) {
    dlerror();
    handle = dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle) {
      path = c;
      break;
    }
    const char *message = dlerror();
    errors += (errors.empty() ? "" : "; ") + std::string(message ? message : c);
  }
  if (!handle)
    return makeError("cannot load cuBLASLt, which the module's matrix products need (", errors,
                     "); install the CUDA toolkit's cuBLAS or set TESSERA_CUBLASLT");
  std::unique_ptr<CublasLt> lib(new CublasLt());
  lib->handle_ = handle;
  lib->path_ = path;
  auto bind = [&](auto &fn, const char *name) -> Error {
    void *symbol = dlsym(handle, name);
    if (!symbol)
      return makeError("cuBLASLt (", path, ") has no entry point ", name);
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(symbol);
    return Error::success();
  };
  CublasLt &l = *lib;
  for (Error err :
       {bind(l.cublasLtCreate, "cublasLtCreate"), bind(l.cublasLtDestroy, "cublasLtDestroy"),
        bind(l.cublasLtMatmulDescCreate, "cublasLtMatmulDescCreate"),
        bind(l.cublasLtMatmulDescDestroy, "cublasLtMatmulDescDestroy"),
        bind(l.cublasLtMatmulDescSetAttribute, "cublasLtMatmulDescSetAttribute"),
        bind(l.cublasLtMatrixLayoutCreate, "cublasLtMatrixLayoutCreate"),
        bind(l.cublasLtMatrixLayoutDestroy, "cublasLtMatrixLayoutDestroy"),
        bind(l.cublasLtMatrixLayoutSetAttribute, "cublasLtMatrixLayoutSetAttribute"),
        bind(l.cublasLtMatmulPreferenceCreate, "cublasLtMatmulPreferenceCreate"),
        bind(l.cublasLtMatmulPreferenceDestroy, "cublasLtMatmulPreferenceDestroy"),
        bind(l.cublasLtMatmulPreferenceSetAttribute, "cublasLtMatmulPreferenceSetAttribute"),
        bind(l.cublasLtMatmulAlgoGetHeuristic, "cublasLtMatmulAlgoGetHeuristic"),
        bind(l.cublasLtMatmul, "cublasLtMatmul")})
    if (err)
      return err;
  return lib;
}

CublasLt::~CublasLt() {
  if (handle_)
    dlclose(handle_);
}

} // namespace tessera::runtime::cuda
