// Exercises the runtime through tessera/runtime.h only (the module file is written with the
// test builder, as the compiler would).
#include "TestModuleBuilder.h"

#include "tessera/runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

using namespace tessera::test;

namespace {

TEST(CApi, DeclaredImageFlags) {
  TestModule m = makeReferenceModule();
  m.imageFlags = "--preset imagenet";
  std::vector<uint8_t> bytes = buildModule(m);
  tsr_module *module = nullptr;
  ASSERT_EQ(tsr_module_load_bytes(bytes.data(), bytes.size(), &module), TSR_OK) << tsr_last_error();
  EXPECT_STREQ(tsr_module_image_flags(module), "--preset imagenet");
  tsr_module_destroy(module);
}

TEST(CApi, LoadQueryRun) {
  TempDir dir;
  std::string path = dir.path("m.tsm");
  writeFile(path, buildModule(makeReferenceModule()));

  tsr_module *module = nullptr;
  ASSERT_EQ(tsr_module_load_file(path.c_str(), &module), TSR_OK) << tsr_last_error();
  ASSERT_EQ(tsr_module_num_inputs(module), 1u);
  ASSERT_EQ(tsr_module_num_outputs(module), 1u);
  tsr_tensor_info info;
  ASSERT_EQ(tsr_module_input_info(module, 0, &info), TSR_OK);
  EXPECT_STREQ(info.name, "x");
  EXPECT_EQ(info.dtype, TSR_F32);
  ASSERT_EQ(info.rank, 2);
  EXPECT_EQ(info.shape[0], 2);
  EXPECT_EQ(info.shape[1], 16);
  EXPECT_EQ(info.num_elements, 32u);
  ASSERT_EQ(tsr_module_output_info(module, 0, &info), TSR_OK);
  EXPECT_STREQ(info.name, "y");
  EXPECT_EQ(tsr_module_output_info(module, 1, &info), TSR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(tsr_last_error()).find("out of range"), std::string::npos);
  EXPECT_STREQ(tsr_module_image_flags(module), ""); // declares none
  EXPECT_STREQ(tsr_module_image_flags(nullptr), "");

  tsr_session *session = nullptr;
  ASSERT_EQ(tsr_session_create(module, 2, &session), TSR_OK) << tsr_last_error();
  // The session keeps the module alive.
  tsr_module_destroy(module);

  std::vector<float> x = referenceInput(), y(32, 0.0f);
  const float *inputs[] = {x.data()};
  float *outputs[] = {y.data()};
  ASSERT_EQ(tsr_session_run_f32(session, inputs, 1, outputs, 1), TSR_OK) << tsr_last_error();
  EXPECT_EQ(y, referenceOutput(x));

  std::vector<float> y2(32, 0.0f);
  const void *rawInputs[] = {x.data()};
  void *rawOutputs[] = {y2.data()};
  ASSERT_EQ(tsr_session_run(session, rawInputs, 1, rawOutputs, 1), TSR_OK);
  EXPECT_EQ(y2, y);

  EXPECT_EQ(tsr_session_run_f32(session, inputs, 2, outputs, 1), TSR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(tsr_last_error()).find("takes 1 inputs and 1 outputs"), std::string::npos);
  const float *nullInput[] = {nullptr};
  EXPECT_EQ(tsr_session_run_f32(session, nullInput, 1, outputs, 1), TSR_ERROR);
  EXPECT_EQ(std::string(tsr_last_error()), "input 'x': data pointer is null");
  tsr_session_destroy(session);
}

// N threads x M runs through the C API on one loaded module: each thread with its own session,
// then all threads sharing one session (runs serialize on it). Every result equals the
// reference bitwise. The TSan build (scripts/sanitize.sh thread) runs this test too.
TEST(CApi, ConcurrentRunsOnOneModule) {
  constexpr int kThreads = 8, kRuns = 50;
  std::vector<uint8_t> bytes = buildModule(makeReferenceModule());
  tsr_module *module = nullptr;
  ASSERT_EQ(tsr_module_load_bytes(bytes.data(), bytes.size(), &module), TSR_OK) << tsr_last_error();
  std::vector<float> x = referenceInput(), expected = referenceOutput(x);

  auto runMany = [&](tsr_session *session, std::vector<int> &failures, int t) {
    for (int r = 0; r < kRuns; ++r) {
      std::vector<float> y(32, -1.0f);
      const float *inputs[] = {x.data()};
      float *outputs[] = {y.data()};
      if (tsr_session_run_f32(session, inputs, 1, outputs, 1) != TSR_OK || y != expected)
        ++failures[t];
    }
  };
  for (bool shared : {false, true}) {
    tsr_session *sharedSession = nullptr;
    if (shared) {
      ASSERT_EQ(tsr_session_create(module, 2, &sharedSession), TSR_OK) << tsr_last_error();
    }
    std::vector<int> failures(kThreads, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        tsr_session *own = nullptr;
        if (!shared && tsr_session_create(module, 1 + t % 3, &own) != TSR_OK) {
          failures[t] = kRuns;
          return;
        }
        runMany(shared ? sharedSession : own, failures, t);
        if (own)
          tsr_session_destroy(own);
      });
    for (std::thread &t : threads)
      t.join();
    for (int t = 0; t < kThreads; ++t) {
      EXPECT_EQ(failures[t], 0) << (shared ? "shared" : "own") << " session, thread " << t;
    }
    if (sharedSession)
      tsr_session_destroy(sharedSession);
  }
  tsr_module_destroy(module);
}

TEST(CApi, Errors) {
  tsr_module *module = reinterpret_cast<tsr_module *>(1);
  EXPECT_EQ(tsr_module_load_file("/nonexistent/m.tsm", &module), TSR_ERROR);
  EXPECT_EQ(module, nullptr);
  EXPECT_NE(std::string(tsr_last_error()).find("cannot open"), std::string::npos);
  EXPECT_EQ(tsr_module_load_file(nullptr, &module), TSR_INVALID_ARGUMENT);
  const char garbage[] = "definitely not a module";
  EXPECT_EQ(tsr_module_load_bytes(garbage, sizeof(garbage), &module), TSR_ERROR);
  EXPECT_NE(std::string(tsr_last_error()).find("not a Tessera module"), std::string::npos);
  EXPECT_EQ(tsr_module_num_inputs(nullptr), 0u);
  tsr_session *session = nullptr;
  EXPECT_EQ(tsr_session_create(nullptr, 1, &session), TSR_INVALID_ARGUMENT);
  EXPECT_EQ(tsr_session_run(nullptr, nullptr, 0, nullptr, 0), TSR_INVALID_ARGUMENT);
  tsr_module_destroy(nullptr);
  tsr_session_destroy(nullptr);

  std::vector<uint8_t> bytes = buildModule(makeReferenceModule());
  ASSERT_EQ(tsr_module_load_bytes(bytes.data(), bytes.size(), &module), TSR_OK);
  EXPECT_EQ(tsr_session_create(module, -1, &session), TSR_INVALID_ARGUMENT);
  tsr_module_destroy(module);
}

TEST(CApi, SessionOptions) {
  std::vector<uint8_t> bytes = buildModule(makeReferenceModule());
  tsr_module *module = nullptr;
  ASSERT_EQ(tsr_module_load_bytes(bytes.data(), bytes.size(), &module), TSR_OK);

  tsr_session_options options;
  tsr_session_options_init(&options);
  EXPECT_EQ(options.struct_size, sizeof(tsr_session_options));
  EXPECT_EQ(options.num_threads, 0);
  EXPECT_EQ(options.device, TSR_DEVICE_CPU);
  EXPECT_EQ(options.max_memory_bytes, 0u);
  options.num_threads = 1;
  tsr_session *session = nullptr;
  ASSERT_EQ(tsr_session_create_with_options(module, &options, &session), TSR_OK)
      << tsr_last_error();
  EXPECT_STREQ(tsr_session_device_name(session), "cpu");
  std::vector<float> x(32, 1.0f), y(32, 0.0f);
  const float *inputs[] = {x.data()};
  float *outputs[] = {y.data()};
  EXPECT_EQ(tsr_session_run_f32(session, inputs, 1, outputs, 1), TSR_OK) << tsr_last_error();
  tsr_session_destroy(session);

  // A struct from another header version, bad values, a limit below the module's needs and a
  // CUDA session on a CPU-only module are refused with a message.
  tsr_session_options stale = options;
  stale.struct_size = 8;
  session = nullptr;
  EXPECT_EQ(tsr_session_create_with_options(module, &stale, &session), TSR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(tsr_last_error()).find("struct_size"), std::string::npos);
  EXPECT_EQ(session, nullptr);
  tsr_session_options bad = options;
  bad.device = 7;
  EXPECT_EQ(tsr_session_create_with_options(module, &bad, &session), TSR_INVALID_ARGUMENT);
  bad = options;
  bad.num_threads = 100000;
  EXPECT_EQ(tsr_session_create_with_options(module, &bad, &session), TSR_INVALID_ARGUMENT);
  bad = options;
  bad.cuda_device = -1;
  EXPECT_EQ(tsr_session_create_with_options(module, &bad, &session), TSR_INVALID_ARGUMENT);
  bad = options;
  bad.max_memory_bytes = 1;
  EXPECT_EQ(tsr_session_create_with_options(module, &bad, &session), TSR_ERROR);
  EXPECT_NE(std::string(tsr_last_error()).find("memory"), std::string::npos);
  bad = options;
  bad.device = TSR_DEVICE_CUDA;
  EXPECT_EQ(tsr_session_create_with_options(module, &bad, &session), TSR_ERROR);
  EXPECT_NE(std::string(tsr_last_error()).find("CUDA"), std::string::npos);
  EXPECT_EQ(tsr_session_create_with_options(module, nullptr, &session), TSR_INVALID_ARGUMENT);
  EXPECT_EQ(tsr_session_create_with_options(nullptr, &options, &session), TSR_INVALID_ARGUMENT);
  EXPECT_STREQ(tsr_session_device_name(nullptr), "");
  tsr_session_options_init(nullptr);
  tsr_module_destroy(module);
}

TEST(CApi, Version) {
  std::string version = tsr_version();
  EXPECT_EQ(std::count(version.begin(), version.end(), '.'), 2) << version;
}

} // namespace
