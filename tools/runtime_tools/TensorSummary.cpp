#include "TensorSummary.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace tessera::tools {
using namespace tessera::runtime;

namespace {

double element(const Tensor &tensor, uint64_t i) {
  switch (tensor.dtype()) {
  case DType::F32:
    return tensor.dataAs<float>()[i];
  case DType::I32:
    return tensor.dataAs<int32_t>()[i];
  case DType::I64:
    return static_cast<double>(tensor.dataAs<int64_t>()[i]);
  }
  return 0;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.6g", value);
  return text;
}

} // namespace

std::string summarizeTensor(const std::string &name, const Tensor &tensor, size_t maxValues) {
  std::string line = name + ": " + formatTensorType(tensor.dtype(), tensor.shape());
  uint64_t n = tensor.numElements();
  if (n == 0)
    return line + " (empty)";
  // Statistics over finite values; NaN/Inf are counted separately so one bad value does not
  // hide the rest.
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0, squares = 0;
  uint64_t finite = 0;
  for (uint64_t i = 0; i < n; ++i) {
    double v = element(tensor, i);
    if (!std::isfinite(v))
      continue;
    ++finite;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
    squares += v * v;
  }
  if (finite > 0)
    line += " min=" + number(lo) + " max=" + number(hi) + " mean=" + number(sum / finite) +
            " l2=" + number(std::sqrt(squares));
  if (finite != n)
    line += " non-finite=" + std::to_string(n - finite);
  line += " values=[";
  for (uint64_t i = 0; i < n && i < maxValues; ++i)
    line += (i ? ", " : "") + number(element(tensor, i));
  line += n > maxValues ? ", ...]" : "]";
  return line;
}

} // namespace tessera::tools
