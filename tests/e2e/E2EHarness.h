// Harness of the end-to-end numeric tests: a graph (a .tg file, DSL text or tess IR text) is
// compiled into a module, run by the runtime, and its outputs compared with the reference
// interpreter (tessera/ir/Interpreter.h), evaluated in double on the same inputs and weights.
#ifndef TESSERA_TESTS_E2E_HARNESS_H
#define TESSERA_TESTS_E2E_HARNESS_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <functional>
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

namespace tessera::e2e {

/// Every f32 output must satisfy ||got - ref||_2 / ||ref||_2 <= kRelTol, where ref is the double
/// precision interpreter result (||got - ref||_2 <= kRelTol when ref is all zeros). Integer
/// (i32 / i64) outputs must equal the interpreter's exactly.
inline constexpr double kRelTol = 1e-5;

struct CheckOptions {
  /// Seed of the random inputs and weights.
  uint64_t seed = 1;
  /// Per-input value range of f32 inputs; inputs not listed are uniform in [-1, 1].
  std::map<std::string, std::pair<float, float>> inputRanges;
  /// Per-input inclusive range of integer (i32 / i64) inputs; inputs not listed are uniform
  /// integers in [-10, 10].
  std::map<std::string, std::pair<int64_t, int64_t>> intRanges;
  /// Compile without a weights file (the module's seeded fill) and give the interpreter the
  /// values of that fill; otherwise random weights go through a safetensors file.
  bool seededWeights = false;
  /// CompileOptions::seed.
  uint64_t moduleSeed = 0x7e55e7a;
};

class E2ETest : public ::testing::Test {
protected:
  void SetUp() override;

  /// Parses and elaborates DSL `text` (shown as `path` in diagnostics); null after a failure.
  mlir::OwningOpRef<mlir::ModuleOp>
  fromDSL(const std::string &path, const std::string &text,
          const std::map<std::string, std::string> &overrides = {});
  /// Same for a file; relative paths are taken from the source tree (models/mlp.tg).
  mlir::OwningOpRef<mlir::ModuleOp>
  fromFile(const std::string &path, const std::map<std::string, std::string> &overrides = {});
  /// Parses tess IR text (a module holding one func.func with tess.* attributes).
  mlir::OwningOpRef<mlir::ModuleOp> fromMLIR(const std::string &text);

  /// Compiles `module` (consumed) and, for 1 and 2 threads, loads it afresh and runs it twice on
  /// one Session, comparing every output of every run with the interpreter; also checks that
  /// running changed neither the module's bytes (embedded constants) nor the inputs. Reports
  /// failures through gtest. TESSERA_E2E_VERBOSE=1 prints the errors and timings.
  void check(mlir::OwningOpRef<mlir::ModuleOp> module, const CheckOptions &options = {});

  /// Convenience: fromDSL + check.
  void checkDSL(const std::string &text, const CheckOptions &options = {});

  std::unique_ptr<mlir::MLIRContext> context_;
};

/// sqrt(sum (got - expected)^2) / sqrt(sum expected^2) over n values; the absolute L2 error
/// when `expected` is all zeros.
double relativeL2(size_t n, const std::function<double(size_t)> &got,
                  const std::function<double(size_t)> &expected);

} // namespace tessera::e2e

#endif // TESSERA_TESTS_E2E_HARNESS_H
