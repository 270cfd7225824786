#include "E2EHarness.h"

#include "ModuleWriter.h" // codegen's seededRange / parameterSeed (private header)

#include "tessera/Module.h"
#include "tessera/Safetensors.h"
#include "tessera/SeededFill.h"
#include "tessera/Session.h"
#include "tessera/codegen/Compiler.h"
#include "tessera/frontend/Imports.h"
#include "tessera/frontend/MLIRGen.h"
#include "tessera/ir/GraphAttributes.h"
#include "tessera/ir/Interpreter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>

#include <unistd.h>

using namespace mlir;

namespace tessera::e2e {

namespace {

std::string shapeStr(const std::vector<int64_t> &s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i)
    r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

bool verbose() { return std::getenv("TESSERA_E2E_VERBOSE") != nullptr; }

bool endsWith(const std::string &s, const char *suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

/// Our own weight ranges for the safetensors path: matrices +-1/sqrt(fan_in), norm gains
/// around one, batch-norm running variances positive, other vectors and scalars modest.
std::pair<float, float> weightRange(const std::string &name, const std::vector<int64_t> &shape) {
  if (endsWith(name, "running_var"))
    return {0.5f, 1.5f};
  if (shape.size() >= 2) {
    double fanIn = 1;
    for (size_t i = 1; i < shape.size(); ++i)
      fanIn *= double(shape[i]);
    float b = float(1 / std::sqrt(std::max(1.0, fanIn)));
    return {-b, b};
  }
  if (shape.size() == 1 && endsWith(name, "weight"))
    return {0.5f, 1.5f};
  return {-0.5f, 0.5f};
}

} // namespace

void E2ETest::SetUp() {
  DialectRegistry registry;
  codegen::registerCompilerDialects(registry);
  context_ = std::make_unique<MLIRContext>(registry);
  frontend::loadFrontendDialects(*context_);
  context_->loadAllAvailableDialects();
}

OwningOpRef<ModuleOp> E2ETest::fromDSL(const std::string &path, const std::string &text,
                                       const std::map<std::string, std::string> &overrides) {
  frontend::SourceFile file(path, text);
  frontend::DiagnosticEngine diags(file);
  std::optional<frontend::Program> program = frontend::loadProgram(file, diags);
  OwningOpRef<ModuleOp> module;
  if (program) {
    ScopedDiagnosticHandler handler(context_.get(), [&](Diagnostic &d) {
      diags.error(frontend::SourceLoc{}, "internal: " + d.str());
      return success();
    });
    frontend::MLIRGenOptions options;
    options.configOverrides = overrides;
    module = frontend::mlirGen(*context_, *program, file, diags, options);
  }
  if (diags.hasErrors() || !module) {
    ADD_FAILURE() << "front end failed for " << path << ":\n" << diags.str();
    return nullptr;
  }
  return module;
}

OwningOpRef<ModuleOp> E2ETest::fromFile(const std::string &path,
                                        const std::map<std::string, std::string> &overrides) {
  std::string full = path;
  if (!full.empty() && full[0] != '/')
    full = std::string(TESSERA_SOURCE_DIR) + "/" + path;
  auto buffer = llvm::MemoryBuffer::getFile(full);
  if (!buffer) {
    ADD_FAILURE() << "cannot read " << full << ": " << buffer.getError().message();
    return nullptr;
  }
  return fromDSL(full, (*buffer)->getBuffer().str(), overrides);
}

OwningOpRef<ModuleOp> E2ETest::fromMLIR(const std::string &text) {
  std::string errors;
  ScopedDiagnosticHandler handler(context_.get(), [&](Diagnostic &d) {
    errors += d.str() + "\n";
    return success();
  });
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, context_.get());
  if (!module)
    ADD_FAILURE() << "cannot parse tess IR:\n" << errors;
  return module;
}

void E2ETest::checkDSL(const std::string &text, const CheckOptions &options) {
  OwningOpRef<ModuleOp> module = fromDSL("<inline>.tg", text);
  if (!module)
    return;
  check(std::move(module), options);
}

void E2ETest::check(OwningOpRef<ModuleOp> module, const CheckOptions &o) {
  ASSERT_TRUE(module);
  // The interpreter works on a clone: compileToModule consumes the module.
  OwningOpRef<ModuleOp> clone = module->clone();
  auto funcs = clone->getOps<func::FuncOp>();
  ASSERT_FALSE(funcs.empty()) << "no graph function";
  func::FuncOp graph = *funcs.begin();

  // Inputs and parameters, kept both as raw host data (for the runtime / weights file) and as
  // doubles (for the interpreter), so both see identical numbers. Parameters are f32; inputs
  // are f32 (uniform reals) or i32 / i64 (uniform integers).
  struct HostData {
    runtime::DType dtype = runtime::DType::F32;
    std::vector<uint8_t> bytes;
  };
  std::mt19937_64 rng(o.seed);
  std::map<std::string, HostData> host;
  std::map<std::string, tess::NDArray> values;
  std::vector<std::string> paramNames;
  for (unsigned i = 0; i < graph.getNumArguments(); ++i) {
    auto type = cast<RankedTensorType>(graph.getArgument(i).getType());
    Type et = type.getElementType();
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    size_t n = size_t(type.getNumElements());
    std::vector<double> ref(n);
    HostData data;
    std::string name;
    if (auto in = graph.getArgAttrOfType<StringAttr>(i, kInputAttr)) {
      name = in.str();
      if (et.isF32()) {
        auto it = o.inputRanges.find(name);
        auto [lo, hi] =
            it == o.inputRanges.end() ? std::pair<float, float>{-1.0f, 1.0f} : it->second;
        std::uniform_real_distribution<float> dist(lo, hi);
        std::vector<float> v(n);
        for (size_t k = 0; k < n; ++k)
          ref[k] = v[k] = dist(rng);
        data.bytes.assign(reinterpret_cast<uint8_t *>(v.data()),
                          reinterpret_cast<uint8_t *>(v.data() + n));
      } else if (et.isInteger(32) || et.isInteger(64)) {
        auto it = o.intRanges.find(name);
        auto [lo, hi] = it == o.intRanges.end() ? std::pair<int64_t, int64_t>{-10, 10} : it->second;
        std::uniform_int_distribution<int64_t> dist(lo, hi);
        if (et.isInteger(32)) {
          data.dtype = runtime::DType::I32;
          std::vector<int32_t> v(n);
          for (size_t k = 0; k < n; ++k)
            ref[k] = v[k] = int32_t(dist(rng));
          data.bytes.assign(reinterpret_cast<uint8_t *>(v.data()),
                            reinterpret_cast<uint8_t *>(v.data() + n));
        } else {
          data.dtype = runtime::DType::I64;
          std::vector<int64_t> v(n);
          for (size_t k = 0; k < n; ++k)
            ref[k] = double(v[k] = dist(rng));
          data.bytes.assign(reinterpret_cast<uint8_t *>(v.data()),
                            reinterpret_cast<uint8_t *>(v.data() + n));
        }
      } else {
        FAIL() << "input '" << name << "' has an element type the harness cannot generate";
      }
    } else {
      auto p = graph.getArgAttrOfType<StringAttr>(i, kParamAttr);
      ASSERT_TRUE(p) << "argument #" << i << " has no name";
      ASSERT_TRUE(et.isF32()) << "parameter '" << p.str() << "' is not f32";
      name = p.str();
      paramNames.push_back(name);
      std::vector<float> v(n);
      if (o.seededWeights) {
        float lo, hi;
        codegen::seededRange(name, shape, lo, hi);
        runtime::fillSeededUniformF32(v.data(), n, codegen::parameterSeed(o.moduleSeed, name), lo,
                                      hi);
      } else {
        auto [lo, hi] = weightRange(name, shape);
        std::uniform_real_distribution<float> dist(lo, hi);
        for (float &x : v)
          x = dist(rng);
      }
      for (size_t k = 0; k < n; ++k)
        ref[k] = v[k];
      data.bytes.assign(reinterpret_cast<uint8_t *>(v.data()),
                        reinterpret_cast<uint8_t *>(v.data() + n));
    }
    values[name] = tess::NDArray(shape, std::move(ref));
    host[name] = std::move(data);
  }

  std::vector<std::string> outputNames;
  std::vector<Type> outputTypes;
  for (unsigned i = 0; i < graph.getNumResults(); ++i) {
    auto name = graph.getResultAttrOfType<StringAttr>(i, kOutputAttr);
    outputNames.push_back(name ? name.str() : "#" + std::to_string(i));
    Type et = cast<RankedTensorType>(graph.getResultTypes()[i]).getElementType();
    ASSERT_TRUE(et.isF32() || et.isInteger(32) || et.isInteger(64))
        << "output '" << outputNames.back() << "' is neither f32, i32 nor i64";
    outputTypes.push_back(et);
  }

  llvm::Expected<std::vector<tess::NDArray>> ref = tess::interpretGraph(graph, values);
  ASSERT_TRUE(bool(ref)) << "interpreter: " << llvm::toString(ref.takeError());
  ASSERT_EQ(ref->size(), outputNames.size());
  for (size_t k = 0; k < ref->size(); ++k)
    for (double v : (*ref)[k].data)
      ASSERT_TRUE(std::isfinite(v)) << "reference output '" << outputNames[k]
                                    << "' is not finite: fix the test's input ranges";

  // Weights file for the parameters (unless the seeded fill is under test).
  codegen::CompileOptions copts;
  copts.seed = o.moduleSeed;
  llvm::SmallString<128> weightsPath;
  if (!o.seededWeights && !paramNames.empty()) {
    int fd;
    ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("tessera-e2e", "safetensors", fd, weightsPath));
    ::close(fd);
    std::vector<runtime::SafetensorsF32Entry> entries;
    for (const std::string &name : paramNames)
      entries.push_back(
          {name, values[name].shape, reinterpret_cast<const float *>(host[name].bytes.data())});
    runtime::Error err = runtime::writeSafetensorsF32(weightsPath.str().str(), entries);
    ASSERT_FALSE(err) << err.message();
    copts.weightsPath = weightsPath.str().str();
  }
  auto t0 = std::chrono::steady_clock::now();
  llvm::Expected<std::vector<uint8_t>> bytes = codegen::compileToModule(*module, copts);
  if (verbose())
    std::cout << "  compile: "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
              << " s\n";
  if (!weightsPath.empty())
    llvm::sys::fs::remove(weightsPath);
  ASSERT_TRUE(bool(bytes)) << "compile: " << llvm::toString(bytes.takeError());

  // Each thread count gets a freshly loaded module and runs twice on one session: a run must
  // neither depend on an earlier one nor modify the module (its embedded constants) or its
  // inputs.
  std::map<std::string, std::vector<uint8_t>> inputsBefore;
  for (const auto &[name, data] : host)
    inputsBefore[name] = data.bytes;
  for (unsigned threads : {1u, 2u}) {
    auto loaded = runtime::Module::loadBytes(bytes->data(), bytes->size(), "<e2e>");
    ASSERT_TRUE(bool(loaded)) << loaded.error().message();
    std::shared_ptr<runtime::Module> tsm = *loaded;
    ASSERT_EQ(tsm->outputs().size(), outputNames.size());
    std::vector<runtime::TensorRef> inputs;
    for (const runtime::TensorSpec &spec : tsm->inputs()) {
      auto it = host.find(spec.name);
      ASSERT_NE(it, host.end()) << "module input '" << spec.name << "' is not a graph input";
      inputs.push_back({it->second.dtype, spec.shape, it->second.bytes.data()});
    }
    runtime::SessionOptions sopts;
    sopts.threads = threads;
    auto session = runtime::Session::create(tsm, sopts);
    ASSERT_TRUE(bool(session)) << session.error().message();

    for (int rep = 1; rep <= 2; ++rep) {
      std::string what = std::to_string(threads) + " thread(s), run #" + std::to_string(rep);
      auto t1 = std::chrono::steady_clock::now();
      auto outs = (*session)->run(inputs);
      if (verbose())
        std::cout << "  run (" << what << "): "
                  << std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count()
                  << " s\n";
      ASSERT_TRUE(bool(outs)) << "run (" << what << "): " << outs.error().message();
      ASSERT_EQ(outs->size(), ref->size());
      for (size_t k = 0; k < ref->size(); ++k) {
        const tess::NDArray &r = (*ref)[k];
        const runtime::Tensor &got = (*outs)[k];
        EXPECT_EQ(tsm->outputs()[k].name, outputNames[k]);
        ASSERT_EQ(got.shape(), r.shape) << "output '" << outputNames[k] << "'";
        runtime::DType want = outputTypes[k].isF32()         ? runtime::DType::F32
                              : outputTypes[k].isInteger(32) ? runtime::DType::I32
                                                             : runtime::DType::I64;
        ASSERT_EQ(int(got.dtype()), int(want)) << "output '" << outputNames[k] << "'";
        if (want != runtime::DType::F32) {
          // Integers: exact.
          size_t bad = 0;
          std::string first;
          for (size_t i = 0; i < r.data.size(); ++i) {
            double g = want == runtime::DType::I32 ? double(got.dataAs<int32_t>()[i])
                                                   : double(got.dataAs<int64_t>()[i]);
            if (g != r.data[i] && bad++ < 5)
              first += " [" + std::to_string(i) + "] got " + std::to_string(int64_t(g)) + " want " +
                       std::to_string(int64_t(r.data[i]));
          }
          if (verbose())
            std::cout << "  [" << ::testing::UnitTest::GetInstance()->current_test_info()->name()
                      << "] output '" << outputNames[k] << "' " << shapeStr(r.shape) << " (" << what
                      << "): " << bad << " mismatches\n";
          EXPECT_EQ(bad, 0u) << "output '" << outputNames[k] << "' " << shapeStr(r.shape) << " ("
                             << what << "): " << bad << " of " << r.data.size()
                             << " integers differ:" << first;
          continue;
        }
        const float *g = got.dataAs<float>();
        double maxAbs = 0;
        bool finite = true;
        for (size_t i = 0; i < r.data.size(); ++i) {
          finite &= std::isfinite(g[i]);
          maxAbs = std::max(maxAbs, std::fabs(double(g[i]) - r.data[i]));
        }
        double rel = relativeL2(
            r.data.size(), [&](size_t i) { return double(g[i]); },
            [&](size_t i) { return r.data[i]; });
        if (verbose())
          std::cout << "  [" << ::testing::UnitTest::GetInstance()->current_test_info()->name()
                    << "] output '" << outputNames[k] << "' " << shapeStr(r.shape) << " (" << what
                    << "): rel L2 " << rel << ", max abs " << maxAbs << "\n";
        EXPECT_TRUE(finite) << "output '" << outputNames[k] << "' has non-finite values (" << what
                            << ")";
        EXPECT_LE(rel, kRelTol) << "output '" << outputNames[k] << "' " << shapeStr(r.shape) << " ("
                                << what << "): relative L2 error " << rel << ", max abs error "
                                << maxAbs;
      }
    }
    EXPECT_EQ(std::memcmp(tsm->bufferData(), bytes->data(), bytes->size()), 0)
        << "running the module (" << threads << " thread(s)) modified the module's bytes "
        << "(an embedded constant was written)";
  }
  for (const auto &[name, data] : inputsBefore)
    EXPECT_EQ(host[name].bytes, data) << "running the module modified input '" << name << "'";
}

double relativeL2(size_t n, const std::function<double(size_t)> &got,
                  const std::function<double(size_t)> &expected) {
  double num = 0, den = 0;
  for (size_t i = 0; i < n; ++i) {
    double e = expected(i), d = got(i) - e;
    num += d * d;
    den += e * e;
  }
  return den > 0 ? std::sqrt(num) / std::sqrt(den) : std::sqrt(num);
}

} // namespace tessera::e2e
