// Builds .tsm modules for runtime tests with FlatBufferBuilder, the way the compiler does, so
// loading and execution can be tested without the compiler. Fields are plain ints so tests can
// write deliberately invalid values.
#ifndef TESSERA_TESTS_RUNTIME_TESTMODULEBUILDER_H
#define TESSERA_TESTS_RUNTIME_TESTMODULEBUILDER_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tessera::test {

struct TSpec {
  std::string name;
  int dtype = 0; // tessera.schema.DType
  std::vector<int64_t> shape;
};

struct TConstant {
  TSpec spec;
  int storage = 0; // 0 Embedded, 1 SeededUniform
  bool hasData = true;
  std::vector<uint8_t> data;
  uint64_t seed = 0;
  float low = 0, high = 0;
  // Shifts embedded data this many bytes off 64-byte alignment.
  size_t misalign = 0;
};

struct TGpuKernel {
  uint32_t entryPoint = 0;
  std::string name;
  uint32_t blockSize = 128;
  uint32_t gridSize = 1;
  uint32_t sharedMemoryBytes = 0;
};

struct TExecutable {
  int format = 0; // 0 ElfSharedObject, 1 Ptx
  std::string target = "x86-64";
  std::vector<uint8_t> data;
  std::vector<std::string> entryPoints;
  std::vector<TGpuKernel> kernels;
};

struct TBinding {
  int kind = 0; // 0 Input, 1 Output, 2 Constant, 3 Arena
  uint32_t index = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct TDispatch {
  std::string name;
  uint32_t executable = 0;
  uint32_t entryPoint = 0;
  uint32_t workgroups[3] = {1, 1, 1};
  std::vector<TBinding> bindings;
  // Written only when set, as an older compiler's modules lack them.
  std::string source, parameters;
  std::optional<std::vector<uint8_t>> bindingAccess;
  std::optional<std::vector<uint32_t>> dependsOn;
  std::optional<std::vector<std::string>> bindingTypes;
};

struct TAttentionMap {
  uint32_t output = 0;
  std::string layer = "layer";
  std::optional<std::vector<int64_t>> queryGrid, keyGrid; // {prefix, rows, cols}
};

struct TestModule {
  uint32_t formatVersion = 1;
  std::string name = "test";
  std::string producer = "runtime-unit-tests";
  std::vector<TSpec> inputs;
  std::vector<TSpec> outputs;
  std::vector<TConstant> constants;
  std::vector<TExecutable> executables;
  uint64_t arenaSize = 0;
  std::vector<TDispatch> dispatches;
  std::vector<TAttentionMap> attentionMaps; // written only when not empty
  std::optional<std::string> imageFlags;
  struct Build {
    std::vector<std::pair<std::string, std::string>> sources;
    std::string config, options, weights;
  };
  std::optional<Build> build;
  // Store the checksum field (ForceDefaults) and seal it.
  bool writeChecksum = true;
  bool seal = true;
};

// Serialises `module` (and seals it unless told not to).
std::vector<uint8_t> buildModule(const TestModule &module);

// The test kernel library's bytes (built from TestKernels.c).
const std::vector<uint8_t> &testKernelLibrary();

// y = (x + bias) * scale with x, y: f32[2, 16]; bias is embedded (bias[i] = 0.5 * i - 3),
// scale is seeded (seed 42, [-1, 1)); the intermediate lives at arena offset 64.
TestModule makeReferenceModule();
constexpr uint64_t kReferenceSeed = 42;
// The expected output of the reference module for input `x` (32 values).
std::vector<float> referenceOutput(const std::vector<float> &x);
std::vector<float> referenceInput();

// A fresh directory for one test's files, removed by the destructor.
class TempDir {
public:
  TempDir();
  ~TempDir();
  std::string path(const std::string &name) const { return dir_ + "/" + name; }

private:
  std::string dir_;
};

void writeFile(const std::string &path, const std::vector<uint8_t> &bytes);
std::vector<uint8_t> readFile(const std::string &path);

} // namespace tessera::test

#endif // TESSERA_TESTS_RUNTIME_TESTMODULEBUILDER_H
