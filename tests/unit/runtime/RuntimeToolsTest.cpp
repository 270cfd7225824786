// runCommand / dumpCommand, called in-process as the tessera driver does.
#include "Commands.h"
#include "TestModuleBuilder.h"

#include "tessera/Npy.h"
#include "tessera/Tensor.h"

#include <gtest/gtest.h>

using namespace tessera::runtime;
using namespace tessera::test;
using tessera::tools::dumpCommand;
using tessera::tools::runCommand;

namespace {

struct CommandResult {
  int code;
  std::string out;
  std::string err;
};

CommandResult call(int (*command)(int, char **, const char *), std::vector<std::string> args) {
  std::vector<char *> argv;
  for (std::string &arg : args)
    argv.push_back(arg.data());
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  int code = command(static_cast<int>(argv.size()), argv.data(), "tessera-run");
  std::string out = testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  return {code, out, err};
}

class RuntimeTools : public testing::Test {
protected:
  void SetUp() override {
    modulePath = dir.path("m.tsm");
    inputPath = dir.path("x.npy");
    writeFile(modulePath, buildModule(makeReferenceModule()));
    std::vector<float> x = referenceInput();
    ASSERT_FALSE(writeNpyFile(inputPath, DType::F32, {2, 16}, x.data()));
  }

  TempDir dir;
  std::string modulePath, inputPath;
};

TEST_F(RuntimeTools, RunWritesOutput) {
  std::string outPath = dir.path("y.npy");
  CommandResult r = call(runCommand, {modulePath, "--input", "x=" + inputPath,
                                      "--output=y=" + outPath, "--threads", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  Expected<Tensor> y = readNpyFile(outPath);
  ASSERT_TRUE(y) << y.error().message();
  EXPECT_EQ(y->shape(), (Shape{2, 16}));
  EXPECT_EQ(std::vector<float>(y->dataAs<float>(), y->dataAs<float>() + 32),
            referenceOutput(referenceInput()));
}

TEST_F(RuntimeTools, RunSummarisesUnnamedOutputs) {
  CommandResult r = call(runCommand, {modulePath, "--input=x=" + inputPath, "--iterations", "3"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("y: f32[2, 16] min=", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(" mean="), std::string::npos);
  EXPECT_NE(r.out.find(" l2="), std::string::npos);
  EXPECT_NE(r.out.find("values=["), std::string::npos);
  EXPECT_NE(r.out.find("timing: 3 iterations"), std::string::npos) << r.out;
}

TEST_F(RuntimeTools, RunUsageErrors) {
  EXPECT_EQ(call(runCommand, {}).code, 2);
  EXPECT_EQ(call(runCommand, {"--help"}).code, 0);
  EXPECT_NE(call(runCommand, {"-h"}).out.find("usage: tessera-run"), std::string::npos);

  CommandResult missing = call(runCommand, {modulePath});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("missing input 'x'; expected inputs:\n  x: f32[2, 16]"),
            std::string::npos)
      << missing.err;
  CommandResult unknown =
      call(runCommand, {modulePath, "--input", "x=" + inputPath, "--input", "z=" + inputPath});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("unknown input 'z'; expected inputs:\n  x: f32[2, 16]"),
            std::string::npos)
      << unknown.err;
  CommandResult twice =
      call(runCommand, {modulePath, "--input", "x=" + inputPath, "--input", "x=" + inputPath});
  EXPECT_EQ(twice.code, 2);
  EXPECT_NE(twice.err.find("input 'x' given more than once"), std::string::npos);
  CommandResult badOutput =
      call(runCommand, {modulePath, "--input", "x=" + inputPath, "--output", "w=o.npy"});
  EXPECT_EQ(badOutput.code, 2);
  EXPECT_NE(badOutput.err.find("unknown output 'w'; expected outputs:\n  y: f32[2, 16]"),
            std::string::npos);
  EXPECT_EQ(call(runCommand, {modulePath, "--input", "x=" + inputPath, "--frobnicate"}).code, 2);
  EXPECT_EQ(call(runCommand, {modulePath, "--input", "x=" + inputPath, "--threads", "0"}).code, 2);
  EXPECT_EQ(call(runCommand, {modulePath, "--input", "x=" + inputPath, "--threads"}).code, 2);
  EXPECT_EQ(call(runCommand, {modulePath, "--input", "x=" + inputPath, "--iterations", "x"}).code,
            2);
  EXPECT_EQ(call(runCommand, {modulePath, "--input", "x"}).code, 2);
  EXPECT_EQ(call(runCommand, {modulePath, modulePath, "--input", "x=" + inputPath}).code, 2);
}

TEST_F(RuntimeTools, RunRuntimeErrors) {
  CommandResult noModule = call(runCommand, {dir.path("none.tsm"), "--input", "x=" + inputPath});
  EXPECT_EQ(noModule.code, 1);
  EXPECT_NE(noModule.err.find("cannot open"), std::string::npos);

  std::vector<float> wrong(48);
  ASSERT_FALSE(writeNpyFile(dir.path("w.npy"), DType::F32, {3, 16}, wrong.data()));
  CommandResult shape = call(runCommand, {modulePath, "--input", "x=" + dir.path("w.npy")});
  EXPECT_EQ(shape.code, 1);
  EXPECT_NE(shape.err.find("input 'x': expected f32[2, 16], got f32[3, 16]"), std::string::npos)
      << shape.err;

  CommandResult noInput = call(runCommand, {modulePath, "--input", "x=" + dir.path("none.npy")});
  EXPECT_EQ(noInput.code, 1);
}

TEST_F(RuntimeTools, Dump) {
  CommandResult r = call(dumpCommand, {modulePath});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("module: reference\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("producer: runtime-unit-tests\n"), std::string::npos);
  EXPECT_NE(r.out.find("format version: 1\n"), std::string::npos);
  EXPECT_NE(r.out.find("inputs: 1\n  0: x f32[2, 16]\n"), std::string::npos);
  EXPECT_NE(r.out.find("  0: bias f32[2, 16] embedded 128 bytes\n"), std::string::npos);
  EXPECT_NE(r.out.find("  1: scale f32[2, 16] seeded-uniform(seed=42, low=-1, high=1) 128 bytes\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("3 entry points: add_f32 mul_f32 noop\n"), std::string::npos);
  EXPECT_NE(r.out.find("arena: 256 bytes\n"), std::string::npos);
  EXPECT_NE(r.out.find("  1: d1_mul executable 0 entry 1 (mul_f32) workgroups [3, 1, 1]\n"
                       "     bindings: arena[0]+64:128 constant[1]+0:128 output[0]+0:128\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(call(dumpCommand, {"--help"}).code, 0);
  EXPECT_EQ(call(dumpCommand, {}).code, 2);
  EXPECT_EQ(call(dumpCommand, {"--bogus"}).code, 2);
  EXPECT_EQ(call(dumpCommand, {dir.path("none.tsm")}).code, 1);
}

} // namespace
