// Small DSL graphs, each exercising one op (or one corner of it), compiled and checked against
// the reference interpreter (relative L2 error <= kRelTol = 1e-5 per output, threads 1 and 2).
#include "E2EHarness.h"

#include <ostream>
#include <vector>

namespace tessera::e2e {
namespace {

using Ranges = std::map<std::string, std::pair<float, float>>;

struct OpCase {
  const char *name;
  const char *source;
  Ranges ranges = {};
};

std::ostream &operator<<(std::ostream &os, const OpCase &c) { return os << c.name; }

// Elementwise cases use odd sizes (vector tails) and enough elements to split over workgroups.
const std::vector<OpCase> &opCases() {
  static const std::vector<OpCase> cases = {
      // Unary.
      {"relu", "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return relu(x) }"},
      {"exp", "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return exp(x) }", {{"x", {-3, 3}}}},
      {"sqrt", "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return sqrt(x) }",
       {{"x", {0.01f, 4}}}},
      {"rsqrt", "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return rsqrt(x) }",
       {{"x", {0.05f, 4}}}},
      {"neg", "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return neg(x) }"},
      {"neg_unary_minus", "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return -x }"},
      {"tanh", "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return tanh(x) }",
       {{"x", {-4, 4}}}},
      {"sigmoid", "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return sigmoid(x) }",
       {{"x", {-8, 8}}}},
      {"gelu_erf", "graph g(x: f32[37, 65]) -> (y: f32[37, 65]) { return gelu(x) }",
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
      {"div", "graph g(x: f32[9, 70], y: f32[9, 70]) -> (z: f32[9, 70]) { return x / y }",
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
      {"scalar_max_min",
       "graph g(x: f32[3, 4]) -> (a: f32[3, 4], b: f32[3, 4]) "
       "{ return maximum(x, 0.25), minimum(-0.5, x) }"},
      {"rank0_input",
       "graph g(s: f32[], x: f32[3, 4]) -> (a: f32[3, 4], b: f32[3, 4], c: f32[3, 4]) "
       "{ return x + s, s - x, maximum(s, x) }"},
      {"rank0_result", "graph g(s: f32[], t: f32[]) -> (z: f32[]) { return s * t + 1 }"},

      // Matmul.
      {"matmul", "graph g(a: f32[5, 7], b: f32[7, 3]) -> (c: f32[5, 3]) { return matmul(a, b) }"},
      {"matmul_transpose_a",
       "graph g(a: f32[7, 5], b: f32[7, 3]) -> (c: f32[5, 3]) "
       "{ return matmul(a, b, transpose_a = true) }"},
      {"matmul_transpose_b",
       "graph g(a: f32[5, 7], b: f32[3, 7]) -> (c: f32[5, 3]) "
       "{ return matmul(a, b, transpose_b = true) }"},
      {"matmul_transpose_both",
       "graph g(a: f32[7, 5], b: f32[3, 7]) -> (c: f32[5, 3]) "
       "{ return matmul(a, b, transpose_a = true, transpose_b = true) }"},
      {"matmul_batch_broadcast",
       "graph g(a: f32[2, 1, 5, 7], b: f32[3, 7, 4]) -> (c: f32[2, 3, 5, 4]) "
       "{ return matmul(a, b) }"},
      {"matmul_batch_broadcast_transposed",
       "graph g(a: f32[4, 7, 5], b: f32[1, 3, 7]) -> (c: f32[4, 5, 3]) "
       "{ return matmul(a, b, transpose_a = true, transpose_b = true) }"},
      {"matmul_batch_lhs_only",
       "graph g(a: f32[3, 5, 7], b: f32[7, 2]) -> (c: f32[3, 5, 2]) { return matmul(a, b) }"},
      {"matmul_batch_rhs_only",
       "graph g(a: f32[5, 7], b: f32[2, 3, 4, 7]) -> (c: f32[2, 3, 5, 4]) "
       "{ return matmul(a, b, transpose_b = true) }"},
      {"matmul_large",
       "graph g(a: f32[2, 33, 65], b: f32[2, 65, 17]) -> (c: f32[2, 33, 17]) "
       "{ return matmul(a, b) }"},

      // Linear.
      {"linear_bias",
       "graph g(x: f32[3, 4, 10]) -> (y: f32[3, 4, 6]) { return linear(x, fc, out = 6) }"},
      {"linear_no_bias",
       "graph g(x: f32[3, 4, 10]) -> (y: f32[3, 4, 6]) "
       "{ return linear(x, fc, out = 6, bias = false) }"},
      // COMPILER BUG (kept failing on purpose, see the report): for a rank-1 input the bias has
      // the result's shape and bufferization reuses the bias parameter as the matmul's
      // accumulator: the dispatch writes x.W^T + b into fc.bias. Run #1 is right; every later
      // run (and every later Session on the same Module) adds to the updated bias, and the
      // module's embedded constant bytes change. With `tessera run --weights` (read-only
      // mapping) it segfaults.
      {"linear_rank1", "graph g(x: f32[10]) -> (y: f32[6]) { return linear(x, fc, out = 6) }"},
      {"linear_declared",
       "param fc.weight: f32[6, 10]\n"
       "graph g(x: f32[5, 10]) -> (y: f32[5, 6]) { return linear(x, fc, bias = false) }"},

      // Reductions.
      {"sum",
       "graph g(x: f32[4, 5, 6]) -> (a: f32[4, 6], b: f32[5], c: f32[1, 5, 1], d: f32[], "
       "e: f32[4, 5, 1]) "
       "{ return sum(x, 1), sum(x, [0, 2]), sum(x, [0, 2], keepdims = true), sum(x), "
       "sum(x, -1, keepdims = true) }"},
      {"mean",
       "graph g(x: f32[4, 5, 6]) -> (a: f32[4, 5], b: f32[4, 1, 1], c: f32[], d: f32[1, 5, 6], "
       "e: f32[6]) "
       "{ return mean(x, -1), mean(x, [1, 2], keepdims = true), mean(x), "
       "mean(x, 0, keepdims = true), mean(x, [0, 1]) }"},
      {"max",
       "graph g(x: f32[4, 5, 6]) -> (a: f32[5, 6], b: f32[6], c: f32[4, 5, 1], d: f32[], "
       "e: f32[1, 1, 6]) "
       "{ return max(x, 0), max(x, [0, 1]), max(x, 2, keepdims = true), max(x), "
       "max(x, [1, 0], keepdims = true) }"},
      {"reduce_large",
       "graph g(x: f32[67, 129]) -> (a: f32[67], b: f32[129], c: f32[67]) "
       "{ return sum(x, 1), mean(x, 0), max(x, -1) }"},

      // Softmax.
      {"softmax_last", "graph g(x: f32[4, 5, 6]) -> (y: f32[4, 5, 6]) { return softmax(x) }",
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
      {"layer_norm_eps",
       "graph g(x: f32[3, 4, 24]) -> (a: f32[3, 4, 24], b: f32[3, 4, 24]) "
       "{ return layer_norm(x, eps = 0.1), layer_norm(x, ln, eps = 1e-6) }"},
      // Mean far from zero relative to the spread: needs a centred variance (error ~2e-6).
      {"layer_norm_large_mean",
       "graph g(x: f32[7, 40]) -> (y: f32[7, 40]) { return layer_norm(x, ln) }", {{"x", {9, 11}}}},
      {"layer_norm_offset",
       "graph g(x: f32[7, 40]) -> (y: f32[7, 40]) { return layer_norm(x + 3, ln) }"},

      // Reshape.
      {"reshape",
       "graph g(x: f32[4, 6, 5]) -> (a: f32[24, 5], b: f32[12, 10], c: f32[2, 4, 3, 5]) "
       "{ return reshape(x, [24, 5]), reshape(x, [-1, 10]), reshape(x, [2, -1, 3, 5]) }"},
      {"reshape_compute",
       "graph g(x: f32[4, 6, 5]) -> (a: f32[12, 10], b: f32[5, 24]) "
       "{ return reshape(relu(x), [-1, 10]) + 1, relu(reshape(x, [5, 24])) }"},

      // Transpose / permute.
      {"transpose_default",
       "graph g(x: f32[3, 4, 5]) -> (y: f32[3, 5, 4]) { return transpose(x) }"},
      {"permute",
       "graph g(x: f32[3, 4, 5]) -> (a: f32[5, 3, 4], b: f32[4, 3, 5], c: f32[5, 3, 4]) "
       "{ return permute(x, [2, 0, 1]), transpose(x, [1, 0, 2]), permute(x, [-1, 0, 1]) }"},
      {"permute_compute",
       "graph g(x: f32[3, 4, 5]) -> (a: f32[5, 3, 4], b: f32[4, 5, 3]) "
       "{ return relu(permute(x, [2, 0, 1])) * 2, permute(x * 2, [1, 2, 0]) }"},
      {"transpose_large",
       "graph g(x: f32[2, 37, 65]) -> (y: f32[65, 2, 37]) { return permute(x, [2, 0, 1]) + 1 }"},

      // Slicing.
      {"slice_2d",
       "graph g(x: f32[6, 7]) -> (a: f32[2, 4], b: f32[6], c: f32[7], d: f32[3], e: f32[5, 2], "
       "f: f32[3]) "
       "{ return x[1:3, ::2], x[:, 0], x[-1], x[-3:, -2], x[:-1, 1::3], x[0:5:2, 6] }"},
      {"slice_3d",
       "graph g(y: f32[4, 5, 6]) -> (a: f32[3, 2], b: f32[2, 2], c: f32[4, 5, 2]) "
       "{ return y[1, 2:, ::3], y[::2, -1, 1:5:2], y[:, :, 4:] }"},
      {"slice_compute",
       "graph g(x: f32[6, 7]) -> (a: f32[4, 5], b: f32[3, 7]) "
       "{ return relu(x[1:5, 2:]) + 1, x[::2] * x[1::2] }"},

      // Concat.
      {"concat3_middle",
       "graph g(a: f32[2, 3, 4], b: f32[2, 5, 4], c: f32[2, 1, 4]) -> (y: f32[2, 9, 4]) "
       "{ return concat(a, b, c, axis = 1) }"},
      {"concat_ends",
       "graph g(a: f32[2, 3, 4]) -> (x: f32[4, 3, 4], y: f32[2, 3, 12]) "
       "{ return concat(a, a * 2), concat(relu(a), neg(a), a, axis = -1) }"},

      // Outputs that are (parts of) inputs, parameters or constants: the copy paths.
      {"identity", "graph g(x: f32[3, 4]) -> (y: f32[3, 4]) { return x }"},
      {"identity_twice",
       "graph g(x: f32[3, 4]) -> (y: f32[3, 4], z: f32[3, 4], w: f32[3, 4]) "
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
      {"param_bias_add",
       "param b: f32[6]\n"
       "graph g(x: f32[6]) -> (y: f32[6], z: f32[6]) { return x + b, b - x }"},
      {"layer_norm_rank1", "graph g(x: f32[40]) -> (y: f32[40]) { return layer_norm(x, ln) }"},
      {"concat_param",
       "param w: f32[2, 3]\n"
       "graph g(x: f32[2, 3]) -> (y: f32[4, 3]) { return concat(w, x) }"},
      {"output_constant",
       "graph g(x: f32[4, 5]) -> (y: f32[4, 5], c: f32[]) { return x + 1, 2.5 }"},
  };
  return cases;
}

class OpE2ETest : public E2ETest, public ::testing::WithParamInterface<OpCase> {};

TEST_P(OpE2ETest, MatchesInterpreter) {
  CheckOptions o;
  o.inputRanges = GetParam().ranges;
  checkDSL(GetParam().source, o);
}

INSTANTIATE_TEST_SUITE_P(Ops, OpE2ETest, ::testing::ValuesIn(opCases()),
                         [](const ::testing::TestParamInfo<OpCase> &info) {
                           return std::string(info.param.name);
                         });

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

} // namespace
} // namespace tessera::e2e
