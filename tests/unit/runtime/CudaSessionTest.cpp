// The CUDA device of the runtime against a fake driver (FakeCuda.c: host memory behind the
// driver API, kernels named scale2_<N> computing out = 2 * in), and its error paths: no
// driver, the toolkit's stub driver, a failing JIT, launch or synchronization, too little
// device memory, a device older than the PTX, a module without PTX.
#include "TestModuleBuilder.h"

#include "tessera/Module.h"
#include "tessera/SeededFill.h"
#include "tessera/Session.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <dlfcn.h>

using namespace tessera::runtime;
using namespace tessera::test;

namespace {

const char *kFakeDriver = TESSERA_FAKE_CUDA_PATH;

/// The fake driver, opened by the test too so that its counters outlive the runtime's handle.
class FakeDriver {
public:
  FakeDriver() {
    handle_ = dlopen(kFakeDriver, RTLD_NOW | RTLD_LOCAL);
    if (!handle_)
      ADD_FAILURE() << dlerror();
    counter_ = reinterpret_cast<long (*)(const char *)>(dlsym(handle_, "fake_cuda_counter"));
    reinterpret_cast<void (*)()>(dlsym(handle_, "fake_cuda_reset"))();
    ::setenv("TESSERA_CUDA_DRIVER", kFakeDriver, 1);
  }
  ~FakeDriver() {
    ::unsetenv("TESSERA_CUDA_DRIVER");
    for (const char *v : {"FAKE_CUDA_FAIL", "FAKE_CUDA_MEMORY", "FAKE_CUDA_CC"})
      ::unsetenv(v);
    dlclose(handle_);
  }
  long operator[](const char *name) const { return counter_(name); }

private:
  void *handle_ = nullptr;
  long (*counter_)(const char *) = nullptr;
};

std::vector<uint8_t> ptxText(const char *target) {
  std::string text = std::string(".version 7.8\n.target ") + target +
                     "\n.address_size 64\n"
                     ".visible .entry scale2_8(\n.param .u64 a,\n.param .u64 b\n)\n{\nret;\n}\n";
  std::vector<uint8_t> bytes(text.begin(), text.end());
  bytes.push_back(0);
  return bytes;
}

// y = 4 x (through the arena), z = 2 c with c a seeded constant; x, y, z, c: f32[8].
TestModule makeCudaModule(const char *target = "sm_90") {
  TestModule m;
  m.name = "cuda";
  m.inputs = {{"x", 0, {8}}};
  m.outputs = {{"y", 0, {8}}, {"z", 0, {8}}};
  TConstant c;
  c.spec = {"c", 0, {8}};
  c.storage = 1;
  c.hasData = false;
  c.seed = kReferenceSeed;
  c.low = -1.0f;
  c.high = 1.0f;
  m.constants = {c};
  TExecutable exe;
  exe.format = 1;
  exe.target = target;
  exe.data = ptxText(target);
  exe.entryPoints = {"once", "twice"};
  exe.kernels = {{0, "scale2_8", 128, 1, 0}, {1, "scale2_8", 64, 2, 0}, {1, "scale2_8", 64, 2, 0}};
  m.executables = {exe};
  m.arenaSize = 96;
  TDispatch d0, d1, d2;
  d0.name = "d0";
  d0.entryPoint = 0;
  d0.bindings = {{0, 0, 0, 32}, {3, 0, 64, 32}};
  d1.name = "d1";
  d1.entryPoint = 1;
  d1.bindings = {{3, 0, 64, 32}, {1, 0, 0, 32}};
  d2.name = "d2";
  d2.entryPoint = 0;
  d2.bindings = {{2, 0, 0, 32}, {1, 1, 0, 32}};
  m.dispatches = {d0, d1, d2};
  return m;
}

std::shared_ptr<Module> loadOrDie(const TestModule &m) {
  std::vector<uint8_t> bytes = buildModule(m);
  Expected<std::shared_ptr<Module>> module = Module::loadBytes(bytes.data(), bytes.size(), "m");
  if (!module)
    ADD_FAILURE() << module.error().message();
  return module ? *module : nullptr;
}

SessionOptions onCuda() {
  SessionOptions o;
  o.threads = 1;
  o.device = Device::Cuda;
  return o;
}

std::string cudaError(const TestModule &m) {
  std::shared_ptr<Module> module = loadOrDie(m);
  if (!module)
    return "<load failed>";
  Expected<std::unique_ptr<Session>> session = Session::create(module, onCuda());
  return session ? std::string("<no error>") : session.error().message();
}

TEST(CudaSession, RunsThroughTheDriver) {
  FakeDriver fake;
  std::shared_ptr<Module> module = loadOrDie(makeCudaModule());
  ASSERT_TRUE(module);
  {
    Expected<std::unique_ptr<Session>> session = Session::create(module, onCuda());
    ASSERT_TRUE(session) << session.error().message();
    EXPECT_EQ((*session)->device(), Device::Cuda);
    EXPECT_EQ((*session)->deviceName(), "Fake CUDA Device (sm_90)");
    EXPECT_EQ(fake["modulesLoaded"], 1);
    // The seeded constant went up once, at creation.
    EXPECT_EQ(fake["uploads"], 1);
    std::vector<float> x = {1, 2, 3, 4, -1, -2, 0.5f, 8};
    std::vector<float> c(8);
    fillSeededUniformF32(c.data(), 8, kReferenceSeed, -1.0f, 1.0f, 0);
    for (int run = 0; run < 2; ++run) {
      std::vector<float> y(8, -7.0f), z(8, -7.0f);
      std::vector<double> millis;
      Error err = (*session)->run({{DType::F32, {8}, x.data()}},
                                  {{DType::F32, {8}, y.data()}, {DType::F32, {8}, z.data()}},
                                  run == 1 ? &millis : nullptr);
      ASSERT_FALSE(err) << err.message();
      for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(y[i], 4 * x[i]) << i;
        EXPECT_EQ(z[i], 2 * c[i]) << i;
      }
      if (run == 1) {
        EXPECT_EQ(millis.size(), 3u);
      }
    }
    // 1 + 2 + 1 launches per run; per run one input and two outputs up, two outputs down.
    EXPECT_EQ(fake["launches"], 8);
    EXPECT_EQ(fake["uploads"], 1 + 2 * 3);
    EXPECT_EQ(fake["downloads"], 2 * 2);
  }
  // Everything the session took is given back.
  EXPECT_EQ(fake["bytesInUse"], 0);
  EXPECT_EQ(fake["allocations"], fake["frees"]);
  EXPECT_EQ(fake["modulesUnloaded"], 1);
  EXPECT_EQ(fake["contextsRetained"], fake["contextsReleased"]);
  EXPECT_EQ(fake["streamsCreated"], fake["streamsDestroyed"]);
}

// With cudaGraph the first run captures the launches and every run replays them: the same
// results run after run (the inputs change, the graph reads the same device buffers), one
// capture, one graph launch per run, no kernel launched on its own except by runs that time
// each dispatch; the graphs are freed with the session.
TEST(CudaSession, RunsThroughACudaGraph) {
  FakeDriver fake;
  std::shared_ptr<Module> module = loadOrDie(makeCudaModule());
  ASSERT_TRUE(module);
  {
    SessionOptions options = onCuda();
    options.cudaGraph = true;
    Expected<std::unique_ptr<Session>> session = Session::create(module, options);
    ASSERT_TRUE(session) << session.error().message();
    std::vector<float> c(8);
    fillSeededUniformF32(c.data(), 8, kReferenceSeed, -1.0f, 1.0f, 0);
    for (int run = 0; run < 3; ++run) {
      std::vector<float> x = {1, 2, 3, 4, -1, -2, 0.5f, float(run)};
      std::vector<float> y(8, -7.0f), z(8, -7.0f);
      std::vector<double> millis;
      Error err = (*session)->run({{DType::F32, {8}, x.data()}},
                                  {{DType::F32, {8}, y.data()}, {DType::F32, {8}, z.data()}},
                                  run == 2 ? &millis : nullptr);
      ASSERT_FALSE(err) << err.message();
      for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(y[i], 4 * x[i]) << "run " << run << ", " << i;
        EXPECT_EQ(z[i], 2 * c[i]) << "run " << run << ", " << i;
      }
    }
    EXPECT_EQ(fake["captures"], 1);
    EXPECT_EQ(fake["graphLaunches"], 2);
    EXPECT_EQ(fake["launches"], 4); // only the timed run launches kernels one by one
    ::setenv("FAKE_CUDA_FAIL", "launch", 1);
    std::vector<float> x(8), y(8), z(8);
    Error err = (*session)->run({{DType::F32, {8}, x.data()}},
                                {{DType::F32, {8}, y.data()}, {DType::F32, {8}, z.data()}});
    ::unsetenv("FAKE_CUDA_FAIL");
    EXPECT_EQ(err.message(), "launching the CUDA graph: CUDA_ERROR_LAUNCH_FAILED (719)");
  }
  EXPECT_EQ(fake["graphsCreated"], fake["graphsDestroyed"]);
  EXPECT_EQ(fake["bytesInUse"], 0);
}

// A capture or instantiation that fails is reported and leaves the session able to capture
// on the next run.
TEST(CudaSession, CudaGraphErrors) {
  FakeDriver fake;
  std::shared_ptr<Module> module = loadOrDie(makeCudaModule());
  ASSERT_TRUE(module);
  SessionOptions options = onCuda();
  options.cudaGraph = true;
  Expected<std::unique_ptr<Session>> session = Session::create(module, options);
  ASSERT_TRUE(session) << session.error().message();
  std::vector<float> x(8, 1.0f), y(8), z(8);
  auto run = [&] {
    Error err = (*session)->run({{DType::F32, {8}, x.data()}},
                                {{DType::F32, {8}, y.data()}, {DType::F32, {8}, z.data()}});
    return err ? err.message() : std::string("<no error>");
  };
  ::setenv("FAKE_CUDA_FAIL", "capture", 1);
  EXPECT_EQ(run(), "capturing the CUDA graph (cuStreamBeginCapture): "
                   "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED (900)");
  ::setenv("FAKE_CUDA_FAIL", "instantiate", 1);
  EXPECT_EQ(run(), "instantiating the CUDA graph: CUDA_ERROR_INVALID_VALUE (1)");
  ::unsetenv("FAKE_CUDA_FAIL");
  EXPECT_EQ(run(), "<no error>");
  EXPECT_EQ(y[0], 4.0f);
  EXPECT_EQ(fake["graphLaunches"], 1);
}

TEST(CudaSession, OlderPtxRunsOnNewerDevice) {
  FakeDriver fake;
  EXPECT_EQ(cudaError(makeCudaModule("sm_80")), "<no error>");
  ::setenv("FAKE_CUDA_CC", "80", 1);
  EXPECT_EQ(cudaError(makeCudaModule("sm_90")),
            "m: the module's PTX is for sm_90; Fake CUDA Device (sm_80) is older (compile with "
            "--cuda-arch sm_80 or lower)");
}

TEST(CudaSession, DriverErrors) {
  FakeDriver fake;
  TestModule m = makeCudaModule();
  ::setenv("FAKE_CUDA_FAIL", "init", 1);
  EXPECT_EQ(cudaError(m), "m: cuInit: CUDA_ERROR_NO_DEVICE (100)");
  ::setenv("FAKE_CUDA_FAIL", "jit", 1);
  EXPECT_EQ(cudaError(m), "m: loading the PTX (cuModuleLoadDataEx): CUDA_ERROR_INVALID_PTX "
                          "(218); JIT log:\nptxas fatal   : fake JIT failure");
  ::unsetenv("FAKE_CUDA_FAIL");
  ::setenv("FAKE_CUDA_MEMORY", "300", 1);
  std::string oom = cudaError(m);
  EXPECT_NE(oom.find("bytes of device memory for"), std::string::npos) << oom;
  EXPECT_NE(oom.find("CUDA_ERROR_OUT_OF_MEMORY (2)"), std::string::npos) << oom;
  ::unsetenv("FAKE_CUDA_MEMORY");
  EXPECT_EQ(fake["bytesInUse"], 0); // failed creations free what they took

  std::shared_ptr<Module> module = loadOrDie(m);
  Expected<std::unique_ptr<Session>> session = Session::create(module, onCuda());
  ASSERT_TRUE(session) << session.error().message();
  std::vector<float> x(8, 1.0f), y(8), z(8);
  auto run = [&] {
    Error err = (*session)->run({{DType::F32, {8}, x.data()}},
                                {{DType::F32, {8}, y.data()}, {DType::F32, {8}, z.data()}});
    return err ? err.message() : std::string("<no error>");
  };
  ::setenv("FAKE_CUDA_FAIL", "launch", 1);
  EXPECT_EQ(run(), "dispatch 0 'd0': launching kernel 'scale2_8': CUDA_ERROR_LAUNCH_FAILED (719)");
  ::setenv("FAKE_CUDA_FAIL", "sync", 1);
  EXPECT_EQ(run(), "running the module on the GPU: CUDA_ERROR_ILLEGAL_ADDRESS (700)");
  ::unsetenv("FAKE_CUDA_FAIL");
  EXPECT_EQ(run(), "<no error>");
}

TEST(CudaSession, NoDriver) {
  ::setenv("TESSERA_CUDA_DRIVER", "/nonexistent/libcuda.so.1", 1);
  std::string message = cudaError(makeCudaModule());
  ::unsetenv("TESSERA_CUDA_DRIVER");
  EXPECT_EQ(message.rfind("m: cannot load the CUDA driver (/nonexistent/libcuda.so.1): ", 0), 0u)
      << message;
}

TEST(CudaSession, StubDriver) {
  const char *stub = "/usr/local/cuda/lib64/stubs/libcuda.so";
  void *probe = dlopen(stub, RTLD_NOW | RTLD_LOCAL);
  if (!probe)
    GTEST_SKIP() << "no CUDA toolkit stub driver at " << stub;
  dlclose(probe);
  ::setenv("TESSERA_CUDA_DRIVER", stub, 1);
  std::string message = cudaError(makeCudaModule());
  ::unsetenv("TESSERA_CUDA_DRIVER");
  EXPECT_EQ(message, std::string("m: cuInit: CUDA_ERROR_STUB_LIBRARY (34): ") + stub +
                         " is the CUDA toolkit's stub, not a driver; this machine has no usable "
                         "NVIDIA driver");
}

TEST(CudaSession, ModuleWithoutPtx) {
  FakeDriver fake;
  EXPECT_EQ(cudaError(makeReferenceModule()),
            "m: the module has no CUDA code (compile it with --target cuda or --target cpu,cuda)");
}

} // namespace
