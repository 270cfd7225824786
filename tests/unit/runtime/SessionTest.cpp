// Execution without the compiler: modules around the C test kernels, run on several thread
// counts, checked against values computed here.
#include "TestModuleBuilder.h"

#include "tessera/Module.h"
#include "tessera/SeededFill.h"
#include "tessera/Session.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace tessera::runtime;
using namespace tessera::test;

namespace {

std::shared_ptr<Module> loadOrDie(const TestModule &m) {
  std::vector<uint8_t> bytes = buildModule(m);
  Expected<std::shared_ptr<Module>> module = Module::loadBytes(bytes.data(), bytes.size(), "m");
  if (!module)
    ADD_FAILURE() << module.error().message();
  return module ? *module : nullptr;
}

std::unique_ptr<Session> createOrDie(std::shared_ptr<Module> module, unsigned threads) {
  Expected<std::unique_ptr<Session>> session = Session::create(module, {threads});
  if (!session)
    ADD_FAILURE() << session.error().message();
  return session ? session.takeValue() : nullptr;
}

std::string sessionError(const TestModule &m) {
  std::shared_ptr<Module> module = loadOrDie(m);
  if (!module)
    return "<load failed>";
  Expected<std::unique_ptr<Session>> session = Session::create(module, {1});
  return session ? std::string("<no error>") : session.error().message();
}

TEST(Session, ReferenceModuleOnSeveralThreadCounts) {
  std::shared_ptr<Module> module = loadOrDie(makeReferenceModule());
  ASSERT_TRUE(module);
  std::vector<float> x = referenceInput();
  std::vector<float> expected = referenceOutput(x);
  for (unsigned threads : {1u, 2u, 3u, 8u, 0u}) {
    std::unique_ptr<Session> session = createOrDie(module, threads);
    ASSERT_TRUE(session);
    for (int repeat = 0; repeat < 3; ++repeat) {
      Expected<std::vector<Tensor>> outputs = session->run({{DType::F32, {2, 16}, x.data()}});
      ASSERT_TRUE(outputs) << outputs.error().message();
      ASSERT_EQ(outputs->size(), 1u);
      const Tensor &y = (*outputs)[0];
      EXPECT_EQ(y.dtype(), DType::F32);
      EXPECT_EQ(y.shape(), (Shape{2, 16}));
      std::vector<float> got(y.dataAs<float>(), y.dataAs<float>() + 32);
      EXPECT_EQ(got, expected) << "threads " << threads;
    }
  }
}

// SessionOptions::cpuWorkgroups replaces every dispatch's count; the result stays the same.
TEST(Session, WorkgroupCountOverride) {
  std::shared_ptr<Module> module = loadOrDie(makeReferenceModule());
  ASSERT_TRUE(module);
  std::vector<float> x = referenceInput();
  std::vector<float> expected = referenceOutput(x);
  for (int64_t count : {int64_t(1), int64_t(2), int64_t(5), int64_t(64)}) {
    SessionOptions options;
    options.threads = 2;
    options.cpuWorkgroups = count;
    Expected<std::unique_ptr<Session>> session = Session::create(module, options);
    ASSERT_TRUE(session) << session.error().message();
    Expected<std::vector<Tensor>> outputs = (*session)->run({{DType::F32, {2, 16}, x.data()}});
    ASSERT_TRUE(outputs) << outputs.error().message();
    const Tensor &y = (*outputs)[0];
    EXPECT_EQ(std::vector<float>(y.dataAs<float>(), y.dataAs<float>() + 32), expected)
        << count << " workgroups";
  }
  for (int64_t bad : {int64_t(-1), Session::kMaxCpuWorkgroups + 1}) {
    SessionOptions options;
    options.cpuWorkgroups = bad;
    Expected<std::unique_ptr<Session>> session = Session::create(module, options);
    ASSERT_FALSE(session);
    EXPECT_NE(session.error().message().find("cpuWorkgroups"), std::string::npos);
  }
}

TEST(Session, SeededConstantMatchesFormula) {
  // y = (0 + 0) * scale would hide the constant, so use x = 3 - bias, giving y = 3 * scale.
  std::shared_ptr<Module> module = loadOrDie(makeReferenceModule());
  ASSERT_TRUE(module);
  std::unique_ptr<Session> session = createOrDie(module, 2);
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i)
    x[i] = 3.0f - (0.5f * i - 3.0f);
  Expected<std::vector<Tensor>> outputs = session->run({{DType::F32, {2, 16}, x.data()}});
  ASSERT_TRUE(outputs);
  for (int i = 0; i < 32; ++i)
    EXPECT_EQ((*outputs)[0].dataAs<float>()[i],
              3.0f * seededUniformF32(kReferenceSeed, i, -1.0f, 1.0f));
}

TEST(Session, CallerBuffersAnyAlignment) {
  std::shared_ptr<Module> module = loadOrDie(makeReferenceModule());
  ASSERT_TRUE(module);
  std::unique_ptr<Session> session = createOrDie(module, 2);
  std::vector<float> expected = referenceOutput(referenceInput());
  // Misaligned input and output (offset by 4 bytes) go through aligned staging.
  std::vector<float> inStorage(33), outStorage(33, -1.0f);
  std::memcpy(inStorage.data() + 1, referenceInput().data(), 128);
  Error err = session->run({{DType::F32, {2, 16}, inStorage.data() + 1}},
                           {{DType::F32, {2, 16}, outStorage.data() + 1}});
  ASSERT_FALSE(err) << err.message();
  EXPECT_EQ(outStorage[0], -1.0f);
  EXPECT_EQ(std::vector<float>(outStorage.begin() + 1, outStorage.end()), expected);
}

TEST(Session, ModuleLoadedFromUnalignedBytes) {
  std::vector<uint8_t> bytes = buildModule(makeReferenceModule());
  std::vector<uint8_t> shifted(bytes.size() + 3);
  std::memcpy(shifted.data() + 3, bytes.data(), bytes.size());
  Expected<std::shared_ptr<Module>> module = Module::loadBytes(shifted.data() + 3, bytes.size());
  ASSERT_TRUE(module) << module.error().message();
  std::unique_ptr<Session> session = createOrDie(*module, 1);
  std::vector<float> x = referenceInput();
  Expected<std::vector<Tensor>> outputs = session->run({{DType::F32, {2, 16}, x.data()}});
  ASSERT_TRUE(outputs);
  EXPECT_EQ(std::vector<float>((*outputs)[0].dataAs<float>(), (*outputs)[0].dataAs<float>() + 32),
            referenceOutput(x));
}

TEST(Session, SessionKeepsModuleAlive) {
  std::unique_ptr<Session> session;
  {
    std::shared_ptr<Module> module = loadOrDie(makeReferenceModule());
    ASSERT_TRUE(module);
    session = createOrDie(module, 2);
  }
  std::vector<float> x = referenceInput();
  Expected<std::vector<Tensor>> outputs = session->run({{DType::F32, {2, 16}, x.data()}});
  ASSERT_TRUE(outputs);
  EXPECT_EQ((*outputs)[0].dataAs<float>()[5], referenceOutput(x)[5]);
}

TEST(Session, InputValidation) {
  std::shared_ptr<Module> module = loadOrDie(makeReferenceModule());
  ASSERT_TRUE(module);
  std::unique_ptr<Session> session = createOrDie(module, 1);
  std::vector<float> x(48);
  Expected<std::vector<Tensor>> wrongShape = session->run({{DType::F32, {3, 16}, x.data()}});
  ASSERT_FALSE(wrongShape);
  EXPECT_EQ(wrongShape.error().message(), "input 'x': expected f32[2, 16], got f32[3, 16]");
  Expected<std::vector<Tensor>> wrongType = session->run({{DType::I32, {2, 16}, x.data()}});
  ASSERT_FALSE(wrongType);
  EXPECT_EQ(wrongType.error().message(), "input 'x': expected f32[2, 16], got i32[2, 16]");
  Expected<std::vector<Tensor>> none = session->run({});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message(), "expected 1 inputs, got 0");
  Expected<std::vector<Tensor>> null = session->run({{DType::F32, {2, 16}, nullptr}});
  ASSERT_FALSE(null);
  EXPECT_EQ(null.error().message(), "input 'x': data pointer is null");
  std::vector<float> y(32);
  Error wrongOutput =
      session->run({{DType::F32, {2, 16}, x.data()}}, {{DType::F32, {32}, y.data()}});
  ASSERT_TRUE(wrongOutput);
  EXPECT_EQ(wrongOutput.message(), "output 'y': expected f32[2, 16], got f32[32]");
}

TEST(Session, ZeroSizedBuffers) {
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
  d.workgroups[0] = 5;
  d.bindings = {{0, 0, 0, 0}, {1, 0, 0, 0}, {2, 0, 0, 0}, {2, 1, 0, 0}, {3, 0, 0, 0}};
  m.dispatches = {d};
  std::shared_ptr<Module> module = loadOrDie(m);
  ASSERT_TRUE(module);
  for (unsigned threads : {1u, 4u}) {
    std::unique_ptr<Session> session = createOrDie(module, threads);
    ASSERT_TRUE(session);
    Expected<std::vector<Tensor>> outputs = session->run({{DType::F32, {0, 4}, nullptr}});
    ASSERT_TRUE(outputs) << outputs.error().message();
    EXPECT_EQ((*outputs)[0].numElements(), 0u);
    EXPECT_EQ((*outputs)[0].shape(), (Shape{0}));
  }
}

TEST(Session, NoDispatchesNoExecutables) {
  TestModule m;
  m.outputs = {{"y", 2, {3}}};
  std::shared_ptr<Module> module = loadOrDie(m);
  ASSERT_TRUE(module);
  std::unique_ptr<Session> session = createOrDie(module, 1);
  Expected<std::vector<Tensor>> outputs = session->run({});
  ASSERT_TRUE(outputs);
  EXPECT_EQ((*outputs)[0].dtype(), DType::I64);
  EXPECT_EQ((*outputs)[0].dataAs<int64_t>()[2], 0);
}

TEST(Session, HugeWorkgroupCountIsClamped) {
  TestModule m = makeReferenceModule();
  m.dispatches[0].workgroups[0] = 0xFFFFFFFFu;
  std::shared_ptr<Module> module = loadOrDie(m);
  ASSERT_TRUE(module);
  std::unique_ptr<Session> session = createOrDie(module, 2);
  std::vector<float> x = referenceInput();
  Expected<std::vector<Tensor>> outputs = session->run({{DType::F32, {2, 16}, x.data()}});
  ASSERT_TRUE(outputs);
  EXPECT_EQ((*outputs)[0].dataAs<float>()[31], referenceOutput(x)[31]);
}

TEST(Session, ExecutableErrors) {
  TestModule missing = makeReferenceModule();
  missing.executables[0].entryPoints[2] = "does_not_exist";
  EXPECT_EQ(sessionError(missing),
            "m: executable 0: entry point 'does_not_exist' not found in the executable");

  TestModule libc = makeReferenceModule();
  libc.executables[0].entryPoints[2] = "memcpy";
  EXPECT_EQ(sessionError(libc),
            "m: executable 0: entry point 'memcpy' is not defined by the executable itself");

  TestModule notElf = makeReferenceModule();
  notElf.executables[0].data = std::vector<uint8_t>(100, 0x90);
  EXPECT_EQ(sessionError(notElf), "m: executable 0: not an ELF shared object (bad magic)");

  TestModule truncatedElf = makeReferenceModule();
  truncatedElf.executables[0].data.resize(1000);
  std::string truncated = sessionError(truncatedElf);
  EXPECT_EQ(truncated.rfind("m: executable 0: ELF object is truncated or corrupt", 0), 0u)
      << truncated;

  TestModule cutHeaders = makeReferenceModule();
  cutHeaders.executables[0].data.resize(100);
  EXPECT_EQ(sessionError(cutHeaders), "m: executable 0: ELF object is truncated or corrupt "
                                      "(program headers out of range)");

  // A well-formed ELF file that is not a loadable shared object: dlopen's own error.
  TestModule object = makeReferenceModule();
  object.executables[0].data[16] = 1; // e_type = ET_REL
  EXPECT_EQ(sessionError(object), "m: executable 0: ELF object is not a shared object (e_type 1)");

  TestModule ptx = makeReferenceModule();
  ptx.executables[0].format = 1;
  ptx.executables[0].target = "sm_90";
  ptx.executables[0].data = {'/', '/', 0};
  EXPECT_EQ(sessionError(ptx), "m: executable 0: format ptx (target 'sm_90') cannot run on the "
                               "CPU: the module has no CPU code (compile it with --target cpu "
                               "or --target cpu,cuda)");

  // An unused PTX executable is fine.
  TestModule unused = makeReferenceModule();
  TExecutable gpu;
  gpu.format = 1;
  gpu.target = "sm_90";
  gpu.data = {'/', '/', 0};
  gpu.entryPoints = unused.executables[0].entryPoints;
  unused.executables.push_back(gpu);
  EXPECT_EQ(sessionError(unused), "<no error>");

  TestModule unknownLevel = makeReferenceModule();
  unknownLevel.executables[0].target = "x86-64-v3";
  std::string level = sessionError(unknownLevel);
  EXPECT_TRUE(level == "<no error>" ||
              level == "m: executable 0: target x86-64-v3 is not supported by this CPU")
      << level;
}

} // namespace

// A small module may ask for a huge seeded constant or arena; the session refuses before
// allocating (or filling) anything, naming what is too large and the limit.
TEST(Session, MemoryLimitCheckedBeforeAllocating) {
  TestModule big = makeReferenceModule();
  big.constants[1].spec.shape = {int64_t(5) << 30}; // 20 GiB seeded constant
  std::shared_ptr<Module> module = loadOrDie(big);
  ASSERT_TRUE(module);
  SessionOptions options;
  options.maxMemoryBytes = uint64_t(1) << 30;
  Expected<std::unique_ptr<Session>> session = Session::create(module, options);
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().message(),
            "m: generated constant 1 'scale' needs 20.0 GiB, more than the memory limit of "
            "1.0 GiB; raise it with --max-memory (SessionOptions::maxMemoryBytes)");

  TestModule arena = makeReferenceModule();
  arena.arenaSize = uint64_t(3) << 30;
  module = loadOrDie(arena);
  ASSERT_TRUE(module);
  session = Session::create(module, options);
  ASSERT_FALSE(session);
  EXPECT_NE(session.error().message().find("the arena (intermediate buffers) needs 3.0 GiB"),
            std::string::npos)
      << session.error().message();

  // Together: each part fits, the sum does not.
  options.maxMemoryBytes = 300; // arena 256 + scale 128
  session = Session::create(loadOrDie(makeReferenceModule()), options);
  ASSERT_FALSE(session);
  EXPECT_NE(session.error().message().find("the module (arena 256 B, generated constants 128 B, "
                                           "inputs and outputs 256 B) needs 640 B"),
            std::string::npos)
      << session.error().message();
  options.maxMemoryBytes = 640;
  EXPECT_TRUE(Session::create(loadOrDie(makeReferenceModule()), options));
}

TEST(Session, DefaultMemoryLimitIsHalfThisMachine) {
  uint64_t limit = tessera::limits::defaultMaxMemoryBytes();
  EXPECT_GT(limit, uint64_t(64) << 20);
  TestModule big = makeReferenceModule();
  big.constants[1].spec.shape = {int64_t(limit / 4 + 1)};
  Expected<std::unique_ptr<Session>> session = Session::create(loadOrDie(big), {});
  ASSERT_FALSE(session);
  EXPECT_NE(session.error().message().find("(half of this machine's memory)"), std::string::npos)
      << session.error().message();
}
