// Small DSL graphs, each exercising one op (or one corner of it), compiled and checked against
// the reference interpreter (relative L2 error <= kRelTol = 1e-5 per output, threads 1 and 2).
#include "E2EHarness.h"

#include <ostream>
#include <vector>

namespace tessera::e2e {
namespace {

using Ranges = std::map<std::string, std::pair<float, float>>;
using IntRanges = std::map<std::string, std::pair<int64_t, int64_t>>;

struct OpCase {
  const char *name;
  const char *source;
  Ranges ranges = {};
  IntRanges ints = {}; // inclusive ranges of i32 / i64 inputs (default [-10, 10])
};

std::ostream &operator<<(std::ostream &os, const OpCase &c) { return os << c.name; }

// Elementwise cases use odd sizes (vector tails) and enough elements to split over workgroups.
const std::vector<OpCase> &opCases() {
  static const std::vector<OpCase> cases = {
      // Unary.
      {"relu", "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return relu(x) }"},
      {"exp", "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return exp(x) }", {{"x", {-3, 3}}}},
      {"sqrt",
       "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return sqrt(x) }",
       {{"x", {0.01f, 4}}}},
      {"rsqrt",
       "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return rsqrt(x) }",
       {{"x", {0.05f, 4}}}},
      {"neg", "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return neg(x) }"},
      {"neg_unary_minus", "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return -x }"},
      {"tanh", "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return tanh(x) }", {{"x", {-4, 4}}}},
      {"sigmoid",
       "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return sigmoid(x) }",
       {{"x", {-8, 8}}}},
      {"gelu_erf",
       "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return gelu(x) }",
       {{"x", {-5, 5}}}},
      {"gelu_tanh",
       "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return gelu(x, approximate = \"tanh\") }",
       {{"x", {-5, 5}}}},
      {"gelu_sigmoid",
       "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return gelu(x, approximate = \"sigmoid\") }",
       {{"x", {-5, 5}}}},

      // Binary, same shapes.
      {"add", "graph g(x: f32[9, 70], y: f32[9, 70]) -> (z: f32[9, 70]) { return x + y }"},
      {"sub", "graph g(x: f32[9, 70], y: f32[9, 70]) -> (z: f32[9, 70]) { return x - y }"},
      {"mul", "graph g(x: f32[9, 70], y: f32[9, 70]) -> (z: f32[9, 70]) { return x * y }"},
      {"div",
       "graph g(x: f32[9, 70], y: f32[9, 70]) -> (z: f32[9, 70]) { return x / y }",
       {{"y", {0.5f, 2}}}},
      {"maximum",
       "graph g(x: f32[9, 70], y: f32[9, 70]) -> (z: f32[9, 70]) { return maximum(x, y) }"},
      {"minimum",
       "graph g(x: f32[9, 70], y: f32[9, 70]) -> (z: f32[9, 70]) { return minimum(x, y) }"},

      // Binary, broadcasting.
      {"bcast_rank_mismatch",
       "graph g(x: f32[4, 1, 6], y: f32[5, 1]) -> (z: f32[4, 5, 6]) { return x * y }"},
      {"bcast_ones", "graph g(x: f32[1, 6], y: f32[5, 1]) -> (z: f32[5, 6]) { return x - y }"},
      {"bcast_vector",
       "graph g(x: f32[2, 3, 4], y: f32[4]) -> (a: f32[2, 3, 4], b: f32[2, 3, 4], "
       "c: f32[2, 3, 4]) { return maximum(x, y), minimum(y, x), x / y }",
       {{"y", {0.5f, 2}}}},
      {"scalar_rhs", "graph g(x: f32[3, 4]) -> (z: f32[3, 4]) { return x * 0.5 + 2 }"},
      {"scalar_lhs",
       "graph g(x: f32[3, 4], y: f32[3, 4]) -> (a: f32[3, 4], b: f32[3, 4]) "
       "{ return 1 - x, 2 / y }",
       {{"y", {0.5f, 2}}}},
      {"scalar_max_min", "graph g(x: f32[3, 4]) -> (a: f32[3, 4], b: f32[3, 4]) "
                         "{ return maximum(x, 0.25), minimum(-0.5, x) }"},
      {"rank0_input",
       "graph g(s: f32[], x: f32[3, 4]) -> (a: f32[3, 4], b: f32[3, 4], c: f32[3, 4]) "
       "{ return x + s, s - x, maximum(s, x) }"},
      {"rank0_result", "graph g(s: f32[], t: f32[]) -> (z: f32[]) { return s * t + 1 }"},

      // Matmul.
      {"matmul", "graph g(a: f32[5, 7], b: f32[7, 3]) -> (c: f32[5, 3]) { return matmul(a, b) }"},
      {"matmul_transpose_a", "graph g(a: f32[7, 5], b: f32[7, 3]) -> (c: f32[5, 3]) "
                             "{ return matmul(a, b, transpose_a = true) }"},
      {"matmul_transpose_b", "graph g(a: f32[5, 7], b: f32[3, 7]) -> (c: f32[5, 3]) "
                             "{ return matmul(a, b, transpose_b = true) }"},
      {"matmul_transpose_both", "graph g(a: f32[7, 5], b: f32[3, 7]) -> (c: f32[5, 3]) "
                                "{ return matmul(a, b, transpose_a = true, transpose_b = true) }"},
      {"matmul_batch_broadcast",
       "graph g(a: f32[2, 1, 5, 7], b: f32[3, 7, 4]) -> (c: f32[2, 3, 5, 4]) "
       "{ return matmul(a, b) }"},
      {"matmul_batch_broadcast_transposed",
       "graph g(a: f32[4, 7, 5], b: f32[1, 3, 7]) -> (c: f32[4, 5, 3]) "
       "{ return matmul(a, b, transpose_a = true, transpose_b = true) }"},
      {"matmul_batch_lhs_only",
       "graph g(a: f32[3, 5, 7], b: f32[7, 2]) -> (c: f32[3, 5, 2]) { return matmul(a, b) }"},
      {"matmul_batch_rhs_only", "graph g(a: f32[5, 7], b: f32[2, 3, 4, 7]) -> (c: f32[2, 3, 5, 4]) "
                                "{ return matmul(a, b, transpose_b = true) }"},
      {"matmul_large", "graph g(a: f32[2, 33, 65], b: f32[2, 65, 17]) -> (c: f32[2, 33, 17]) "
                       "{ return matmul(a, b) }"},

      // Linear.
      {"linear_bias",
       "graph g(x: f32[3, 4, 10]) -> (y: f32[3, 4, 6]) { return linear(x, fc, out = 6) }"},
      {"linear_no_bias", "graph g(x: f32[3, 4, 10]) -> (y: f32[3, 4, 6]) "
                         "{ return linear(x, fc, out = 6, bias = false) }"},
      // Regression: for a rank-1 input the bias has the result's shape, and bufferization once
      // reused the bias parameter as the contraction's accumulator (running twice changed the
      // module's constants). Graph arguments are now read-only (tessera-protect-graph-args).
      {"linear_rank1", "graph g(x: f32[10]) -> (y: f32[6]) { return linear(x, fc, out = 6) }"},
      {"linear_declared",
       "param fc.weight: f32[6, 10]\n"
       "graph g(x: f32[5, 10]) -> (y: f32[5, 6]) { return linear(x, fc, bias = false) }"},

      // Reductions.
      {"sum", "graph g(x: f32[4, 5, 6]) -> (a: f32[4, 6], b: f32[5], c: f32[1, 5, 1], d: f32[], "
              "e: f32[4, 5, 1]) "
              "{ return sum(x, 1), sum(x, [0, 2]), sum(x, [0, 2], keepdims = true), sum(x), "
              "sum(x, -1, keepdims = true) }"},
      {"mean",
       "graph g(x: f32[4, 5, 6]) -> (a: f32[4, 5], b: f32[4, 1, 1], c: f32[], d: f32[1, 5, 6], "
       "e: f32[6]) "
       "{ return mean(x, -1), mean(x, [1, 2], keepdims = true), mean(x), "
       "mean(x, 0, keepdims = true), mean(x, [0, 1]) }"},
      {"max", "graph g(x: f32[4, 5, 6]) -> (a: f32[5, 6], b: f32[6], c: f32[4, 5, 1], d: f32[], "
              "e: f32[1, 1, 6]) "
              "{ return max(x, 0), max(x, [0, 1]), max(x, 2, keepdims = true), max(x), "
              "max(x, [1, 0], keepdims = true) }"},
      {"reduce_large", "graph g(x: f32[67, 129]) -> (a: f32[67], b: f32[129], c: f32[67]) "
                       "{ return sum(x, 1), mean(x, 0), max(x, -1) }"},

      // Softmax.
      {"softmax_last",
       "graph g(x: f32[4, 5, 6]) -> (y: f32[4, 5, 6]) { return softmax(x) }",
       {{"x", {-4, 4}}}},
      {"softmax_axis0",
       "graph g(x: f32[4, 5, 6]) -> (y: f32[4, 5, 6]) { return softmax(x, axis = 0) }",
       {{"x", {-4, 4}}}},
      {"softmax_middle",
       "graph g(x: f32[4, 5, 6]) -> (y: f32[4, 5, 6]) { return softmax(x, axis = 1) }",
       {{"x", {-4, 4}}}},
      {"softmax_large_values",
       "graph g(x: f32[8, 33]) -> (y: f32[8, 33]) { return softmax(x, axis = -1) }",
       {{"x", {50, 90}}}},

      // Layer norm.
      {"layer_norm_params",
       "graph g(x: f32[3, 4, 24]) -> (y: f32[3, 4, 24]) { return layer_norm(x, ln) }"},
      {"layer_norm_no_params",
       "graph g(x: f32[3, 4, 24]) -> (y: f32[3, 4, 24]) { return layer_norm(x) }"},
      {"layer_norm_eps", "graph g(x: f32[3, 4, 24]) -> (a: f32[3, 4, 24], b: f32[3, 4, 24]) "
                         "{ return layer_norm(x, eps = 0.1), layer_norm(x, ln, eps = 1e-6) }"},
      // Mean far from zero relative to the spread: needs a centred variance (error ~2e-6).
      {"layer_norm_large_mean",
       "graph g(x: f32[7, 40]) -> (y: f32[7, 40]) { return layer_norm(x, ln) }",
       {{"x", {9, 11}}}},
      {"layer_norm_offset",
       "graph g(x: f32[7, 40]) -> (y: f32[7, 40]) { return layer_norm(x + 3, ln) }"},

      // Reshape.
      {"reshape",
       "graph g(x: f32[4, 6, 5]) -> (a: f32[24, 5], b: f32[12, 10], c: f32[2, 4, 3, 5]) "
       "{ return reshape(x, [24, 5]), reshape(x, [-1, 10]), reshape(x, [2, -1, 3, 5]) }"},
      {"reshape_compute", "graph g(x: f32[4, 6, 5]) -> (a: f32[12, 10], b: f32[5, 24]) "
                          "{ return reshape(relu(x), [-1, 10]) + 1, relu(reshape(x, [5, 24])) }"},

      // Transpose / permute.
      {"transpose_default",
       "graph g(x: f32[3, 4, 5]) -> (y: f32[3, 5, 4]) { return transpose(x) }"},
      {"permute",
       "graph g(x: f32[3, 4, 5]) -> (a: f32[5, 3, 4], b: f32[4, 3, 5], c: f32[5, 3, 4]) "
       "{ return permute(x, [2, 0, 1]), transpose(x, [1, 0, 2]), permute(x, [-1, 0, 1]) }"},
      {"permute_compute", "graph g(x: f32[3, 4, 5]) -> (a: f32[5, 3, 4], b: f32[4, 5, 3]) "
                          "{ return relu(permute(x, [2, 0, 1])) * 2, permute(x * 2, [1, 2, 0]) }"},
      {"transpose_large",
       "graph g(x: f32[2, 37, 65]) -> (y: f32[65, 2, 37]) { return permute(x, [2, 0, 1]) + 1 }"},

      // Slicing.
      {"slice_2d",
       "graph g(x: f32[6, 7]) -> (a: f32[2, 4], b: f32[6], c: f32[7], d: f32[3], e: f32[5, 2], "
       "f: f32[3]) "
       "{ return x[1:3, ::2], x[:, 0], x[-1], x[-3:, -2], x[:-1, 1::3], x[0:5:2, 6] }"},
      {"slice_3d", "graph g(y: f32[4, 5, 6]) -> (a: f32[3, 2], b: f32[2, 2], c: f32[4, 5, 2]) "
                   "{ return y[1, 2:, ::3], y[::2, -1, 1:5:2], y[:, :, 4:] }"},
      {"slice_compute", "graph g(x: f32[6, 7]) -> (a: f32[4, 5], b: f32[3, 7]) "
                        "{ return relu(x[1:5, 2:]) + 1, x[::2] * x[1::2] }"},

      // Concat.
      {"concat3_middle",
       "graph g(a: f32[2, 3, 4], b: f32[2, 5, 4], c: f32[2, 1, 4]) -> (y: f32[2, 9, 4]) "
       "{ return concat(a, b, c, axis = 1) }"},
      {"concat_ends", "graph g(a: f32[2, 3, 4]) -> (x: f32[4, 3, 4], y: f32[2, 3, 12]) "
                      "{ return concat(a, a * 2), concat(relu(a), neg(a), a, axis = -1) }"},

      // Outputs that are (parts of) inputs, parameters or constants: the copy paths.
      {"identity", "graph g(x: f32[3, 4]) -> (y: f32[3, 4]) { return x }"},
      {"identity_twice", "graph g(x: f32[3, 4]) -> (y: f32[3, 4], z: f32[3, 4], w: f32[3, 4]) "
                         "{ return x, x * 2, x }"},
      {"identity_slice",
       "graph g(x: f32[5, 4]) -> (a: f32[2, 4], b: f32[5]) { return x[1:3], x[:, 1] }"},
      {"identity_reshape", "graph g(x: f32[5, 4]) -> (y: f32[20]) { return reshape(x, [20]) }"},
      {"output_parameter",
       "param w: f32[4, 5]\n"
       "graph g(x: f32[4, 5]) -> (y: f32[4, 5], v: f32[4, 5]) { return x + w, w }"},
      // Ops whose result has the shape of a parameter must not update it in place.
      {"param_elementwise",
       "param w: f32[4, 5]\n"
       "graph g(x: f32[4, 5]) -> (y: f32[4, 5], z: f32[4, 5]) { return w * 2, relu(w) + x }"},
      {"param_bias_add", "param b: f32[6]\n"
                         "graph g(x: f32[6]) -> (y: f32[6], z: f32[6]) { return x + b, b - x }"},
      {"layer_norm_rank1", "graph g(x: f32[40]) -> (y: f32[40]) { return layer_norm(x, ln) }"},
      {"concat_param", "param w: f32[2, 3]\n"
                       "graph g(x: f32[2, 3]) -> (y: f32[4, 3]) { return concat(w, x) }"},
      {"output_constant",
       "graph g(x: f32[4, 5]) -> (y: f32[4, 5], c: f32[]) { return x + 1, 2.5 }"},

      //===------------------------------------------------------------------------------===//
      // New ops. Boolean tensors cannot be module inputs or outputs: comparisons are returned
      // through cast(..., "i32") or where. Integer outputs are compared exactly.
      //===------------------------------------------------------------------------------===//

      // More unary.
      {"sin", "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return sin(x) }", {{"x", {-7, 7}}}},
      {"cos", "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return cos(x) }", {{"x", {-7, 7}}}},
      {"floor",
       "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return floor(x) }",
       {{"x", {-5, 5}}}},
      {"log",
       "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return log(x) }",
       {{"x", {0.01f, 20}}}},
      {"abs", "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return abs(x) }"},
      {"unary_chain",
       "graph g(x: f32[9, 70]) -> (y: f32[9, 70]) { return abs(sin(x)) + floor(x) * cos(x) }",
       {{"x", {-4, 4}}}},

      // pow: positive bases with real exponents, negative bases with integral exponents.
      {"pow",
       "graph g(x: f32[9, 70], y: f32[9, 70]) -> (z: f32[9, 70]) { return pow(x, y) }",
       {{"x", {0.1f, 3}}, {"y", {-2, 2}}}},
      {"pow_scalar_exponent",
       "graph g(x: f32[9, 70]) -> (a: f32[9, 70], b: f32[9, 70], c: f32[9, 70]) "
       "{ return pow(x, 2), pow(x, 3.0), pow(x, 0.5) }",
       {{"x", {0.05f, 3}}}},
      {"pow_negative_base",
       "graph g(x: f32[9, 70]) -> (a: f32[9, 70], b: f32[9, 70], c: f32[9, 70]) "
       "{ return pow(x, 2), pow(x, 3), pow(x, -1.0) }",
       {{"x", {-3, -0.25f}}}},
      {"pow_scalar_base_bcast",
       "graph g(x: f32[4, 1, 6], y: f32[5, 1]) -> (a: f32[4, 6], b: f32[4, 5, 6]) "
       "{ return pow(2, x[:, 0]), pow(exp(x), y) }",
       {{"x", {-2, 2}}, {"y", {-2, 2}}}},

      // Comparisons. floor() of a small range makes many ties (equal operands).
      {"compare_f32",
       "graph g(a: f32[7, 33], b: f32[7, 33]) -> (lt: i32[7, 33], le: i32[7, 33], "
       "gt: i32[7, 33], ge: i32[7, 33], eq: i32[7, 33], ne: i32[7, 33]) {\n"
       "  x = floor(a)\n  y = floor(b)\n"
       "  return cast(less(x, y), \"i32\"), cast(less_equal(x, y), \"i32\"), "
       "cast(greater(x, y), \"i32\"), cast(greater_equal(x, y), \"i32\"), "
       "cast(equal(x, y), \"i32\"), cast(not_equal(x, y), \"i32\") }",
       {{"a", {-2, 2}}, {"b", {-2, 2}}}},
      {"compare_i32_broadcast",
       "graph g(a: i32[4, 1, 6], b: i32[5, 1]) -> (lt: i32[4, 5, 6], le: i32[4, 5, 6], "
       "gt: i32[4, 5, 6], ge: i32[4, 5, 6], eq: i32[4, 5, 6], ne: i32[4, 5, 6]) "
       "{ return cast(less(a, b), \"i32\"), cast(less_equal(a, b), \"i32\"), "
       "cast(greater(b, a), \"i32\"), cast(greater_equal(b, a), \"i32\"), "
       "cast(equal(a, b), \"i32\"), cast(not_equal(b, a), \"i32\") }",
       {},
       {{"a", {-3, 3}}, {"b", {-3, 3}}}},
      {"compare_i64_broadcast",
       "graph g(a: i64[3, 5], b: i64[5]) -> (lt: i64[3, 5], ge: i64[3, 5], eq: i64[3, 5]) "
       "{ return cast(less(a, b), \"i64\"), cast(greater_equal(a, b), \"i64\"), "
       "cast(equal(b, a), \"i64\") }",
       {},
       {{"a", {-2, 2}}, {"b", {-2, 2}}}},
      {"compare_scalar",
       "graph g(x: f32[6, 7], i: i32[6, 7]) -> (a: i32[6, 7], b: i32[6, 7], c: i32[6, 7], "
       "d: i32[6, 7], e: i32[6, 7], f: i32[6, 7]) "
       "{ return cast(less(x, 0.25), \"i32\"), cast(greater_equal(0, x), \"i32\"), "
       "cast(equal(i, 3), \"i32\"), cast(not_equal(2, i), \"i32\"), "
       "cast(less_equal(i, -1), \"i32\"), cast(greater(floor(x * 2), 0), \"i32\") }",
       {},
       {{"i", {-4, 4}}}},
      // COMPILER BUG (kept failing on purpose, see the report): ordered comparisons of i1
      // tensors lower to *signed* arith.cmpi (slt/sle/sgt/sge), where true is -1, so
      // less(true, false) is true. The interpreter (i1 as 0 / 1, false < true as in numpy /
      // torch) differs on every element where p != q: 'lt' and 'ge' fail on 18 of 40
      // elements; 'eq' and 'ne' agree. maximum/minimum of bools (arith.maxsi/minsi) have the
      // same problem: maximum(true, false) is false.
      {"compare_bool",
       "graph g(x: f32[5, 8], y: f32[5, 8]) -> (lt: i32[5, 8], ge: i32[5, 8], eq: i32[5, 8], "
       "ne: i32[5, 8]) {\n  p = greater(x, 0)\n  q = greater(y, 0)\n"
       "  return cast(less(p, q), \"i32\"), cast(greater_equal(p, q), \"i32\"), "
       "cast(equal(p, q), \"i32\"), cast(not_equal(p, q), \"i32\") }"},
      {"maximum_minimum_bool",
       "graph g(x: f32[5, 8], y: f32[5, 8]) -> (mx: i32[5, 8], mn: i32[5, 8]) {\n"
       "  p = greater(x, 0)\n  q = greater(y, 0)\n"
       "  return cast(maximum(p, q), \"i32\"), cast(minimum(p, q), \"i32\") }"},
      // log of a negative number is NaN: ordered comparisons are false, "ne" is true.
      {"compare_nan",
       "graph g(x: f32[5, 9]) -> (lt: i32[5, 9], ge: i32[5, 9], eq: i32[5, 9], ne: i32[5, 9]) "
       "{\n  n = log(x)\n"
       "  return cast(less(n, 0.5), \"i32\"), cast(greater_equal(n, -100), \"i32\"), "
       "cast(equal(n, n), \"i32\"), cast(not_equal(n, n), \"i32\") }",
       {{"x", {-1, 2}}}},

      // where / select.
      {"where_broadcast_condition",
       "graph g(c: f32[5, 1], x: f32[5, 6], y: f32[6]) -> (a: f32[5, 6], b: f32[5, 6]) "
       "{ return where(greater(c, 0), x, y), where(less(y, 0), x * 2, 1.5) }"},
      {"where_scalars", "graph g(x: f32[4, 3, 5], c: f32[3, 1]) -> (a: f32[4, 3, 5], b: f32[3, 1], "
                        "r: f32[4, 3, 5]) "
                        "{ return where(less(x, 0), 0, x), where(greater(c, 0), 1.0, -1.0), "
                        "where(greater(c, x), c, x) }"},
      {"where_integers",
       "graph g(c: i32[6], i: i32[4, 6], j: i64[4, 1]) -> (a: i32[4, 6], b: i64[4, 6]) "
       "{ return where(greater(c, 0), i, 0), where(equal(i, c), j, cast(i, \"i64\")) }",
       {},
       {{"c", {-2, 2}}, {"i", {-2, 2}}}},

      // cast. f32 -> int truncates toward zero (negative fractions too); int -> f32 rounds
      // to nearest (values beyond 2^24 need rounding); narrowing wraps; to bool is != 0.
      {"cast_f32_to_int",
       "graph g(x: f32[7, 33]) -> (a: i32[7, 33], b: i64[7, 33]) "
       "{ return cast(x, \"i32\"), cast(x * 1000, \"i64\") }",
       {{"x", {-50, 50}}}},
      {"cast_int_to_f32",
       "graph g(i: i32[7, 33], j: i64[7, 33]) -> (a: f32[7, 33], b: f32[7, 33]) "
       "{ return cast(i, \"f32\"), cast(j, \"f32\") }",
       {},
       {{"i", {-(int64_t(1) << 30), int64_t(1) << 30}},
        {"j", {-(int64_t(1) << 40), int64_t(1) << 40}}}},
      {"cast_int_widen_narrow",
       "graph g(i: i32[5, 9], j: i64[5, 9]) -> (a: i64[5, 9], b: i32[5, 9], c: i64[5, 9]) "
       "{ return cast(i, \"i64\") * 3, cast(j, \"i32\"), cast(cast(j, \"i32\"), \"i64\") }",
       {},
       {{"i", {-(int64_t(1) << 31), (int64_t(1) << 31) - 1}},
        {"j", {-(int64_t(1) << 34), int64_t(1) << 34}}}},
      {"cast_bool",
       "graph g(x: f32[6, 11], i: i32[6, 11], j: i64[6, 11]) -> (a: f32[6, 11], b: i32[6, 11], "
       "c: i64[6, 11], d: i32[6, 11], e: i32[6, 11], f: i64[6, 11], h: f32[6, 11]) {\n"
       "  p = greater(x, 0)\n"
       "  return cast(p, \"f32\"), cast(p, \"i32\"), cast(p, \"i64\"), "
       "cast(cast(floor(x), \"bool\"), \"i32\"), cast(cast(i, \"bool\"), \"i32\"), "
       "cast(cast(j, \"bool\"), \"i64\"), cast(cast(x * 0.25, \"bool\"), \"f32\") }",
       {{"x", {-2, 2}}},
       {{"i", {-3, 3}}, {"j", {-2, 2}}}},
      {"cast_roundtrip",
       "graph g(x: f32[5, 9], i: i64[5, 9]) -> (a: f32[5, 9], b: i64[5, 9]) "
       "{ return cast(cast(x * 10, \"i32\"), \"f32\"), cast(cast(i, \"f32\"), \"i64\") }",
       {},
       {{"i", {-100000, 100000}}}},

      // iota / arange / full / broadcast_to.
      {"iota", "graph g(x: f32[3, 4, 5]) -> (a: f32[3, 4, 5], b: i32[3, 4, 5], c: i64[3, 4, 5], "
               "d: i32[2, 3], e: f32[7]) "
               "{ return x + iota([3, 4, 5], 1), iota([3, 4, 5], 0, dtype = \"i32\"), "
               "iota([3, 4, 5], -1, \"i64\"), cast(iota([2, 3], 1, dtype = \"bool\"), \"i32\"), "
               "iota([7], 0) }"},
      {"arange", "graph g(x: f32[4, 7], i: i64[5]) -> (a: f32[4, 7], b: i64[5], c: i32[6]) "
                 "{ return x * arange(7), i + arange(5, dtype = \"i64\"), arange(6, \"i32\") }"},
      {"full", "graph g(x: f32[3, 4], i: i32[2, 3]) -> (a: f32[3, 4], b: i32[2, 3], c: i64[4], "
               "d: i32[2], e: f32[3, 4]) "
               "{ return x + full([3, 4], 2.5), i * full([2, 3], 7, dtype = \"i32\"), "
               "full([4], -3, \"i64\"), cast(full([2], 1, dtype = \"bool\"), \"i32\"), "
               "full([3, 4], -0.75) }"},
      {"broadcast_to",
       "graph g(x: f32[3, 1], s: f32[], i: i32[4]) -> (a: f32[2, 3, 4], b: f32[3, 2], "
       "c: i32[3, 4], d: f32[2, 3, 4]) "
       "{ return broadcast_to(x, [2, 3, 4]), broadcast_to(s, [3, 2]), broadcast_to(i, [3, 4]), "
       "relu(broadcast_to(x * 2, [2, 3, 4])) + 1 }"},

      // gather / embedding: indices out of range on both sides are clamped.
      {"gather_axis0_i32",
       "graph g(x: f32[10, 7], idx: i32[4, 3]) -> (y: f32[4, 3, 7]) { return gather(x, idx) }",
       {},
       {{"idx", {-3, 12}}}},
      {"gather_middle_i64",
       "graph g(x: f32[3, 8, 5], idx: i64[6]) -> (y: f32[3, 6, 5]) "
       "{ return gather(x, idx, axis = 1) }",
       {},
       {{"idx", {-5, 12}}}},
      {"gather_middle_2d_indices",
       "graph g(x: f32[2, 9, 3, 4], idx: i32[2, 5]) -> (y: f32[2, 2, 5, 3, 4]) "
       "{ return gather(x, idx, axis = 1) }",
       {},
       {{"idx", {-2, 10}}}},
      {"gather_last_axis",
       "graph g(x: f32[4, 6], idx: i64[2, 2]) -> (y: f32[4, 2, 2]) "
       "{ return gather(x, idx, axis = -1) }",
       {},
       {{"idx", {-1, 7}}}},
      {"gather_rank0_index_and_ints",
       "graph g(x: f32[5, 3], s: i32[], t: i32[9, 4], idx: i64[3]) -> (a: f32[3], b: i32[3, 4]) "
       "{ return gather(x, s), gather(t, idx) * 2 }",
       {},
       {{"s", {-2, 6}}, {"idx", {-3, 11}}}},
      {"gather_computed",
       "graph g(x: f32[6, 5], idx: i32[4]) -> (y: f32[4, 5]) "
       "{ return relu(gather(x * 2, idx)) + 1 }",
       {},
       {{"idx", {-1, 6}}}},
      {"gather_bool",
       "graph g(x: f32[6, 4], idx: i32[3]) -> (y: i32[3, 4]) "
       "{ return cast(gather(greater(x, 0), idx), \"i32\") }",
       {},
       {{"idx", {-1, 7}}}},
      {"embedding_i64",
       "graph g(tok: i64[2, 5]) -> (y: f32[2, 5, 6]) { return embedding(tok, emb, num = 11, dim = "
       "6) }",
       {},
       {{"tok", {-2, 13}}}},
      {"embedding_i32_declared",
       "param emb.weight: f32[9, 4]\n"
       "graph g(tok: i32[7], pos: i32[7]) -> (y: f32[7, 4]) "
       "{ return embedding(tok, emb) + embedding(pos, pos_emb, num = 7, dim = 4) }",
       {},
       {{"tok", {0, 8}}, {"pos", {0, 6}}}},

      // argmax / argmin: values from {0, 1, 2, 3} make ties (the first index wins).
      {"argmax_argmin_ties",
       "graph g(q: i32[6, 7, 5]) -> (a: i64[6, 7], b: i64[7, 5], c: i64[6, 1, 5], "
       "d: i64[6, 7, 1], e: i64[6, 5]) {\n"
       "  x = cast(q, \"f32\")\n"
       "  return argmax(x), argmax(x, 0), argmin(x, axis = 1, keepdims = true), "
       "argmin(x, -1, keepdims = true), argmax(x, axis = -2) }",
       {},
       {{"q", {0, 3}}}},
      {"argmax_argmin_binary_ties",
       "graph g(q: i32[4, 33]) -> (a: i64[4], b: i64[4], c: i64[33], d: i64[1, 33]) {\n"
       "  x = cast(q, \"f32\") * -2.5\n"
       "  return argmax(x), argmin(x), argmin(x, 0), argmax(x, 0, keepdims = true) }",
       {},
       {{"q", {0, 1}}}},
      {"argmax_rank1", "graph g(v: f32[9]) -> (a: i64[], b: i64[1]) "
                       "{ return argmax(v), argmin(v, keepdims = true) }"},
      {"argmax_float",
       "graph g(x: f32[3, 17, 8]) -> (a: i64[3, 8], b: i64[17, 8], c: i64[3, 17, 1]) "
       "{ return argmax(x, 1), argmin(x, 0), argmax(x * -1, axis = 2, keepdims = true) }"},

      // conv2d (NCHW), non-square inputs.
      {"conv_1x1", "graph g(x: f32[2, 6, 5, 7]) -> (y: f32[2, 4, 5, 7]) "
                   "{ return conv2d(x, c, out = 4, kernel = 1) }"},
      {"conv_3x3_pad1", "graph g(x: f32[1, 3, 9, 11]) -> (y: f32[1, 8, 9, 11]) "
                        "{ return conv2d(x, c, out = 8, kernel = 3, padding = 1) }"},
      {"conv_3x3_no_bias", "graph g(x: f32[2, 3, 6, 5]) -> (y: f32[2, 5, 4, 3]) "
                           "{ return conv2d(x, c, out = 5, kernel = 3, bias = false) }"},
      {"conv_7x7_s2_p3", "graph g(x: f32[1, 3, 17, 23]) -> (y: f32[1, 8, 9, 12]) "
                         "{ return conv2d(x, c, out = 8, kernel = 7, stride = 2, padding = 3) }"},
      {"conv_dilation2", "graph g(x: f32[1, 4, 10, 12]) -> (y: f32[1, 5, 10, 12]) "
                         "{ return conv2d(x, c, out = 5, kernel = 3, dilation = 2, padding = 2) }"},
      {"conv_rect_kernel_mixed",
       "graph g(x: f32[2, 2, 11, 9]) -> (y: f32[2, 3, 5, 5]) "
       "{ return conv2d(x, c, out = 3, kernel = [3, 2], stride = [2, 2], padding = [1, 1], "
       "dilation = [2, 1], bias = false) }"},
      {"conv_1x1_pad1_stride2",
       "graph g(x: f32[1, 2, 5, 6]) -> (y: f32[1, 3, 4, 4]) "
       "{ return conv2d(x, c, out = 3, kernel = 1, stride = 2, padding = 1) }"},
      {"conv_groups2",
       "graph g(x: f32[2, 6, 8, 9]) -> (y: f32[2, 4, 8, 9]) "
       "{ return conv2d(x, c, out = 4, kernel = 3, padding = 1, groups = 2, bias = false) }"},
      {"conv_groups2_bias_stride",
       "graph g(x: f32[1, 4, 9, 8]) -> (y: f32[1, 6, 5, 4]) "
       "{ return conv2d(x, c, out = 6, kernel = 3, stride = 2, padding = 1, groups = 2) }"},
      {"conv_depthwise",
       "graph g(x: f32[1, 8, 10, 7]) -> (y: f32[1, 8, 5, 4]) "
       "{ return conv2d(x, c, out = 8, kernel = 3, stride = 2, padding = 1, groups = 8) }"},
      {"conv_depthwise_multiplier",
       "graph g(x: f32[2, 4, 7, 6]) -> (y: f32[2, 8, 7, 6]) "
       "{ return conv2d(x, c, out = 8, kernel = 3, padding = 1, groups = 4, bias = false) }"},
      {"conv_declared_weight", "param c.weight: f32[4, 3, 3, 3]\n"
                               "graph g(x: f32[1, 3, 7, 8]) -> (y: f32[1, 4, 7, 8]) "
                               "{ return relu(conv2d(x, c, padding = 1)) }"},

      // max_pool2d (padding is -inf: all-negative inputs would expose a zero pad).
      {"max_pool_3x3_s2_p1", "graph g(x: f32[2, 3, 9, 12]) -> (y: f32[2, 3, 5, 6]) "
                             "{ return max_pool2d(x, 3, stride = 2, padding = 1) }"},
      {"max_pool_3x3_s2_p1_negative",
       "graph g(x: f32[1, 2, 8, 7]) -> (y: f32[1, 2, 4, 4]) "
       "{ return max_pool2d(x, kernel = 3, stride = 2, padding = 1) }",
       {{"x", {-5, -1}}}},
      {"max_pool_2x2_s2",
       "graph g(x: f32[1, 4, 7, 10]) -> (y: f32[1, 4, 3, 5]) { return max_pool2d(x, 2) }"},
      {"max_pool_stride_gt_kernel", "graph g(x: f32[1, 2, 10, 8]) -> (y: f32[1, 2, 3, 3]) "
                                    "{ return max_pool2d(x, 2, stride = 3) }"},
      {"max_pool_rect", "graph g(x: f32[2, 2, 9, 8]) -> (y: f32[2, 2, 5, 7]) "
                        "{ return max_pool2d(x, [3, 2], stride = [2, 1], padding = [1, 0]) }"},

      // avg_pool2d (zero padding; count_include_pad divides by the full window or by the
      // positions inside the input).
      {"avg_pool_3x3_s2_p1_include_pad", "graph g(x: f32[2, 3, 9, 12]) -> (y: f32[2, 3, 5, 6]) "
                                         "{ return avg_pool2d(x, 3, stride = 2, padding = 1) }"},
      {"avg_pool_3x3_s2_p1_exclude_pad",
       "graph g(x: f32[2, 3, 9, 12]) -> (y: f32[2, 3, 5, 6]) "
       "{ return avg_pool2d(x, 3, stride = 2, padding = 1, count_include_pad = false) }"},
      {"avg_pool_2x2_s2",
       "graph g(x: f32[1, 4, 7, 10]) -> (y: f32[1, 4, 3, 5]) { return avg_pool2d(x, 2) }"},

      // unfold / fold (im2col and its adjoint).
      {"unfold_k3_p1", "graph g(x: f32[2, 3, 6, 5]) -> (y: f32[2, 27, 30]) "
                       "{ return unfold(x, 3, padding = 1) }"},
      {"unfold_k6_s2_p2", "graph g(x: f32[1, 2, 11, 9]) -> (y: f32[1, 72, 20]) "
                          "{ return unfold(x, 6, stride = 2, padding = 2) }"},
      {"fold_unfold_k3_p1", "graph g(x: f32[2, 3, 6, 5]) -> (y: f32[2, 3, 6, 5]) "
                            "{ return fold(unfold(x, 3, padding = 1), [6, 5], 3, padding = 1) }"},
      {"fold_unfold_k6_s2_p2",
       "graph g(x: f32[1, 2, 11, 9]) -> (y: f32[1, 2, 11, 9]) "
       "{ return fold(unfold(x, 6, stride = 2, padding = 2), [11, 9], 6, stride = 2, "
       "padding = 2) }"},
      {"fold_k3_p1", "graph g(x: f32[2, 27, 30]) -> (y: f32[2, 3, 6, 5]) "
                     "{ return fold(x, [6, 5], 3, padding = 1) }"},
      {"fold_k6_s2_p2", "graph g(x: f32[1, 72, 20]) -> (y: f32[1, 2, 11, 9]) "
                        "{ return fold(x, [11, 9], 6, stride = 2, padding = 2) }"},

      // interpolate (align_corners = false, PyTorch's index rules).
      {"interpolate_nearest_x2", "graph g(x: f32[1, 3, 5, 7]) -> (y: f32[1, 3, 10, 14]) "
                                 "{ return interpolate(x, scale = 2, mode = \"nearest\") }"},
      {"interpolate_nearest_size", "graph g(x: f32[2, 2, 7, 5]) -> (y: f32[2, 2, 12, 9]) "
                                   "{ return interpolate(x, size = [12, 9]) }"},
      {"interpolate_bilinear_size",
       "graph g(x: f32[2, 3, 7, 5]) -> (y: f32[2, 3, 12, 9]) "
       "{ return interpolate(x, size = [12, 9], mode = \"bilinear\") }"},
      {"interpolate_bilinear_down",
       "graph g(x: f32[1, 2, 13, 11]) -> (y: f32[1, 2, 5, 4]) "
       "{ return interpolate(x, size = [5, 4], mode = \"bilinear\") }"},
      {"interpolate_bicubic_x2", "graph g(x: f32[1, 2, 6, 5]) -> (y: f32[1, 2, 12, 10]) "
                                 "{ return interpolate(x, scale = 2, mode = \"bicubic\") }"},
      {"interpolate_bicubic_x4", "graph g(x: f32[1, 2, 5, 4]) -> (y: f32[1, 2, 20, 16]) "
                                 "{ return interpolate(x, scale = 4, mode = \"bicubic\") }"},
      {"interpolate_bicubic_down4", "graph g(x: f32[1, 2, 16, 20]) -> (y: f32[1, 2, 4, 5]) "
                                    "{ return interpolate(x, size = [4, 5], mode = \"bicubic\") }"},
      {"interpolate_bicubic_size", "graph g(x: f32[1, 3, 7, 5]) -> (y: f32[1, 3, 12, 9]) "
                                   "{ return interpolate(x, size = [12, 9], mode = \"bicubic\") }"},

      // einsum.
      {"einsum_bukm_buvm", "graph g(a: f32[2, 3, 4, 5], b: f32[2, 3, 6, 5]) -> (y: f32[2, 4, 6]) "
                           "{ return einsum(\"bukm,buvm->bkv\", a, b) }"},
      {"einsum_bhkn_bkv", "graph g(a: f32[2, 3, 4, 5], b: f32[2, 4, 6]) -> (y: f32[2, 3, 6, 5]) "
                          "{ return einsum(\"bhkn,bkv->bhvn\", a, b) }"},
      {"einsum_nmku_buvm",
       "graph g(a: f32[2, 3, 4, 5], b: f32[3, 5, 6, 3]) -> (y: f32[3, 2, 4, 6]) "
       "{ return einsum(\"nmku,buvm->bnkv\", a, b) }"},
      {"einsum_reduce_one_operand",
       "graph g(a: f32[4, 5, 6]) -> (y: f32[4, 6]) { return einsum(\"ijk->ik\", a) }"},
      {"einsum_three_operands",
       "graph g(a: f32[3, 4], b: f32[4, 5], c: f32[5, 2]) -> (y: f32[3, 2]) "
       "{ return einsum(\"ij,jk,kl->il\", a, b, c) }"},

      // batch_norm (eval mode): running_var in [0.5, 1.5] from the harness' weights.
      {"batch_norm",
       "graph g(x: f32[2, 5, 4, 3]) -> (y: f32[2, 5, 4, 3]) { return batch_norm(x, bn) }"},
      {"batch_norm_eps_rank2",
       "graph g(x: f32[6, 5], z: f32[2, 3, 7]) -> (y: f32[6, 5], w: f32[2, 3, 7]) "
       "{ return batch_norm(x, bn1, eps = 0.1), batch_norm(z, bn2, eps = 1e-3) }"},

      // A ResNet stem: conv 7x7/2 -> batch norm -> relu -> max pool 3x3/2 -> argmax.
      {"resnet_stem",
       "graph g(x: f32[1, 3, 32, 28]) -> (y: f32[1, 8, 8, 7], k: i64[1, 8, 7]) {\n"
       "  h = relu(batch_norm(conv2d(x, conv1, out = 8, kernel = 7, stride = 2, padding = 3, "
       "bias = false), bn1))\n"
       "  p = max_pool2d(h, 3, stride = 2, padding = 1)\n"
       "  return p, argmax(p, 1) }"},
  };
  return cases;
}

class OpE2ETest : public E2ETest, public ::testing::WithParamInterface<OpCase> {};

TEST_P(OpE2ETest, MatchesInterpreter) {
  CheckOptions o;
  o.inputRanges = GetParam().ranges;
  o.intRanges = GetParam().ints;
  checkDSL(GetParam().source, o);
}

INSTANTIATE_TEST_SUITE_P(Ops, OpE2ETest, ::testing::ValuesIn(opCases()),
                         [](const ::testing::TestParamInfo<OpCase> &info) {
                           return std::string(info.param.name);
                         });

// batch_norm compiled without weights: the module's seeded fill must give running_var a
// positive range (rsqrt(var + eps) of a negative variance is NaN).
TEST_F(E2ETest, BatchNormSeededFill) {
  CheckOptions o;
  o.seededWeights = true;
  o.moduleSeed = 11;
  checkDSL("graph g(x: f32[2, 16, 3, 5]) -> (y: f32[2, 16, 3, 5]) { return batch_norm(x, bn) }", o);
}

// Dense and splat tess.constant values, which the DSL only produces as rank-0 splats: written
// directly in tess IR.
TEST_F(E2ETest, DenseAndSplatConstants) {
  check(fromMLIR(R"mlir(
    func.func @g(%x: tensor<2x3xf32> {tess.input = "x"}) -> (tensor<2x3xf32> {tess.output = "y"}) {
      %d = tess.constant dense<[[1.0, -2.0, 3.5], [0.25, 5.0, -6.0]]> : tensor<2x3xf32>
      %s = tess.constant dense<2.5> : tensor<2x3xf32>
      %r = tess.constant dense<[1.0, 10.0, 100.0]> : tensor<3xf32>
      %a = tess.mul %x, %d : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
      %b = tess.add %a, %s : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
      %c = tess.mul %b, %r : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
      return %c : tensor<2x3xf32>
    })mlir"));
}

// tess.attention written directly (the DSL only reaches it through the compiler's
// fuse-attention pass, after the interpreter has seen the unfused graph): checks the
// interpreter's attention against the compiled one.
TEST_F(E2ETest, AttentionPlain) {
  check(fromMLIR(R"mlir(
    func.func @g(%q: tensor<2x3x7x8xf32> {tess.input = "q"}, %k: tensor<2x3x9x8xf32> {tess.input = "k"},
                 %v: tensor<2x3x9x6xf32> {tess.input = "v"}) -> (tensor<2x3x7x6xf32> {tess.output = "y"}) {
      %e = tensor.empty() : tensor<2x3x7x6xf32>
      %o = tess.attention %q, %k, %v init(%e) {scale = 0.35355339059327373 : f64}
        : tensor<2x3x7x8xf32>, tensor<2x3x9x8xf32>, tensor<2x3x9x6xf32>, tensor<2x3x7x6xf32> -> tensor<2x3x7x6xf32>
      return %o : tensor<2x3x7x6xf32>
    })mlir"));
}

TEST_F(E2ETest, AttentionCausal) {
  check(fromMLIR(R"mlir(
    func.func @g(%q: tensor<2x8x4xf32> {tess.input = "q"}, %k: tensor<2x8x4xf32> {tess.input = "k"},
                 %v: tensor<2x8x5xf32> {tess.input = "v"}) -> (tensor<2x8x5xf32> {tess.output = "y"}) {
      %e = tensor.empty() : tensor<2x8x5xf32>
      %o = tess.attention %q, %k, %v init(%e) {causal = true, scale = 1.5 : f64}
        : tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x5xf32>, tensor<2x8x5xf32> -> tensor<2x8x5xf32>
      return %o : tensor<2x8x5xf32>
    })mlir"));
}

TEST_F(E2ETest, AttentionBiases) {
  CheckOptions o;
  o.inputRanges = {{"b1", {-3, 3}}, {"b2", {-3, 3}}};
  check(fromMLIR(R"mlir(
    func.func @g(%q: tensor<2x6x4xf32> {tess.input = "q"}, %k: tensor<2x5x4xf32> {tess.input = "k"},
                 %v: tensor<2x5x3xf32> {tess.input = "v"}, %b1: tensor<2x6x1xf32> {tess.input = "b1"},
                 %b2: tensor<5xf32> {tess.input = "b2"}) -> (tensor<2x6x3xf32> {tess.output = "y"}) {
      %e = tensor.empty() : tensor<2x6x3xf32>
      %o = tess.attention %q, %k, %v bias(%b1, %b2 : tensor<2x6x1xf32>, tensor<5xf32>) init(%e) {scale = 2.0 : f64}
        : tensor<2x6x4xf32>, tensor<2x5x4xf32>, tensor<2x5x3xf32>, tensor<2x6x3xf32> -> tensor<2x6x3xf32>
      return %o : tensor<2x6x3xf32>
    })mlir"),
        o);
}

TEST_F(E2ETest, AttentionCausalBiases) {
  check(fromMLIR(R"mlir(
    func.func @g(%q: tensor<1x2x7x4xf32> {tess.input = "q"}, %k: tensor<1x2x7x4xf32> {tess.input = "k"},
                 %v: tensor<1x2x7x4xf32> {tess.input = "v"}, %b: tensor<1x2x7x7xf32> {tess.input = "b"})
                 -> (tensor<1x2x7x4xf32> {tess.output = "y"}) {
      %e = tensor.empty() : tensor<1x2x7x4xf32>
      %o = tess.attention %q, %k, %v bias(%b : tensor<1x2x7x7xf32>) init(%e) {causal = true, scale = 0.5 : f64}
        : tensor<1x2x7x4xf32>, tensor<1x2x7x4xf32>, tensor<1x2x7x4xf32>, tensor<1x2x7x4xf32> -> tensor<1x2x7x4xf32>
      return %o : tensor<1x2x7x4xf32>
    })mlir"));
}

// Long key sequences: several key chunks of the attention kernel (online rescaling across
// chunks), head sizes that are not multiples of the vector width, a partial last query tile,
// a per-key bias, and scores large enough that the running maximum changes between chunks.
TEST_F(E2ETest, AttentionLongKeys) {
  CheckOptions o;
  o.inputRanges = {{"q", {-3, 3}}, {"k", {-3, 3}}, {"b", {-4, 4}}};
  check(fromMLIR(R"mlir(
    func.func @g(%q: tensor<2x50x24xf32> {tess.input = "q"}, %k: tensor<2x700x24xf32> {tess.input = "k"},
                 %v: tensor<2x700x20xf32> {tess.input = "v"}, %b: tensor<700xf32> {tess.input = "b"})
                 -> (tensor<2x50x20xf32> {tess.output = "y"}) {
      %e = tensor.empty() : tensor<2x50x20xf32>
      %o = tess.attention %q, %k, %v bias(%b : tensor<700xf32>) init(%e) {scale = 0.2 : f64}
        : tensor<2x50x24xf32>, tensor<2x700x24xf32>, tensor<2x700x20xf32>, tensor<2x50x20xf32> -> tensor<2x50x20xf32>
      return %o : tensor<2x50x20xf32>
    })mlir"),
        o);
}

TEST_F(E2ETest, AttentionLongCausal) {
  CheckOptions o;
  o.inputRanges = {{"q", {-2, 2}}, {"k", {-2, 2}}};
  check(fromMLIR(R"mlir(
    func.func @g(%q: tensor<1x600x16xf32> {tess.input = "q"}, %k: tensor<1x600x16xf32> {tess.input = "k"},
                 %v: tensor<1x600x32xf32> {tess.input = "v"}) -> (tensor<1x600x32xf32> {tess.output = "y"}) {
      %e = tensor.empty() : tensor<1x600x32xf32>
      %o = tess.attention %q, %k, %v init(%e) {causal = true, scale = 0.5 : f64}
        : tensor<1x600x16xf32>, tensor<1x600x16xf32>, tensor<1x600x32xf32>, tensor<1x600x32xf32> -> tensor<1x600x32xf32>
      return %o : tensor<1x600x32xf32>
    })mlir"),
        o);
}

} // namespace
} // namespace tessera::e2e
