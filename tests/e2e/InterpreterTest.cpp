// The reference interpreter on its own, against hand-computed values: the e2e tests trust it,
// so it is checked independently of the compiler.
#include "E2EHarness.h"

#include "tessera/ir/Interpreter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cmath>

using namespace mlir;

namespace tessera::e2e {
namespace {

using tess::NDArray;
using Values = std::map<std::string, NDArray>;

class InterpreterTest : public E2ETest {
protected:
  /// Interprets the only function of tess IR `text`.
  std::vector<NDArray> run(const std::string &text, const Values &values) {
    module_ = fromMLIR(text);
    if (!module_)
      return {};
    auto result = tess::interpretGraph(*module_->getOps<func::FuncOp>().begin(), values);
    if (!result) {
      ADD_FAILURE() << llvm::toString(result.takeError());
      return {};
    }
    return std::move(*result);
  }

  std::string error(const std::string &text, const Values &values) {
    module_ = fromMLIR(text);
    if (!module_)
      return "";
    auto result = tess::interpretGraph(*module_->getOps<func::FuncOp>().begin(), values);
    if (result) {
      ADD_FAILURE() << "expected an error";
      return "";
    }
    return llvm::toString(result.takeError());
  }

  OwningOpRef<ModuleOp> module_;
};

void expectArray(const NDArray &got, const std::vector<int64_t> &shape,
                 const std::vector<double> &data, double tol = 1e-12) {
  EXPECT_EQ(got.shape, shape);
  ASSERT_EQ(got.data.size(), data.size());
  for (size_t i = 0; i < data.size(); ++i)
    EXPECT_NEAR(got.data[i], data[i], tol) << "element " << i;
}

TEST_F(InterpreterTest, Unary) {
  auto out = run(R"mlir(
    func.func @g(%x: tensor<2xf32> {tess.input = "x"})
        -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>,
            tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
      %0 = tess.relu %x : tensor<2xf32>
      %1 = tess.exp %x : tensor<2xf32>
      %2 = tess.sqrt %x : tensor<2xf32>
      %3 = tess.rsqrt %x : tensor<2xf32>
      %4 = tess.neg %x : tensor<2xf32>
      %5 = tess.tanh %x : tensor<2xf32>
      %6 = tess.sigmoid %x : tensor<2xf32>
      %7 = tess.gelu %x : tensor<2xf32>
      %8 = tess.gelu %x {approximate = "tanh"} : tensor<2xf32>
      %9 = tess.gelu %x {approximate = "sigmoid"} : tensor<2xf32>
      return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9 : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>,
          tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>,
          tensor<2xf32>, tensor<2xf32>
    })mlir",
                 {{"x", NDArray({2}, {1.0, 4.0})}});
  ASSERT_EQ(out.size(), 10u);
  expectArray(out[0], {2}, {1, 4});
  expectArray(out[1], {2}, {std::exp(1.0), std::exp(4.0)});
  expectArray(out[2], {2}, {1, 2});
  expectArray(out[3], {2}, {1, 0.5});
  expectArray(out[4], {2}, {-1, -4});
  expectArray(out[5], {2}, {std::tanh(1.0), std::tanh(4.0)});
  expectArray(out[6], {2}, {1 / (1 + std::exp(-1.0)), 1 / (1 + std::exp(-4.0))});
  // Reference values from Python's math module.
  EXPECT_NEAR(out[7].data[0], 0.8413447460685429, 1e-15);
  EXPECT_NEAR(out[8].data[0], 0.8411919906082768, 1e-15);
  EXPECT_NEAR(out[9].data[0], 0.8457957659328212, 1e-15);

  auto neg = run(R"mlir(
    func.func @g(%x: tensor<2xf32> {tess.input = "x"}) -> (tensor<2xf32>, tensor<2xf32>) {
      %0 = tess.relu %x : tensor<2xf32>
      %1 = tess.gelu %x : tensor<2xf32>
      return %0, %1 : tensor<2xf32>, tensor<2xf32>
    })mlir",
                 {{"x", NDArray({2}, {-0.5, 0.0})}});
  ASSERT_EQ(neg.size(), 2u);
  expectArray(neg[0], {2}, {0, 0});
  EXPECT_NEAR(neg[1].data[0], -0.15426876936299344, 1e-15);
}

TEST_F(InterpreterTest, BinaryBroadcast) {
  auto out = run(R"mlir(
    func.func @g(%x: tensor<2x1xf32> {tess.input = "x"}, %y: tensor<3xf32> {tess.input = "y"},
                 %s: tensor<f32> {tess.input = "s"})
        -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>,
            tensor<2x3xf32>, tensor<3xf32>) {
      %0 = tess.add %x, %y : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x3xf32>
      %1 = tess.sub %x, %y : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x3xf32>
      %2 = tess.mul %y, %x : tensor<3xf32>, tensor<2x1xf32> -> tensor<2x3xf32>
      %3 = tess.div %x, %y : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x3xf32>
      %4 = tess.max %x, %y : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x3xf32>
      %5 = tess.min %x, %y : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x3xf32>
      %6 = tess.sub %s, %y : tensor<f32>, tensor<3xf32> -> tensor<3xf32>
      return %0, %1, %2, %3, %4, %5, %6 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>,
          tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<3xf32>
    })mlir",
                 {{"x", NDArray({2, 1}, {1, 20})},
                  {"y", NDArray({3}, {10, 20, 40})},
                  {"s", NDArray({}, {100})}});
  ASSERT_EQ(out.size(), 7u);
  expectArray(out[0], {2, 3}, {11, 21, 41, 30, 40, 60});
  expectArray(out[1], {2, 3}, {-9, -19, -39, 10, 0, -20});
  expectArray(out[2], {2, 3}, {10, 20, 40, 200, 400, 800});
  expectArray(out[3], {2, 3}, {0.1, 0.05, 0.025, 2, 1, 0.5});
  expectArray(out[4], {2, 3}, {10, 20, 40, 20, 20, 40});
  expectArray(out[5], {2, 3}, {1, 1, 1, 10, 20, 20});
  expectArray(out[6], {3}, {90, 80, 60});
}

TEST_F(InterpreterTest, Constants) {
  auto out = run(R"mlir(
    func.func @g() -> (tensor<2x2xf32>, tensor<3xf32>, tensor<f32>) {
      %0 = tess.constant dense<[[1.0, 2.0], [3.0, -4.5]]> : tensor<2x2xf32>
      %1 = tess.constant dense<0.25> : tensor<3xf32>
      %2 = tess.constant dense<7.0> : tensor<f32>
      return %0, %1, %2 : tensor<2x2xf32>, tensor<3xf32>, tensor<f32>
    })mlir",
                 {});
  ASSERT_EQ(out.size(), 3u);
  expectArray(out[0], {2, 2}, {1, 2, 3, -4.5});
  expectArray(out[1], {3}, {0.25, 0.25, 0.25});
  expectArray(out[2], {}, {7});
}

TEST_F(InterpreterTest, Matmul) {
  // a = [[1,2,3],[4,5,6]], b = [[7,8],[9,10],[11,12]], a @ b = [[58,64],[139,154]].
  NDArray a({2, 3}, {1, 2, 3, 4, 5, 6}), aT({3, 2}, {1, 4, 2, 5, 3, 6});
  NDArray b({3, 2}, {7, 8, 9, 10, 11, 12}), bT({2, 3}, {7, 9, 11, 8, 10, 12});
  NDArray a2({2, 2, 3}, {1, 2, 3, 4, 5, 6, 2, 4, 6, 8, 10, 12});
  auto out = run(R"mlir(
    func.func @g(%a: tensor<2x3xf32> {tess.input = "a"}, %aT: tensor<3x2xf32> {tess.input = "aT"},
                 %b: tensor<3x2xf32> {tess.input = "b"}, %bT: tensor<2x3xf32> {tess.input = "bT"},
                 %a2: tensor<2x2x3xf32> {tess.input = "a2"})
        -> (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2x2xf32>) {
      %0 = tess.matmul %a, %b : tensor<2x3xf32>, tensor<3x2xf32> -> tensor<2x2xf32>
      %1 = tess.matmul %aT, %b {transpose_lhs = true} : tensor<3x2xf32>, tensor<3x2xf32> -> tensor<2x2xf32>
      %2 = tess.matmul %a, %bT {transpose_rhs = true} : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x2xf32>
      %3 = tess.matmul %aT, %bT {transpose_lhs = true, transpose_rhs = true}
          : tensor<3x2xf32>, tensor<2x3xf32> -> tensor<2x2xf32>
      %4 = tess.matmul %a2, %b : tensor<2x2x3xf32>, tensor<3x2xf32> -> tensor<2x2x2xf32>
      return %0, %1, %2, %3, %4 : tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>,
          tensor<2x2x2xf32>
    })mlir",
                 {{"a", a}, {"aT", aT}, {"b", b}, {"bT", bT}, {"a2", a2}});
  ASSERT_EQ(out.size(), 5u);
  for (int i = 0; i < 4; ++i)
    expectArray(out[i], {2, 2}, {58, 64, 139, 154});
  expectArray(out[4], {2, 2, 2}, {58, 64, 139, 154, 116, 128, 278, 308});
}

TEST_F(InterpreterTest, Linear) {
  auto out = run(R"mlir(
    func.func @g(%x: tensor<2x3xf32> {tess.input = "x"}, %w: tensor<2x3xf32> {tess.param = "w"},
                 %b: tensor<2xf32> {tess.param = "b"}) -> (tensor<2x2xf32>, tensor<2x2xf32>) {
      %0 = tess.linear %x, %w, %b : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xf32> -> tensor<2x2xf32>
      %1 = tess.linear %x, %w : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x2xf32>
      return %0, %1 : tensor<2x2xf32>, tensor<2x2xf32>
    })mlir",
                 {{"x", NDArray({2, 3}, {1, 2, 3, 4, 5, 6})},
                  {"w", NDArray({2, 3}, {1, 0, -1, 2, 1, 0})},
                  {"b", NDArray({2}, {10, 20})}});
  ASSERT_EQ(out.size(), 2u);
  expectArray(out[0], {2, 2}, {8, 24, 8, 33});
  expectArray(out[1], {2, 2}, {-2, 4, -2, 13});
}

TEST_F(InterpreterTest, Reductions) {
  // x = [[1,5,3],[4,2,6]]
  auto out = run(R"mlir(
    func.func @g(%x: tensor<2x3xf32> {tess.input = "x"})
        -> (tensor<3xf32>, tensor<2x1xf32>, tensor<f32>, tensor<2xf32>, tensor<1x3xf32>,
            tensor<1x1xf32>) {
      %0 = tess.reduce_sum %x {axes = array<i64: 0>} : tensor<2x3xf32> -> tensor<3xf32>
      %1 = tess.reduce_sum %x {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
      %2 = tess.reduce_mean %x {axes = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<f32>
      %3 = tess.reduce_max %x {axes = array<i64: 1>} : tensor<2x3xf32> -> tensor<2xf32>
      %4 = tess.reduce_max %x {axes = array<i64: 0>, keepdims = true} : tensor<2x3xf32> -> tensor<1x3xf32>
      %5 = tess.reduce_mean %x {axes = array<i64: 1, 0>, keepdims = true} : tensor<2x3xf32> -> tensor<1x1xf32>
      return %0, %1, %2, %3, %4, %5 : tensor<3xf32>, tensor<2x1xf32>, tensor<f32>, tensor<2xf32>,
          tensor<1x3xf32>, tensor<1x1xf32>
    })mlir",
                 {{"x", NDArray({2, 3}, {1, 5, 3, 4, 2, 6})}});
  ASSERT_EQ(out.size(), 6u);
  expectArray(out[0], {3}, {5, 7, 9});
  expectArray(out[1], {2, 1}, {9, 12});
  expectArray(out[2], {}, {3.5});
  expectArray(out[3], {2}, {5, 6});
  expectArray(out[4], {1, 3}, {4, 5, 6});
  expectArray(out[5], {1, 1}, {3.5});
}

TEST_F(InterpreterTest, SoftmaxAndLayerNorm) {
  auto out = run(R"mlir(
    func.func @g(%x: tensor<3x1xf32> {tess.input = "x"}, %r: tensor<1x4xf32> {tess.input = "r"},
                 %w: tensor<4xf32> {tess.param = "w"}, %b: tensor<4xf32> {tess.param = "b"})
        -> (tensor<3x1xf32>, tensor<3x1xf32>, tensor<1x4xf32>, tensor<1x4xf32>) {
      %0 = tess.softmax %x {axis = 0 : i64} : tensor<3x1xf32>
      %1 = tess.softmax %x {axis = 1 : i64} : tensor<3x1xf32>
      %2 = tess.layer_norm %r weight %w bias %b {eps = 1.0e-05 : f64}
          : tensor<1x4xf32>, tensor<4xf32>, tensor<4xf32> -> tensor<1x4xf32>
      %3 = tess.layer_norm %r {eps = 1.0e-05 : f64} : tensor<1x4xf32> -> tensor<1x4xf32>
      return %0, %1, %2, %3 : tensor<3x1xf32>, tensor<3x1xf32>, tensor<1x4xf32>, tensor<1x4xf32>
    })mlir",
                 {{"x", NDArray({3, 1}, {1, 2, 3})},
                  {"r", NDArray({1, 4}, {1, 2, 3, 4})},
                  {"w", NDArray({4}, {1, 2, 1, 1})},
                  {"b", NDArray({4}, {0, 0, 0, 1})}});
  ASSERT_EQ(out.size(), 4u);
  expectArray(out[0], {3, 1}, {0.09003057317038046, 0.24472847105479764, 0.6652409557748218});
  expectArray(out[1], {3, 1}, {1, 1, 1});
  double s = 1 / std::sqrt(1.25 + 1e-5); // mean 2.5, biased variance 1.25
  expectArray(out[2], {1, 4}, {-1.5 * s, -0.5 * s * 2, 0.5 * s, 1.5 * s + 1});
  expectArray(out[3], {1, 4}, {-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s});
}

TEST_F(InterpreterTest, DataMovement) {
  std::vector<double> iota24(24), iota20(20);
  for (int i = 0; i < 24; ++i)
    iota24[i] = i;
  for (int i = 0; i < 20; ++i)
    iota20[i] = i;
  auto out = run(R"mlir(
    func.func @g(%x: tensor<2x3x4xf32> {tess.input = "x"}, %y: tensor<4x5xf32> {tess.input = "y"},
                 %p: tensor<2x1xf32> {tess.input = "p"}, %q: tensor<2x2xf32> {tess.input = "q"})
        -> (tensor<4x2x3xf32>, tensor<2x3xf32>, tensor<6x4xf32>, tensor<2x3xf32>, tensor<2x4xf32>) {
      %0 = tess.transpose %x {permutation = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
      %1 = tess.slice %y {starts = array<i64: 1, 0>, limits = array<i64: 4, 5>, strides = array<i64: 2, 2>}
          : tensor<4x5xf32> -> tensor<2x3xf32>
      %2 = tess.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
      %3 = tess.concat %p, %q {axis = 1 : i64} : tensor<2x1xf32>, tensor<2x2xf32> -> tensor<2x3xf32>
      %4 = tess.concat %q, %p, %p {axis = 1 : i64}
          : tensor<2x2xf32>, tensor<2x1xf32>, tensor<2x1xf32> -> tensor<2x4xf32>
      return %0, %1, %2, %3, %4 : tensor<4x2x3xf32>, tensor<2x3xf32>, tensor<6x4xf32>,
          tensor<2x3xf32>, tensor<2x4xf32>
    })mlir",
                 {{"x", NDArray({2, 3, 4}, iota24)},
                  {"y", NDArray({4, 5}, iota20)},
                  {"p", NDArray({2, 1}, {1, 2})},
                  {"q", NDArray({2, 2}, {3, 4, 5, 6})}});
  ASSERT_EQ(out.size(), 5u);
  // result[j0, j1, j2] = x[j1, j2, j0] = 12 j1 + 4 j2 + j0
  std::vector<double> t;
  for (int j0 = 0; j0 < 4; ++j0)
    for (int j1 = 0; j1 < 2; ++j1)
      for (int j2 = 0; j2 < 3; ++j2)
        t.push_back(12 * j1 + 4 * j2 + j0);
  expectArray(out[0], {4, 2, 3}, t);
  expectArray(out[1], {2, 3}, {5, 7, 9, 15, 17, 19});
  expectArray(out[2], {6, 4}, iota24);
  expectArray(out[3], {2, 3}, {1, 3, 4, 2, 5, 6});
  expectArray(out[4], {2, 4}, {3, 4, 1, 1, 5, 6, 2, 2});
}

TEST_F(InterpreterTest, NewUnaryAndPow) {
  auto out = run(R"mlir(
    func.func @g(%x: tensor<3xf32> {tess.input = "x"}, %y: tensor<3xf32> {tess.input = "y"})
        -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>,
            tensor<3xf32>, tensor<3xf32>) {
      %0 = tess.sin %x : tensor<3xf32>
      %1 = tess.cos %x : tensor<3xf32>
      %2 = tess.floor %x : tensor<3xf32>
      %3 = tess.log %x : tensor<3xf32>
      %4 = tess.abs %x : tensor<3xf32>
      %5 = tess.pow %x, %y : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
      %two = tess.constant dense<2.0> : tensor<f32>
      %6 = tess.pow %two, %x : tensor<f32>, tensor<3xf32> -> tensor<3xf32>
      return %0, %1, %2, %3, %4, %5, %6 : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>,
          tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
    })mlir",
                 {{"x", NDArray({3}, {-1.5, 0.25, 4})}, {"y", NDArray({3}, {3, 0.5, -0.5})}});
  ASSERT_EQ(out.size(), 7u);
  expectArray(out[0], {3}, {std::sin(-1.5), std::sin(0.25), std::sin(4.0)});
  expectArray(out[1], {3}, {std::cos(-1.5), std::cos(0.25), std::cos(4.0)});
  expectArray(out[2], {3}, {-2, 0, 4});
  EXPECT_TRUE(std::isnan(out[3].data[0]));
  EXPECT_NEAR(out[3].data[1], std::log(0.25), 1e-15);
  EXPECT_NEAR(out[3].data[2], std::log(4.0), 1e-15);
  expectArray(out[4], {3}, {1.5, 0.25, 4});
  expectArray(out[5], {3}, {-3.375, 0.5, 0.5});
  expectArray(out[6], {3}, {std::pow(2.0, -1.5), std::pow(2.0, 0.25), 16});
}

TEST_F(InterpreterTest, CompareAndSelect) {
  double nan = std::nan("");
  auto out = run(R"mlir(
    func.func @g(%a: tensor<4xf32> {tess.input = "a"}, %b: tensor<4xf32> {tess.input = "b"},
                 %i: tensor<2x1xi32> {tess.input = "i"}, %j: tensor<3xi32> {tess.input = "j"})
        -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>,
            tensor<2x3xi1>, tensor<2x3xi32>, tensor<4xf32>) {
      %0 = tess.compare "lt", %a, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xi1>
      %1 = tess.compare "le", %a, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xi1>
      %2 = tess.compare "gt", %a, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xi1>
      %3 = tess.compare "ge", %a, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xi1>
      %4 = tess.compare "eq", %a, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xi1>
      %5 = tess.compare "ne", %a, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xi1>
      %6 = tess.compare "lt", %i, %j : tensor<2x1xi32>, tensor<3xi32> -> tensor<2x3xi1>
      %zero = tess.constant dense<0> : tensor<i32>
      %7 = tess.select %6, %j, %zero : tensor<2x3xi1>, tensor<3xi32>, tensor<i32> -> tensor<2x3xi32>
      %8 = tess.select %5, %a, %b : tensor<4xi1>, tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
      return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>,
          tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<2x3xi1>, tensor<2x3xi32>, tensor<4xf32>
    })mlir",
                 {{"a", NDArray({4}, {1, 2, 3, nan})},
                  {"b", NDArray({4}, {2, 2, 2, 2})},
                  {"i", NDArray({2, 1}, {-1, 5})},
                  {"j", NDArray({3}, {-3, 0, 7})}});
  ASSERT_EQ(out.size(), 9u);
  expectArray(out[0], {4}, {1, 0, 0, 0});
  expectArray(out[1], {4}, {1, 1, 0, 0});
  expectArray(out[2], {4}, {0, 0, 1, 0});
  expectArray(out[3], {4}, {0, 1, 1, 0});
  expectArray(out[4], {4}, {0, 1, 0, 0});
  expectArray(out[5], {4}, {1, 0, 1, 1}); // NaN != 2
  expectArray(out[6], {2, 3}, {0, 1, 1, 0, 0, 1});
  expectArray(out[7], {2, 3}, {0, 0, 7, 0, 0, 7});
  EXPECT_EQ(out[8].data[0], 1);
  EXPECT_EQ(out[8].data[1], 2);
  EXPECT_EQ(out[8].data[2], 3);
  EXPECT_TRUE(std::isnan(out[8].data[3]));
}

TEST_F(InterpreterTest, Cast) {
  auto out = run(R"mlir(
    func.func @g(%x: tensor<5xf32> {tess.input = "x"}, %l: tensor<4xi64> {tess.input = "l"},
                 %i: tensor<3xi32> {tess.input = "i"})
        -> (tensor<5xi32>, tensor<5xi64>, tensor<5xi1>, tensor<4xi32>, tensor<4xf32>, tensor<4xi1>,
            tensor<3xi64>, tensor<5xf32>, tensor<5xi32>) {
      %0 = tess.cast %x : tensor<5xf32> -> tensor<5xi32>
      %1 = tess.cast %x : tensor<5xf32> -> tensor<5xi64>
      %2 = tess.cast %x : tensor<5xf32> -> tensor<5xi1>
      %3 = tess.cast %l : tensor<4xi64> -> tensor<4xi32>
      %4 = tess.cast %l : tensor<4xi64> -> tensor<4xf32>
      %5 = tess.cast %l : tensor<4xi64> -> tensor<4xi1>
      %6 = tess.cast %i : tensor<3xi32> -> tensor<3xi64>
      %7 = tess.cast %2 : tensor<5xi1> -> tensor<5xf32>
      %8 = tess.cast %2 : tensor<5xi1> -> tensor<5xi32>
      return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<5xi32>, tensor<5xi64>, tensor<5xi1>,
          tensor<4xi32>, tensor<4xf32>, tensor<4xi1>, tensor<3xi64>, tensor<5xf32>, tensor<5xi32>
    })mlir",
                 {{"x", NDArray({5}, {-2.75, -0.5, 0.0, 0.5, 2.75})},
                  {"l", NDArray({4}, {4294967297.0, 2147483648.0, 16777217.0, -2})},
                  {"i", NDArray({3}, {-5, 0, 2147483647})}});
  ASSERT_EQ(out.size(), 9u);
  expectArray(out[0], {5}, {-2, 0, 0, 0, 2}); // toward zero
  expectArray(out[1], {5}, {-2, 0, 0, 0, 2});
  expectArray(out[2], {5}, {1, 1, 0, 1, 1});                            // != 0
  expectArray(out[3], {4}, {1, -2147483648.0, 16777217, -2});           // low 32 bits
  expectArray(out[4], {4}, {4294967296.0, 2147483648.0, 16777216, -2}); // nearest f32
  expectArray(out[5], {4}, {1, 1, 1, 1});
  expectArray(out[6], {3}, {-5, 0, 2147483647});
  expectArray(out[7], {5}, {1, 1, 0, 1, 1});
  expectArray(out[8], {5}, {1, 1, 0, 1, 1});
}

TEST_F(InterpreterTest, IotaAndBroadcastTo) {
  auto out = run(R"mlir(
    func.func @g(%x: tensor<3x1xf32> {tess.input = "x"})
        -> (tensor<2x3xi32>, tensor<2x3xf32>, tensor<2x3xi1>, tensor<2x3x2xf32>) {
      %0 = tess.iota {axis = 1 : i64} : tensor<2x3xi32>
      %1 = tess.iota {axis = 0 : i64} : tensor<2x3xf32>
      %2 = tess.iota {axis = 1 : i64} : tensor<2x3xi1>
      %3 = tess.broadcast_to %x : tensor<3x1xf32> -> tensor<2x3x2xf32>
      return %0, %1, %2, %3 : tensor<2x3xi32>, tensor<2x3xf32>, tensor<2x3xi1>, tensor<2x3x2xf32>
    })mlir",
                 {{"x", NDArray({3, 1}, {1, 2, 3})}});
  ASSERT_EQ(out.size(), 4u);
  expectArray(out[0], {2, 3}, {0, 1, 2, 0, 1, 2});
  expectArray(out[1], {2, 3}, {0, 0, 0, 1, 1, 1});
  expectArray(out[2], {2, 3}, {0, 1, 1, 0, 1, 1});
  expectArray(out[3], {2, 3, 2}, {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
}

TEST_F(InterpreterTest, Gather) {
  std::vector<double> iota12(12);
  for (int i = 0; i < 12; ++i)
    iota12[i] = i;
  auto out = run(R"mlir(
    func.func @g(%x: tensor<4x3xf32> {tess.input = "x"}, %i: tensor<4xi32> {tess.input = "i"},
                 %j: tensor<2x2xi64> {tess.input = "j"}, %s: tensor<i64> {tess.input = "s"})
        -> (tensor<4x3xf32>, tensor<4x2x2xf32>, tensor<3xf32>) {
      %0 = tess.gather %x[%i] {axis = 0 : i64} : tensor<4x3xf32>, tensor<4xi32> -> tensor<4x3xf32>
      %1 = tess.gather %x[%j] {axis = 1 : i64} : tensor<4x3xf32>, tensor<2x2xi64> -> tensor<4x2x2xf32>
      %2 = tess.gather %x[%s] {axis = 0 : i64} : tensor<4x3xf32>, tensor<i64> -> tensor<3xf32>
      return %0, %1, %2 : tensor<4x3xf32>, tensor<4x2x2xf32>, tensor<3xf32>
    })mlir",
                 {{"x", NDArray({4, 3}, iota12)},
                  {"i", NDArray({4}, {-1, 2, 3, 7})},
                  {"j", NDArray({2, 2}, {2, -5, 1, 9})},
                  {"s", NDArray({}, {2})}});
  ASSERT_EQ(out.size(), 3u);
  // rows clamp(-1) = 0, 2, 3, clamp(7) = 3
  expectArray(out[0], {4, 3}, {0, 1, 2, 6, 7, 8, 9, 10, 11, 9, 10, 11});
  // x[a, clamp(j)]: columns 2, 0, 1, 2 of each row
  expectArray(out[1], {4, 2, 2}, {2, 0, 1, 2, 5, 3, 4, 5, 8, 6, 7, 8, 11, 9, 10, 11});
  expectArray(out[2], {3}, {6, 7, 8});
}

TEST_F(InterpreterTest, ArgMaxArgMin) {
  double nan = std::nan("");
  auto out =
      run(R"mlir(
    func.func @g(%x: tensor<2x4xf32> {tess.input = "x"}, %n: tensor<3xf32> {tess.input = "n"})
        -> (tensor<2xi64>, tensor<2xi64>, tensor<1x4xi64>, tensor<4xi64>, tensor<2x1xi64>,
            tensor<i64>, tensor<i64>) {
      %0 = tess.argmax %x {axis = 1 : i64} : tensor<2x4xf32> -> tensor<2xi64>
      %1 = tess.argmin %x {axis = 1 : i64} : tensor<2x4xf32> -> tensor<2xi64>
      %2 = tess.argmax %x {axis = 0 : i64, keepdims = true} : tensor<2x4xf32> -> tensor<1x4xi64>
      %3 = tess.argmin %x {axis = 0 : i64} : tensor<2x4xf32> -> tensor<4xi64>
      %4 = tess.argmax %x {axis = 1 : i64, keepdims = true} : tensor<2x4xf32> -> tensor<2x1xi64>
      %5 = tess.argmax %n {axis = 0 : i64} : tensor<3xf32> -> tensor<i64>
      %6 = tess.argmin %n {axis = 0 : i64} : tensor<3xf32> -> tensor<i64>
      return %0, %1, %2, %3, %4, %5, %6 : tensor<2xi64>, tensor<2xi64>, tensor<1x4xi64>,
          tensor<4xi64>, tensor<2x1xi64>, tensor<i64>, tensor<i64>
    })mlir",
          {{"x", NDArray({2, 4}, {1, 3, 3, 0, 2, 2, -1, -1})}, {"n", NDArray({3}, {nan, 5, 1})}});
  ASSERT_EQ(out.size(), 7u);
  expectArray(out[0], {2}, {1, 0}); // first index on ties
  expectArray(out[1], {2}, {3, 2});
  expectArray(out[2], {1, 4}, {1, 0, 0, 0});
  expectArray(out[3], {4}, {0, 1, 1, 1});
  expectArray(out[4], {2, 1}, {1, 0});
  expectArray(out[5], {}, {1}); // NaN is never the extreme
  expectArray(out[6], {}, {2});
}

TEST_F(InterpreterTest, Conv2dAndMaxPool) {
  std::vector<double> x9(9), neg12(12);
  for (int i = 0; i < 9; ++i)
    x9[i] = i + 1;
  for (int i = 0; i < 12; ++i)
    neg12[i] = -(i + 1);
  auto out = run(R"mlir(
    func.func @g(%x: tensor<1x1x3x3xf32> {tess.input = "x"}, %w: tensor<1x1x2x2xf32> {tess.param = "w"},
                 %b: tensor<1xf32> {tess.param = "b"}, %c: tensor<1x2x1x1xf32> {tess.input = "c"},
                 %wg: tensor<2x1x1x1xf32> {tess.param = "wg"}, %wf: tensor<2x2x1x1xf32> {tess.param = "wf"},
                 %m: tensor<1x1x3x4xf32> {tess.input = "m"})
        -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, tensor<1x2x1x1xf32>,
            tensor<1x2x1x1xf32>, tensor<1x1x2x3xf32>, tensor<1x1x1x2xf32>) {
      %0 = tess.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>}
          : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
      %1 = tess.conv2d %x, %w, %b {strides = array<i64: 2, 2>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>}
          : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>, tensor<1xf32> -> tensor<1x1x2x2xf32>
      %2 = tess.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 2, 2>}
          : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x1x1xf32>
      %3 = tess.conv2d %c, %wg {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 2}
          : tensor<1x2x1x1xf32>, tensor<2x1x1x1xf32> -> tensor<1x2x1x1xf32>
      %4 = tess.conv2d %c, %wf {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>}
          : tensor<1x2x1x1xf32>, tensor<2x2x1x1xf32> -> tensor<1x2x1x1xf32>
      %5 = tess.max_pool2d %m {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1>}
          : tensor<1x1x3x4xf32> -> tensor<1x1x2x3xf32>
      %6 = tess.max_pool2d %m {kernel = array<i64: 3, 2>, strides = array<i64: 1, 2>, padding = array<i64: 0, 0>}
          : tensor<1x1x3x4xf32> -> tensor<1x1x1x2xf32>
      return %0, %1, %2, %3, %4, %5, %6 : tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>,
          tensor<1x1x1x1xf32>, tensor<1x2x1x1xf32>, tensor<1x2x1x1xf32>, tensor<1x1x2x3xf32>,
          tensor<1x1x1x2xf32>
    })mlir",
                 {{"x", NDArray({1, 1, 3, 3}, x9)},
                  {"w", NDArray({1, 1, 2, 2}, {1, 0, 0, 1})},
                  {"b", NDArray({1}, {10})},
                  {"c", NDArray({1, 2, 1, 1}, {1, 10})},
                  {"wg", NDArray({2, 1, 1, 1}, {2, 3})},
                  {"wf", NDArray({2, 2, 1, 1}, {1, 1, 2, 0})},
                  {"m", NDArray({1, 1, 3, 4}, neg12)}});
  ASSERT_EQ(out.size(), 7u);
  // x = [[1,2,3],[4,5,6],[7,8,9]], w = identity 2x2: x[i,j] + x[i+1,j+1].
  expectArray(out[0], {1, 1, 2, 2}, {6, 8, 12, 14});
  // stride 2, padding 1: x[2y-1, 2x-1] + x[2y, 2x] + 10.
  expectArray(out[1], {1, 1, 2, 2}, {11, 13, 17, 24});
  // dilation 2: x[0,0] + x[2,2].
  expectArray(out[2], {1, 1, 1, 1}, {10});
  // groups 2: each output channel sees its own input channel.
  expectArray(out[3], {1, 2, 1, 1}, {2, 30});
  expectArray(out[4], {1, 2, 1, 1}, {11, 2});
  // m = -(1..12) as 3x4; padding is -inf, so edge windows take their inside maximum.
  expectArray(out[5], {1, 1, 2, 3}, {-1, -2, -4, -5, -6, -8});
  expectArray(out[6], {1, 1, 1, 2}, {-1, -3});
}

TEST_F(InterpreterTest, Errors) {
  const char *ir = R"mlir(
    func.func @g(%x: tensor<2xf32> {tess.input = "x"}, %w: tensor<2xf32> {tess.param = "w"})
        -> (tensor<2xf32>) {
      %0 = tess.add %x, %w : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
      return %0 : tensor<2xf32>
    })mlir";
  EXPECT_NE(error(ir, {{"x", NDArray({2}, {1, 2})}}).find("parameter 'w'"), std::string::npos);
  EXPECT_NE(error(ir, {{"x", NDArray({3}, {1, 2, 3})}, {"w", NDArray({2}, {1, 2})}})
                .find("'x' has shape [3], expected [2]"),
            std::string::npos);
  EXPECT_NE(
      error(ir,
            {{"x", NDArray({2}, {1, 2})}, {"w", NDArray({2}, {1, 2})}, {"z", NDArray({2}, {1, 2})}})
          .find("'z'"),
      std::string::npos);
  std::string unsupported = error(R"mlir(
    func.func @g() -> (tensor<2xf32>) {
      %0 = arith.constant dense<1.0> : tensor<2xf32>
      return %0 : tensor<2xf32>
    })mlir",
                                  {});
  EXPECT_NE(unsupported.find("arith.constant"), std::string::npos) << unsupported;

  std::string range = error(R"mlir(
    func.func @g(%x: tensor<2xf32> {tess.input = "x"}) -> (tensor<2xi32>) {
      %0 = tess.cast %x : tensor<2xf32> -> tensor<2xi32>
      return %0 : tensor<2xi32>
    })mlir",
                            {{"x", NDArray({2}, {1, 3e9})}});
  EXPECT_NE(range.find("out of range"), std::string::npos) << range;
}

} // namespace
} // namespace tessera::e2e
