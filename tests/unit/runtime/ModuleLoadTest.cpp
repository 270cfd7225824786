// Module loading: the happy path and every semantic rule, each with a deliberately bad (but
// sealed, so the checksum passes) module and the message it must produce.
#include "TestModuleBuilder.h"

#include "tessera/Module.h"
#include "tessera/ModuleChecksum.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

using namespace tessera::runtime;
using namespace tessera::test;

namespace {

Expected<std::shared_ptr<Module>> load(const TestModule &m) {
  std::vector<uint8_t> bytes = buildModule(m);
  return Module::loadBytes(bytes.data(), bytes.size(), "module.tsm");
}

// Loads the reference module after `mutate` and expects an error containing `expected`.
void expectLoadError(const std::function<void(TestModule &)> &mutate, const std::string &expected) {
  TestModule m = makeReferenceModule();
  mutate(m);
  Expected<std::shared_ptr<Module>> module = load(m);
  ASSERT_FALSE(module) << "expected failure containing: " << expected;
  EXPECT_NE(module.error().message().find(expected), std::string::npos)
      << "message: " << module.error().message() << "\nexpected to contain: " << expected;
  EXPECT_EQ(module.error().message().rfind("module.tsm: ", 0), 0u) << module.error().message();
}

TEST(ModuleLoad, ReferenceModule) {
  Expected<std::shared_ptr<Module>> module = load(makeReferenceModule());
  ASSERT_TRUE(module) << module.error().message();
  const Module &m = **module;
  EXPECT_EQ(m.name(), "reference");
  EXPECT_EQ(m.info().producer, "runtime-unit-tests");
  EXPECT_EQ(m.info().formatVersion, 1u);
  ASSERT_EQ(m.inputs().size(), 1u);
  EXPECT_EQ(m.inputs()[0].name, "x");
  EXPECT_EQ(m.inputs()[0].typeString(), "f32[2, 16]");
  EXPECT_EQ(m.inputs()[0].byteSize, 128u);
  ASSERT_EQ(m.constants().size(), 2u);
  EXPECT_EQ(m.constants()[0].storage, ConstantStorage::Embedded);
  ASSERT_NE(m.constants()[0].data, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(m.constants()[0].data) % 64, 0u);
  // Used in place: the pointer lies inside the module buffer.
  EXPECT_GE(m.constants()[0].data, m.bufferData());
  EXPECT_LT(m.constants()[0].data, m.bufferData() + m.bufferSize());
  EXPECT_EQ(m.constants()[1].storage, ConstantStorage::SeededUniform);
  EXPECT_EQ(m.constants()[1].seed, kReferenceSeed);
  ASSERT_EQ(m.executables().size(), 1u);
  EXPECT_EQ(m.executables()[0].entryPoints.size(), 3u);
  EXPECT_EQ(m.arenaSize(), 256u);
  ASSERT_EQ(m.dispatches().size(), 2u);
  EXPECT_EQ(m.dispatches()[1].name, "d1_mul");
  EXPECT_EQ(m.dispatches()[1].bindings[0].kind, BindingKind::Arena);
  EXPECT_EQ(m.dispatches()[1].bindings[0].offset, 64u);
  EXPECT_EQ(m.findInput("x"), 0);
  EXPECT_EQ(m.findInput("y"), -1);
  EXPECT_EQ(m.findOutput("y"), 0);
}

TEST(ModuleLoad, LoadFileMapsAndValidates) {
  TempDir dir;
  writeFile(dir.path("m.tsm"), buildModule(makeReferenceModule()));
  Expected<std::shared_ptr<Module>> module = Module::loadFile(dir.path("m.tsm"));
  ASSERT_TRUE(module) << module.error().message();
  EXPECT_EQ((*module)->sourceName(), dir.path("m.tsm"));
  EXPECT_EQ(reinterpret_cast<uintptr_t>((*module)->bufferData()) % 4096, 0u);
}

TEST(ModuleLoad, FileErrors) {
  TempDir dir;
  Expected<std::shared_ptr<Module>> missing = Module::loadFile(dir.path("nope.tsm"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("cannot open"), std::string::npos);

  Expected<std::shared_ptr<Module>> directory = Module::loadFile(dir.path(""));
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.error().message().find("not a regular file"), std::string::npos);

  writeFile(dir.path("empty.tsm"), {});
  Expected<std::shared_ptr<Module>> empty = Module::loadFile(dir.path("empty.tsm"));
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message().find("empty"), std::string::npos);
}

TEST(ModuleLoad, WrongIdentifier) {
  std::vector<uint8_t> bytes = buildModule(makeReferenceModule());
  bytes[4] = 'X';
  Expected<std::shared_ptr<Module>> module = Module::loadBytes(bytes.data(), bytes.size(), "m");
  ASSERT_FALSE(module);
  EXPECT_EQ(module.error().message(),
            "m: not a Tessera module (file identifier \"XSM0\", expected \"TSM0\")");
}

TEST(ModuleLoad, ChecksumMismatch) {
  TestModule m = makeReferenceModule();
  m.seal = false;
  Expected<std::shared_ptr<Module>> module = load(m);
  ASSERT_FALSE(module);
  EXPECT_NE(module.error().message().find("checksum mismatch"), std::string::npos)
      << module.error().message();
}

TEST(ModuleLoad, MissingChecksumField) {
  TestModule m = makeReferenceModule();
  m.writeChecksum = false; // checksum == default 0 is then omitted from the buffer.
  std::vector<uint8_t> bytes = buildModule(m);
  Error seal = sealModuleChecksum(bytes.data(), bytes.size());
  ASSERT_TRUE(seal);
  EXPECT_NE(seal.message().find("no checksum field"), std::string::npos) << seal.message();
  Expected<std::shared_ptr<Module>> module = Module::loadBytes(bytes.data(), bytes.size());
  ASSERT_FALSE(module);
  EXPECT_NE(module.error().message().find("no checksum field"), std::string::npos);
}

TEST(ModuleLoad, SealRejectsGarbage) {
  std::vector<uint8_t> garbage(64, 0xAB);
  EXPECT_TRUE(sealModuleChecksum(garbage.data(), garbage.size()));
  EXPECT_TRUE(sealModuleChecksum(garbage.data(), 3));
  EXPECT_TRUE(sealModuleChecksum(nullptr, 0));
}

TEST(ModuleLoad, ChecksumIsStable) {
  std::vector<uint8_t> bytes = buildModule(makeReferenceModule());
  Expected<uint32_t> crc = computeModuleChecksum(bytes.data(), bytes.size());
  ASSERT_TRUE(crc);
  EXPECT_FALSE(checkModuleChecksum(bytes.data(), bytes.size()));
  // Sealing twice changes nothing: the field itself is excluded from the sum.
  std::vector<uint8_t> again = bytes;
  ASSERT_FALSE(sealModuleChecksum(again.data(), again.size()));
  EXPECT_EQ(again, bytes);
}

TEST(ModuleLoad, FormatVersion) {
  expectLoadError([](TestModule &m) { m.formatVersion = 2; },
                  "unsupported format version 2 (this runtime reads 1)");
}

TEST(ModuleLoad, TensorSpecRules) {
  expectLoadError([](TestModule &m) { m.inputs[0].dtype = 7; }, "input 0 'x': unknown dtype 7");
  expectLoadError([](TestModule &m) { m.outputs[0].shape = {2, -16}; },
                  "output 0 'y': dimension 1 is negative");
  expectLoadError([](TestModule &m) { m.inputs[0].shape = {1, 1, 1, 1, 1, 1, 1, 1, 1}; },
                  "input 0 'x': rank 9 exceeds the maximum of 8");
  expectLoadError([](TestModule &m) { m.inputs[0].shape = {int64_t(1) << 40, int64_t(1) << 40}; },
                  "input 0 'x': shape [1099511627776, 1099511627776] has too many elements");
  expectLoadError([](TestModule &m) { m.inputs[0].shape = {int64_t(1) << 62}; },
                  "is too large for f32");
  expectLoadError([](TestModule &m) { m.inputs.push_back(m.inputs[0]); },
                  "input 1: duplicate name 'x'");
  expectLoadError([](TestModule &m) { m.outputs[0].name = ""; }, "output 0: empty name");
  expectLoadError([](TestModule &m) { m.constants[0].spec.dtype = -3; },
                  "constant 0 'bias': unknown dtype -3");
}

TEST(ModuleLoad, ConstantRules) {
  expectLoadError([](TestModule &m) { m.constants[0].data.resize(124); },
                  "constant 0 'bias': embedded data is 124 bytes, but f32[2, 16] needs 128");
  expectLoadError([](TestModule &m) { m.constants[0].hasData = false; },
                  "constant 0 'bias': embedded constant has no data");
  expectLoadError([](TestModule &m) { m.constants[0].misalign = 8; }, "is not 64-byte aligned");
  expectLoadError([](TestModule &m) { m.constants[0].storage = 5; },
                  "constant 0 'bias': unknown storage 5");
  expectLoadError([](TestModule &m) { m.constants[1].high = std::nanf(""); },
                  "constant 1 'scale': seeded range");
  expectLoadError([](TestModule &m) { m.constants[1].low = -INFINITY; }, "is not finite");
  expectLoadError([](TestModule &m) { m.constants[1].low = 2.0f; },
                  "constant 1 'scale': seeded range has low 2 > high 1");
  expectLoadError([](TestModule &m) { m.constants[1].spec.dtype = 1; },
                  "constant 1 'scale': seeded constants must be f32, not i32");
  expectLoadError(
      [](TestModule &m) {
        m.constants[1].hasData = true;
        m.constants[1].data.resize(128);
      },
      "seeded constant must not carry data");
}

TEST(ModuleLoad, ExecutableRules) {
  expectLoadError([](TestModule &m) { m.executables[0].format = 9; },
                  "executable 0: unknown format 9");
  expectLoadError([](TestModule &m) { m.executables[0].data.clear(); }, "executable 0: empty data");
  expectLoadError([](TestModule &m) { m.executables[0].entryPoints[1] = ""; },
                  "executable 0: entry point 1 has an empty name");
}

// A PTX executable beside the CPU one, implementing the same three entry points.
TExecutable ptxExecutable() {
  TExecutable exe;
  exe.format = 1;
  exe.target = "sm_90";
  std::string text = ".version 7.8\n.target sm_90\n.visible .entry a_k0(\n) { ret; }\n"
                     ".visible .entry c_k0(\n) { ret; }\n.visible .entry c_k1(\n) { ret; }\n";
  exe.data.assign(text.begin(), text.end());
  exe.data.push_back(0);
  exe.entryPoints = {"a", "b", "c"};
  exe.kernels = {{0, "a_k0", 256, 8, 0}, {2, "c_k0", 32, 1, 0}, {2, "c_k1", 1024, 4, 4096}};
  return exe;
}

TEST(ModuleLoad, PtxExecutable) {
  TestModule m = makeReferenceModule();
  m.executables.push_back(ptxExecutable());
  Expected<std::shared_ptr<Module>> module = load(m);
  ASSERT_TRUE(module) << module.error().message();
  const ExecutableInfo &exe = (*module)->executables()[1];
  EXPECT_EQ(exe.format, ExecutableFormat::Ptx);
  ASSERT_EQ(exe.kernels.size(), 3u);
  EXPECT_EQ(exe.kernels[2].name, "c_k1");
  EXPECT_EQ(exe.kernels[2].entryPoint, 2u);
  EXPECT_EQ(exe.kernels[2].blockSize, 1024u);
  EXPECT_EQ(exe.kernels[2].sharedMemoryBytes, 4096u);
}

TEST(ModuleLoad, PtxRules) {
  auto withPtx = [](std::function<void(TExecutable &)> edit) {
    return [edit](TestModule &m) {
      m.executables.push_back(ptxExecutable());
      edit(m.executables.back());
    };
  };
  expectLoadError(withPtx([](TExecutable &e) { e.data.pop_back(); }),
                  "executable 1: PTX text is not NUL-terminated");
  expectLoadError(withPtx([](TExecutable &e) { e.data[3] = 0; }),
                  "executable 1: PTX text contains a NUL byte before its end");
  expectLoadError(withPtx([](TExecutable &e) { e.kernels[1].name = "missing"; }),
                  "executable 1 kernel 1: the PTX has no '.entry missing'");
  expectLoadError(withPtx([](TExecutable &e) { e.kernels[0].name = "c_k"; }),
                  "executable 1 kernel 0: the PTX has no '.entry c_k'");
  expectLoadError(withPtx([](TExecutable &e) { e.kernels[0].blockSize = 0; }),
                  "executable 1 kernel 0 'a_k0': block size 0 outside [1, 1024]");
  expectLoadError(withPtx([](TExecutable &e) { e.kernels[0].blockSize = 2048; }),
                  "executable 1 kernel 0 'a_k0': block size 2048 outside [1, 1024]");
  expectLoadError(withPtx([](TExecutable &e) { e.kernels[0].gridSize = 0; }),
                  "executable 1 kernel 0 'a_k0': grid size 0 outside [1, 2^31 - 1]");
  expectLoadError(withPtx([](TExecutable &e) { e.kernels[2].sharedMemoryBytes = 1 << 20; }),
                  "executable 1 kernel 2 'c_k1': 1048576 bytes of shared memory (at most 227 "
                  "KiB per block)");
  expectLoadError(withPtx([](TExecutable &e) { e.kernels[0].entryPoint = 3; }),
                  "executable 1 kernel 0: entry point index 3 out of range (3 entry points)");
  expectLoadError(withPtx([](TExecutable &e) { std::swap(e.kernels[0], e.kernels[2]); }),
                  "executable 1 kernel 2: kernels are not grouped by entry point");
  expectLoadError(withPtx([](TExecutable &e) {
                    e.entryPoints.pop_back();
                    e.kernels.resize(1);
                  }),
                  "executable 1 has 2 entry points, executable 0 has 3 (every executable "
                  "implements the same entry points)");
  // GPU launches belong to PTX only.
  expectLoadError([](TestModule &m) { m.executables[0].kernels = {{0, "a", 32, 1, 0}}; },
                  "executable 0: a CPU executable has no GPU kernels, but 1 are listed");
}

TEST(ModuleLoad, ArenaLimit) {
  // A structural bound only; the machine's limit is the session's (Session.MemoryLimit...).
  expectLoadError([](TestModule &m) { m.arenaSize = (uint64_t(16) << 40) + 1; },
                  "arena_size 17592186044417 bytes exceeds the limit of 16.0 TiB");
}

TEST(ModuleLoad, DispatchRules) {
  expectLoadError([](TestModule &m) { m.dispatches[1].executable = 1; },
                  "dispatch 1: executable index 1 out of range (module has 1 executables)");
  expectLoadError([](TestModule &m) { m.dispatches[0].entryPoint = 3; },
                  "dispatch 0: entry point index 3 out of range (executable 0 has 3 entry points)");
  expectLoadError([](TestModule &m) { m.dispatches[0].workgroups[0] = 0; },
                  "dispatch 0: workgroup count x is 0");
  expectLoadError([](TestModule &m) { m.dispatches[0].workgroups[2] = 0; },
                  "dispatch 0: workgroup count z is 0");
  expectLoadError([](TestModule &m) { m.dispatches[0].workgroups[1] = 2; },
                  "dispatch 0: workgroup counts [4, 2, 1]: CPU executables take a 1-D grid");
}

// Where a dispatch came from and what it feeds: checked before dump or the graph index by them.
TEST(ModuleLoad, DispatchOriginAndDataFlow) {
  TestModule m = makeReferenceModule();
  m.dispatches[0].source = "m.tg:3:7";
  m.dispatches[0].parameters = "fc1";
  m.dispatches[0].bindingAccess = std::vector<uint8_t>{1, 1, 2};
  m.dispatches[0].dependsOn = std::vector<uint32_t>{};
  m.dispatches[1].dependsOn = std::vector<uint32_t>{0};
  std::vector<uint8_t> bytes = buildModule(m);
  Expected<std::shared_ptr<Module>> module = Module::loadBytes(bytes.data(), bytes.size());
  ASSERT_TRUE(module) << module.error().message();
  const DispatchInfo &d0 = (*module)->dispatches()[0], &d1 = (*module)->dispatches()[1];
  EXPECT_EQ(dispatchOrigin(d0), "fc1 at m.tg:3:7");
  EXPECT_TRUE(d0.hasBindingAccess && d0.bindings[0].read && !d0.bindings[0].written);
  EXPECT_TRUE(!d0.bindings[2].read && d0.bindings[2].written);
  EXPECT_TRUE(d1.hasDependencies && d1.dependsOn == std::vector<uint32_t>{0});
  EXPECT_FALSE(d1.hasBindingAccess);
  EXPECT_TRUE(d1.bindings[0].read && d1.bindings[0].written); // unknown: both

  expectLoadError([](TestModule &m) { m.dispatches[0].bindingAccess = std::vector<uint8_t>{1}; },
                  "dispatch 0: 1 binding access flags for 3 bindings");
  expectLoadError(
      [](TestModule &m) { m.dispatches[0].bindingAccess = std::vector<uint8_t>{1, 4, 2}; },
      "dispatch 0 binding 1: access flags 4 (expected 0..3)");
  expectLoadError([](TestModule &m) { m.dispatches[1].dependsOn = std::vector<uint32_t>{1}; },
                  "dispatch 1: depends_on must list earlier dispatches");
  expectLoadError([](TestModule &m) { m.dispatches[0].dependsOn = std::vector<uint32_t>{5}; },
                  "dispatch 0: depends_on must list earlier dispatches");
  expectLoadError(
      [](TestModule &m) {
        m.dispatches.push_back(m.dispatches[1]);
        m.dispatches[2].dependsOn = std::vector<uint32_t>{1, 0};
      },
      "dispatch 2: depends_on must list earlier dispatches in ascending order, got 0");
}

// Attention maps (compile --expose-attention) name an f32 output of rank >= 3 whose grids
// cover the query and key axes exactly; run --attention-maps trusts them.
TEST(ModuleLoad, AttentionMaps) {
  auto withMap = [](TestModule &m) {
    m.outputs.push_back({"attention:l", 0, {1, 2, 5, 6}});
    TAttentionMap map;
    map.output = 1;
    map.layer = "blocks.0.attn";
    map.queryGrid = std::vector<int64_t>{1, 2, 2};
    map.keyGrid = std::vector<int64_t>{0, 2, 3};
    m.attentionMaps = {map};
  };
  TestModule m = makeReferenceModule();
  withMap(m);
  std::vector<uint8_t> bytes = buildModule(m);
  Expected<std::shared_ptr<Module>> module = Module::loadBytes(bytes.data(), bytes.size());
  ASSERT_TRUE(module) << module.error().message();
  ASSERT_EQ((*module)->attentionMaps().size(), 1u);
  const AttentionMapInfo &map = (*module)->attentionMaps()[0];
  EXPECT_EQ(map.output, 1u);
  EXPECT_EQ(map.layer, "blocks.0.attn");
  ASSERT_TRUE(map.queryGrid && map.keyGrid);
  EXPECT_EQ(map.queryGrid->prefix, 1);
  EXPECT_EQ(map.keyGrid->cols, 3);
  EXPECT_TRUE(makeReferenceModule().attentionMaps.empty()); // absent: none

  expectLoadError(
      [&](TestModule &m) {
        withMap(m);
        m.attentionMaps[0].output = 2;
      },
      "attention map 0: output 2 out of range (2 outputs)");
  expectLoadError(
      [&](TestModule &m) {
        withMap(m);
        m.attentionMaps[0].output = 0;
      },
      "attention map 0 (output 'y'): query grid 1 + 2 x 2 does not cover its 2 queries");
  expectLoadError(
      [&](TestModule &m) {
        withMap(m);
        m.attentionMaps[0].keyGrid = {{1, 2, 3}};
      },
      "attention map 0 (output 'attention:l'): key grid 1 + 2 x 3 does not cover its 6 keys");
  expectLoadError(
      [&](TestModule &m) {
        withMap(m);
        m.attentionMaps[0].queryGrid = {{-1, 2, 3}};
      },
      "query grid -1 + 2 x 3 does not cover its 5 queries");
  expectLoadError(
      [&](TestModule &m) {
        withMap(m);
        m.attentionMaps[0].keyGrid = {{0, int64_t(1) << 62, int64_t(1) << 62}};
      },
      "does not cover its 6 keys");
  // rows * cols wraps around int64 to exactly the key count: refused, not trusted.
  expectLoadError(
      [&](TestModule &m) {
        withMap(m);
        m.outputs[1].shape = {1, 1, 1, int64_t(1) << 33};
        m.attentionMaps[0].queryGrid.reset();
        m.attentionMaps[0].keyGrid = {{0, int64_t(1) << 33, (int64_t(1) << 31) + 1}};
      },
      "key grid 0 + 8589934592 x 2147483649 does not cover its 8589934592 keys");
  expectLoadError(
      [&](TestModule &m) {
        withMap(m);
        m.outputs[1].shape = {0, 2, 5, 6};
      },
      "attention map 0 (output 'attention:l'): f32[0, 2, 5, 6] is no attention map");
  expectLoadError(
      [&](TestModule &m) {
        withMap(m);
        m.attentionMaps[0].layer = "a\x1b[2Jb";
      },
      "attention map 0: layer holds a non-printable character");
  expectLoadError(
      [&](TestModule &m) {
        withMap(m);
        m.attentionMaps.push_back(m.attentionMaps[0]);
      },
      "attention map 1: output 1 is described twice");
}

// Binding types and declared image flags are display text: bounded, printable, one type per
// binding.
TEST(ModuleLoad, BindingTypesAndImageFlags) {
  TestModule m = makeReferenceModule();
  m.dispatches[0].bindingTypes = std::vector<std::string>{"f32[2, 16]", "f32[2, 16]", "f32[32]"};
  m.imageFlags = "--preset inception";
  std::vector<uint8_t> bytes = buildModule(m);
  Expected<std::shared_ptr<Module>> module = Module::loadBytes(bytes.data(), bytes.size());
  ASSERT_TRUE(module) << module.error().message();
  EXPECT_EQ((*module)->dispatches()[0].bindings[2].type, "f32[32]");
  EXPECT_EQ((*module)->dispatches()[1].bindings[0].type, ""); // absent: unknown
  EXPECT_EQ((*module)->info().imageFlags, "--preset inception");

  expectLoadError(
      [](TestModule &m) { m.dispatches[1].bindingTypes = std::vector<std::string>{"a"}; },
      "dispatch 1: 1 binding types for 3 bindings");
  expectLoadError(
      [](TestModule &m) {
        m.dispatches[0].bindingTypes = std::vector<std::string>{"a", "b\x1b[2J", "c"};
      },
      "dispatch 0 binding 1: type holds a non-printable character");
  expectLoadError(
      [](TestModule &m) {
        m.dispatches[0].bindingTypes = std::vector<std::string>{"a", std::string(300, 'x'), "c"};
      },
      "dispatch 0 binding 1: type: 300 bytes (at most 256)");
  expectLoadError([](TestModule &m) { m.imageFlags = "--mean\n0"; },
                  "image_flags holds a non-printable character");
  expectLoadError([](TestModule &m) { m.imageFlags = std::string(5000, 'x'); },
                  "image_flags: 5000 bytes (at most 4096)");
}

TEST(ModuleLoad, BuildRecord) {
  TestModule m = makeReferenceModule();
  m.build =
      TestModule::Build{{{"models/m.tg", std::string(64, 'a')}}, "B=2", "--target cpu", "seeded"};
  std::vector<uint8_t> bytes = buildModule(m);
  Expected<std::shared_ptr<Module>> module = Module::loadBytes(bytes.data(), bytes.size());
  ASSERT_TRUE(module) << module.error().message();
  const BuildInfo &build = (*module)->info().build;
  ASSERT_EQ(build.sources.size(), 1u);
  EXPECT_EQ(build.sources[0].path, "models/m.tg");
  EXPECT_EQ(build.config, "B=2");
  EXPECT_EQ(build.options, "--target cpu");
  EXPECT_EQ(build.weights, "seeded");
  EXPECT_TRUE(Module::loadBytes(bytes.data(), bytes.size()));

  auto withBuild = [](TestModule &m) { m.build = TestModule::Build{{{"m.tg", "ab"}}, "", "", ""}; };
  expectLoadError(
      [&](TestModule &m) {
        withBuild(m);
        m.build->config = "a\x1b[31mb";
      },
      "build config holds a non-printable character");
  expectLoadError(
      [&](TestModule &m) {
        withBuild(m);
        m.build->weights = std::string(5000, 'w');
      },
      "build weights: 5000 bytes (at most 4096)");
  expectLoadError(
      [&](TestModule &m) {
        withBuild(m);
        m.build->sources[0].second = std::string(65, 'f');
      },
      "build source 0 sha256: 65 bytes (at most 64)");
  expectLoadError(
      [&](TestModule &m) {
        withBuild(m);
        m.build->sources[0].first = "a\nb";
      },
      "build source 0 path holds a non-printable character");
}

TEST(ModuleLoad, BindingRules) {
  expectLoadError([](TestModule &m) { m.dispatches[1].bindings[1] = {2, 1, 64, 128}; },
                  "module.tsm: dispatch 1 binding 1: range [64, 192) exceeds constant 1 "
                  "'scale' (128 bytes)");
  expectLoadError([](TestModule &m) { m.dispatches[0].bindings[0] = {0, 0, 64, 128}; },
                  "dispatch 0 binding 0: range [64, 192) exceeds input 0 'x' (128 bytes)");
  // Kernels may assume aligned buffers (UBSan flagged misaligned float access before).
  expectLoadError([](TestModule &m) { m.dispatches[0].bindings[0] = {0, 0, 4, 64}; },
                  "dispatch 0 binding 0: offset 4 is not a multiple of 64 bytes");
  expectLoadError([](TestModule &m) { m.dispatches[0].bindings[2].offset = 8; },
                  "dispatch 0 binding 2: offset 8 is not a multiple of 64 bytes");
  expectLoadError([](TestModule &m) { m.dispatches[1].bindings[2].length = 132; },
                  "dispatch 1 binding 2: range [0, 132) exceeds output 0 'y' (128 bytes)");
  expectLoadError([](TestModule &m) { m.dispatches[0].bindings[2].offset = 192; },
                  "dispatch 0 binding 2: range [192, 320) exceeds arena (256 bytes)");
  expectLoadError(
      [](TestModule &m) { m.dispatches[0].bindings[2] = {3, 0, ~uint64_t(0) - 63, 128}; },
      "dispatch 0 binding 2: offset 18446744073709551552 + length 128 overflows");
  expectLoadError([](TestModule &m) { m.dispatches[0].bindings[0].index = 1; },
                  "dispatch 0 binding 0: input index 1 out of range (module has 1)");
  expectLoadError([](TestModule &m) { m.dispatches[1].bindings[2].index = 5; },
                  "dispatch 1 binding 2: output index 5 out of range (module has 1)");
  expectLoadError([](TestModule &m) { m.dispatches[0].bindings[1].index = 2; },
                  "dispatch 0 binding 1: constant index 2 out of range (module has 2)");
  expectLoadError([](TestModule &m) { m.dispatches[0].bindings[2].index = 1; },
                  "dispatch 0 binding 2: arena index must be 0, not 1");
  expectLoadError([](TestModule &m) { m.dispatches[0].bindings[2].kind = 4; },
                  "dispatch 0 binding 2: unknown binding kind 4");
  expectLoadError([](TestModule &m) { m.dispatches[0].bindings[2].kind = -1; },
                  "dispatch 0 binding 2: unknown binding kind -1");
}

TEST(ModuleLoad, ZeroSizedEverything) {
  TestModule m;
  m.inputs = {{"x", 0, {0, 4}}};
  m.outputs = {{"y", 0, {0}}};
  TConstant empty;
  empty.spec = {"empty", 0, {0}};
  TConstant seeded;
  seeded.spec = {"seeded", 0, {3, 0}};
  seeded.storage = 1;
  seeded.hasData = false;
  m.constants = {empty, seeded};
  TExecutable exe;
  exe.data = testKernelLibrary();
  exe.entryPoints = {"noop"};
  m.executables = {exe};
  TDispatch d;
  d.bindings = {{0, 0, 0, 0}, {1, 0, 0, 0}, {2, 0, 0, 0}, {2, 1, 0, 0}, {3, 0, 0, 0}};
  m.dispatches = {d};
  Expected<std::shared_ptr<Module>> module = load(m);
  ASSERT_TRUE(module) << module.error().message();
  EXPECT_EQ((*module)->inputs()[0].byteSize, 0u);
}

} // namespace

TEST(ModuleLoad, TensorSizeLimit) {
  // 2^41 bytes: the shape is valid int64 arithmetic but larger than any module may hold.
  expectLoadError([](TestModule &m) { m.inputs[0].shape = {int64_t(1) << 39}; },
                  "input 0 'x': [549755813888] is 2.0 TiB, larger than the largest tensor a "
                  "module may hold (1.0 TiB)");
  expectLoadError([](TestModule &m) { m.constants[1].spec.shape = {int64_t(1) << 20, 1 << 19}; },
                  "constant 1 'scale': [1048576, 524288] is 2.0 TiB, larger than the largest "
                  "tensor a module may hold (1.0 TiB)");
}
