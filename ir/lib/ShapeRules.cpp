#include "tessera/ir/ShapeRules.h"

#include "tessera/Limits.h"

#include <algorithm>
#include <cmath>

namespace tessera::tess {

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

int64_t numElements(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d != 0 && n > INT64_MAX / d))
      return -1;
    n *= d;
  }
  return n;
}

std::string rankLimitCheck(size_t rank) {
  if (rank <= limits::kMaxRank)
    return "";
  return "rank " + std::to_string(rank) + " exceeds the maximum of " +
         std::to_string(limits::kMaxRank);
}

bool fitsSignedInteger(double value, unsigned bits) {
  double bound = std::ldexp(1.0, int(bits) - 1);
  return value >= -bound && value < bound; // false for NaN
}

std::string tensorLimitCheck(llvm::ArrayRef<int64_t> shape, unsigned elementBytes,
                             uint64_t maxBytes) {
  if (std::string problem = rankLimitCheck(shape.size()); !problem.empty())
    return problem;
  int64_t n = numElements(shape);
  uint64_t bytes = 0;
  bool overflows = n < 0 || __builtin_mul_overflow(uint64_t(n), uint64_t(elementBytes), &bytes);
  if (overflows || bytes > maxBytes)
    return "a tensor " + formatShape(shape) + " needs " +
           (overflows ? std::string("more than 2^63 bytes") : limits::formatBytes(bytes)) +
           ", more than the limit of " + limits::formatBytes(maxBytes);
  return "";
}

std::string broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs,
                            Shape &result) {
  size_t rank = std::max(lhs.size(), rhs.size());
  result.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t a = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t b = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (a != b && a != 1 && b != 1)
      return "shapes " + formatShape(lhs) + " and " + formatShape(rhs) +
             " do not broadcast (dimension " + std::to_string(i) + ": " + std::to_string(a) +
             " vs " + std::to_string(b) + ")";
    result[i] = a == 1 ? b : a;
  }
  return "";
}

std::string matmulShape(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs, bool transposeLhs,
                        bool transposeRhs, Shape &result) {
  if (lhs.size() < 2 || rhs.size() < 2)
    return "matmul operands need rank >= 2, got " + formatShape(lhs) + " and " + formatShape(rhs);
  size_t lr = lhs.size(), rr = rhs.size();
  int64_t m = transposeLhs ? lhs[lr - 1] : lhs[lr - 2];
  int64_t kl = transposeLhs ? lhs[lr - 2] : lhs[lr - 1];
  int64_t kr = transposeRhs ? rhs[rr - 1] : rhs[rr - 2];
  int64_t n = transposeRhs ? rhs[rr - 2] : rhs[rr - 1];
  if (kl != kr)
    return "matmul contraction sizes differ: " + formatShape(lhs) +
           (transposeLhs ? " (transposed)" : "") + " x " + formatShape(rhs) +
           (transposeRhs ? " (transposed)" : "") + " contracts " + std::to_string(kl) + " with " +
           std::to_string(kr);
  Shape batch;
  std::string err = broadcastShapes(lhs.drop_back(2), rhs.drop_back(2), batch);
  if (!err.empty())
    return "matmul batch dimensions: " + err;
  result = batch;
  result.push_back(m);
  result.push_back(n);
  return "";
}

std::string linearShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> weight,
                        const llvm::ArrayRef<int64_t> *bias, Shape &result) {
  if (input.empty())
    return "linear input must have rank >= 1";
  if (weight.size() != 2)
    return "linear weight must be [out, in], got " + formatShape(weight);
  if (weight[1] != input.back())
    return "linear weight " + formatShape(weight) + " expects " + std::to_string(weight[1]) +
           " input features, input " + formatShape(input) + " has " + std::to_string(input.back());
  if (bias && (bias->size() != 1 || (*bias)[0] != weight[0]))
    return "linear bias must be [" + std::to_string(weight[0]) + "], got " + formatShape(*bias);
  result.assign(input.begin(), input.end());
  result.back() = weight[0];
  return "";
}

std::string reduceShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> axes, bool keepdims,
                        Shape &result) {
  llvm::SmallVector<bool, 6> reduced(input.size(), false);
  for (int64_t a : axes) {
    if (a < 0 || a >= (int64_t)input.size())
      return "axis " + std::to_string(a) + " is out of range for rank " +
             std::to_string(input.size());
    if (reduced[a])
      return "axis " + std::to_string(a) + " is repeated";
    reduced[a] = true;
  }
  result.clear();
  for (size_t i = 0; i < input.size(); ++i) {
    if (!reduced[i])
      result.push_back(input[i]);
    else if (keepdims)
      result.push_back(1);
  }
  return "";
}

std::string layerNormShape(llvm::ArrayRef<int64_t> input, const llvm::ArrayRef<int64_t> *weight,
                           const llvm::ArrayRef<int64_t> *bias, Shape &result) {
  if (input.empty())
    return "layer_norm input must have rank >= 1";
  for (auto [p, what] : {std::pair{weight, "weight"}, std::pair{bias, "bias"}}) {
    if (p && (p->size() != 1 || (*p)[0] != input.back()))
      return std::string("layer_norm ") + what + " must be [" + std::to_string(input.back()) +
             "], got " + formatShape(*p);
  }
  result.assign(input.begin(), input.end());
  return "";
}

std::string transposeShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> permutation,
                           Shape &result) {
  if (permutation.size() != input.size())
    return "permutation has " + std::to_string(permutation.size()) +
           " entries for a tensor of rank " + std::to_string(input.size());
  llvm::SmallVector<bool, 6> seen(input.size(), false);
  result.clear();
  for (int64_t p : permutation) {
    if (p < 0 || p >= (int64_t)input.size() || seen[p])
      return "invalid permutation " + formatShape(permutation);
    seen[p] = true;
    result.push_back(input[p]);
  }
  return "";
}

std::string sliceShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> starts,
                       llvm::ArrayRef<int64_t> limits, llvm::ArrayRef<int64_t> strides,
                       Shape &result) {
  if (starts.size() != input.size() || limits.size() != input.size() ||
      strides.size() != input.size())
    return "slice needs one start, limit and stride per dimension";
  result.clear();
  for (size_t d = 0; d < input.size(); ++d) {
    if (strides[d] < 1)
      return "slice stride must be >= 1, got " + std::to_string(strides[d]);
    if (starts[d] < 0 || starts[d] > limits[d] || limits[d] > input[d])
      return "slice [" + std::to_string(starts[d]) + ":" + std::to_string(limits[d]) +
             "] is out of range for dimension " + std::to_string(d) + " of size " +
             std::to_string(input[d]);
    // ceil((limit - start) / stride) without overflowing for huge strides
    result.push_back(limits[d] == starts[d] ? 0 : (limits[d] - starts[d] - 1) / strides[d] + 1);
  }
  return "";
}

std::string concatShape(llvm::ArrayRef<llvm::SmallVector<int64_t, 6>> inputs, int64_t axis,
                        Shape &result) {
  if (inputs.empty())
    return "concat needs at least one input";
  const auto &first = inputs.front();
  if (axis < 0 || axis >= (int64_t)first.size())
    return "concat axis " + std::to_string(axis) + " is out of range for rank " +
           std::to_string(first.size());
  result.assign(first.begin(), first.end());
  for (size_t i = 1; i < inputs.size(); ++i) {
    const auto &s = inputs[i];
    if (s.size() != first.size())
      return "concat inputs have different ranks: " + formatShape(first) + " and " + formatShape(s);
    for (size_t d = 0; d < s.size(); ++d)
      if ((int64_t)d != axis && s[d] != first[d])
        return "concat inputs differ outside axis " + std::to_string(axis) + ": " +
               formatShape(first) + " and " + formatShape(s);
    result[axis] += s[axis];
  }
  return "";
}

std::string reshapeCheck(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> result) {
  int64_t a = numElements(input), b = numElements(result);
  if (a < 0 || b < 0 || a != b)
    return "cannot reshape " + formatShape(input) + " (" + std::to_string(a) + " elements) to " +
           formatShape(result) + " (" + std::to_string(b) + " elements)";
  return "";
}

std::string gatherShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> indices,
                        int64_t axis, Shape &result) {
  if (axis < 0 || axis >= (int64_t)input.size())
    return "gather axis " + std::to_string(axis) + " is out of range for rank " +
           std::to_string(input.size());
  result.assign(input.begin(), input.begin() + axis);
  result.append(indices.begin(), indices.end());
  result.append(input.begin() + axis + 1, input.end());
  return "";
}

std::string argReduceShape(llvm::ArrayRef<int64_t> input, int64_t axis, bool keepdims,
                           Shape &result) {
  int64_t axes[] = {axis};
  return reduceShape(input, axes, keepdims, result);
}

namespace {
std::string checkPair(llvm::ArrayRef<int64_t> v, const char *what, int64_t minimum) {
  if (v.size() != 2)
    return std::string(what) + " needs two entries (height, width), got " + formatShape(v);
  for (int64_t x : v)
    if (x < minimum)
      return std::string(what) + " entries must be >= " + std::to_string(minimum) + ", got " +
             formatShape(v);
  return "";
}
} // namespace

std::string conv2dShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> weight,
                        const llvm::ArrayRef<int64_t> *bias, llvm::ArrayRef<int64_t> strides,
                        llvm::ArrayRef<int64_t> padding, llvm::ArrayRef<int64_t> dilation,
                        int64_t groups, Shape &result) {
  if (input.size() != 4)
    return "conv2d input must be [N, C, H, W], got " + formatShape(input);
  if (weight.size() != 4)
    return "conv2d weight must be [O, C / groups, KH, KW], got " + formatShape(weight);
  for (auto err : {checkPair(strides, "strides", 1), checkPair(padding, "padding", 0),
                   checkPair(dilation, "dilation", 1)})
    if (!err.empty())
      return err;
  if (groups < 1 || input[1] % groups != 0 || weight[0] % groups != 0)
    return "conv2d groups " + std::to_string(groups) + " must divide the input channels (" +
           std::to_string(input[1]) + ") and the output channels (" + std::to_string(weight[0]) +
           ")";
  if (weight[1] != input[1] / groups)
    return "conv2d weight " + formatShape(weight) + " expects " + std::to_string(weight[1]) +
           " input channels per group, input " + formatShape(input) + " has " +
           std::to_string(input[1] / groups);
  if (bias && (bias->size() != 1 || (*bias)[0] != weight[0]))
    return "conv2d bias must be [" + std::to_string(weight[0]) + "], got " + formatShape(*bias);
  result = {input[0], weight[0], 0, 0};
  for (int d = 0; d < 2; ++d) {
    int64_t span = dilation[d] * (weight[2 + d] - 1) + 1;
    int64_t padded = input[2 + d] + 2 * padding[d];
    if (padded < span)
      return "conv2d kernel " + formatShape(weight.drop_front(2)) +
             " (dilated) is larger than "
             "the padded input " +
             formatShape(input.drop_front(2));
    result[2 + d] = (padded - span) / strides[d] + 1;
  }
  return "";
}

namespace {
/// The output shape of a 2-D pooling named `op` (max_pool2d, avg_pool2d).
std::string pool2dShape(const std::string &op, llvm::ArrayRef<int64_t> input,
                        llvm::ArrayRef<int64_t> kernel, llvm::ArrayRef<int64_t> strides,
                        llvm::ArrayRef<int64_t> padding, Shape &result) {
  if (input.size() != 4)
    return op + " input must be [N, C, H, W], got " + formatShape(input);
  for (auto err : {checkPair(kernel, "kernel", 1), checkPair(strides, "strides", 1),
                   checkPair(padding, "padding", 0)})
    if (!err.empty())
      return err;
  result = {input[0], input[1], 0, 0};
  for (int d = 0; d < 2; ++d) {
    if (2 * padding[d] > kernel[d])
      return op + " padding " + formatShape(padding) + " must be at most half the kernel " +
             formatShape(kernel);
    int64_t padded = input[2 + d] + 2 * padding[d];
    if (padded < kernel[d])
      return op + " kernel " + formatShape(kernel) + " is larger than the padded input";
    result[2 + d] = (padded - kernel[d]) / strides[d] + 1;
  }
  return "";
}
} // namespace

std::string maxPool2dShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> kernel,
                           llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> padding,
                           Shape &result) {
  return pool2dShape("max_pool2d", input, kernel, strides, padding, result);
}

std::string avgPool2dShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> kernel,
                           llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> padding,
                           Shape &result) {
  return pool2dShape("avg_pool2d", input, kernel, strides, padding, result);
}

std::string unfoldShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> kernel,
                        llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> padding,
                        Shape &result) {
  if (input.size() != 4)
    return "unfold input must be [N, C, H, W], got " + formatShape(input);
  for (auto err : {checkPair(kernel, "kernel", 1), checkPair(strides, "strides", 1),
                   checkPair(padding, "padding", 0)})
    if (!err.empty())
      return err;
  int64_t blocks = 1;
  for (int d = 0; d < 2; ++d) {
    int64_t padded = input[2 + d] + 2 * padding[d];
    if (padded < kernel[d])
      return "unfold kernel " + formatShape(kernel) + " is larger than the padded input";
    blocks *= (padded - kernel[d]) / strides[d] + 1;
  }
  result = {input[0], input[1] * kernel[0] * kernel[1], blocks};
  return "";
}

std::string foldShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> output,
                      llvm::ArrayRef<int64_t> kernel, llvm::ArrayRef<int64_t> strides,
                      llvm::ArrayRef<int64_t> padding, Shape &result) {
  if (input.size() != 3)
    return "fold input must be [N, C * KH * KW, L], got " + formatShape(input);
  for (auto err : {checkPair(output, "output size", 1), checkPair(kernel, "kernel", 1),
                   checkPair(strides, "strides", 1), checkPair(padding, "padding", 0)})
    if (!err.empty())
      return err;
  int64_t kk = kernel[0] * kernel[1];
  if (input[1] % kk != 0)
    return "fold input channels " + std::to_string(input[1]) +
           " are not a multiple of the "
           "kernel size " +
           std::to_string(kk);
  int64_t blocks = 1;
  for (int d = 0; d < 2; ++d) {
    int64_t padded = output[d] + 2 * padding[d];
    if (padded < kernel[d])
      return "fold kernel " + formatShape(kernel) + " is larger than the padded output";
    blocks *= (padded - kernel[d]) / strides[d] + 1;
  }
  if (blocks != input[2])
    return "fold input has " + std::to_string(input[2]) + " blocks but an output of " +
           formatShape(output) + " has " + std::to_string(blocks);
  result = {input[0], input[1] / kk, output[0], output[1]};
  return "";
}

std::string parseEinsum(const std::string &equation, size_t numInputs, EinsumSpec &spec) {
  spec = EinsumSpec();
  size_t arrow = equation.find("->");
  if (arrow == std::string::npos)
    return "einsum equation needs '->' and the result axes, e.g. \"ij,jk->ik\"";
  std::string lhs = equation.substr(0, arrow), rhs = equation.substr(arrow + 2);
  auto clean = [](const std::string &s) {
    std::string out;
    for (char c : s)
      if (c != ' ')
        out += c;
    return out;
  };
  lhs = clean(lhs), rhs = clean(rhs);
  size_t start = 0;
  while (true) {
    size_t comma = lhs.find(',', start);
    spec.inputs.push_back(lhs.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  spec.result = rhs;
  if (spec.inputs.size() != numInputs)
    return "einsum equation names " + std::to_string(spec.inputs.size()) + " operands, got " +
           std::to_string(numInputs);
  std::string seenAll;
  auto checkAxes = [](const std::string &axes, const char *what) -> std::string {
    for (size_t i = 0; i < axes.size(); ++i) {
      if (axes[i] < 'a' || axes[i] > 'z')
        return std::string("einsum ") + what + " axes must be lowercase letters, got '" + axes +
               "'";
      if (axes.find(axes[i], i + 1) != std::string::npos)
        return std::string("einsum ") + what + " repeats axis '" + axes[i] + "'";
    }
    return "";
  };
  for (const std::string &in : spec.inputs) {
    std::string err = checkAxes(in, "operand");
    if (!err.empty())
      return err;
    seenAll += in;
  }
  std::string err = checkAxes(spec.result, "result");
  if (!err.empty())
    return err;
  for (char c : spec.result)
    if (seenAll.find(c) == std::string::npos)
      return std::string("einsum result axis '") + c + "' appears in no operand";
  return "";
}

std::string einsumShape(const EinsumSpec &spec,
                        llvm::ArrayRef<llvm::SmallVector<int64_t, 6>> inputs, Shape &result) {
  int64_t size[26];
  for (int64_t &s : size)
    s = -1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].size() != spec.inputs[i].size())
      return "einsum operand " + std::to_string(i) + " has rank " +
             std::to_string(inputs[i].size()) + " but the equation gives it " +
             std::to_string(spec.inputs[i].size()) + " axes ('" + spec.inputs[i] + "')";
    for (size_t d = 0; d < inputs[i].size(); ++d) {
      int64_t &s = size[spec.inputs[i][d] - 'a'];
      if (s >= 0 && s != inputs[i][d])
        return std::string("einsum axis '") + spec.inputs[i][d] + "' has size " +
               std::to_string(s) + " and " + std::to_string(inputs[i][d]);
      s = inputs[i][d];
    }
  }
  result.clear();
  for (char c : spec.result)
    result.push_back(size[c - 'a']);
  return "";
}

std::string broadcastToCheck(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> result) {
  Shape b;
  std::string err = broadcastShapes(input, result, b);
  if (!err.empty() || llvm::ArrayRef<int64_t>(b) != result)
    return "cannot broadcast " + formatShape(input) + " to " + formatShape(result);
  return "";
}

} // namespace tessera::tess
