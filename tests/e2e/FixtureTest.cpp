// The seed models against their PyTorch reference implementations: each fixture directory in
// tests/fixtures/ was written by tests/reference/make_fixtures.sh (timm ViT, Hugging Face
// ImageGPT, a port of facebookresearch/detr) and holds the -D flags of a tiny configuration,
// random weights under the reference's parameter names, the inputs and the expected outputs.
// Compiled outputs must match within a relative L2 error of 1e-4; integer outputs exactly.
#include "E2EHarness.h"

#include "tessera/Module.h"
#include "tessera/Npy.h"
#include "tessera/Session.h"
#include "tessera/codegen/Compiler.h"
#include "tessera/passes/PassReport.h"

#include "llvm/Support/Error.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace tessera::e2e {
namespace {

constexpr double kReferenceTol = 1e-4;

struct Fixture {
  const char *dir;   // under tests/fixtures
  const char *model; // under models
};

// Test logs show the fixture by name.
void PrintTo(const Fixture &f, std::ostream *os) { *os << f.dir; }

class FixtureTest : public E2ETest, public ::testing::WithParamInterface<Fixture> {
public:
  using E2ETest::fromFile;
};

std::string fixturePath(const std::string &dir, const std::string &file) {
  return std::string(TESSERA_SOURCE_DIR) + "/tests/fixtures/" + dir + "/" + file;
}

/// config.txt: one `-D name=value` per line.
std::map<std::string, std::string> readConfig(const std::string &path) {
  std::map<std::string, std::string> overrides;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string flag, kv;
    if (!(words >> flag >> kv) || flag != "-D")
      continue;
    size_t eq = kv.find('=');
    if (eq != std::string::npos)
      overrides[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return overrides;
}

double toDouble(const runtime::Tensor &t, uint64_t i) {
  switch (t.dtype()) {
  case runtime::DType::F32:
    return t.dataAs<float>()[i];
  case runtime::DType::I32:
    return t.dataAs<int32_t>()[i];
  case runtime::DType::I64:
    return double(t.dataAs<int64_t>()[i]);
  }
  return 0;
}

/// Compiles the fixture's model with its -D flags and weights, runs it on the fixture's
/// inputs and returns the outputs (empty after reporting a failure).
std::vector<runtime::Tensor> compileAndRun(FixtureTest &test, const Fixture &f,
                                           const codegen::CompileOptions &base,
                                           std::shared_ptr<runtime::Module> *loadedOut = nullptr) {
  auto overrides = readConfig(fixturePath(f.dir, "config.txt"));
  EXPECT_FALSE(overrides.empty()) << "no -D flags in " << fixturePath(f.dir, "config.txt");
  auto module = test.fromFile(std::string("models/") + f.model, overrides);
  if (!module) {
    ADD_FAILURE() << "cannot elaborate " << f.model;
    return {};
  }
  codegen::CompileOptions options = base;
  options.weightsPath = fixturePath(f.dir, "weights.safetensors");
  auto bytes = codegen::compileToModule(*module, options);
  if (!bytes) {
    ADD_FAILURE() << llvm::toString(bytes.takeError());
    return {};
  }
  auto loaded = runtime::Module::loadBytes(bytes->data(), bytes->size(), f.dir);
  if (!loaded) {
    ADD_FAILURE() << loaded.error().message();
    return {};
  }
  std::shared_ptr<runtime::Module> compiled = *loaded;
  if (loadedOut)
    *loadedOut = compiled;
  std::vector<runtime::Tensor> inputs;
  std::vector<runtime::TensorRef> refs;
  for (const auto &spec : compiled->inputs()) {
    auto t = runtime::readNpyFile(fixturePath(f.dir, spec.name + ".npy"));
    if (!t) {
      ADD_FAILURE() << t.error().message();
      return {};
    }
    inputs.push_back(t.takeValue());
  }
  for (const auto &t : inputs)
    refs.push_back(t.ref());
  auto session = runtime::Session::create(compiled);
  if (!session) {
    ADD_FAILURE() << session.error().message();
    return {};
  }
  auto outputs = (*session)->run(refs);
  if (!outputs) {
    ADD_FAILURE() << outputs.error().message();
    return {};
  }
  return outputs.takeValue();
}

double relativeL2(const runtime::Tensor &got, const runtime::Tensor &expected) {
  return e2e::relativeL2(
      got.numElements(), [&](size_t i) { return toDouble(got, i); },
      [&](size_t i) { return toDouble(expected, i); });
}

/// expected_<name>.npy, with the ':' of attention:<layer> outputs spelled '_'.
std::string expectedFile(std::string name) {
  std::replace(name.begin(), name.end(), ':', '_');
  return "expected_" + name + ".npy";
}

/// Compares `outputs` of `compiled` with the fixture's expected_<name>.npy (PyTorch's).
void expectMatchesReference(const Fixture &f, const runtime::Module &compiled,
                            const std::vector<runtime::Tensor> &outputs, const char *what) {
  ASSERT_EQ(outputs.size(), compiled.outputs().size()) << what;
  for (size_t o = 0; o < compiled.outputs().size(); ++o) {
    const std::string &name = compiled.outputs()[o].name;
    auto expected = runtime::readNpyFile(fixturePath(f.dir, expectedFile(name)));
    ASSERT_TRUE(bool(expected)) << expected.error().message();
    const runtime::Tensor &got = outputs[o];
    ASSERT_EQ(got.shape(), expected->shape()) << name;
    if (expected->dtype() != runtime::DType::F32) {
      uint64_t mismatches = 0;
      for (uint64_t i = 0; i < got.numElements(); ++i)
        mismatches += toDouble(got, i) != toDouble(*expected, i);
      EXPECT_EQ(mismatches, 0u) << what << " " << name
                                << ": integer outputs differ from the reference";
      continue;
    }
    double rel = relativeL2(got, *expected);
    EXPECT_LE(rel, kReferenceTol) << what << " " << f.model << " output '" << name
                                  << "': relative L2 error vs the reference " << rel;
  }
}

TEST_P(FixtureTest, MatchesReference) {
  const Fixture &f = GetParam();
  std::shared_ptr<runtime::Module> compiled;
  std::vector<runtime::Tensor> outputs = compileAndRun(*this, f, {}, &compiled);
  ASSERT_FALSE(outputs.empty());
  expectMatchesReference(f, *compiled, outputs, "cpu");
}

/// The CUDA kernels (tessera-gpu-loops, tessera-outline-gpu-kernels), run on the CPU one
/// thread after another by --target cuda-emulator, agree with PyTorch like the CPU kernels.
TEST_P(FixtureTest, GpuKernelsEmulatedMatchReference) {
  const Fixture &f = GetParam();
  codegen::CompileOptions emulated;
  emulated.targets = {"cuda-emulator"};
  std::shared_ptr<runtime::Module> compiled;
  std::vector<runtime::Tensor> outputs = compileAndRun(*this, f, emulated, &compiled);
  ASSERT_FALSE(outputs.empty());
  expectMatchesReference(f, *compiled, outputs, "cuda-emulator");
}

/// The GPU attention kernel (tessera-gpu-attention) at other tile shapes: 32-row blocks,
/// 8-key tiles and a grid of 3 blocks (so blocks loop over several work items and key tiles
/// end inside the sequence) still agrees with PyTorch, emulated; and every transformer's
/// attention did go to that kernel.
TEST_P(FixtureTest, GpuAttentionTileShapesMatchReference) {
  const Fixture &f = GetParam();
  const std::vector<std::string> transformers{"vit_tiny", "igpt_tiny", "detr_tiny", "fpt_tiny"};
  if (!llvm::is_contained(transformers, f.dir))
    GTEST_SKIP() << f.model << " has no attention";
  codegen::CompileOptions emulated;
  emulated.targets = {"cuda-emulator"};
  emulated.passOptions["tessera-gpu-attention"] = "rows=32 key-tile=8 max-blocks=3";
  (void)takeStatisticsReport();
  std::shared_ptr<runtime::Module> compiled;
  std::vector<runtime::Tensor> outputs = compileAndRun(*this, f, emulated, &compiled);
  std::string statistics = takeStatisticsReport();
  ASSERT_FALSE(outputs.empty());
  expectMatchesReference(f, *compiled, outputs, "cuda-emulator");
  EXPECT_NE(statistics.find("tessera-gpu-attention:"), std::string::npos) << statistics;
  EXPECT_EQ(statistics.find("tessera-lower-attention:"), std::string::npos)
      << "an attention fell back to the per-row loops:\n"
      << statistics;
}

/// Block-level GPU reductions (tessera-gpu-block-reductions) made to take every row of 8
/// or more elements, with 32-thread blocks and a grid of 5 (blocks loop over outputs), agree
/// with PyTorch, emulated. Every model but TTSR has such reductions (norms, softmax, pooling);
/// TTSR's are convolutions and the relevance's argmax, which the pass leaves alone.
TEST_P(FixtureTest, GpuBlockReductionsMatchReference) {
  const Fixture &f = GetParam();
  codegen::CompileOptions emulated;
  emulated.targets = {"cuda-emulator"};
  emulated.passOptions["tessera-gpu-block-reductions"] = "min-size=8 max-threads=32 max-blocks=5";
  (void)takeStatisticsReport();
  std::shared_ptr<runtime::Module> compiled;
  std::vector<runtime::Tensor> outputs = compileAndRun(*this, f, emulated, &compiled);
  std::string statistics = takeStatisticsReport();
  ASSERT_FALSE(outputs.empty());
  expectMatchesReference(f, *compiled, outputs, "cuda-emulator");
  if (std::string(f.dir) != "ttsr_tiny") {
    EXPECT_NE(statistics.find("tessera-gpu-block-reductions:"), std::string::npos) << statistics;
  }
}

/// Shared-memory tiled contractions (tessera-gpu-tiled-contractions) made to take every
/// contraction big enough for a tile (min-flops=0) with a grid of 3 blocks agree with
/// PyTorch, emulated. Every model has some (convolutions, products cuBLASLt would take are
/// kernels under the emulator).
TEST_P(FixtureTest, GpuTiledContractionsMatchReference) {
  const Fixture &f = GetParam();
  codegen::CompileOptions emulated;
  emulated.targets = {"cuda-emulator"};
  emulated.passOptions["tessera-gpu-tiled-contractions"] = "min-flops=0 max-blocks=3";
  (void)takeStatisticsReport();
  std::shared_ptr<runtime::Module> compiled;
  std::vector<runtime::Tensor> outputs = compileAndRun(*this, f, emulated, &compiled);
  std::string statistics = takeStatisticsReport();
  ASSERT_FALSE(outputs.empty());
  expectMatchesReference(f, *compiled, outputs, "cuda-emulator");
  EXPECT_NE(statistics.find("tessera-gpu-tiled-contractions:"), std::string::npos) << statistics;
}

/// fuse-attention must not change results: the fused build agrees with the unfused one within
/// a relative L2 error of 1e-5.
TEST_P(FixtureTest, FusedAttentionMatchesUnfused) {
  const Fixture &f = GetParam();
  codegen::CompileOptions unfused;
  unfused.disabledPasses.insert("tessera-fuse-attention");
  std::shared_ptr<runtime::Module> fusedModule, unfusedModule;
  std::vector<runtime::Tensor> a = compileAndRun(*this, f, {}, &fusedModule);
  std::vector<runtime::Tensor> b = compileAndRun(*this, f, unfused, &unfusedModule);
  ASSERT_EQ(a.size(), b.size());
  // The comparison means something only where attention was fused: the transformers have
  // attention dispatches with the pass and none without it.
  auto attentionDispatches = [](const runtime::Module &m) {
    return std::count_if(m.dispatches().begin(), m.dispatches().end(),
                         [](const runtime::DispatchInfo &d) {
                           return d.name.find("_attention") != std::string::npos;
                         });
  };
  ASSERT_TRUE(fusedModule && unfusedModule);
  EXPECT_EQ(attentionDispatches(*unfusedModule), 0);
  for (const char *dir : {"vit_tiny", "igpt_tiny", "detr_tiny", "fpt_tiny"})
    if (std::string(f.dir) == dir) {
      EXPECT_GT(attentionDispatches(*fusedModule), 0) << f.model << ": no attention was fused";
    }
  for (size_t o = 0; o < a.size(); ++o) {
    if (a[o].dtype() != runtime::DType::F32)
      continue;
    EXPECT_LE(relativeL2(a[o], b[o]), 1e-5) << f.model << " output " << o;
  }
}

/// No optional pass may change results: the default build agrees with one that runs none of
/// them (no attention fusion, patch layout, elementwise or row fusion, lambda tiling, output
/// copy folding) within a relative L2 error of 1e-5.
TEST_P(FixtureTest, OptionalPassesDoNotChangeResults) {
  const Fixture &f = GetParam();
  codegen::CompileOptions plain;
  for (const std::string &pass : codegen::optionalPasses())
    plain.disabledPasses.insert(pass);
  std::vector<runtime::Tensor> a = compileAndRun(*this, f, {});
  std::vector<runtime::Tensor> b = compileAndRun(*this, f, plain);
  ASSERT_EQ(a.size(), b.size());
  for (size_t o = 0; o < a.size(); ++o) {
    if (a[o].dtype() != runtime::DType::F32)
      continue;
    EXPECT_LE(relativeL2(a[o], b[o]), 1e-5) << f.model << " output " << o;
  }
}

/// The contraction kernels' layout choices do not change results: builds without weight
/// packing, without epilogue fusion, and for narrower vector targets (AVX2: 8 lanes, 16
/// registers; baseline x86-64: 4 lanes, no FMA) agree with the default build within 1e-5.
TEST_P(FixtureTest, KernelVariantsMatchDefault) {
  const Fixture &f = GetParam();
  std::vector<runtime::Tensor> reference = compileAndRun(*this, f, {});
  codegen::CompileOptions unpacked, noEpilogues, avx2, baseline;
  unpacked.disabledPasses.insert("tessera-pack-weights");
  noEpilogues.passOptions["tessera-contraction-kernels"] = "epilogues=false";
  avx2.targetCpu = "x86-64-v3";
  baseline.targetCpu = "x86-64";
  std::pair<const char *, codegen::CompileOptions> variants[] = {{"no packing", unpacked},
                                                                 {"no epilogues", noEpilogues},
                                                                 {"x86-64-v3", avx2},
                                                                 {"x86-64", baseline}};
  for (const auto &[what, options] : variants) {
    std::vector<runtime::Tensor> got = compileAndRun(*this, f, options);
    ASSERT_EQ(got.size(), reference.size()) << what;
    for (size_t o = 0; o < got.size(); ++o) {
      if (got[o].dtype() != runtime::DType::F32)
        continue;
      EXPECT_LE(relativeL2(got[o], reference[o]), 1e-5)
          << f.model << " " << what << " output " << o;
    }
  }
}

// A module for both targets runs on the CPU from the same shared program, with the CPU's own
// kernel passes (packing, register-blocked contractions) left out; it must give the same
// results. Needs the CUDA toolkit's libdevice to build the PTX half.
TEST_P(FixtureTest, CpuOfFatModuleMatchesDefault) {
  const Fixture &f = GetParam();
  if (!codegen::cudaToolkitAvailable())
    GTEST_SKIP() << "no CUDA toolkit (libdevice) here: --target cpu,cuda cannot be built";
  std::vector<runtime::Tensor> reference = compileAndRun(*this, f, {});
  codegen::CompileOptions fat;
  fat.targets = {"cpu", "cuda"};
  std::vector<runtime::Tensor> got = compileAndRun(*this, f, fat);
  ASSERT_EQ(got.size(), reference.size());
  for (size_t o = 0; o < got.size(); ++o) {
    if (got[o].dtype() != runtime::DType::F32)
      continue;
    EXPECT_LE(relativeL2(got[o], reference[o]), 1e-5) << f.model << " output " << o;
  }
}

/// The thread count changes how workgroups are scheduled, never the result: every output is
/// bitwise identical on 1, 2, 3 and 8 threads (one module, one session per count, run twice).
TEST_P(FixtureTest, BitwiseIdenticalAcrossThreadCounts) {
  const Fixture &f = GetParam();
  std::shared_ptr<runtime::Module> compiled;
  std::vector<runtime::Tensor> first = compileAndRun(*this, f, {}, &compiled);
  ASSERT_FALSE(first.empty());
  std::vector<runtime::Tensor> inputs;
  std::vector<runtime::TensorRef> refs;
  for (const auto &spec : compiled->inputs()) {
    auto t = runtime::readNpyFile(fixturePath(f.dir, spec.name + ".npy"));
    ASSERT_TRUE(bool(t)) << t.error().message();
    inputs.push_back(t.takeValue());
  }
  for (const auto &t : inputs)
    refs.push_back(t.ref());
  for (unsigned threads : {1u, 2u, 3u, 8u}) {
    runtime::SessionOptions options;
    options.threads = threads;
    auto session = runtime::Session::create(compiled, options);
    ASSERT_TRUE(bool(session)) << session.error().message();
    for (int repeat = 0; repeat < 2; ++repeat) {
      auto outputs = (*session)->run(refs);
      ASSERT_TRUE(bool(outputs)) << outputs.error().message();
      ASSERT_EQ(outputs->size(), first.size());
      for (size_t o = 0; o < first.size(); ++o) {
        ASSERT_EQ((*outputs)[o].byteSize(), first[o].byteSize());
        EXPECT_EQ(std::memcmp((*outputs)[o].dataAs<uint8_t>(), first[o].dataAs<uint8_t>(),
                              first[o].byteSize()),
                  0)
            << f.model << " output '" << compiled->outputs()[o].name << "' differs on " << threads
            << " threads (run " << repeat << ")";
      }
    }
  }
}

/// The ABI lets the runtime split a dispatch into any number of workgroups: every model gives
/// the same outputs (relative L2 1e-6; only where a tile boundary moves could a remainder loop
/// round differently) with 1, 3 and 7 workgroups per dispatch, and with 2x the compiler's count.
TEST_P(FixtureTest, AnyWorkgroupCountGivesTheSameResults) {
  const Fixture &f = GetParam();
  std::shared_ptr<runtime::Module> compiled;
  std::vector<runtime::Tensor> reference = compileAndRun(*this, f, {}, &compiled);
  ASSERT_FALSE(reference.empty());
  std::vector<runtime::Tensor> inputs;
  std::vector<runtime::TensorRef> refs;
  for (const auto &spec : compiled->inputs()) {
    auto t = runtime::readNpyFile(fixturePath(f.dir, spec.name + ".npy"));
    ASSERT_TRUE(bool(t)) << t.error().message();
    inputs.push_back(t.takeValue());
  }
  for (const auto &t : inputs)
    refs.push_back(t.ref());
  uint32_t most = 1;
  for (const runtime::DispatchInfo &d : compiled->dispatches())
    most = std::max(most, d.workgroupCount[0]);
  for (int64_t count : {int64_t(1), int64_t(3), int64_t(7), int64_t(2 * most)}) {
    runtime::SessionOptions options;
    options.threads = 2;
    options.cpuWorkgroups = count;
    auto session = runtime::Session::create(compiled, options);
    ASSERT_TRUE(bool(session)) << session.error().message();
    auto outputs = (*session)->run(refs);
    ASSERT_TRUE(bool(outputs)) << outputs.error().message();
    for (size_t o = 0; o < reference.size(); ++o) {
      if (reference[o].dtype() != runtime::DType::F32) {
        EXPECT_EQ(std::memcmp((*outputs)[o].dataAs<uint8_t>(), reference[o].dataAs<uint8_t>(),
                              reference[o].byteSize()),
                  0)
            << f.model << " output " << o << " with " << count << " workgroups";
        continue;
      }
      EXPECT_LE(relativeL2((*outputs)[o], reference[o]), 1e-6)
          << f.model << " output '" << compiled->outputs()[o].name << "' with " << count
          << " workgroups per dispatch";
    }
  }
}

/// --expose-attention (tessera-expose-attention): each attention's probabilities come back as
/// an output that matches the reference's where the fixture has them (timm's attn_drop input,
/// nn.MultiheadAttention's per-head weights; relative L2 1e-4), every row sums to 1 with the
/// keys after the query at 0 for causal attention, and the model's own outputs stay within
/// 1e-6 of the build without it.
TEST_P(FixtureTest, ExposedAttentionMatchesReference) {
  const Fixture &f = GetParam();
  codegen::CompileOptions expose;
  expose.exposeAttention = true;
  std::shared_ptr<runtime::Module> plainModule, exposedModule;
  std::vector<runtime::Tensor> plain = compileAndRun(*this, f, {}, &plainModule);
  std::vector<runtime::Tensor> exposed = compileAndRun(*this, f, expose, &exposedModule);
  ASSERT_FALSE(exposed.empty());
  ASSERT_GE(exposed.size(), plain.size());
  for (size_t o = 0; o < plain.size(); ++o) {
    ASSERT_EQ(exposedModule->outputs()[o].name, plainModule->outputs()[o].name);
    if (plain[o].dtype() == runtime::DType::F32) {
      EXPECT_LE(relativeL2(exposed[o], plain[o]), 1e-6) << f.model << " output " << o;
    }
  }
  const auto &maps = exposedModule->attentionMaps();
  EXPECT_EQ(maps.size(), exposed.size() - plain.size());
  // The transformers fuse their attention, so each must have something to expose.
  for (const char *dir : {"vit_tiny", "igpt_tiny", "detr_tiny", "fpt_tiny"})
    if (std::string(f.dir) == dir) {
      EXPECT_FALSE(maps.empty()) << f.model << ": no attention exposed";
    }
  for (const runtime::AttentionMapInfo &map : maps) {
    ASSERT_LT(map.output, exposed.size());
    ASSERT_GE(map.output, plain.size()) << "attention outputs come after the model's own";
    const std::string &name = exposedModule->outputs()[map.output].name;
    EXPECT_EQ(name, "attention:" + map.layer);
    const runtime::Tensor &p = exposed[map.output];
    const runtime::Shape &shape = p.shape();
    int64_t keys = shape.back(), queries = shape[shape.size() - 2];
    const float *data = p.dataAs<float>();
    double worstRow = 0;
    bool causalZeros = true;
    for (uint64_t row = 0; row < p.numElements() / uint64_t(keys); ++row) {
      double sum = 0;
      for (int64_t j = 0; j < keys; ++j)
        sum += data[row * keys + j];
      worstRow = std::max(worstRow, std::fabs(sum - 1.0));
    }
    EXPECT_LE(worstRow, 1e-5) << name << ": a row of probabilities does not sum to 1";
    if (std::string(f.dir) == "igpt_tiny") {
      for (uint64_t row = 0; row < p.numElements() / uint64_t(keys); ++row)
        for (int64_t j = int64_t(row % uint64_t(queries)) + 1; j < keys; ++j)
          causalZeros = causalZeros && data[row * keys + j] == 0.0f;
      EXPECT_TRUE(causalZeros) << name << ": a key after its query has weight";
    }
    std::ifstream reference(fixturePath(f.dir, expectedFile(name)));
    if (reference) {
      auto expected = runtime::readNpyFile(fixturePath(f.dir, expectedFile(name)));
      ASSERT_TRUE(bool(expected)) << expected.error().message();
      ASSERT_EQ(shape, expected->shape()) << name;
      EXPECT_LE(relativeL2(p, *expected), kReferenceTol) << name;
    }
  }
  // The fixtures with references for every attention: nothing may be left unchecked there.
  if (std::string(f.dir) == "vit_tiny" || std::string(f.dir) == "detr_tiny") {
    EXPECT_EQ(maps.size(), std::string(f.dir) == "vit_tiny" ? 2u : 6u);
    for (const runtime::AttentionMapInfo &map : maps) {
      EXPECT_TRUE(
          std::ifstream(fixturePath(f.dir, expectedFile(exposedModule->outputs()[map.output].name)))
              .good())
          << "no reference for " << map.layer;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Models, FixtureTest,
    ::testing::Values(Fixture{"vit_tiny", "vit.tg"}, Fixture{"igpt_tiny", "igpt.tg"},
                      Fixture{"detr_tiny", "detr.tg"},
                      Fixture{"lambda_global_tiny", "lambda_layer.tg"},
                      Fixture{"lambda_local_tiny", "lambda_layer.tg"},
                      Fixture{"lambda_resnet_tiny", "lambda_resnet.tg"},
                      Fixture{"ttsr_tiny", "ttsr.tg"}, Fixture{"fpt_tiny", "fpt.tg"}),
    [](const ::testing::TestParamInfo<Fixture> &info) { return std::string(info.param.dir); });

} // namespace
} // namespace tessera::e2e
