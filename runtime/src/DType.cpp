#include "tessera/DType.h"

#include <limits>

namespace tessera::runtime {

bool isValidDType(int raw) { return raw >= 0 && raw <= static_cast<int>(DType::I64); }

size_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::I64:
    return 8;
  }
  return 0;
}

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "f32";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  }
  return "?";
}

std::string formatShape(const Shape &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

std::string formatTensorType(DType dtype, const Shape &shape) {
  return dtypeName(dtype) + formatShape(shape);
}

Expected<uint64_t> checkedNumElements(const Shape &shape) {
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  uint64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0)
      return makeError("dimension ", i, " of shape ", formatShape(shape), " is negative");
    if (!checkedMul(count, static_cast<uint64_t>(shape[i]), &count) || count > kMax)
      return makeError("shape ", formatShape(shape), " has too many elements");
  }
  return count;
}

Expected<uint64_t> checkedByteSize(DType dtype, const Shape &shape) {
  Expected<uint64_t> count = checkedNumElements(shape);
  if (!count)
    return count.takeError();
  uint64_t bytes;
  if (!checkedMul(*count, dtypeSize(dtype), &bytes) ||
      bytes > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return makeError("shape ", formatShape(shape), " is too large for ", dtypeName(dtype));
  return bytes;
}

} // namespace tessera::runtime
