/* A fake cuBLASLt for testing the runtime's library calls without a GPU: the entry points the
 * runtime binds, computing fp32 column-major strided batched products on host memory (the
 * fake driver's device memory is host memory), exactly as cuBLASLt documents them:
 * D = alpha op(A) op(B) + beta C. FAKE_CUBLASLT_FAIL=heuristic|matmul makes that call fail.
 * The fast compute types round each input to TF32 (CUBLAS_COMPUTE_32F_FAST_TF32) or bfloat16
 * (CUBLAS_COMPUTE_32F_FAST_16BF), to nearest even, as the tensor cores take them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int cublasStatus_t;

typedef struct {
  int transa, transb;
  int mantissaBits; /* kept of each input's 23: 23, 10 (TF32) or 7 (bfloat16) */
} Desc;

static float roundMantissa(float x, int bits) {
  if (bits >= 23)
    return x;
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  if ((u & 0x7f800000u) == 0x7f800000u)
    return x; /* inf, nan */
  uint32_t drop = 23 - bits, half = 1u << (drop - 1);
  u += half - 1 + ((u >> drop) & 1); /* to nearest, ties to even */
  u &= ~((1u << drop) - 1);
  memcpy(&x, &u, sizeof u);
  return x;
}

typedef struct {
  uint64_t rows, cols;
  int64_t ld;
  int32_t batch;
  int64_t stride;
} Layout;

static long calls;

long fake_cublaslt_calls(void) { return calls; }

static int failing(const char *step) {
  const char *f = getenv("FAKE_CUBLASLT_FAIL");
  return f && strcmp(f, step) == 0;
}

cublasStatus_t cublasLtCreate(void **handle) {
  *handle = malloc(1);
  return 0;
}
cublasStatus_t cublasLtDestroy(void *handle) {
  free(handle);
  return 0;
}
cublasStatus_t cublasLtMatmulDescCreate(Desc **desc, int computeType, int scaleType) {
  int bits = computeType == 68 ? 23 : computeType == 77 ? 10 : computeType == 75 ? 7 : -1;
  if (bits < 0 || scaleType != 0)
    return 15; /* CUBLAS_STATUS_NOT_SUPPORTED: only fp32 scaling here */
  *desc = calloc(1, sizeof(Desc));
  (*desc)->mantissaBits = bits;
  return 0;
}
cublasStatus_t cublasLtMatmulDescDestroy(Desc *desc) {
  free(desc);
  return 0;
}
cublasStatus_t cublasLtMatmulDescSetAttribute(Desc *desc, int attribute, const void *value,
                                              size_t size) {
  if (size != sizeof(int32_t))
    return 7;
  if (attribute == 3)
    desc->transa = *(const int32_t *)value;
  else if (attribute == 4)
    desc->transb = *(const int32_t *)value;
  else
    return 7; /* CUBLAS_STATUS_INVALID_VALUE */
  return 0;
}
cublasStatus_t cublasLtMatrixLayoutCreate(Layout **layout, int type, uint64_t rows, uint64_t cols,
                                          int64_t ld) {
  if (type != 0 || ld < (int64_t)rows)
    return 7;
  *layout = calloc(1, sizeof(Layout));
  (*layout)->rows = rows;
  (*layout)->cols = cols;
  (*layout)->ld = ld;
  (*layout)->batch = 1;
  return 0;
}
cublasStatus_t cublasLtMatrixLayoutDestroy(Layout *layout) {
  free(layout);
  return 0;
}
cublasStatus_t cublasLtMatrixLayoutSetAttribute(Layout *layout, int attribute, const void *value,
                                                size_t size) {
  if (attribute == 5 && size == sizeof(int32_t))
    layout->batch = *(const int32_t *)value;
  else if (attribute == 6 && size == sizeof(int64_t))
    layout->stride = *(const int64_t *)value;
  else
    return 7;
  return 0;
}
cublasStatus_t cublasLtMatmulPreferenceCreate(void **pref) {
  *pref = malloc(1);
  return 0;
}
cublasStatus_t cublasLtMatmulPreferenceDestroy(void *pref) {
  free(pref);
  return 0;
}
cublasStatus_t cublasLtMatmulPreferenceSetAttribute(void *pref, int attribute, const void *value,
                                                    size_t size) {
  (void)pref;
  (void)value;
  return attribute == 1 && size == sizeof(uint64_t) ? 0 : 7;
}

typedef struct {
  uint64_t data[8];
  size_t workspaceSize;
  int state;
  float wavesCount;
  int reserved[4];
} Heuristic;

cublasStatus_t cublasLtMatmulAlgoGetHeuristic(void *handle, Desc *desc, Layout *a, Layout *b,
                                              Layout *c, Layout *d, void *pref, int requested,
                                              Heuristic *results, int *returned) {
  (void)handle, (void)pref, (void)c;
  if (failing("heuristic") || requested < 1)
    return 15;
  /* Shapes must agree: op(A) m x k, op(B) k x n, D m x n. */
  uint64_t m = desc->transa ? a->cols : a->rows, ka = desc->transa ? a->rows : a->cols;
  uint64_t kb = desc->transb ? b->cols : b->rows, n = desc->transb ? b->rows : b->cols;
  if (ka != kb || d->rows != m || d->cols != n)
    return 7;
  memset(results, 0, sizeof(*results));
  *returned = 1;
  return 0;
}

cublasStatus_t cublasLtMatmul(void *handle, Desc *desc, const float *alpha, const float *A,
                              Layout *a, const float *B, Layout *b, const float *beta,
                              const float *C, Layout *c, float *D, Layout *d, const void *algo,
                              void *workspace, size_t workspaceBytes, void *stream) {
  (void)handle, (void)algo, (void)workspace, (void)workspaceBytes, (void)stream;
  if (failing("matmul"))
    return 13; /* CUBLAS_STATUS_EXECUTION_FAILED */
  ++calls;
  uint64_t m = d->rows, n = d->cols, k = desc->transa ? a->rows : a->cols;
  for (int32_t batch = 0; batch < d->batch; ++batch) {
    const float *Ab = A + (int64_t)batch * a->stride;
    const float *Bb = B + (int64_t)batch * b->stride;
    const float *Cb = C + (int64_t)batch * c->stride;
    float *Db = D + (int64_t)batch * d->stride;
    for (uint64_t j = 0; j < n; ++j)
      for (uint64_t i = 0; i < m; ++i) {
        double acc = 0;
        for (uint64_t l = 0; l < k; ++l) {
          float x = roundMantissa(desc->transa ? Ab[l + i * a->ld] : Ab[i + l * a->ld],
                                  desc->mantissaBits);
          float y = roundMantissa(desc->transb ? Bb[j + l * b->ld] : Bb[l + j * b->ld],
                                  desc->mantissaBits);
          acc += (double)x * y;
        }
        float prior = *beta != 0.0f ? Cb[i + j * c->ld] : 0.0f;
        Db[i + j * d->ld] = (float)(*alpha * acc + *beta * prior);
      }
  }
  return 0;
}
