/* Kernels for runtime tests, built as a shared library so modules can be assembled without the
 * compiler. Every kernel works on a fixed 32-element f32 tensor (the test modules' shape) and
 * splits it over workgroups like compiled kernels do. */
#include <stdint.h>
#include <string.h>

#define TEST_ELEMENTS 32

static void slice(int64_t workgroup, int64_t count, int64_t *begin, int64_t *end) {
  *begin = TEST_ELEMENTS * workgroup / count;
  *end = TEST_ELEMENTS * (workgroup + 1) / count;
}

/* out = a + b; bindings: a, b, out. */
void add_f32(void *const *bindings, int64_t workgroup, int64_t count) {
  const float *a = (const float *)bindings[0];
  const float *b = (const float *)bindings[1];
  float *out = (float *)bindings[2];
  int64_t begin, end;
  slice(workgroup, count, &begin, &end);
  for (int64_t i = begin; i < end; ++i)
    out[i] = a[i] + b[i];
}

/* out = a * b; bindings: a, b, out. */
void mul_f32(void *const *bindings, int64_t workgroup, int64_t count) {
  const float *a = (const float *)bindings[0];
  const float *b = (const float *)bindings[1];
  float *out = (float *)bindings[2];
  int64_t begin, end;
  slice(workgroup, count, &begin, &end);
  for (int64_t i = begin; i < end; ++i)
    out[i] = a[i] * b[i];
}

/* out = a; bindings: a, out. Calls libc, so the library depends on it (tests check that a
 * libc symbol is not accepted as an entry point). */
void copy_f32(void *const *bindings, int64_t workgroup, int64_t count) {
  int64_t begin, end;
  slice(workgroup, count, &begin, &end);
  memcpy((float *)bindings[1] + begin, (const float *)bindings[0] + begin,
         (size_t)(end - begin) * sizeof(float));
}

/* Touches nothing; for modules with zero-sized tensors. */
void noop(void *const *bindings, int64_t workgroup, int64_t count) {
  (void)bindings;
  (void)workgroup;
  (void)count;
}
