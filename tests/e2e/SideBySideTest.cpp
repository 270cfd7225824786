// Modules loaded side by side in one process keep their own code. The loader names each
// executable by a path (a memfd's /proc/self/fd/N or a temporary file) and dlopen returns an
// already loaded object of the same name, while fd numbers and temporary names are reused:
// a second module whose executable got the first one's name would silently run the first
// one's kernels. Two configurations of one model have the same entry point names but other
// shapes baked in, so such a mix-up shows as wrong numbers, not as a missing symbol.
#include "E2EHarness.h"

#include "tessera/Module.h"
#include "tessera/Session.h"
#include "tessera/codegen/Compiler.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <vector>

namespace tessera::e2e {
namespace {

class SideBySideTest : public E2ETest {
protected:
  std::shared_ptr<runtime::Module> compile(const char *model,
                                           const std::map<std::string, std::string> &defines) {
    auto module = fromFile(model, defines);
    if (!module)
      return nullptr;
    auto bytes = codegen::compileToModule(*module, {});
    if (!bytes) {
      ADD_FAILURE() << llvm::toString(bytes.takeError());
      return nullptr;
    }
    auto loaded = runtime::Module::loadBytes(bytes->data(), bytes->size(), model);
    if (!loaded) {
      ADD_FAILURE() << loaded.error().message();
      return nullptr;
    }
    return *loaded;
  }

  /// The outputs of one run on inputs filled with 0.25 * (i % 7) - 0.5.
  static std::vector<float> runOnce(runtime::Session &session, const runtime::Module &module) {
    std::vector<std::vector<float>> data;
    std::vector<runtime::TensorRef> refs;
    for (const runtime::TensorSpec &spec : module.inputs()) {
      data.emplace_back(spec.numElements);
      for (size_t i = 0; i < data.back().size(); ++i)
        data.back()[i] = 0.25f * float(i % 7) - 0.5f;
    }
    for (size_t i = 0; i < data.size(); ++i)
      refs.push_back({runtime::DType::F32, module.inputs()[i].shape, data[i].data()});
    auto outputs = session.run(refs);
    if (!outputs) {
      ADD_FAILURE() << outputs.error().message();
      return {};
    }
    const runtime::Tensor &y = (*outputs)[0];
    return std::vector<float>(y.dataAs<float>(), y.dataAs<float>() + y.numElements());
  }
};

TEST_F(SideBySideTest, ModulesKeepTheirOwnKernels) {
  const std::map<std::string, std::string> two{{"B", "2"}}, three{{"B", "3"}};
  // Each on its own first: the reference.
  std::vector<float> aloneThree;
  {
    auto module = compile("models/mlp.tg", three);
    ASSERT_TRUE(module);
    auto session = runtime::Session::create(module);
    ASSERT_TRUE(session) << session.error().message();
    aloneThree = runOnce(**session, *module);
  }
  // Then side by side, all loaded before any runs, each session kept alive.
  auto small = compile("models/mlp.tg", two);
  auto large = compile("models/mlp.tg", three);
  auto block = compile("models/block.tg", {});
  ASSERT_TRUE(small && large && block);
  std::vector<std::unique_ptr<runtime::Session>> sessions;
  for (const auto &module : {small, large, block}) {
    auto session = runtime::Session::create(module);
    ASSERT_TRUE(session) << session.error().message();
    sessions.push_back(session.takeValue());
  }
  EXPECT_EQ(runOnce(*sessions[1], *large), aloneThree);
  EXPECT_EQ(runOnce(*sessions[0], *small).size(), 2u * 8u);
  EXPECT_FALSE(runOnce(*sessions[2], *block).empty());
  // A module loaded after another was destroyed reuses nothing stale either.
  sessions.clear();
  small.reset();
  auto again = compile("models/mlp.tg", three);
  ASSERT_TRUE(again);
  auto session = runtime::Session::create(again);
  ASSERT_TRUE(session) << session.error().message();
  EXPECT_EQ(runOnce(**session, *again), aloneThree);
}

} // namespace
} // namespace tessera::e2e
