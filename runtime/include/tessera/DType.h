// Element types and shapes as the runtime sees them, independent of the FlatBuffers schema.
#ifndef TESSERA_RUNTIME_DTYPE_H
#define TESSERA_RUNTIME_DTYPE_H

#include "tessera/Error.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tessera::runtime {

// Values match tessera.schema.DType so conversion is a checked cast.
enum class DType : uint8_t { F32 = 0, I32 = 1, I64 = 2 };

// True if `raw` (e.g. a schema enum value read from a file) names a DType.
bool isValidDType(int raw);
size_t dtypeSize(DType dtype);
// Short lowercase name: "f32", "i32", "i64".
const char *dtypeName(DType dtype);

using Shape = std::vector<int64_t>;

// "[2, 16]"; "[]" for a scalar.
std::string formatShape(const Shape &shape);
// "f32[2, 16]".
std::string formatTensorType(DType dtype, const Shape &shape);

// a * b and a + b, or false on uint64 overflow.
inline bool checkedMul(uint64_t a, uint64_t b, uint64_t *out) {
  return !__builtin_mul_overflow(a, b, out);
}
inline bool checkedAdd(uint64_t a, uint64_t b, uint64_t *out) {
  return !__builtin_add_overflow(a, b, out);
}

// Element count of `shape`; fails on a negative dimension or if the count (or the byte size
// for `dtype`) does not fit in int64.
Expected<uint64_t> checkedNumElements(const Shape &shape);
Expected<uint64_t> checkedByteSize(DType dtype, const Shape &shape);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_DTYPE_H
