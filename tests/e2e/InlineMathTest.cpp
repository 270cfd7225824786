// The inline exp / erf / tanh (tessera-inline-math) against double precision, on a dense
// grid: once in an elementwise loop (scalar code that LLVM vectorizes) and once in a
// contraction kernel's epilogue (vector code from the start). The bound is on the largest
// relative error of any element, not an average.
#include "E2EHarness.h"

#include "tessera/Module.h"
#include "tessera/Safetensors.h"
#include "tessera/Session.h"
#include "tessera/codegen/Compiler.h"

#include "llvm/Support/FileSystem.h"

#include <cmath>
#include <functional>

namespace tessera::e2e {
namespace {

constexpr int64_t kRows = 4096, kCols = 16;

class InlineMathTest : public E2ETest {
protected:
  /// Compiles `dsl` (input x: f32[kRows, kCols], output y of the same shape) with an identity
  /// `fc` when it has one, runs it on a grid over [lo, hi] and returns the largest relative
  /// error against `reference` (absolute below `tiny`).
  double maxRelativeError(const std::string &dsl, float lo, float hi,
                          const std::function<double(double)> &reference, double tiny = 1e-30) {
    auto module = fromDSL("math.tg", dsl);
    if (!module) {
      ADD_FAILURE() << "cannot elaborate";
      return 1;
    }
    codegen::CompileOptions options;
    std::vector<float> identity(kCols * kCols, 0.0f), zeros(kCols, 0.0f);
    for (int64_t i = 0; i < kCols; ++i)
      identity[i * kCols + i] = 1.0f;
    llvm::SmallString<128> weights;
    if (dsl.find("param fc") != std::string::npos) {
      int fd;
      llvm::sys::fs::createTemporaryFile("inline-math", "safetensors", fd, weights);
      ::close(fd);
      auto err = runtime::writeSafetensorsF32(
          weights.str().str(),
          {{"fc.weight", {kCols, kCols}, identity.data()}, {"fc.bias", {kCols}, zeros.data()}});
      if (err) {
        ADD_FAILURE() << err.message();
        return 1;
      }
      options.weightsPath = weights.str().str();
    }
    auto bytes = codegen::compileToModule(*module, options);
    if (!weights.empty())
      llvm::sys::fs::remove(weights);
    if (!bytes) {
      ADD_FAILURE() << llvm::toString(bytes.takeError());
      return 1;
    }
    auto loaded = runtime::Module::loadBytes(bytes->data(), bytes->size());
    if (!loaded) {
      ADD_FAILURE() << loaded.error().message();
      return 1;
    }
    auto session = runtime::Session::create(*loaded);
    if (!session) {
      ADD_FAILURE() << session.error().message();
      return 1;
    }
    std::vector<float> x(kRows * kCols);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = lo + (hi - lo) * float(double(i) / double(x.size() - 1));
    runtime::TensorRef in{runtime::DType::F32, {kRows, kCols}, x.data()};
    auto out = (*session)->run({in});
    if (!out) {
      ADD_FAILURE() << out.error().message();
      return 1;
    }
    const float *y = (*out)[0].dataAs<float>();
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      double ref = reference(double(x[i]));
      double err = std::abs(double(y[i]) - ref) / std::max(std::abs(ref), tiny);
      worst = std::max(worst, err);
    }
    return worst;
  }
};

const char *kElementwise = R"(
graph g(x: f32[4096, 16]) -> (y: f32[4096, 16]) { return OP(x) }
)";
const char *kEpilogue = R"(
param fc.weight: f32[16, 16]
param fc.bias: f32[16]
graph g(x: f32[4096, 16]) -> (y: f32[4096, 16]) { return OP(linear(x, fc)) }
)";

std::string with(const char *text, const std::string &op) {
  std::string s = text;
  s.replace(s.find("OP"), 2, op);
  return s;
}

TEST_F(InlineMathTest, TanhWithinOnePpm) {
  auto tanh = [](double v) { return std::tanh(v); };
  EXPECT_LE(maxRelativeError(with(kElementwise, "tanh"), -12.f, 12.f, tanh), 1e-6);
  EXPECT_LE(maxRelativeError(with(kEpilogue, "tanh"), -12.f, 12.f, tanh), 1e-6);
  EXPECT_LE(maxRelativeError(with(kElementwise, "tanh"), -1e-3f, 1e-3f, tanh), 1e-6);
}

TEST_F(InlineMathTest, ExpWithinOnePpm) {
  auto exp = [](double v) { return std::exp(v); };
  EXPECT_LE(maxRelativeError(with(kElementwise, "exp"), -80.f, 80.f, exp), 1e-6);
  EXPECT_LE(maxRelativeError(with(kEpilogue, "exp"), -80.f, 80.f, exp), 1e-6);
}

// erf has no DSL builtin of its own: it is checked through GELU's erf form,
// x / 2 (1 + erf(x / sqrt 2)). On x >= 0 the sum has no cancellation, so the relative error
// of GELU is that of erf (plus rounding); for x < 0 float32 itself loses the low digits of
// 1 + erf, so there the bound is on the absolute error.
TEST_F(InlineMathTest, GeluFormsWithinOnePpm) {
  auto erfGelu = [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); };
  auto tanhGelu = [](double v) {
    return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
  };
  std::string erfForm = with(kEpilogue, "gelu");
  std::string tanhForm = erfForm;
  tanhForm.replace(tanhForm.find("gelu(linear(x, fc))"), 19,
                   "gelu(linear(x, fc), approximate = \"tanh\")");
  EXPECT_LE(maxRelativeError(erfForm, 0.f, 6.f, erfGelu), 1e-6);
  EXPECT_LE(maxRelativeError(erfForm, 1e-4f, 1e-2f, erfGelu), 1e-6);
  EXPECT_LE(maxRelativeError(erfForm, -6.f, 0.f, erfGelu, /*tiny=*/1.0), 1e-6);
  EXPECT_LE(maxRelativeError(tanhForm, 0.f, 6.f, tanhGelu), 1e-6);
  EXPECT_LE(maxRelativeError(tanhForm, -6.f, 0.f, tanhGelu, /*tiny=*/1.0), 1e-6);
}

} // namespace
} // namespace tessera::e2e
