// cuBLASLt, loaded at run time with dlopen like the driver (it is part of the CUDA toolkit
// and needs no CUDA runtime library). Only what fp32 matrix products need is bound; types
// follow cublasLt.h (handles are opaque pointers, statuses ints).
#ifndef TESSERA_RUNTIME_CUBLASLT_H
#define TESSERA_RUNTIME_CUBLASLT_H

#include "tessera/CudaDriver.h"
#include "tessera/Error.h"

#include <cstdint>
#include <memory>
#include <string>

namespace tessera::runtime::cuda {

using cublasStatus_t = int;
using cublasLtHandle_t = struct cublasLtContext *;
using cublasLtMatmulDesc_t = struct cublasLtMatmulDescOpaque *;
using cublasLtMatrixLayout_t = struct cublasLtMatrixLayoutOpaque *;
using cublasLtMatmulPreference_t = struct cublasLtMatmulPreferenceOpaque *;

struct cublasLtMatmulAlgo_t {
  uint64_t data[8];
};
struct cublasLtMatmulHeuristicResult_t {
  cublasLtMatmulAlgo_t algo;
  size_t workspaceSize;
  cublasStatus_t state;
  float wavesCount;
  int reserved[4];
};

constexpr int CUBLAS_COMPUTE_32F = 68;
constexpr int CUBLAS_COMPUTE_32F_FAST_16BF = 75; // inputs may be rounded to bfloat16
constexpr int CUBLAS_COMPUTE_32F_FAST_TF32 = 77; // inputs may be rounded to TF32
constexpr int CUDA_R_32F = 0;
constexpr int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;
constexpr int CUBLASLT_MATMUL_DESC_TRANSA = 3, CUBLASLT_MATMUL_DESC_TRANSB = 4;
constexpr int CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT = 5;
constexpr int CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET = 6;
constexpr int CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1;

/// "CUBLAS_STATUS_NOT_SUPPORTED" and friends.
const char *cublasStatusName(cublasStatus_t status);

class CublasLt {
public:
  /// `path` if given, else $TESSERA_CUBLASLT, else libcublasLt.so.13, .so.12, .so.
  static Expected<std::unique_ptr<CublasLt>> load(const std::string &path = "");
  ~CublasLt();
  CublasLt(const CublasLt &) = delete;
  CublasLt &operator=(const CublasLt &) = delete;

  const std::string &path() const { return path_; }
  Error check(cublasStatus_t status, const std::string &what) const;

  cublasStatus_t (*cublasLtCreate)(cublasLtHandle_t *handle) = nullptr;
  cublasStatus_t (*cublasLtDestroy)(cublasLtHandle_t handle) = nullptr;
  cublasStatus_t (*cublasLtMatmulDescCreate)(cublasLtMatmulDesc_t *desc, int computeType,
                                             int scaleType) = nullptr;
  cublasStatus_t (*cublasLtMatmulDescDestroy)(cublasLtMatmulDesc_t desc) = nullptr;
  cublasStatus_t (*cublasLtMatmulDescSetAttribute)(cublasLtMatmulDesc_t desc, int attribute,
                                                   const void *value, size_t size) = nullptr;
  cublasStatus_t (*cublasLtMatrixLayoutCreate)(cublasLtMatrixLayout_t *layout, int type,
                                               uint64_t rows, uint64_t cols, int64_t ld) = nullptr;
  cublasStatus_t (*cublasLtMatrixLayoutDestroy)(cublasLtMatrixLayout_t layout) = nullptr;
  cublasStatus_t (*cublasLtMatrixLayoutSetAttribute)(cublasLtMatrixLayout_t layout, int attribute,
                                                     const void *value, size_t size) = nullptr;
  cublasStatus_t (*cublasLtMatmulPreferenceCreate)(cublasLtMatmulPreference_t *pref) = nullptr;
  cublasStatus_t (*cublasLtMatmulPreferenceDestroy)(cublasLtMatmulPreference_t pref) = nullptr;
  cublasStatus_t (*cublasLtMatmulPreferenceSetAttribute)(cublasLtMatmulPreference_t pref,
                                                         int attribute, const void *value,
                                                         size_t size) = nullptr;
  cublasStatus_t (*cublasLtMatmulAlgoGetHeuristic)(
      cublasLtHandle_t handle, cublasLtMatmulDesc_t desc, cublasLtMatrixLayout_t a,
      cublasLtMatrixLayout_t b, cublasLtMatrixLayout_t c, cublasLtMatrixLayout_t d,
      cublasLtMatmulPreference_t pref, int requested, cublasLtMatmulHeuristicResult_t *results,
      int *returned) = nullptr;
  cublasStatus_t (*cublasLtMatmul)(cublasLtHandle_t handle, cublasLtMatmulDesc_t desc,
                                   const void *alpha, const void *a, cublasLtMatrixLayout_t aDesc,
                                   const void *b, cublasLtMatrixLayout_t bDesc, const void *beta,
                                   const void *c, cublasLtMatrixLayout_t cDesc, void *d,
                                   cublasLtMatrixLayout_t dDesc, const cublasLtMatmulAlgo_t *algo,
                                   void *workspace, size_t workspaceBytes,
                                   CUstream stream) = nullptr;

private:
  CublasLt() = default;
  void *handle_ = nullptr;
  std::string path_;
};

} // namespace tessera::runtime::cuda

#endif // TESSERA_RUNTIME_CUBLASLT_H
