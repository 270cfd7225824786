#include "TopK.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>

namespace tessera::tools {
using namespace tessera::runtime;

Expected<std::vector<std::string>> readLabels(const std::string &path) {
  std::ifstream file(path);
  if (!file)
    return makeError(path, ": cannot open the labels file");
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(file, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    labels.push_back(line);
  }
  if (file.bad())
    return makeError(path, ": read failed");
  if (labels.empty())
    return makeError(path, ": the labels file is empty");
  return labels;
}

bool isClassScores(const Tensor &tensor) {
  return tensor.dtype() == DType::F32 &&
         (tensor.shape().size() == 1 || tensor.shape().size() == 2) && tensor.numElements() > 0;
}

std::string formatTopK(const std::string &name, const Tensor &tensor, int64_t k,
                       const std::vector<std::string> &labels) {
  const Shape &shape = tensor.shape();
  int64_t classes = shape.back();
  int64_t rows = shape.size() == 2 ? shape[0] : 1;
  k = std::min(k, classes);
  std::string text;
  const float *scores = tensor.dataAs<float>();
  for (int64_t row = 0; row < rows; ++row) {
    const float *s = scores + row * classes;
    // Softmax in double, shifted by the maximum, so large logits do not overflow.
    double top = *std::max_element(s, s + classes);
    double total = 0;
    for (int64_t c = 0; c < classes; ++c)
      total += std::exp(double(s[c]) - top);
    std::vector<int64_t> order(classes);
    std::iota(order.begin(), order.end(), 0);
    // Ties keep the lower class first, as torch.topk on CPU does for equal values.
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int64_t a, int64_t b) { return s[a] > s[b] || (s[a] == s[b] && a < b); });
    text += concat(name, rows > 1 ? concat("[", row, "]") : std::string(), ": top ", k, " of ",
                   classes, "\n");
    for (int64_t i = 0; i < k; ++i) {
      int64_t c = order[i];
      char line[160];
      std::snprintf(line, sizeof(line), "  %2lld. class %-6lld score %10.4f  softmax %.4f",
                    static_cast<long long>(i + 1), static_cast<long long>(c), s[c],
                    std::exp(double(s[c]) - top) / total);
      text += line;
      if (!labels.empty())
        text += "  " + labels[c];
      text += "\n";
    }
  }
  return text;
}

} // namespace tessera::tools
